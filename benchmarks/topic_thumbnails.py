"""Thumbnails the offline route makes for topics, as a reader of docs/ sees them: each topic's
title and thumbnail words (archibald.pipelines.meditation), its scene drawn (the script's
setting), the thumbnail rendered at 1280x720 and saved at 480 px wide as PNG.

    .venv/bin/python benchmarks/topic_thumbnails.py --docs docs/media [TOPIC ...]

Prints each topic's title, its thumbnail words and the file written.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

TOPICS = ["Regret after snapping at my kids", "Calm for an exhausted nurse",
          "Nervous before my driving test"]


def main() -> None:
    from PIL import Image

    from archibald.media.art import render_art
    from archibald.media.thumbnail import render_thumbnail
    from archibald.pipelines.meditation.concept import make_concept
    from archibald.pipelines.meditation.research import research
    from archibald.pipelines.meditation.stages import scene_of
    from archibald.pipelines.meditation.topic import thumbnail_words

    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", default="docs/media")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("topics", nargs="*")
    args = ap.parse_args()
    docs = Path(args.docs)
    docs.mkdir(parents=True, exist_ok=True)
    for topic in args.topics or TOPICS:
        concept = make_concept(topic, 5, research(topic, month=5, seed=args.seed),
                               seed=args.seed)
        words = thumbnail_words(topic)
        _, kind = scene_of("", topic)
        name = "-".join(re.findall(r"[a-z]+", topic.lower())[:4])
        with tempfile.TemporaryDirectory() as work:
            still = render_art(topic, Path(work) / "scene.png", seed=args.seed,
                               size=(1920, 1080), kind=kind)
            made = render_thumbnail(concept.title, still, Path(work) / "thumb.jpg", words=words)
            picture = Image.open(made.path).convert("RGB")
            out = docs / f"thumb-{name}.png"
            picture.resize((480, 270), Image.Resampling.LANCZOS).save(out, optimize=True)
        print(f"{topic}\n  title: {concept.title}\n  words: {' '.join(words)}  scene: {kind}"
              f"\n  -> {out}")


if __name__ == "__main__":
    main()
