"""Voice, music and the mastered episode: Piper reads the script, a bed is synthesised, and
the mix is mastered to an MP3 with ID3 chapters, show notes and a transcript; their checks."""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path
from typing import Any, Mapping, Sequence
from ...core.tasks import Context, Task
from ...pipeline.kit import cpu_workers, in_process
from .text import DUCK_DB, INTRO_UNDER, LEAD_IN, LENGTH_SCALE, MAX_TRUE_PEAK, OUTRO_UNDER, SECTION_PAUSE, SENTENCE_PAUSE, TAIL, TARGET_LUFS, _cap, _norm, _number_words, _sentences, _words


# --------------------------------------------------------------------------- voice

def _voice_script(text: str) -> str:
    """The spoken text as the offline voice reads it: speakable, a pause between sections."""
    from ...script.speakable import speakable

    parts = [speakable(p.strip()) for p in re.split(r"\n\s*\n", text) if _words(p)]
    return f" [pause {SECTION_PAUSE:g}s] ".join(parts)


def _speak(text: str, out: str, length_scale: float, sentence_pause: float,
           workers: int) -> dict[str, Any]:
    from ...media.voice import synthesize

    r = synthesize(_voice_script(text), Path(out), length_scale=length_scale, workers=workers,
                   sentence_pause=sentence_pause, lead=0.4)
    return {"path": str(r.path), "duration": round(r.duration, 3),
            "sentences": [[round(x.start, 3), round(x.end, 3), x.text] for x in r.sentences],
            "sample_rate": r.sample_rate}


async def voice(task: Task, context: Context) -> dict[str, Any]:
    """Offline voice: Piper at a podcast host's pace, with sentence timings."""
    out = str(task.inputs.get("out") or Path(context.workdir) / "voice.wav")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = await in_process(
        context, _speak, str(task.inputs["text"]), out,
        float(task.inputs.get("length_scale") or LENGTH_SCALE),
        float(task.inputs.get("sentence_pause") or SENTENCE_PAUSE),
        int(task.inputs.get("workers") or cpu_workers(context)))
    return result


