"""The offline route's scripts (and, with --video, whole videos) measured as a viewer would.

On topics no test uses, unrelated to each other, the local script stages run as `archibald
produce` runs them (research, concept, writer, review, polish, TTS clean-up, for a video of
``--minutes``), and for each script this prints whether its first and last sections name the
topic's audience or situation, the most times one sentence frame comes in ten minutes, similes
that read wrong, doubled words and lines that contradict the topic; then the share of sentences
the scripts share. With --video each topic is produced offline end to end (no keys, empty
ARCHIBALD_HOME) and its voice track measured: silences of 8 s or more, the voice's share of the
video, spoken words per minute of video.

The measures are route-blind (archibald/pipelines/meditation/checks.py and the topic reading): they look at
the text and the audio, not at who wrote them, so a model's script is measured the same way.

    .venv/bin/python benchmarks/bench_offline_quality.py                  # scripts, seconds
    .venv/bin/python benchmarks/bench_offline_quality.py --video          # videos, minutes
    .venv/bin/python benchmarks/bench_offline_quality.py --heart          # the topic's heart

With --heart (issue 25 items 2, 3, 6), on six more topics no test uses and three seeds: the
topic's key nouns in the opening, the body (the practice) and the close; settings mixed (another
setting's marks in the words); the picture's scene against the script's setting (the scene the
image stage draws for the script); tags from the calendar (a season's words the topic does not
say; this month's season is what the research offers).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from archibald.media.audio import frame_power, read_audio
from archibald.pipelines.meditation.stages import LEAD_IN, TAIL, script_minutes
from archibald.pipelines.meditation.checks import (contradictions, doubled_genitive, doubled_word,
                                     max_frame_repeats, setting_clashes, simile_ok)
from archibald.pipelines.meditation.concept import make_concept
from archibald.pipelines.meditation.editors import polish, review
from archibald.script.model import Script, sentences
from archibald.pipelines.meditation.scoring import score_script
from archibald.script.model import words as words_of
from archibald.pipelines.meditation.research import research
from archibald.script.speakable import speakable
from archibald.pipelines.meditation.topic import read_topic, thumbnail_words
from archibald.pipelines.meditation.writer import write_script

sys.path.insert(0, str(Path(__file__).parent))
from bench_produce import produce  # noqa: E402  (the offline produce run, shared)

#: unrelated topics no test uses
TOPICS = ("Sleep for new parents after a night feed",
          "Calm for teachers before a school inspection",
          "Courage for musicians before a concert",
          "Grief after losing a pet",
          "Focus for programmers during a long workday",
          "Letting go for runners after a race")
#: the heart's topics: none of them is in a test, none names the issue's examples
HEART_TOPICS = ("Sleep beside a river after a long hike",
                "Peace on a ferry crossing at dusk",
                "Courage before a piano recital",
                "Resting on a sleeper train to the coast",
                "Calm on a rainy afternoon by a lake",
                "Letting go of guilt after missing a birthday")


def heart(minutes: float, seeds: tuple[int, ...]) -> list[dict[str, object]]:
    """Per topic and seed: key nouns in opening / body / close, settings mixed, the picture's
    scene against the script's setting, calendar tags."""
    from archibald.pipelines.meditation.setting import (SETTINGS, key_nouns, mixed_settings,
                                                        names_nouns)
    from archibald.pipelines.meditation.stages import scene_of
    from archibald.pipelines.youtube.metadata import build_metadata, calendar_words
    from archibald.script.model import timeline

    def said(text: str) -> str:
        return " ".join(x for x in timeline(text) if isinstance(x, str))
    rows = []
    for topic in HEART_TOPICS:
        for seed in seeds:
            concept = make_concept(topic, minutes, research(topic, seed=seed), seed=seed)
            script = local_script(topic, minutes, seed)
            nouns = key_nouns(topic)
            practice = next(x for x in script.sections if x.kind == "practice")
            setting = SETTINGS[script.setting]
            _, picture = scene_of(script.setting, topic)
            meta = build_metadata(concept, script, [(0.0, "a"), (30.0, "b"), (90.0, "c")])
            calendar = calendar_words() - set(words_of(topic.lower()))
            rows.append({
                "topic": topic, "seed": seed, "nouns": nouns, "setting": setting.name,
                "opening": names_nouns(said(script.sections[0].text), nouns),
                "body": names_nouns(said(practice.text), nouns),
                "close": names_nouns(said(script.sections[-1].text), nouns),
                "mixed": mixed_settings(said(script.spoken_text()), setting, topic),
                "scene_ok": picture == setting.scene, "scene": picture,
                "calendar_tags": [t for t in meta["tags"] if set(t.lower().split()) & calendar],
                "other_scene_tags": mixed_settings(" ".join(meta["tags"]), setting, topic),
            })
    return rows


