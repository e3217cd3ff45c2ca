"""What a media file is, read with PyAV and Pillow: codecs, sizes, durations, colour tags.

Probing a file the user gave raises InputError when it is unusable; probing a file we made
raises ValidationError (:func:`probe_video`), since then the fault is ours.
"""

from __future__ import annotations

import struct
import wave
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import InputError, ValidationError
from .files import check_input

__all__ = ["AudioFacts", "frame_at", "probe_audio", "probe_video", "top_level_atoms"]


@dataclass(frozen=True)
class AudioFacts:
    """The shape of an audio file."""

    duration: float
    sample_rate: int
    channels: int
    codec: str


def probe_audio(path: Path | str, what: str = "audio file") -> AudioFacts:
    """Duration, rate, channels and codec of an audio file, without decoding all of it.

    InputError if the file is missing, corrupt, or holds no samples.
    """
    p = check_input(path, what)
    if p.suffix.lower() == ".wav":
        try:
            with wave.open(str(p), "rb") as w:
                rate, channels, frames = w.getframerate(), w.getnchannels(), w.getnframes()
                width = w.getsampwidth()
            data_bytes = p.stat().st_size - 44
            frames = min(frames, max(0, data_bytes // max(1, width * channels)))
            if rate <= 0 or frames <= 0:
                raise InputError(f"{what} {p} contains no audio samples (zero length)")
            return AudioFacts(frames / rate, rate, channels, f"pcm_s{8 * width}le")
        except (wave.Error, EOFError, struct.error):
            pass  # not plain PCM: let FFmpeg try
    import av

    try:
        with av.open(str(p)) as container:
            if not container.streams.audio:
                raise InputError(f"{what} {p} has no audio stream; give an audio file")
            stream = container.streams.audio[0]
            cc = stream.codec_context
            duration = 0.0
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            got_frame = False
            for _frame in container.decode(stream):
                got_frame = True
                break
            rate, channels, codec = int(cc.sample_rate or 0), int(cc.channels), cc.name
    except InputError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{what} {p} is not a readable audio file ({exc})") from exc
    if not got_frame or duration <= 0 or rate <= 0:
        raise InputError(f"{what} {p} contains no audio samples (zero length)")
    return AudioFacts(duration, rate, channels, codec)


def top_level_atoms(path: Path | str) -> list[str]:
    """Names of an MP4's top-level boxes, in file order (``moov`` before ``mdat`` = faststart)."""
    names: list[str] = []
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        end = fh.tell()
        pos = 0
        while pos + 8 <= end and len(names) < 64:
            fh.seek(pos)
            size, kind = struct.unpack(">I4s", fh.read(8))
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
            elif size == 0:
                size = end - pos
            names.append(kind.decode("latin-1"))
            if size < 8:
                break
            pos += size
    return names


def _seconds(ticks: int | None, time_base: Fraction | None) -> float:
    return float(ticks * time_base) if ticks and time_base else 0.0


def _rate(value: Any) -> float:
    return float(Fraction(value)) if value else 0.0


def _video_facts(v: Any) -> dict[str, Any]:
    """What a video stream is: codec, profile, pixels, size, rate, colour, length."""
    vc = v.codec_context
    return {"video_codec": vc.name, "profile": vc.profile or "", "pix_fmt": vc.pix_fmt or "",
            "width": vc.width, "height": vc.height, "fps": _rate(v.average_rate),
            "color_primaries": int(vc.color_primaries), "color_trc": int(vc.color_trc),
            "colorspace": int(vc.colorspace),
            "video_duration": _seconds(v.duration, v.time_base), "frames": int(v.frames),
            "has_b_frames": int(getattr(vc, "has_b_frames", 0) or 0)}


def _first_key(container: Any, v: Any) -> bool:
    first = next(container.decode(v), None)
    return bool(first is not None and first.key_frame)


def probe_video(path: Path | str, *, audio: bool = True) -> dict[str, Any]:
    """Facts about a video we produced (with ``audio``: one video and one audio stream; else
    a silent loop, its video stream alone); ValidationError if it cannot be read as one."""
    import av

    p = Path(path)
    if not p.is_file() or p.stat().st_size == 0:
        raise ValidationError(f"{p} was not written")
    try:
        with av.open(str(p)) as container:
            if not container.streams.video or (audio and not container.streams.audio):
                raise ValidationError(f"{p} must have one video and one audio stream"
                                      if audio else f"{p} has no video stream")
            v = container.streams.video[0]
            facts: dict[str, Any] = {"format": container.format.name, **_video_facts(v),
                                     "duration": (container.duration or 0) / 1_000_000}
            if audio:
                a = container.streams.audio[0]
                ac = a.codec_context
                facts.update({"audio_codec": ac.name, "audio_profile": ac.profile or "",
                              "sample_rate": int(ac.sample_rate or 0),
                              "channels": int(ac.channels),
                              "audio_duration": _seconds(a.duration, a.time_base)})
            facts["first_frame_key"] = _first_key(container, v)
    except ValidationError:
        raise
    except (av.error.FFmpegError, StopIteration, ValueError) as exc:
        raise ValidationError(f"{p} cannot be read as a video: {exc}") from exc
    facts["atoms"] = top_level_atoms(p)
    facts["bytes"] = p.stat().st_size
    return facts


def frame_at(path: Path | str, seconds: float) -> Any:
    """The video's frame shown at ``seconds``, as (height, width, 3) uint8 RGB."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(int(seconds / (stream.time_base or Fraction(1, 90000))), stream=stream,
                       backward=True)
        for frame in container.decode(stream):
            if frame.time is not None and frame.time >= seconds - 1e-3:
                return frame.to_ndarray(format="rgb24")
    raise ValidationError(f"{path} has no frame at {seconds} s")
