"""The spoken script every voiced pipeline shares: its model (sections, sentences, pauses,
timing: :mod:`.model`), its speakable text (:mod:`.speakable`), subtitles (:mod:`.subtitles`)
and its file forms (:mod:`.forms`). It imports no pipeline: the meditation's writer,
catalogue and checks live in :mod:`archibald.pipelines.meditation`."""