def check_voice(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A readable voice track at a natural pace for the text, with sentence timings."""
    from ...errors import InputError
    from ...media.probe import probe_audio

    try:
        facts = probe_audio(str(artifact.get("path", "")), "voice track")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    words = len(_words(str(task.inputs.get("text", ""))))
    wpm = words / (facts.duration / 60) if facts.duration > 0 else 0.0
    pace = 1.0 if 120 <= wpm <= 210 else max(0.0, 1 - min(abs(wpm - 120), abs(wpm - 210)) / 80)
    sentences = artifact.get("sentences") or []
    timed = 1.0 if sentences and float(sentences[-1][1]) <= facts.duration + 0.05 else 0.3
    score = round(0.6 * pace + 0.4 * timed, 3)
    return score, {"words_per_minute": round(wpm, 1), "duration": round(facts.duration, 2),
                   "sentences": len(sentences)}


# --------------------------------------------------------------------------- music

def _bed(seconds: float, out: str, seed: int, topic: str) -> str:
    from ...media.music import render_music

    key = ("C", "D", "F", "G", "A")[seed % 5]
    return str(render_music(seconds, Path(out), seed=seed, key=key, topic=topic))


async def music(task: Task, context: Context) -> dict[str, Any]:
    """Offline music: a warm bed the mix cuts into an intro and an outro."""
    seconds = float(task.inputs.get("seconds") or 30.0)
    out = str(task.inputs.get("out") or Path(context.workdir) / "music.wav")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    path = await in_process(context, _bed, seconds, out, context.seed,
                            str(task.inputs.get("topic", "")))
    return {"path": path, "seconds": seconds}


def check_music(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A readable, audible bed at least as long as the intro and outro need."""
    import numpy as np

    from ...errors import InputError
    from ...media.audio import read_audio

    try:
        samples, rate = read_audio(str(artifact.get("path", "")), "music bed")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    seconds = len(samples) / rate
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    need = LEAD_IN + INTRO_UNDER
    long_enough = min(1.0, seconds / need)
    audible = 1.0 if rms > 1e-3 else 0.0
    return round(0.5 * long_enough + 0.5 * audible, 3), {"seconds": round(seconds, 2),
                                                         "rms": round(rms, 5)}


# --------------------------------------------------------------------------- mix + master

def _section_starts(sections: Sequence[Mapping[str, Any]],
                    sentences: Sequence[Sequence[Any]]) -> list[float]:
    """Where each section's first sentence starts in the voice track (seconds).

    Route-blind: each section's opening words are looked for among the voice's timed
    sentences, in order; a section not found is placed by its share of the words.
    """
    timed = [(float(s[0]), _norm(str(s[2]))) for s in sentences if len(s) >= 3]
    if not timed:
        return [0.0] * len(sections)
    sizes = [len(_words(str(x.get("text", "")))) for x in sections]
    total = max(1, sum(sizes))
    counts = [len(t.split()) for _, t in timed]
    cum = [0]
    for c in counts:
        cum.append(cum[-1] + c)
    spoken = max(1, cum[-1])
    starts: list[float] = []
    at = 0
    before = 0
    for x, size in zip(sections, sizes):
        first = _sentences(str(x.get("text", "")))
        head = _norm(first[0]).split()[:6] if first else []
        found = None
        if head and not starts:
            found = 0
        elif head:
            for j in range(at, len(timed)):
                words = timed[j][1].split()[:len(head)]
                if words == head or (len(head) >= 4 and words[:4] == head[:4]):
                    found = j
                    break
        if found is None:                            # by share of the words spoken so far
            want = before / total * spoken
            found = min(range(at, len(timed)), key=lambda j: abs(cum[j] - want),
                        default=len(timed) - 1)
        starts.append(timed[found][0])
        at = min(found + 1, len(timed) - 1)
        before += size
    return starts


def _ffmeta(value: str) -> str:
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


def _mmss(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else \
        f"{s // 60:02d}:{s % 60:02d}"


def _compose_bed(music_path: str, voice_seconds: float, out: Path) -> Path:
    """The music under the whole episode: the bed's opening as the intro (fading out under the
    first lines), silence, the rest of the bed as the outro (entering under the last lines)."""
    import numpy as np

    from ...media.audio import SAMPLE_RATE, read_audio, resample, to_stereo, write_wav
    from ...media.mix import fit_length

    samples, rate = read_audio(music_path, "music bed")
    bed = to_stereo(resample(samples, rate))
    r = SAMPLE_RATE
    total = int(round(LEAD_IN * r)) + int(round(voice_seconds * r)) + int(round(TAIL * r)) + r
    track = np.zeros((total, 2), dtype=np.float32)
    intro_len = int((LEAD_IN + INTRO_UNDER) * r)
    half = max(1, len(bed) // 2)
    intro = fit_length(bed[:max(intro_len, half)], intro_len, r)
    fade = np.ones(intro_len, dtype=np.float32)
    fall = int(INTRO_UNDER * r)
    fade[-fall:] = (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, fall))).astype(np.float32)
    track[:intro_len] += intro * fade[:, None]
    outro_start = int(round((LEAD_IN + voice_seconds - OUTRO_UNDER) * r))
    outro_len = total - outro_start
    source = bed[half:] if len(bed) - half >= r * 4 else bed
    outro = fit_length(source, outro_len, r)
    rise = min(outro_len, int(2.0 * r))
    env = np.ones(outro_len, dtype=np.float32)
    env[:rise] = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, rise))).astype(np.float32)
    track[outro_start:] += outro * env[:, None]
    write_wav(out, np.clip(track, -1, 1), r)
    return out


def _encode(wav: Path, meta: Path, out: Path, gain_db: float) -> None:
    from ...media import ffmpeg

    args: list[str | Path] = ["-y", "-i", wav, "-i", meta, "-map", "0:a", "-map_metadata", "1",
                              "-map_chapters", "1", "-c:a", "libmp3lame", "-b:a", "128k",
                              "-ar", "44100", "-ac", "2", "-id3v2_version", "3",
                              "-write_xing", "1"]
    if gain_db:
        args += ["-af", f"volume={gain_db:.2f}dB"]
    ffmpeg.run([*args, out])


