"""What a viewer sees and hears: the voice, the music bed, the portrait, the capped mix, the
vertical video and its cover, each with its route-blind check."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any
import numpy as np
from ...pipeline import kit
from ...script.model import (SENTENCE_PAUSE)
from ...core.tasks import Context, Task
from .timing import HARD_CAP, LEAD_IN, LENGTH_SCALE, MIN_TAIL, SIZE, VOICE_LEAD, _HASHTAG, _PLANNED_CAP, _from_breaks, _seconds, _tail


# -- voice, music, picture --------------------------------------------------------------------
async def voice(task: Task, context: Context) -> dict[str, Any]:
    """The offline voice (Piper) at the Short's pace; break tags are read as pauses."""
    from ...media.voice import synthesize

    out = Path(task.inputs.get("out") or context.workdir / "voice.wav")
    text = _from_breaks(str(task.inputs["text"]))
    result = await kit.in_process(context, synthesize, text, out, length_scale=LENGTH_SCALE,
                                  workers=kit.cpu_workers(context),
                                  sentence_pause=SENTENCE_PAUSE, lead=VOICE_LEAD)
    return {"path": str(result.path), "duration": round(result.duration, 3),
            "sentences": [[round(s.start, 3), round(s.end, 3), s.text]
                          for s in result.sentences]}


