"""Audio samples in and out: decode any file to float arrays, resample, write PCM WAV.

Samples are ``float32`` arrays shaped ``(frames, channels)`` in [-1, 1].
"""

from __future__ import annotations

import wave
from math import gcd
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.signal import resample_poly

from ..errors import InputError
from .files import check_input

__all__ = ["SAMPLE_RATE", "Samples", "fit_length", "frame_power", "read_audio", "resample",
           "to_stereo",
           "to_pcm16",
           "write_pcm16", "write_wav"]

#: the rate of every mix and music bed Archibald produces
SAMPLE_RATE = 48_000

Samples = NDArray[np.float32]
#: seconds of the equal-power crossfade where a music bed loops
CROSSFADE = 3.0


def _read_wav(path: Path) -> tuple[Samples, int] | None:
    """Fast path for 16-bit PCM WAV; None if the file is some other kind."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2 or w.getcomptype() != "NONE":
                return None
            rate, channels, n = w.getframerate(), w.getnchannels(), w.getnframes()
            raw = w.readframes(n)
    except (wave.Error, EOFError):
        return None
    data = np.frombuffer(raw, dtype="<i2")
    usable = (len(data) // channels) * channels
    samples = data[:usable].reshape(-1, channels).astype(np.float32) / 32768.0
    return samples, rate


def _read_any(path: Path) -> tuple[Samples, int]:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(f"{path} has no audio stream; give an audio file")
            stream = container.streams.audio[0]
            rate = int(stream.codec_context.sample_rate or stream.rate or 0)
            blocks: list[NDArray[np.float32]] = []
            resampler = av.AudioResampler(format="fltp")
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray().astype(np.float32))
    except InputError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{path} is not a readable audio file ({exc}); check the file") from exc
    if not blocks or rate <= 0:
        raise InputError(f"{path} contains no audio samples (zero length); give a longer file")
    return np.ascontiguousarray(np.concatenate(blocks, axis=1).T), rate


def read_audio(path: Path | str, what: str = "audio file") -> tuple[Samples, int]:
    """Decode ``path`` to ``(samples, rate)``; InputError if missing, corrupt or zero-length."""
    p = check_input(path, what)
    got = _read_wav(p) if p.suffix.lower() == ".wav" else None
    samples, rate = got if got is not None else _read_any(p)
    if samples.shape[0] == 0:
        raise InputError(f"{what} {p} contains no audio samples (zero length)")
    return samples, rate


def resample(samples: Samples, rate: int, target: int = SAMPLE_RATE) -> Samples:
    """Resample ``samples`` from ``rate`` to ``target`` Hz (polyphase, band-limited)."""
    if rate == target:
        return samples
    g = gcd(rate, target)
    out = resample_poly(samples, target // g, rate // g, axis=0)
    return np.asarray(out, dtype=np.float32)


def frame_power(samples: Samples, hop: int, *, partial: bool = True) -> NDArray[np.float64]:
    """Mean square per frame of ``hop`` samples, over all channels.

    ``partial`` keeps a short last frame (as if padded with silence); otherwise it is dropped.
    """
    data = samples if samples.ndim == 2 else samples[:, None]
    n, channels = data.shape
    frames = -(-n // hop) if partial else n // hop
    whole = min(n, frames * hop) // hop * hop
    power = np.zeros(frames)
    for ch in range(channels):
        rows = data[:whole, ch].reshape(-1, hop).astype(np.float64)
        power[:rows.shape[0]] += np.einsum("ij,ij->i", rows, rows)
        if frames * hop > whole:                               # the short last frame
            rest = data[whole:, ch].astype(np.float64)
            power[-1] += float(rest @ rest)
    return np.asarray(power / (hop * channels), dtype=np.float64)


def to_stereo(samples: Samples) -> Samples:
    """Mono → two identical channels; more than two channels → the first two."""
    if samples.ndim == 1:
        samples = samples[:, None]
    if samples.shape[1] == 1:
        return np.repeat(samples, 2, axis=1)
    return samples[:, :2]


def to_pcm16(samples: Samples) -> NDArray[np.int16]:
    """16-bit PCM of ``samples`` (frames, channels); beyond [-1, 1] is clipped."""
    data = samples if samples.ndim == 2 else samples[:, None]
    return np.clip(np.round(data * 32767.0), -32768, 32767).astype("<i2")


def write_pcm16(path: Path | str, pcm: NDArray[np.int16], rate: int) -> Path:
    """Write 16-bit PCM samples shaped (frames, channels) as a WAV file."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(pcm, dtype="<i2").tobytes())
    return Path(path)


def write_wav(path: Path | str, samples: Samples, rate: int) -> Path:
    """Write 16-bit PCM WAV; samples beyond [-1, 1] are clipped (callers keep headroom)."""
    return write_pcm16(path, to_pcm16(samples), rate)


def fit_length(music: Samples, frames: int, rate: int) -> Samples:
    """``music`` trimmed or looped (with an equal-power crossfade) to exactly ``frames``."""
    if len(music) >= frames:
        return music[:frames]
    fade = min(int(CROSSFADE * rate), len(music) // 3)
    if fade < 1:
        return np.resize(music, (frames, music.shape[1])).astype(np.float32)
    t = np.linspace(0, np.pi / 2, fade)[:, None]
    fade_in, fade_out = np.sin(t), np.cos(t)
    body = music[fade:len(music) - fade].astype(np.float32)
    joined = (music[-fade:] * fade_out + music[:fade] * fade_in).astype(np.float32)
    repeats = -(-(frames - fade) // (len(music) - fade))      # each repeat adds len - fade
    pieces = [music[:fade].astype(np.float32)] + [body, joined] * repeats
    return np.concatenate(pieces)[:frames]