def _master(voice_path: str, sentences: list[list[Any]], music_path: str | None,
            script: dict[str, Any], host: str, show: str, out: str) -> dict[str, Any]:
    """Mix voice and music, master to an MP3 with ID3 chapters; measure what was written."""
    from ...errors import ValidationError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs, true_peak_dbtp
    from ...media.mix import mix
    from ...media.probe import probe_audio

    folder = Path(out).parent
    folder.mkdir(parents=True, exist_ok=True)
    v, v_rate = read_audio(voice_path, "voice track")
    voice_seconds = len(v) / v_rate
    bed = _compose_bed(music_path, voice_seconds, folder / "bed.wav") if music_path else None
    wav = folder / "mix.wav"
    mixed = mix(Path(voice_path), bed, wav, lead_in=LEAD_IN, tail=TAIL, duck_db=DUCK_DB)
    sections = [x for x in script.get("sections", []) if isinstance(x, Mapping)]
    starts = [0.0] + [LEAD_IN + s for s in _section_starts(sections, sentences)[1:]]
    duration = mixed.duration
    chapters: list[dict[str, Any]] = []
    for i, x in enumerate(sections):
        end = starts[i + 1] if i + 1 < len(starts) else duration
        chapters.append({"title": str(x.get("title", f"Part {i + 1}")),
                         "start": round(starts[i], 3), "end": round(end, 3)})
    title = str(script.get("title") or "Episode")
    meta = folder / "chapters.ffmeta"
    lines = [";FFMETADATA1", f"title={_ffmeta(title)}", f"artist={_ffmeta(host)}",
             f"album_artist={_ffmeta(host)}", f"album={_ffmeta(show or title)}",
             "genre=Podcast", f"comment={_ffmeta('Narrated with a synthetic voice.')}"]
    for c in chapters:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={int(round(c['start'] * 1000))}",
                  f"END={int(round(c['end'] * 1000))}", f"title={_ffmeta(c['title'])}"]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    mp3 = Path(out)
    gain = 0.0
    for _ in range(3):
        _encode(wav, meta, mp3, gain)
        decoded, rate = read_audio(mp3, "episode")
        lufs, peak = integrated_lufs(decoded, rate), true_peak_dbtp(decoded)
        # the encoder moves loudness and peaks a little: trim toward -16 LUFS, peaks first
        step = min(TARGET_LUFS - lufs, MAX_TRUE_PEAK - 0.2 - peak)
        if peak <= MAX_TRUE_PEAK - 0.05 and (abs(TARGET_LUFS - lufs) <= 0.25 or
                                                 abs(step) < 0.1):
            break
        gain += step
    else:
        raise ValidationError(f"{mp3}: true peak {peak:.2f} dBTP stays above "
                              f"{MAX_TRUE_PEAK} dBTP")
    facts = probe_audio(mp3, "episode")
    found = read_id3_chapters(mp3)
    if [c["title"] for c in found] != [c["title"] for c in chapters]:
        raise ValidationError(f"{mp3}: the ID3 chapters were not written as asked")
    notes = _show_notes(script, host, chapters, facts.duration)
    return {"path": str(mp3), "wav": str(wav), "duration": round(facts.duration, 3),
            "sample_rate": facts.sample_rate, "channels": facts.channels,
            "lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
            "mix_lufs": round(mixed.lufs, 2), "chapters": chapters,
            "show_notes": notes, "transcript": _transcript(script, chapters),
            "chapters_json": {"version": "1.2.0", "chapters": [
                {"startTime": c["start"], "endTime": c["end"], "title": c["title"]}
                for c in chapters]}}


def _summary(script: Mapping[str, Any]) -> str:
    sections = [x for x in script.get("sections", []) if isinstance(x, Mapping)]
    segs = [str(x.get("title", "")) for x in sections if x.get("kind") == "segment"]
    topic = str(script.get("topic") or "")
    about = f"an episode about {topic}" if topic else "this episode"
    if not segs:
        return f"In {about}, the host walks through the subject step by step."
    listed = ", ".join(segs[:-1]) + ", and " + segs[-1] if len(segs) > 1 else segs[0]
    return (f"{_cap(about)}, in {_number_words(len(segs))} parts: {listed}. A single-host "
            f"explainer that ends with a recap of the key takeaways.")


def _show_notes(script: Mapping[str, Any], host: str, chapters: Sequence[Mapping[str, Any]],
                duration: float) -> str:
    lines = [f"# {script.get('title', 'Episode')}", "",
             f"Hosted by {host} · {_mmss(duration)}", "", "## Summary", "", _summary(script), "",
             "## Chapters", ""]
    lines += [f"- {_mmss(float(c['start']))} {c['title']}" for c in chapters]
    recap = next((x for x in script.get("sections", []) if x.get("kind") == "recap"), None)
    if recap:
        points = [s for s in _sentences(str(recap.get("text", ""))) if "," in s][:5]
        if points:
            lines += ["", "## Key takeaways", ""]
            lines += [f"- {_cap(p.split(',', 1)[1].strip())}" for p in points]
    lines += ["", "---", "",
              "The voice in this episode is synthetic (AI-generated text-to-speech); the music "
              "is generated as well.", ""]
    return "\n".join(lines)


def _transcript(script: Mapping[str, Any], chapters: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"# {script.get('title', 'Episode')}: transcript", ""]
    for x, c in zip(script.get("sections", []), chapters):
        lines += [f"## [{_mmss(float(c['start']))}] {x.get('title', '')}", "",
                  str(x.get("text", "")).strip(), ""]
    return "\n".join(lines)


