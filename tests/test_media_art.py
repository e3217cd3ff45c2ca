"""Artwork and thumbnails: sizes, determinism, calm, contrast, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from media_helpers import run_cli
from archibald.media.art import render_art
from archibald.media.scene import SCENES, build_scene, scene_kind
from archibald.media.quality import contrast_ratio, relative_luminance, score_image
from archibald.errors import InputError
from archibald.media.thumbnail import render_thumbnail, style_for, thumbnail_words


@pytest.fixture(scope="module")
def art(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_art("ocean calm", tmp_path_factory.mktemp("art") / "bg.png", seed=1)


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"), dtype=np.float64)


def test_art_is_a_calm_1080p_png_that_compresses_well(art: Path) -> None:
    with Image.open(art) as im:
        assert (im.format, im.size) == ("PNG", (1920, 1080))
    assert art.stat().st_size < 1_500_000                 # noise would be ~6 MB
    score, details = score_image(art)
    assert score >= 0.9, details


def test_art_same_seed_same_picture_other_seed_visibly_other(work: Path, art: Path) -> None:
    again = render_art("ocean calm", work / "again.png", seed=1)
    assert again.read_bytes() == art.read_bytes()
    other = render_art("ocean calm", work / "other.png", seed=2)
    assert np.mean(np.abs(_pixels(other) - _pixels(art))) > 10   # of 255


def test_the_topic_picks_the_scene_and_its_light(work: Path) -> None:
    assert scene_kind("A body scan for nurses after a night shift") == "stars"
    assert scene_kind("Calm by the ocean") == "water"
    assert scene_kind("Grief and loss") == "candle"
    assert scene_kind("Forest bathing") == "forest"
    assert scene_kind("Confidence before a job interview") == "hills"
    assert scene_kind("Sunrise energy") == "sky"
    assert scene_kind("zxq") in SCENES                    # no keyword: still a scene
    night = _pixels(render_art("night sleep", work / "n.png", seed=0)).mean()
    snow = _pixels(render_art("snow winter", work / "s.png", seed=0)).mean()
    assert snow > night + 40


@pytest.mark.parametrize("kind", SCENES)
def test_the_seed_varies_the_composition_within_a_scene(kind: str) -> None:
    a, b = (build_scene(kind, 480, 270, seed).frame(0.0).astype(float) for seed in (1, 2))
    assert np.mean(np.abs(a - b)) > 3


@pytest.mark.parametrize("kind", SCENES)
def test_every_scene_moves_and_its_loop_is_seamless(kind: str) -> None:
    scene = build_scene(kind, 480, 270, 4)
    n = 110
    frames = [scene.frame(i / n).astype(float) for i in (0, 1, n - 1, n // 3)]
    step = np.mean(np.abs(frames[1] - frames[0]))
    wrap = np.mean(np.abs(frames[0] - frames[2]))         # last frame → first, when repeated
    apart = np.mean(np.abs(frames[3] - frames[0]))
    assert wrap <= 2.5 * step + 1e-3                     # no jump where the loop joins
    assert apart > 5 * wrap and apart > 0.5               # and it moves


def test_art_draws_portrait_too(work: Path) -> None:
    tall = render_art("ocean calm", work / "tall.png", seed=1, size=(1080, 1920))
    with Image.open(tall) as im:
        assert im.size == (1080, 1920)


def test_wcag_contrast_formula() -> None:
    white = float(relative_luminance(np.array([255, 255, 255])))
    black = float(relative_luminance(np.array([0, 0, 0])))
    assert contrast_ratio(white, black) == pytest.approx(21.0)
    grey = float(relative_luminance(np.array([118, 118, 118])))
    assert contrast_ratio(white, grey) == pytest.approx(4.54, abs=0.02)


def test_thumbnail_words_are_a_whole_phrase_of_two_to_four() -> None:
    assert thumbnail_words("10-Minute Guided Meditation for Evening Calm") == \
        ["Evening", "Calm"]
    assert thumbnail_words("2-Minute Evening Calm After Long Day") == ["Evening", "Calm"]
    assert thumbnail_words("Fall Asleep Fast: 10-Minute Body Scan") == ["Fall", "Asleep", "Fast"]
    assert thumbnail_words("Sleep Deeply") == ["Sleep", "Deeply"]
    assert thumbnail_words("10-Minute Sleep Meditation for Letting Go") == ["Letting", "Go"]
    # no phrase of 2-4 words: a one-word phrase joins the next rather than one being cut
    assert thumbnail_words("Calm: Breathe") == ["Calm", "Breathe"]
    assert len(thumbnail_words("one two three four five six seven eight")) <= 4


def test_given_words_are_used_and_the_channel_sets_the_style(work: Path, art: Path) -> None:
    styles = {style_for(name) for name in ("Still Waters", "Night Owl Rest", "Calm Desk",
                                           "Morning Light", "Deep Rest Daily")}
    assert len(styles) >= 3                                   # channels look different
    assert style_for("Still Waters") == style_for("Still Waters")
    a = render_thumbnail("Whatever", art, work / "a.jpg", words=["Sleep", "Now"],
                         channel="Still Waters")
    b = render_thumbnail("Whatever", art, work / "b.jpg", words=["Sleep", "Now"],
                         channel="Night Owl Rest")
    assert a.text.lower() == "sleep now"
    assert np.mean(np.abs(_pixels(a.path) - _pixels(b.path))) > 3
    with pytest.raises(InputError):
        render_thumbnail("t", art, work / "c.jpg", words="one two three four five".split())


@pytest.mark.parametrize("background", ["art", "white", "black", "noise", "mid-grey"])
def test_thumbnail_is_720p_jpeg_with_measured_contrast(work: Path, art: Path,
                                                       background: str) -> None:
    if background == "art":
        image = art
    else:
        rng = np.random.default_rng(0)
        fill = {"white": 255, "black": 0, "mid-grey": 118}.get(background)
        pixels = (rng.integers(0, 256, (720, 1280, 3)) if fill is None
                  else np.full((720, 1280, 3), fill)).astype(np.uint8)
        image = work / "bg.png"
        Image.fromarray(pixels).save(image)
    result = render_thumbnail("Evening Calm", image, work / "t.jpg", channel=background)
    with Image.open(result.path) as im:
        assert (im.format, im.size) == ("JPEG", (1280, 720))
    assert result.contrast >= 4.5
    assert result.small_contrast >= 3.0                      # readable at 1/8 width
    assert result.bytes == result.path.stat().st_size <= 2 * 1024 * 1024


def test_art_and_thumbnail_commands(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bg, thumb = work / "bg.png", work / "thumb.jpg"
    assert run_cli(["art", "--theme", "forest", "--out", str(bg), "--seed", "3"]) == 0
    assert run_cli(["thumbnail", "--title", "Forest Rest", "--image", str(bg),
                    "--out", str(thumb)]) == 0
    out = capsys.readouterr().out
    assert "art:" in out and "thumbnail:" in out and thumb.exists()


def _bad_image(work: Path, kind: str) -> Path:
    p = work / "in" / "bad.png"
    p.parent.mkdir()
    if kind == "corrupt":
        p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100)
    elif kind == "empty":
        p.touch()
    elif kind == "odd-sized":
        Image.new("RGB", (1000, 1000), (90, 120, 160)).save(p)
    elif kind == "tiny":
        Image.new("RGB", (160, 90), (90, 120, 160)).save(p)
    return p


@pytest.mark.parametrize("kind", ["missing", "corrupt", "empty", "odd-sized", "tiny"])
def test_thumbnail_bad_image_exits_2_one_line_no_file(work: Path, kind: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    image = _bad_image(work, kind)
    out = work / "t.jpg"
    assert run_cli(["thumbnail", "--title", "Calm", "--image", str(image),
                    "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("archibald: error:") and len(err.splitlines()) == 1
    assert sorted(os.listdir(work)) == ["in"]


def test_art_bad_input_exits_2(work: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["art", "--theme", "  ", "--out", str(work / "a.png")]) == 2
    assert run_cli(["art", "--theme", "sea", "--out", str(work / "a.jpg")]) == 2
    assert run_cli(["art", "--theme", "sea", "--out", str(work / "no" / "a.png")]) == 2
    assert os.listdir(work) == []
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


def test_words_too_long_to_read_give_way_to_a_whole_phrase_of_them(work: Path,
                                                                   art: Path) -> None:
    """"Calm before School Inspection" cannot be large enough to read at 1/8 width on every
    channel's layout: the thumbnail shows a whole phrase of it instead of failing the run."""
    for channel in ("default", "Still Waters", "Night Owl Rest", "Calm Desk"):
        result = render_thumbnail("t", art, work / f"{channel}.jpg",
                                  words=["Calm", "before", "School", "Inspection"],
                                  channel=channel)
        assert result.text.lower() in ("calm before school inspection", "school inspection")
        assert result.small_contrast >= 3.0


