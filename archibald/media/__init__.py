"""The offline media layer: every media stage with no keys and no network.

One idea per module, imported lazily by whoever needs it (NumPy, PyAV and Piper are heavy):

- :mod:`.voice`      script → narrated WAV with sentence timings (Piper, joe voice)
- :mod:`.music`      ambient bed of any length (NumPy): chords, bells, nature sounds, seeded
- :mod:`.scene`      the topic's nature scene, drawn in layers, composed frame by frame
- :mod:`.art`        that scene as a still PNG and as a seamless moving loop (MP4)
- :mod:`.thumbnail`  1280x720 JPEG with 2–4 large words, legible at 1/8 width
- :mod:`.mix`        voice over music that breathes (slow ducking), −16 LUFS, ≤ −1.5 dBTP
- :mod:`.video`      moving loop or still + audio → YouTube-ready MP4 by segment looping
- :mod:`.quality`    validation (errors) and scores of produced files
- :mod:`.probe`, :mod:`.audio`, :mod:`.loudness`, :mod:`.files`, :mod:`.ffmpeg`: the plumbing
"""