async def mix(task: Task, context: Context) -> dict[str, Any]:
    """Intro music, the voice over a ducked bed that fades out, the outro; −16 LUFS; an MP3
    (44.1 kHz, 128 kbps) with title, artist and ID3 chapters; show notes and a transcript."""
    out = str(task.inputs.get("out") or Path(context.workdir) / "episode.mp3")
    script = dict(task.inputs["script"])
    host = str(task.inputs.get("host") or script.get("host") or "Alex")
    music_path = str(task.inputs.get("music") or "") or None
    result: dict[str, Any] = await in_process(
        context, _master, str(task.inputs["voice"]),
        [list(s) for s in task.inputs.get("sentences") or []], music_path, script, host,
        str(task.inputs.get("show") or ""), out)
    return result


def read_id3_chapters(path: str | Path) -> list[dict[str, Any]]:
    """The CHAP frames of an MP3's ID3v2.3/2.4 tag: ``[{id, title, start, end}]`` in seconds,
    in the CTOC's order when there is one."""
    data = Path(path).read_bytes()
    if len(data) < 10 or data[:3] != b"ID3":
        return []
    major = data[3]
    size = _syncsafe(data[6:10])
    pos, end = 10, 10 + size
    chapters: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    while pos + 10 <= end:
        fid = data[pos:pos + 4]
        if not fid.strip(b"\0"):
            break
        fsize = _syncsafe(data[pos + 4:pos + 8]) if major == 4 else \
            struct.unpack(">I", data[pos + 4:pos + 8])[0]
        body = data[pos + 10:pos + 10 + fsize]
        if fid == b"CHAP":
            cut = body.index(b"\0")
            eid = body[:cut].decode("latin-1")
            start, stop = struct.unpack(">II", body[cut + 1:cut + 9])
            title = ""
            sub = body[cut + 17:]
            while len(sub) >= 10:
                sid = sub[:4]
                ssize = _syncsafe(sub[4:8]) if major == 4 else struct.unpack(">I", sub[4:8])[0]
                if sid == b"TIT2":
                    title = _id3_text(sub[10:10 + ssize])
                sub = sub[10 + ssize:]
            chapters[eid] = {"id": eid, "title": title, "start": start / 1000,
                             "end": stop / 1000}
        elif fid == b"CTOC":
            cut = body.index(b"\0")
            count = body[cut + 2]
            rest = body[cut + 3:].split(b"\0")
            order = [x.decode("latin-1") for x in rest[:count]]
        pos += 10 + fsize
    ids = [i for i in order if i in chapters] or sorted(chapters,
                                                        key=lambda i: chapters[i]["start"])
    return [chapters[i] for i in ids]


def _syncsafe(b: bytes) -> int:
    return (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]


def _id3_text(body: bytes) -> str:
    enc, raw = body[:1], body[1:]
    codec = {b"\0": "latin-1", b"\1": "utf-16", b"\2": "utf-16-be", b"\3": "utf-8"}.get(
        enc, "latin-1")
    return raw.decode(codec, "replace").rstrip("\0")


def check_mix(task: Task, artifact: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """A playable MP3 near −16 LUFS with true peak ≤ −1 dBTP, one ID3 chapter per section of
    the script in order and inside the audio, and show notes that list them and say the voice
    is synthetic."""
    from ...errors import InputError
    from ...media.audio import read_audio
    from ...media.loudness import integrated_lufs, true_peak_dbtp

    path = str(artifact.get("path", ""))
    try:
        samples, rate = read_audio(path, "episode")
    except InputError as exc:
        return 0.0, {"error": str(exc)}
    duration = len(samples) / rate
    lufs, peak = integrated_lufs(samples, rate), true_peak_dbtp(samples)
    sections = (task.inputs.get("script") or {}).get("sections", [])
    chapters = read_id3_chapters(path)
    starts = [c["start"] for c in chapters]
    ordered = all(a < b for a, b in zip(starts, starts[1:]))
    inside = all(0 <= s < duration for s in starts)
    notes = str(artifact.get("show_notes", ""))
    parts = {
        "loudness": max(0.0, 1 - max(0.0, abs(lufs - TARGET_LUFS) - 1.0) / 3)
        if math.isfinite(lufs) else 0.0,
        "true_peak": 1.0 if peak <= MAX_TRUE_PEAK else max(0.0, 1 - (peak - MAX_TRUE_PEAK)),
        "chapters": 1.0 if chapters and len(chapters) == len(sections) and ordered and inside
        else 0.0,
        "show_notes": (0.5 * all(_mmss(s) in notes for s in starts)
                       + 0.5 * ("synthetic" in notes.lower())) if notes else 0.0,
        "rate": 1.0 if rate in (44100, 48000) else 0.0,
    }
    return round(sum(parts.values()) / len(parts), 3), {
        **parts, "lufs": round(lufs, 2), "true_peak_dbtp": round(peak, 2),
        "chapters_found": len(chapters), "duration": round(duration, 2)}