def check_voice(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A voice track: readable, not clipped, no hole; one that could not fit the Short even
    with the shortest tail scores lower (the video still cuts it to the cap)."""
    from ...media.quality import score_audio

    path = artifact.get("path")
    if not path or not Path(str(path)).is_file():
        return 0.0, {"error": "no voice file"}
    base, facts = score_audio(str(path), loudness=False)
    if "error" in facts:
        return 0.0, facts
    duration = float(facts.get("duration", 0.0))
    fits = 1.0 if duration + LEAD_IN + MIN_TAIL <= _PLANNED_CAP else 0.75
    return round(min(base, fits), 4), {**facts, "fits_cap": fits == 1.0}


async def music(task: Task, context: Context) -> dict[str, Any]:
    """The offline ambient bed: the Short's length and a few seconds more."""
    from ...media.music import render_music

    seconds = _seconds(task) + 4.0
    out = Path(task.inputs.get("out") or context.workdir / "music.wav")
    path = await kit.in_process(context, render_music, seconds, out, seed=context.seed,
                                topic=str(task.inputs.get("topic", "")),
                                sleep=bool(task.inputs.get("sleep", False)))
    return {"path": str(path), "seconds": seconds}


def check_music(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A music bed long enough for most of the Short (the mix loops a shorter one)."""
    from ...errors import ArchibaldError
    from ...media.probe import probe_audio

    try:
        facts = probe_audio(str(artifact["path"]))
    except (ArchibaldError, KeyError) as exc:
        return 0.0, {"error": str(exc)}
    share = facts.duration / _seconds(task)
    return (1.0 if share >= 0.95 else 0.7 if share >= 0.5 else 0.3), {
        "duration": round(facts.duration, 3), "sample_rate": facts.sample_rate}


async def portrait(task: Task, context: Context) -> dict[str, Any]:
    """The offline picture: the topic's scene drawn portrait (1080x1920), and what the video
    needs to draw it moving."""
    from ...media.art import render_art

    out = Path(task.inputs.get("out") or context.workdir / "portrait.png")
    theme = " ".join(str(task.inputs.get(k, "")) for k in ("topic", "theme")).strip()
    path = await kit.in_process(context, render_art, theme, out, seed=context.seed, size=SIZE)
    return {"path": str(path), "width": SIZE[0], "height": SIZE[1],
            "scene": {"theme": theme, "seed": context.seed}}


def check_portrait(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A portrait picture: 9:16 (within 2 %), at least 720 wide, calm and not flat."""
    from PIL import Image

    from ...quality.media import check_image

    path = artifact.get("path")
    try:
        with Image.open(str(path)) as im:
            w, h = im.size
    except (OSError, TypeError) as exc:
        return 0.0, {"error": str(exc)}
    score, details = check_image(str(path), size=(w, h))
    shape = 1.0 if h > w and abs((h / w) / (16 / 9) - 1) <= 0.02 else 0.0
    big = 1.0 if w >= 720 else 0.5
    return round(min(score, shape, big), 4), {**details, "portrait": bool(shape),
                                              "size": [w, h]}


# -- the vertical video -----------------------------------------------------------------------
def cap_and_mix(voice_path: Path, music_path: Path | None, out: Path, *,
                sentences_at: list[list[Any]] | None = None, seconds: float = 45.0,
                cap: float = _PLANNED_CAP, target_lufs: float = -15.0) -> dict[str, Any]:
    """The Short's audio at ``out`` (48 kHz stereo WAV): the voice over the music, never
    longer than ``cap`` seconds. A voice too long for it is cut at the end of the last
    sentence that fits (``sentences_at``: [start, end, text] in the voice) when that keeps
    most of it, else where the cap falls, with a fade; the music's tail (what a Short of
    ``seconds`` has, :func:`voice_target`) shortens first.
    Loudness ``target_lufs`` integrated (−15: inside YouTube's −14 to −16), true peak
    ≤ −1.5 dBTP."""
    from ...media.audio import SAMPLE_RATE, read_audio, to_pcm16, write_pcm16, write_wav
    from ...media.files import atomic_output
    from ...media.loudness import integrated_lufs, normalise, true_peak_dbtp
    from ...media.mix import mix

    samples, rate = read_audio(voice_path, "voice file")
    original = len(samples) / rate
    room = cap - LEAD_IN - MIN_TAIL
    trimmed = original > room
    used_voice = Path(voice_path)
    length = original
    work = out.with_name(f".{out.stem}.work")
    work.mkdir(parents=True, exist_ok=True)
    try:
        if trimmed:
            ends = [float(s[1]) for s in (sentences_at or []) if float(s[1]) + 0.3 <= room]
            cut, fade = (ends[-1] + 0.3, 0.25) if ends and ends[-1] >= 0.7 * room \
                else (room, 0.8)
            frames = int(cut * rate)
            kept = np.array(samples[:frames], dtype=np.float32)
            ramp = min(frames, int(fade * rate))
            kept[frames - ramp:] *= np.linspace(1.0, 0.0, ramp, dtype=np.float32)[:, None]
            used_voice = work / "voice-capped.wav"
            write_wav(used_voice, kept, rate)
            length = frames / rate
        tail = max(MIN_TAIL, min(_tail(seconds), cap - LEAD_IN - length))
        mixed = mix(used_voice, music_path, work / "mix-16.wav", lead_in=LEAD_IN, tail=tail)
        data, mrate = read_audio(mixed.path, "mix")
        if mrate != SAMPLE_RATE:
            raise ValueError(f"the mix is {mrate} Hz, not {SAMPLE_RATE}")
        loud = normalise(data, mrate, target_lufs=target_lufs, ceiling_dbtp=-1.5)
        pcm = to_pcm16(loud)
        check = pcm.astype(np.float32) / np.float32(32768.0)
        lufs, peak = integrated_lufs(check, mrate), true_peak_dbtp(check)
        with atomic_output(out, (".wav",)) as tmp:
            write_pcm16(tmp, pcm, mrate)
    finally:
        for leftover in work.glob("*"):
            leftover.unlink(missing_ok=True)
        work.rmdir()
    return {"path": str(out), "duration": round(len(pcm) / mrate, 3),
            "lufs": round(float(lufs), 2), "true_peak_dbtp": round(float(peak), 2),
            "trimmed": trimmed, "voice_seconds": round(length, 3),
            "voice_original_seconds": round(original, 3), "tail": round(tail, 3)}


def length_cap(seconds: float) -> float:
    """The longest a Short asked to run ``seconds`` may run: a tenth more (a paid voice a
    little long keeps its last line), never past :data:`HARD_CAP`."""
    return min(_PLANNED_CAP, 1.1 * seconds)


#: a still's slow breathing zoom: how far in (share of the frame) and how far it drifts up
_ZOOM, _DRIFT = 0.06, 0.02
#: the size a still's loop is drawn at before the encoder scales it to :data:`SIZE`: two
#: thirds, so an 11 s loop costs seconds, not a minute, and a photo stays sharp enough
_DRAWN = (720, 1280)


def _still_frames(picture: Any, count: int) -> Any:
    """The still breathing: a seamless zoom in and out (one cycle per loop), drifting a
    little upward as it comes in, at :data:`_DRAWN` size; the last frame is the first again."""
    from PIL import Image

    w, h = picture.size
    for i in range(count + 1):
        phase = (i % count) / count
        k = 0.5 - 0.5 * math.cos(2 * math.pi * phase)         # 0 → 1 → 0
        scale = 1.0 / (1.0 + _ZOOM * k)
        cw, ch = w * scale, h * scale
        left = (w - cw) / 2
        top = min(max((h - ch) / 2 - _DRIFT * h * k / 2, 0.0), h - ch)
        frame = picture.transform(_DRAWN, Image.Transform.EXTENT,
                                  (left, top, left + cw, top + ch),
                                  Image.Resampling.BILINEAR)
        yield frame.tobytes()


def render_still_loop(image: Path, out: Path) -> Path:
    """A still (a paid route's picture) as a seamless portrait loop: it breathes, slowly."""
    from PIL import Image, ImageOps

    from ...media.art import DRAWN_FPS, LOOP_SECONDS
    from ...media.video import encode_loop

    with Image.open(image) as src:
        # a little larger than drawn, so the zoom samples real detail
        picture = ImageOps.fit(src.convert("RGB"), (_DRAWN[0] * 3 // 2, _DRAWN[1] * 3 // 2),
                               Image.Resampling.LANCZOS)
    return encode_loop(_still_frames(picture, LOOP_SECONDS * DRAWN_FPS), _DRAWN, DRAWN_FPS,
                       LOOP_SECONDS, SIZE, out)


def _assemble(loop: Path, audio: Path, out: Path) -> dict[str, Any]:
    from ...media.video import assemble

    info = assemble(None, audio, out, loop=loop)
    return {"path": str(info.path), "duration": round(info.duration, 3), "width": info.width,
            "height": info.height, "fps": info.fps, "video_codec": info.video_codec,
            "profile": info.profile, "pix_fmt": info.pix_fmt, "audio_codec": info.audio_codec,
            "sample_rate": info.sample_rate, "channels": info.channels, "bytes": info.bytes}


def short_cues(voice_path: Path, sentences_at: list[list[Any]], voice_seconds: float) -> Any:
    """The Short's captions: the voice's words as said (its sentences' timings, their comma
    phrases put on the voice's voiced stretches), a few at a time, in the video's time (the
    voice starts :data:`LEAD_IN` in), none past the voice a capped mix kept."""
    from ...media.audio import read_audio
    from ...media.captions import caption_cues, word_times

    samples, rate = read_audio(voice_path, "voice file")
    said = word_times([(float(s[0]), float(s[1]), str(s[2])) for s in sentences_at],
                      samples, rate)
    return caption_cues(said, offset=LEAD_IN, until=LEAD_IN + voice_seconds)


def _captioned(loop: Path, audio: Path, out: Path, voice_path: Path,
               sentences_at: list[list[Any]], voice_seconds: float) -> dict[str, Any]:
    """The Short with its words burned in (:mod:`archibald.media.captions`)."""
    from ...media.captions import burn_captions

    cues = short_cues(voice_path, sentences_at, voice_seconds)
    facts = burn_captions(loop, audio, cues, out)
    keys = ("duration", "width", "height", "fps", "video_codec", "profile", "pix_fmt",
            "audio_codec", "sample_rate", "channels", "bytes")
    return {"path": str(out), **{k: facts[k] for k in keys},
            "duration": round(float(facts["duration"]), 3),
            "captions": [[c.start, c.end, c.text] for c in cues]}


async def video(task: Task, context: Context) -> dict[str, Any]:
    """The vertical Short: the picture moving (the scene's own loop, or a still breathing),
    the voice over the music cut a tenth past the length asked (:func:`length_cap`), its
    words burned in as captions timed to the voice (:func:`short_cues`), H.264 High yuv420p
    1080x1920 at 30 fps with AAC-LC 48 kHz, moov first."""
    from ...media.art import render_loop

    voice_in = dict(task.inputs["voice"])
    music_in = task.inputs.get("music")
    picture = dict(task.inputs["picture"])
    work = context.workdir
    loop_out, mix_out = work / "loop.mp4", work / "mix.wav"
    scene = picture.get("scene")
    if isinstance(scene, dict) and scene.get("theme"):
        drawing = kit.in_process(context, render_loop, str(scene["theme"]), loop_out,
                                 seed=int(scene.get("seed", 0)), size=SIZE)
    else:
        drawing = kit.in_process(context, render_still_loop, Path(str(picture["path"])),
                                 loop_out)
    mixing = kit.in_process(context, cap_and_mix, Path(str(voice_in["path"])),
                            Path(str(music_in["path"])) if isinstance(music_in, dict) and
                            music_in.get("path") else None, mix_out,
                            sentences_at=list(voice_in.get("sentences") or []),
                            seconds=_seconds(task), cap=length_cap(_seconds(task)))
    loop, audio = await asyncio.gather(drawing, mixing)
    sentences_at = list(voice_in.get("sentences") or [])
    if sentences_at:
        made = await kit.in_process(context, _captioned, Path(loop), Path(audio["path"]),
                                    work / "short.mp4", Path(str(voice_in["path"])),
                                    sentences_at, float(audio["voice_seconds"]))
    else:                               # no timings (a voice without them): no captions
        made = await kit.in_process(context, _assemble, Path(loop), Path(audio["path"]),
                                    work / "short.mp4")
    return {**made, "mix": audio["path"], "loop": str(loop), "lufs": audio["lufs"],
            "true_peak_dbtp": audio["true_peak_dbtp"], "trimmed": audio["trimmed"],
            "voice_seconds": audio["voice_seconds"],
            "voice_original_seconds": audio["voice_original_seconds"]}


def _motion(path: str, duration: float) -> float:
    """Mean absolute difference (0-255) between the frames at 0 s and mid-loop."""
    from ...media.art import LOOP_SECONDS
    from ...media.probe import frame_at

    at = min(duration / 2, LOOP_SECONDS / 2)
    a = np.asarray(frame_at(path, 0.0), dtype=np.int16)
    b = np.asarray(frame_at(path, at), dtype=np.int16)
    return float(np.mean(np.abs(a - b)))


def check_video(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """The Short as YouTube takes it, route-blind: 1080x1920, H.264 High yuv420p, 30 fps,
    AAC-LC 48 kHz stereo, moov before mdat, at most :data:`HARD_CAP` and about the length
    asked, −14 to −16 LUFS, and moving."""
    from ...errors import ArchibaldError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs
    from ...media.probe import probe_video
    from ...media.quality import VIDEO_SPEC

    path = str(artifact.get("path", ""))
    try:
        facts = probe_video(path)
        samples, rate = read_audio(path, "video's audio")
        motion = _motion(path, float(facts["duration"]))
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    lufs = integrated_lufs(samples, rate)
    atoms = facts.get("atoms", [])
    longest = max(float(facts["duration"]), float(facts["video_duration"]),
                  float(facts["audio_duration"]))
    misses = [f"{k} is {facts.get(k)!r}, not {v!r}" for k, v in VIDEO_SPEC.items()
              if facts.get(k) != v]
    parts = {"size": 1.0 if (facts["width"], facts["height"]) == SIZE else 0.0,
             "spec": max(0.0, 1.0 - len(misses) / len(VIDEO_SPEC)),
             "fps": 1.0 if abs(float(facts["fps"]) - 30.0) <= 0.01 else 0.0,
             "faststart": 1.0 if "moov" in atoms and "mdat" in atoms
             and atoms.index("moov") < atoms.index("mdat") else 0.0,
             "duration": 1.0 if 0 < longest <= HARD_CAP else 0.0,
             "length": 1.0 if 0.85 * _seconds(task) <= longest
             <= length_cap(_seconds(task)) + 0.4 else 0.5,
             "loudness": 1.0 if -16.5 <= lufs <= -13.5 else 0.5,
             "motion": 1.0 if motion >= 0.5 else 0.0}
    score = sum(parts.values()) / len(parts)
    if parts["duration"] == 0.0 or parts["size"] == 0.0:
        score = min(score, 0.3)                 # not a Short at all
    return round(score, 4), {"parts": parts, "duration": round(longest, 3),
                             "lufs": round(lufs, 2), "motion": round(motion, 2),
                             "misses": misses, "bytes": facts.get("bytes")}


# -- the cover --------------------------------------------------------------------------------
#: where the words go: the upper middle, clear of the Shorts player's buttons and caption
_COVER_AREA = (90, 330, 990, 900)
_COVER_INK, _COVER_SHADE = (255, 255, 255), (8, 10, 18)


def _fit_words(words_: list[str], font_file: str) -> tuple[Any, list[str], int] | None:
    """The largest font (at most four lines) that fits the cover's area, or None."""
    from PIL import ImageFont

    width = _COVER_AREA[2] - _COVER_AREA[0]
    height = _COVER_AREA[3] - _COVER_AREA[1]
    for size in range(190, 70, -6):
        font = ImageFont.truetype(font_file, size)
        for n in range(1, min(4, len(words_)) + 1):
            per = -(-len(words_) // n)
            lines = [" ".join(words_[i:i + per]) for i in range(0, len(words_), per)]
            if max(font.getlength(x) for x in lines) <= width and len(lines) * size * 1.12 \
                    <= height:
                return font, lines, size
    return None


def render_cover(title: str, image: Path, out: Path, *, words_: list[str] | None = None,
                 channel: str = "") -> dict[str, Any]:
    """A 1080x1920 JPEG cover (≤ 2 MB): the picture, two to four large words in the upper
    middle (clear of the player's buttons and caption), a scrim behind them made stronger step
    by step until they read at 4.5:1, and at 3:1 shrunk to a phone's grid."""
    from PIL import Image, ImageDraw, ImageFilter, ImageOps

    from ...errors import InputError, ValidationError
    from ...media.quality import contrast_ratio, relative_luminance
    from ...media.thumbnail import (font_path, legibility, save_jpeg, style_for, thumbnail_words,
                                    word_ladder)

    chosen = [w for w in (words_ or []) if str(w).strip()][:4] or \
        thumbnail_words(title.replace(_HASHTAG, ""))
    if not chosen:
        raise InputError("the cover has no words; give a title")
    style = style_for(channel)
    with Image.open(image) as src:
        base = ImageOps.fit(src.convert("RGB"), SIZE, Image.Resampling.LANCZOS)
    # the words, else fewer (the thumbnail's ladder): the cover always finds a layout
    for candidate in word_ladder(chosen):
        shown = [w.upper() if style.upper else w for w in candidate]
        found = _fit_words(shown, str(font_path(style.font)))
        if found is not None:
            font, lines, size = found
            break
    else:  # pragma: no cover - the ladder ends in a word cut to fit
        raise ValidationError(f"no layout of {' '.join(chosen)!r} fits the cover")
    mask = Image.new("L", SIZE, 0)
    draw = ImageDraw.Draw(mask)
    line_h = int(size * 1.12)
    top = (_COVER_AREA[1] + _COVER_AREA[3] - line_h * len(lines)) // 2
    anchors = []
    for i, line in enumerate(lines):
        anchors.append(((SIZE[0] - font.getlength(line)) / 2, top + i * line_h))
        draw.text(anchors[-1], line, font=font, fill=255)
    box = mask.getbbox() or (0, 0, SIZE[0], SIZE[1])
    box = (max(0, box[0] - 60), box[1] - 50, min(SIZE[0], box[2] + 60), box[3] + 50)
    halo = np.asarray(mask.filter(ImageFilter.MaxFilter(9))) > 0
    ink_lum = float(relative_luminance(np.array(_COVER_INK)))
    picture, contrast, small, final = base, 0.0, 0.0, base
    for opacity in (0.0, 0.3, 0.45, 0.6, 0.72, 0.85, 0.95):
        if opacity:
            scrim = Image.new("L", SIZE, 0)
            ImageDraw.Draw(scrim).rounded_rectangle(box, radius=56, fill=int(255 * opacity))
            scrim = scrim.filter(ImageFilter.GaussianBlur(26))
            picture = Image.composite(Image.new("RGB", SIZE, _COVER_SHADE), base, scrim)
        behind = relative_luminance(np.asarray(picture)[halo])
        contrast = contrast_ratio(ink_lum, float(np.percentile(behind, 98))) \
            if behind.size else 21.0
        final = picture.copy()
        pen = ImageDraw.Draw(final)
        for (x, y), line in zip(anchors, lines):
            pen.text((x, y), line, font=font, fill=_COVER_INK, stroke_width=max(2, size // 28),
                     stroke_fill=_COVER_SHADE)
        small = legibility(final, mask)
        if contrast >= 4.5 and small >= 3.0:
            break
    else:
        raise ValidationError(f"cover text contrast {contrast:.2f}:1 (small {small:.2f}:1) "
                              f"is too low")
    written = save_jpeg(final, out, SIZE, (90, 82, 72, 60))
    return {"path": str(out), "contrast": round(contrast, 2), "small_contrast": round(small, 2),
            "text": " ".join(shown), "bytes": written, "width": SIZE[0], "height": SIZE[1]}


async def cover(task: Task, context: Context) -> dict[str, Any]:
    """The local route of the cover stage."""
    out = Path(task.inputs.get("out") or context.workdir / "cover.jpg")
    words_in = task.inputs.get("words")
    return await kit.in_process(context, render_cover, str(task.inputs.get("title", "")),
                                Path(str(task.inputs["image"])), out,
                                words_=[str(w) for w in words_in]
                                if isinstance(words_in, list) else None,
                                channel=str(task.inputs.get("channel") or task.channel))


def check_cover(task: Task, artifact: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """A portrait cover whose words read: 1080x1920 JPEG within 2 MB, legible at phone
    size."""
    from ...errors import ArchibaldError
    from ...media.quality import validate_image
    from ...media.thumbnail import MAX_BYTES
    from ...quality.media import check_image

    path = str(artifact.get("path", ""))
    try:
        validate_image(path, SIZE, max_bytes=MAX_BYTES, fmt="JPEG")
    except ArchibaldError as exc:
        return 0.0, {"error": str(exc)}
    drawn = str(artifact.get("text", "")).split()
    score, details = check_image(path, size=SIZE, words=drawn or None)
    return score, details
