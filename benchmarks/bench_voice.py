"""The voice's real-time factor: seconds of speech made per second of wall time.

    python benchmarks/bench_voice.py                 # both cores vs one, median of 3 runs each

Only spoken audio counts (the sum of sentence lengths): the silences between sentences cost
nothing to make and would flatter the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from archibald.media.voice import synthesize

SENTENCES = [
    "Welcome to this time for yourself.", "Find a position that feels comfortable.",
    "Let your eyes close, or rest your gaze softly on the floor.",
    "Notice the places where your body meets the ground.",
    "Allow yourself to be held.", "Bring your attention to your breath.",
    "Breathe in slowly through the nose, for a count of four.",
    "And breathe out gently, for a count of six.",
    "There is nothing you need to do right now.",
    "If your mind wanders, that is perfectly fine.",
    "Simply notice where it went, and return to the breath.",
    "Now bring your awareness to the top of your head.",
    "Feel the muscles of your forehead soften.",
    "Let the softness move down through your jaw and your neck.",
    "Your shoulders can drop a little further.",
    "Imagine a warm light resting on your chest.",
    "With each breath, the light grows a little wider.",
    "It moves down your arms, all the way to your fingertips.",
    "Notice the weight of your hands.", "Notice the warmth in your palms.",
    "Let the light travel down through your belly and your hips.",
    "Your legs feel heavy and relaxed.", "Your feet are warm and still.",
    "Rest here in this feeling of ease.", "You are safe in this moment.",
    "I am calm, and I am here.", "I let go of what I do not need.",
    "Take one more slow breath in.", "And let it go completely.",
    "Begin to notice the sounds around you.",
    "Move your fingers and your toes gently.",
    "When you are ready, open your eyes.",
    "Carry this calm with you into the rest of your day.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2, help="times the script is repeated")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    text = " ".join(SENTENCES * args.repeat)
    rows: dict[int, list[tuple[float, float, float]]] = {2: [], 1: []}
    with tempfile.TemporaryDirectory(prefix="bench-voice-") as tmp:
        for i in range(args.runs):
            for workers in (2, 1):
                start = time.perf_counter()
                result = synthesize(text, Path(tmp) / f"v{workers}.wav", workers=workers)
                wall = time.perf_counter() - start
                speech = sum(s.end - s.start for s in result.sentences)
                rows[workers].append((wall, speech, result.duration))
                print(f"run {i + 1} workers={workers}: {wall:.1f} s wall for {speech:.1f} s "
                      f"speech ({result.duration:.1f} s with pauses): RTF {speech / wall:.1f}x",
                      file=sys.stderr, flush=True)
    summary = {}
    for workers, runs in rows.items():
        wall = statistics.median(r[0] for r in runs)
        speech = statistics.median(r[1] for r in runs)
        total = statistics.median(r[2] for r in runs)
        summary[workers] = {"wall": wall, "speech": speech, "with_pauses": total,
                            "rtf_speech": speech / wall, "rtf_with_pauses": total / wall}
    print("| workers | sentences | speech | wall (median) | RTF (speech) | RTF (with pauses) |")
    print("|---|---|---|---|---|---|")
    for workers, s in summary.items():
        print(f"| {workers} | {len(SENTENCES) * args.repeat} | {s['speech']:.1f} s | "
              f"{s['wall']:.1f} s | {s['rtf_speech']:.1f}x | {s['rtf_with_pauses']:.1f}x |")
    print(f"load average {os.getloadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
