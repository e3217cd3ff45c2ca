"""The offline media layer: every media stage with no keys and no network.

One idea per module, imported lazily by whoever needs it (NumPy, PyAV and Piper are heavy):

- :mod:`.voice`      script → narrated WAV with sentence timings (Piper, joe voice)
- :mod:`.music`      ambient bed of any length (NumPy), seeded
- :mod:`.art`        1920x1080 calm background from a theme and a seed
- :mod:`.thumbnail`  1280x720 JPEG with a few large words, contrast ≥ 4.5:1
- :mod:`.mix`        voice over ducked music, −16 LUFS, true peak ≤ −1.5 dBTP
- :mod:`.video`      still image + audio → YouTube-ready MP4 by segment looping
- :mod:`.quality`    validation (errors) and scores of produced files
- :mod:`.probe`, :mod:`.audio`, :mod:`.loudness`, :mod:`.files`, :mod:`.ffmpeg`: the plumbing
"""
