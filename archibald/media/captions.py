"""Word-timed captions burned into a vertical video: a few words at a time, large, white with a
dark outline on a dark box, inside YouTube Shorts' safe area (clear of the bottom fifth and the
right 15 %, where the player's buttons and caption sit).

The words are timed to the voice: each sentence's span (the voice's own timings) is split at
its commas where the voice actually falls silent (found in the voice track's energy), and the
words of each phrase share its voiced time by their letters. The captions are drawn with
Pillow (the DejaVu font matplotlib ships; no libfreetype needed in ffmpeg), one small RGBA
strip per cue, laid over the moving picture with ffmpeg's ``overlay`` from a concat list, and
the video is encoded once (the audio is encoded once and copied in).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..store.fsio import TEMPORARY_DIR_SUFFIX
from . import ffmpeg

__all__ = [
    "CAPTION_HEIGHT",
    "CAPTION_TOP",
    "SAFE_BOTTOM",
    "SAFE_RIGHT",
    "Cue",
    "burn_captions",
    "caption_cues",
    "caption_strip",
    "word_times",
]

#: the player's buttons sit in the right 15 % and its caption in the bottom 20 %
SAFE_RIGHT, SAFE_BOTTOM = 0.85, 0.80
#: where the caption strip is laid (1080x1920): below the middle, well above the bottom fifth
CAPTION_TOP, CAPTION_HEIGHT = 1060, 380
#: at most this many words (and letters) on screen at once
MAX_WORDS, MAX_CHARS = 3, 20
_FONT = "DejaVuSans-Bold.ttf"
#: words never shown alone at a cue's end: they go with the word after them
_GLUE = {"a", "an", "the", "to", "of", "in", "on", "at", "for", "and", "or", "my", "your",
         "by", "with", "from", "as", "is", "it"}


@dataclass(frozen=True)
class Cue:
    """A caption: its words, and when it shows (seconds in the video)."""

    start: float
    end: float
    text: str


def _voiced_runs(samples: Any, rate: int, start: float, end: float,
                 min_gap: float = 0.16) -> list[tuple[float, float]]:
    """The voiced stretches of ``samples`` between ``start`` and ``end`` seconds: silences of
    at least ``min_gap`` split them (20 ms frames, 35 dB under the loudest)."""
    a, b = max(0, int(start * rate)), min(len(samples), int(end * rate))
    if b - a < rate // 50:
        return [(start, end)]
    mono = np.asarray(samples[a:b], dtype=np.float32)
    if mono.ndim > 1:
        mono = mono.mean(axis=1)
    hop = max(1, rate // 50)
    n = len(mono) // hop
    rms = np.sqrt(np.mean(mono[:n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = rms > float(rms.max()) * 10 ** (-35 / 20)
    runs: list[tuple[float, float]] = []
    i = 0
    while i < n:
        if loud[i]:
            j = i
            while j < n and loud[j]:
                j += 1
            s, e = start + i * hop / rate, start + j * hop / rate
            if runs and s - runs[-1][1] < min_gap:
                runs[-1] = (runs[-1][0], e)
            else:
                runs.append((s, e))
            i = j
        else:
            i += 1
    return runs or [(start, end)]


def _spread(words: list[str], start: float, end: float) -> list[tuple[float, float, str]]:
    """``words`` over [start, end] by their letters (and a little for each word's onset)."""
    weights = [len(re.sub(r"\W", "", w)) + 1.5 for w in words]
    total = sum(weights) or 1.0
    out, t = [], start
    for w, k in zip(words, weights):
        d = (end - start) * k / total
        out.append((t, t + d, w))
        t += d
    return out


def word_times(sentences: list[tuple[float, float, str]], samples: Any = None,
               rate: int = 0) -> list[tuple[float, float, str]]:
    """(start, end, word) for every spoken word, from the voice's sentence timings; with the
    voice's ``samples`` the sentence's comma phrases are put on its voiced stretches."""
    out: list[tuple[float, float, str]] = []
    for start, end, text in sorted(sentences, key=lambda s: s[0]):
        clean = re.sub(r"\[pause[^\]]*\]|<[^>]*>", " ", str(text))
        phrases = [p.split() for p in re.split(r"(?<=[,;:])\s+", clean.strip()) if p.split()]
        if not phrases or end <= start:
            continue
        spans = [(float(start), float(end))]
        if samples is not None and rate:
            runs = _voiced_runs(samples, rate, float(start), float(end))
            if len(phrases) > 1 and len(runs) >= len(phrases):
                gaps = sorted(range(len(runs) - 1),
                              key=lambda i: runs[i + 1][0] - runs[i][1])[-(len(phrases) - 1):]
                cuts = sorted(gaps)
                edges = [runs[0][0], *(x for i in cuts for x in (runs[i][1], runs[i + 1][0])),
                         runs[-1][1]]
                spans = [(edges[2 * i], edges[2 * i + 1]) for i in range(len(phrases))]
            else:
                spans = [(runs[0][0], runs[-1][1])]
        if len(spans) == len(phrases):
            for (a, b), phrase in zip(spans, phrases):
                out += _spread(phrase, a, b)
        else:
            out += _spread([w for p in phrases for w in p], spans[0][0], spans[-1][1])
    return out


def caption_cues(words: list[tuple[float, float, str]], *, offset: float = 0.0,
                 until: float | None = None, hold: float = 0.35,
                 bridge: float = 0.7) -> list[Cue]:
    """Few words at a time: at most :data:`MAX_WORDS` (and :data:`MAX_CHARS` letters), a new
    cue after a phrase's end; each cue shows from its first word until the next cue (when the
    voice goes on within ``bridge`` seconds) or ``hold`` after its last word."""
    phrases: list[list[tuple[float, float, str]]] = []
    for w in words:                     # a phrase ends at punctuation or a pause
        if phrases and not re.search(r"[,.;:!?]$", phrases[-1][-1][2]) \
                and w[0] - phrases[-1][-1][1] < 0.3:
            phrases[-1].append(w)
        else:
            phrases.append([w])
    groups: list[list[tuple[float, float, str]]] = []
    for phrase in phrases:              # each phrase packed in pieces that fit
        units: list[list[tuple[float, float, str]]] = []
        for w in phrase:                # a small word goes with the word after it
            if units and units[-1][-1][2].lower() in _GLUE:
                units[-1].append(w)
            else:
                units.append([w])
        first = len(groups)
        for unit in units:
            g = groups[-1] if len(groups) > first else None
            joined = [*g, *unit] if g else unit
            if g and len(joined) <= MAX_WORDS \
                    and len(" ".join(x[2] for x in joined)) <= MAX_CHARS:
                g.extend(unit)
            else:
                groups.append(list(unit))
    cues: list[Cue] = []
    for i, g in enumerate(groups):
        start, end = g[0][0] + offset, g[-1][1] + offset
        nxt = groups[i + 1][0][0] + offset if i + 1 < len(groups) else None
        end = nxt if nxt is not None and nxt - end <= bridge else end + hold
        if nxt is not None:
            end = min(end, nxt)
        if until is not None:
            if start >= until:
                break
            end = min(end, until)
        text = " ".join(x[2] for x in g).strip()
        if text and end > start:
            cues.append(Cue(round(start, 3), round(end, 3), text))
    return cues


def _fit(text: str, font_file: str, width: int) -> tuple[Any, list[str]]:
    """The layout with the largest font (96 px down): ``text`` on one line, or on two split
    where their lengths are nearest (never a line of one or two letters); one line when the
    two come out no more than 12 px larger."""
    from PIL import ImageFont

    def largest(lines: list[str]) -> int:
        for size in range(96, 16, -4):
            if max(ImageFont.truetype(font_file, size).getlength(x) for x in lines) <= width:
                return size
        return 0
    words = text.split()
    splits = sorted(([" ".join(words[:i]), " ".join(words[i:])] for i in range(1, len(words))),
                    key=lambda ls: abs(len(ls[0]) - len(ls[1])))
    splits = [ls for ls in splits if min(len(x) for x in ls) > 2][:1]
    one = largest([text])
    two = largest(splits[0]) if splits else 0
    if two > one + 12:
        return ImageFont.truetype(font_file, two), splits[0]
    return ImageFont.truetype(font_file, max(one, 20)), [text]


def caption_strip(text: str, frame_width: int = 1080) -> Any:
    """An RGBA strip (``frame_width`` x :data:`CAPTION_HEIGHT`) with ``text`` centred in the
    safe width (6 % from the left to :data:`SAFE_RIGHT`): white letters with a black outline
    on a rounded dark box (about 75 % opaque), legible over any picture."""
    from PIL import Image, ImageDraw

    from .thumbnail import font_path

    left, right = int(frame_width * 0.06), int(frame_width * SAFE_RIGHT)
    pad = 34
    font, lines = _fit(text.upper(), str(font_path(_FONT)), right - left - 2 * pad)
    size = int(font.size)
    line_h = int(size * 1.18)
    strip = Image.new("RGBA", (frame_width, CAPTION_HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(strip)
    widest = max(font.getlength(x) for x in lines)
    middle = (left + right) / 2
    top = (CAPTION_HEIGHT - line_h * len(lines)) / 2
    draw.rounded_rectangle((middle - widest / 2 - pad, top - pad * 0.6,
                            middle + widest / 2 + pad, top + line_h * len(lines) + pad * 0.6),
                           radius=28, fill=(8, 10, 18, 190))
    for i, line in enumerate(lines):
        draw.text((middle - font.getlength(line) / 2, top + i * line_h + size * 0.06), line,
                  font=font, fill=(255, 255, 255, 255), stroke_width=max(3, size // 16),
                  stroke_fill=(0, 0, 0, 255))
    return strip


def _concat_list(cues: list[Cue], folder: Path, duration: float, frame_width: int) -> Path:
    """A concat-demuxer list of the cues' strips and a blank strip between them."""
    from PIL import Image

    blank = folder / "blank.png"
    Image.new("RGBA", (frame_width, CAPTION_HEIGHT), (0, 0, 0, 0)).save(blank)
    entries: list[tuple[Path, float]] = []
    t = 0.0
    for i, cue in enumerate(cues):
        start, end = max(cue.start, t), min(cue.end, duration)
        if end - start < 1 / 60:
            continue
        if start - t > 1e-3:
            entries.append((blank, start - t))
        png = folder / f"cue{i:04d}.png"
        caption_strip(cue.text, frame_width).save(png)
        entries.append((png, end - start))
        t = end
    entries.append((blank, max(duration - t, 0.05) + 1.0))
    lines = [f"file '{p.name}'\nduration {d:.4f}" for p, d in entries]
    lines.append(f"file '{entries[-1][0].name}'")      # the demuxer's last-entry rule
    listing = folder / "captions.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def burn_captions(loop: Path, audio: Path, cues: list[Cue], out: Path, *,
                  preset: str = "veryfast", timeout: float = 900.0) -> dict[str, Any]:
    """``out`` (MP4): the ``loop`` repeated to the ``audio``'s length with ``cues`` laid over
    it, encoded once (H.264 High yuv420p BT.709, 30 fps, one keyframe every 2 s), the audio
    AAC-LC 48 kHz stereo; validated as :func:`~archibald.media.video.assemble` does."""
    from .files import atomic_output
    from .probe import probe_audio
    from .quality import validate_video
    from .video import _X264, FPS, audio_args, check_loop

    audio, out = Path(audio), Path(out)
    width, height = check_loop(loop)
    if width > height:
        raise InputError(f"captions are laid for a portrait video, not {width}x{height}")
    duration = probe_audio(audio).duration
    if duration < 0.5:
        raise InputError(f"audio {audio} lasts {duration:.2f} s; give at least 0.5 s")
    frames = max(1, round(duration * FPS))
    with atomic_output(out, (".mp4",)) as tmp_out, \
            tempfile.TemporaryDirectory(prefix=".captions.", suffix=TEMPORARY_DIR_SUFFIX,
                                        dir=tmp_out.parent) as work:
        folder = Path(work)
        aac = folder / "audio.m4a"
        encoding = subprocess.Popen([ffmpeg.executable(), "-hide_banner", "-nostdin",
                                     "-loglevel", "error", *audio_args(audio, aac)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            listing = _concat_list(cues, folder, duration, width)
        finally:
            _, err = encoding.communicate(timeout=timeout)
        if encoding.returncode != 0:
            raise InputError(f"ffmpeg could not encode the audio {audio}: "
                             f"{err.decode('utf-8', 'replace').strip()[-300:]}")
        graph = (f"[1:v]format=rgba,fps={FPS}[cap];"
                 f"[0:v][cap]overlay=0:{CAPTION_TOP}:eof_action=repeat:format=auto,"
                 "format=yuv420p,"
                 "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv[v]")
        ffmpeg.run(["-y", "-stream_loop", "-1", "-i", str(loop),
                    "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(aac),
                    "-filter_complex", graph, "-map", "[v]", "-map", "2:a:0",
                    *_X264, "-g", str(2 * FPS), "-keyint_min", str(FPS),
                    "-preset", preset, "-crf", "21", "-threads", "2", "-r", str(FPS),
                    "-c:a", "copy", "-frames:v", str(frames), "-t", f"{duration:.6f}",
                    "-movflags", "+faststart", str(tmp_out)], timeout=timeout)
        facts = validate_video(tmp_out, duration)
    return {**facts, "path": str(out), "captions": len(cues),
            "bytes": out.stat().st_size}


def _frames(path: Path, every: int, scale: int = 4) -> dict[int, Any]:
    """Every ``every``-th frame of a video, by index, shrunk ``scale`` times (uint8 RGB)."""
    import av

    out: dict[int, Any] = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for i, frame in enumerate(container.decode(stream)):
            if i % every == 0:
                out[i] = frame.to_ndarray(format="rgb24")[::scale, ::scale]
    return out


def measure_captions(video: Path, plain_loop: Path, voice: Path, *, lead: float,
                     every: int = 10, floor_db: float = -30.0) -> dict[str, Any]:
    """Route-blind: on how many sampled frames the voice speaks does text show over the
    picture? Each sampled frame (every ``every``-th) is compared with the captionless loop's
    frame it repeats; a frame shows a caption when more than 0.4 % of its pixels differ by more
    than 48 levels (encoding noise stays far below). A frame has speech when the ``voice``
    track (it starts ``lead`` seconds into the video) is within ``floor_db`` of its loudest,
    in the 100 ms around it. Also where the differing pixels fall: the share in the bottom
    fifth and the right 15 % (the Shorts player's buttons and caption)."""
    from .audio import read_audio

    samples, rate = read_audio(voice, "voice file")
    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim > 1:
        mono = mono.mean(axis=1)
    hop = rate // 50
    n = len(mono) // hop
    rms = np.sqrt(np.mean(mono[:n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    loud = rms > float(rms.max()) * 10 ** (floor_db / 20)
    import av

    shown = _frames(video, every)
    with av.open(str(plain_loop)) as container:
        loop_frames = int(container.streams.video[0].frames or 0)
    if not loop_frames:
        loop_frames = len(_frames(plain_loop, 1, 16))
    wanted = sorted({i % loop_frames for i in shown})
    plain: dict[int, Any] = {}
    with av.open(str(plain_loop)) as container:
        for i, frame in enumerate(container.decode(container.streams.video[0])):
            if i in wanted:
                plain[i] = frame.to_ndarray(format="rgb24")[::4, ::4]
    fps = 30.0
    speech = with_text = text_frames = 0
    outside = inside = 0
    for i, frame in sorted(shown.items()):
        t = i / fps - lead
        k = int(t * 50)
        spoken = 0 <= k < n and bool(loud[max(0, k - 2):k + 3].any())
        base = plain.get(i % loop_frames)
        if base is None:
            continue
        diff = np.abs(frame.astype(np.int16) - base.astype(np.int16)).max(axis=2) > 48
        has_text = float(diff.mean()) > 0.004
        if has_text:
            text_frames += 1
            h, w = diff.shape
            outside += int(diff[int(h * SAFE_BOTTOM):].sum() + diff[:int(h * SAFE_BOTTOM),
                                                                    int(w * SAFE_RIGHT):].sum())
            inside += int(diff.sum())
        if spoken:
            speech += 1
            with_text += has_text
    return {"speech_frames": speech, "captioned_speech_frames": with_text,
            "share": round(with_text / speech, 4) if speech else 0.0,
            "text_frames": text_frames, "sampled": len(shown),
            "outside_safe_area": round(outside / inside, 4) if inside else 0.0}