@pytest.mark.parametrize("kind", ["water", "river", "forest", "hills", "sky"])
def test_a_day_scene_at_night_is_dark_under_stars_and_still_moves(kind: str) -> None:
    day = build_scene(kind, 480, 270, 5)
    night = build_scene(f"{kind}:night", 480, 270, 5)
    lit = [float(np.mean(s.frame(0.0))) for s in (day, night)]
    assert lit[1] < 0.6 * lit[0], lit                     # the land and the sky are dark
    assert len(night.twinkles) > len(day.twinkles)        # with stars above the horizon
    n = 110
    a, b = night.frame(0.0).astype(float), night.frame(1 / 3).astype(float)
    assert np.mean(np.abs(a - b)) > 0.3 and np.mean(np.abs(
        a - night.frame((n - 1) / n).astype(float))) < np.mean(np.abs(a - b))


@pytest.mark.parametrize("kind", ["water:dusk", "volcano:night", "nowhere"])
def test_an_unknown_scene_or_time_is_refused(kind: str) -> None:
    with pytest.raises(ValueError, match="unknown scene"):
        build_scene(kind, 480, 270, 1)


def test_a_night_scene_renders_as_art(work: Path) -> None:
    out = render_art("pond", work / "pond.png", seed=2, kind="water:night")
    with Image.open(out) as im:
        assert im.size == (1920, 1080) and float(np.mean(np.asarray(im))) < 80