def local_script(topic: str, minutes: float, seed: int) -> Script:
    """The script the offline route voices for a ``minutes``-long video of ``topic``."""
    concept = make_concept(topic, minutes, research(topic, seed=seed), seed=seed)
    target = script_minutes(minutes)
    script = write_script(dataclasses.replace(concept, minutes=target), seed=seed)
    script = polish(review(script, target).script, target).script
    return dataclasses.replace(script, sections=tuple(
        dataclasses.replace(s, text=speakable(s.text)) for s in script.sections))


def measure_script(topic: str, script: Script) -> dict[str, object]:
    reading = read_topic(topic)
    said = script.sentences()
    frames, frame = max_frame_repeats(said, script.estimated_seconds())
    _, scored = score_script(script, script.minutes)
    return {
        "topic": topic, "title": script.title, "thumbnail": " ".join(thumbnail_words(topic)),
        "names_first": any(reading.named(x) for x in sentences(script.sections[0].text)),
        "names_last": any(reading.named(x) for x in sentences(script.sections[-1].text)),
        "frame_repeats": frames, "frame": frame,
        "bad_similes": [x for x in said if not simile_ok(x)],
        "doubled": [x for x in said if doubled_word(x) or doubled_genitive(x)],
        "settings": setting_clashes(script.spoken_text()),
        "contradictions": [c["said"] for c in contradictions(
            script.spoken_text(), reading.tags, sleep=script.sleep)],
        "pace_wpm": round(script.pace_wpm(), 1), "sentences": len(said),
        # as the script plans it (the voice at SPEAKING_WPM), over the voice track
        "speech_share": scored["speech_share"], "silences_8s": scored["silences_8s"],
        "mean_words": scored["mean_sentence_words"],
    }


def shared_share(scripts: list[Script]) -> tuple[float, list[tuple[int, str]]]:
    """The share of all sentences that another script also says, and the most shared."""
    sets = [[x.lower() for x in s.sentences()] for s in scripts]
    count = Counter(x for said in sets for x in set(said))
    total = sum(len(said) for said in sets)
    shared = sum(1 for said in sets for x in said if count[x] > 1)
    return shared / total if total else 0.0, [(n, x) for x, n in count.most_common(5) if n > 1]


def voice_activity(path: Path, frame_s: float = 0.05) -> tuple[float, list[float]]:
    """Seconds of voice in a voice track and the lengths of its silences (frames more than
    40 dB under the loudest 5% of frames are silent)."""
    samples, rate = read_audio(path, "voice track")
    power = frame_power(samples, max(1, int(rate * frame_s)))
    db = 10 * np.log10(np.maximum(power, 1e-12))
    speech = db > np.percentile(db, 95) - 40
    silences, run = [], 0
    for s in speech:
        if s:
            if run:
                silences.append(run * frame_s)
            run = 0
        else:
            run += 1
    return float(speech.sum() * frame_s), silences


def video(topic: str, minutes: float, seed: int) -> dict[str, object]:
    """One offline `archibald produce` of ``topic``, its voice track measured."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        try:
            wall, run = produce(topic, minutes, seed, Path(tmp))
        except SystemExit as failed:  # a stage the voice does not need (the thumbnail) failed
            path = Path(tmp) / "out" / "run.json"
            if not path.is_file():
                raise
            wall, run = time.perf_counter() - t0, json.loads(path.read_text())
            if "duration" not in run["stages"].get("video_assembly", {}).get("output", {}):
                raise SystemExit(str(failed)) from None
        stages = run["stages"]
        seconds = float(stages["video_assembly"]["output"]["duration"])
        speech, silences = voice_activity(Path(stages["audio_generation"]["output"]["path"]))
        if "files" in run:
            spoken = [line for line in Path(run["files"]["script.md"]).read_text().splitlines()
                      if not line.startswith("#")]
            words = len(words_of("\n".join(spoken)))
        else:  # a failed run (its thumbnail) lists no files: the script the offline route voices
            words = local_script(topic, minutes, seed).word_count()
        return {"wall": round(wall, 1), "video_s": round(seconds, 1),
                "silences_8s": sum(s >= 8 for s in silences),
                "longest_silence": round(max(silences, default=0.0), 1),
                "speech_share": round(speech / seconds, 3),
                "wpm": round(words / (seconds / 60), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--video", action="store_true", help="also produce each video offline")
    ap.add_argument("--heart", action="store_true",
                    help="only the topic's heart, one setting and one scene (issue 25)")
    args = ap.parse_args()
    if args.heart:
        t0 = time.perf_counter()
        rows = heart(args.minutes, (args.seed, args.seed + 1, args.seed + 2))
        for r in rows:
            print(f"- {r['topic']!r} seed {r['seed']}: nouns {r['nouns']}; setting "
                  f"{r['setting']} (scene {r['scene']}, matches {r['scene_ok']}); named in "
                  f"opening {r['opening']}, body {r['body']}, close {r['close']}; mixed "
                  f"{r['mixed'] or 0}; calendar tags {r['calendar_tags'] or 0}; other scenes' "
                  f"tags {r['other_scene_tags'] or 0}")
        n = len(rows)
        print(f"{n} scripts ({len(HEART_TOPICS)} topics x 3 seeds, {args.minutes:g} min) in "
              f"{time.perf_counter() - t0:.1f} s: key nouns in opening "
              f"{sum(bool(r['opening']) for r in rows)}/{n}, body "
              f"{sum(bool(r['body']) for r in rows)}/{n}, close "
              f"{sum(bool(r['close']) for r in rows)}/{n}; mixed settings "
              f"{sum(bool(r['mixed']) for r in rows)}; picture = setting "
              f"{sum(bool(r['scene_ok']) for r in rows)}/{n}; calendar tags "
              f"{sum(len(r['calendar_tags']) for r in rows)}; other scenes' tags "  # type: ignore[arg-type]
              f"{sum(len(r['other_scene_tags']) for r in rows)}")  # type: ignore[arg-type]
        return
    t0 = time.perf_counter()
    scripts = [local_script(t, args.minutes, args.seed) for t in TOPICS]
    print(f"{len(TOPICS)} scripts for {args.minutes:g}-minute videos in "
          f"{time.perf_counter() - t0:.1f} s (seed {args.seed})")
    rows = [measure_script(t, s) for t, s in zip(TOPICS, scripts)]
    for r in rows:
        print(f"- {r['topic']!r}: title {r['title']!r}; thumbnail {r['thumbnail']!r}; names "
              f"audience/situation first {r['names_first']}, last {r['names_last']}; max frame "
              f"repeats {r['frame_repeats']} ({r['frame']!r}); bad similes "
              f"{len(r['bad_similes'])}; doubled words {len(r['doubled'])}; setting clashes "
              f"{r['settings'] or 0}; contradictions "
              f"{r['contradictions'] or 0}; {r['sentences']} sentences of "
              f"{r['mean_words']} words, {r['pace_wpm']} wpm, planned speech "
              f"{float(str(r['speech_share'])):.0%} and {r['silences_8s']} pauses >= 8 s")
    share, top = shared_share(scripts)
    print(f"sentences shared across the {len(scripts)} scripts: {share:.1%} (target < 10%); "
          f"most shared: {top[:3]}")
    print(f"named first and last: {sum(bool(r['names_first'] and r['names_last']) for r in rows)}"
          f"/{len(rows)}; max frame repeats in ten minutes: "
          f"{max(int(str(r['frame_repeats'])) for r in rows)} (target <= 2)")
    print("planned (voice track, the voice at 145 wpm): wpm "
          f"{min(float(str(r['pace_wpm'])) for r in rows):.0f}-"
          f"{max(float(str(r['pace_wpm'])) for r in rows):.0f}, speech share "
          f"{min(float(str(r['speech_share'])) for r in rows):.0%}-"
          f"{max(float(str(r['speech_share'])) for r in rows):.0%}, pauses >= 8 s "
          f"{min(int(str(r['silences_8s'])) for r in rows)}-"
          f"{max(int(str(r['silences_8s'])) for r in rows)}")
    if not args.video:
        return
    videos = []
    for topic in TOPICS:
        v = video(topic, args.minutes, args.seed)
        videos.append(v)
        print(f"- video {topic!r}: {v}", flush=True)
    print(f"videos (music {LEAD_IN:g} s before, {TAIL:g} s after the voice): silences >= 8 s "
          f"min {min(int(str(v['silences_8s'])) for v in videos)} (target >= 6); speech share "
          f"max {max(float(str(v['speech_share'])) for v in videos):.1%} (target <= 55%); words "
          f"per minute median {statistics.median(float(str(v['wpm'])) for v in videos):.0f}; "
          f"wall median {statistics.median(float(str(v['wall'])) for v in videos):.1f} s")




# -- Sound (issue 25, item 5): the music in the pauses, a sleep session's ending ----------------
#
#     .venv/bin/python benchmarks/bench_offline_quality.py --sound [--minutes 3] [--seed 1]
#
# Each topic produced offline; from the files it wrote, with the one measure of the music's
# gain (archibald.quality.gain): how far the music rises in each pause of the voice (gaps under
# 5 s must stay within 3 dB; rises only in silences of 8 s or more), and for a sleep session
# the ambient tail after the last word, the last minute's loudness under the middle minute's
# and the last frame's grey level (0 is black).

#: topics no test uses: two read as sleep, two awake
SOUND_TOPICS = ("Falling asleep to rain on a tin roof", "Winding down to sleep on a night train",
                "Calm for a job interview on video", "A quiet lake at dawn")


def sound(topic: str, minutes: float, seed: int) -> dict[str, object]:
    """One offline produce of ``topic``; its pauses, tail and ending measured from the files."""
    import av

    from archibald.media.loudness import integrated_lufs
    from archibald.quality.gain import gap_rises, music_gain_db, speaking_windows

    with tempfile.TemporaryDirectory() as tmp:
        wall, run = produce(topic, minutes, seed, Path(tmp))
        root = Path(tmp) / "out" / ".archibald" / "stages"

        def audio(stage: str, name: str) -> tuple[np.ndarray, int]:
            return read_audio(next(root.glob(f"{stage}-*/files/{name}")))

        (mix, rate), (voice, v_rate) = audio("video_assembly", "mix.wav"), \
            audio("audio_generation", "voice.wav")
        music, m_rate = audio("music_generation", "music.wav")
        course = music_gain_db(mix, rate, music, m_rate, voice=(voice, v_rate), lead_in=LEAD_IN)
        spoken = speaking_windows(voice, v_rate, len(mix) / rate, lead_in=LEAD_IN)
        rises = gap_rises(course, spoken)
        short = [r for g, r in rises if g < 5.0]
        risen = [g for g, r in rises if r > 3.0]
        minute, middle = 60 * rate, len(mix) // 2
        with av.open(str(Path(tmp) / "out" / "video.mp4")) as c:
            v = c.streams.video[0]
            c.seek(int((float(v.duration * v.time_base) - 1.0) / v.time_base), stream=v)
            last = [f for f in c.decode(v)][-1].to_ndarray(format="gray").mean()
        return {"topic": topic, "sleep": read_topic(topic).sleep, "wall": round(wall, 1),
                "video_s": round(len(mix) / rate, 1), "gaps": len(rises),
                "gaps_under_5s": len(short),
                "max_rise_under_5s_db": round(max(short, default=0.0), 2),
                "short_gaps_over_3db": sum(r > 3.0 for r in short),
                "shortest_gap_that_rose_s": round(float(min(risen)), 1) if risen else None,
                "tail_after_last_word_s": round(float(len(mix) / rate
                                                - (np.flatnonzero(spoken)[-1] + 1) * 0.1), 1),
                "last_minute_under_middle_lu": round(
                    integrated_lufs(mix[middle - minute // 2:middle + minute // 2], rate)
                    - integrated_lufs(mix[-minute:], rate), 2),
                "last_frame_grey": round(float(last), 1), "stages": len(run["stages"])}


def sound_main() -> None:
    ap = argparse.ArgumentParser(description="the sound of offline videos (issue 25, item 5)")
    ap.add_argument("--sound", action="store_true")
    ap.add_argument("--minutes", type=float, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rows = []
    for topic in SOUND_TOPICS:
        rows.append(sound(topic, args.minutes, args.seed))
        print(f"- {rows[-1]}", flush=True)
    short = [r["max_rise_under_5s_db"] for r in rows]
    sleep = [r for r in rows if r["sleep"]]
    print(f"{len(rows)} videos of {args.minutes:g} min: music rise in gaps < 5 s at most "
          f"{max(float(str(x)) for x in short):.2f} dB (target <= 3) over "
          f"{sum(int(str(r['gaps_under_5s'])) for r in rows)} gaps; shortest gap that rose "
          f"{min((float(str(r['shortest_gap_that_rose_s'])) for r in rows if r['shortest_gap_that_rose_s'] is not None), default=0):.1f} s; "
          f"sleep: tail >= {min((float(str(r['tail_after_last_word_s'])) for r in sleep), default=0):.1f} s, "
          f"last minute >= {min((float(str(r['last_minute_under_middle_lu'])) for r in sleep), default=0):.2f} LU "
          f"under the middle, last frame grey <= {max((float(str(r['last_frame_grey'])) for r in sleep), default=0):.1f}")




# -- Shorts: captions on the frames that have speech (issue 25, item 4) -----------------------
#    .venv/bin/python benchmarks/bench_offline_quality.py --shorts [--seconds 90 30]
#
# Each topic (named by no test) is made with `archibald run short` offline (no keys, empty
# ARCHIBALD_HOME); then, route-blind, every sixth frame of short.mp4 is compared with the
# captionless loop it repeats (text shows where > 0.4 % of the pixels differ by > 48 levels) and
# the voice track says which frames have speech (archibald.media.captions.measure_captions).
# Printed: the share of speech frames with a caption, pixels outside the Shorts safe area, the
# length made against the length asked, whether the title states that length and only it, the
# cover's words, and the wall time of the run.
SHORT_TOPICS = ["a one-minute reset before a piano recital", "cold hands on a winter bus stop",
                "the first morning after moving to a new city"]


def short_captions(topic: str, seconds: float, seed: int) -> dict[str, object]:
    import os
    import subprocess

    from archibald.media.captions import measure_captions
    from archibald.media.probe import probe_video
    from archibald.pipelines.short import LEAD_IN as SHORT_LEAD_IN
    from archibald.pipelines.short.timing import stated_seconds

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "short"
        env = {**os.environ, "ARCHIBALD_HOME": str(Path(tmp) / "home")}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "archibald", "run", "short", "--set",
                        f"topic={topic}", "--set", f"seconds={seconds:g}", "--out", str(out),
                        "--seed", str(seed)], check=True, env=env, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        stages = out / ".archibald" / "stages"
        voice = json.loads(next(stages.glob("voice-*/result.json")).read_text())["value"]
        made = next(stages.glob("video-*/files"))
        measured = measure_captions(made / "short.mp4", made / "loop.mp4", Path(voice["path"]),
                                    lead=SHORT_LEAD_IN, every=6)
        title = json.loads((out / "metadata.json").read_text())["title"]
        concept = json.loads(next(stages.glob("concept-*/result.json")).read_text())["value"]
        return {"topic": topic, "asked": seconds,
                "duration": round(float(probe_video(made / "short.mp4")["duration"]), 2),
                "captions_on_speech": measured["share"],
                "speech_frames": measured["speech_frames"],
                "outside_safe_area": measured["outside_safe_area"], "title": title,
                "title_length_ok": stated_seconds(title) == [seconds],
                "cover": " ".join(concept["words"]), "wall": round(wall, 1)}


def shorts_main() -> None:
    ap = argparse.ArgumentParser(description="Shorts: captions on speech frames, lengths")
    ap.add_argument("--shorts", action="store_true")
    ap.add_argument("--seconds", type=float, nargs="+", default=[90.0])
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for seconds in args.seconds:
        for topic in SHORT_TOPICS:
            row = short_captions(topic, seconds, args.seed)
            rows.append(row)
            print(f"- {row}", flush=True)
    for seconds in args.seconds:
        some = [r for r in rows if r["asked"] == seconds]
        print(f"{seconds:g} s Shorts ({len(some)}): captions on speech frames min "
              f"{min(float(str(r['captions_on_speech'])) for r in some):.1%} (target >= 90%), "
              f"outside the safe area max "
              f"{max(float(str(r['outside_safe_area'])) for r in some):.1%}; length "
              f"{min(float(str(r['duration'])) for r in some):.1f}-"
              f"{max(float(str(r['duration'])) for r in some):.1f} s; titles with the asked "
              f"length only {sum(bool(r['title_length_ok']) for r in some)}/{len(some)}; "
              f"wall median {statistics.median(float(str(r['wall'])) for r in some):.1f} s")


if __name__ == "__main__":
    if "--sound" in sys.argv:
        sound_main()
    elif "--shorts" in sys.argv:
        shorts_main()
    else:
        main()
