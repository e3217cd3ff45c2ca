"""A 1280x720 JPEG thumbnail that sells: the scene's focal point, two to four large words.

The picture is cropped toward its brightest place (the sun, the moon, the flame: the focal
point of every scene :mod:`.scene` draws, and usually of a generated image too) and the words
sit beside it, never on it. The channel's name seeds the style — typeface, layout, colours,
letter case — so one channel's thumbnails look like a series and another's do not.

Legibility is measured, not assumed: the WCAG contrast of the words against what lies behind
them (≥ 4.5:1), and again on the thumbnail shrunk to 1/8 of its width, as a phone's list shows
it (≥ 3:1, with letters at least :data:`MIN_LETTER_PX` high). A soft scrim is laid behind the
words, stronger step by step, until both hold.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import InputError, ValidationError
from .files import atomic_output
from .quality import contrast_ratio, relative_luminance, validate_image
from .video import check_image

__all__ = ["ThumbnailResult", "Style", "render_thumbnail", "thumbnail_words", "style_for",
           "font_path", "legibility", "word_ladder"]

WIDTH, HEIGHT = 1280, 720
MAX_BYTES = 2 * 1024 * 1024
MIN_CONTRAST = 4.5
MIN_SMALL_CONTRAST = 3.0
#: letters' height in pixels at 1/8 width (160 px wide), about what a phone's list shows
MIN_LETTER_PX = 9
MAX_WORDS = 4
#: words that carry no promise on a thumbnail (the length and the genre are said elsewhere)
_FILLER = {"guided", "meditation", "meditations", "a", "an", "the", "your", "my", "minute",
           "minutes", "session", "practice"}
#: where a title's phrases join: split there, never inside a phrase
_JOINS = re.compile(r"\s*[:|/]\s*|\s+[-–—]\s+|\s+(?:for|after|before|with|during|to|into|"
                    r"and|in|on|at|of|from|while)\s+", re.IGNORECASE)
_FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSans.ttf")
_INKS = ((255, 255, 255), (255, 238, 205), (225, 244, 255), (255, 226, 226))


@dataclass(frozen=True)
class Style:
    """How a channel's thumbnails look."""

    font: str
    layout: str              # "centre", "side" (beside the focal point), "band" (a lower third)
    ink: tuple[int, int, int]
    upper: bool


@dataclass(frozen=True)
class ThumbnailResult:
    """A written thumbnail, the words on it and their measured legibility."""

    path: Path
    contrast: float
    bytes: int
    text: str = ""
    #: contrast of the words on the thumbnail shrunk to 1/8 width
    small_contrast: float = 0.0
    style: str = ""


def style_for(channel: str) -> Style:
    """The style the channel's name seeds (the same name, the same style)."""
    d = hashlib.sha256(f"thumbnail:{channel}".encode()).digest()
    return Style(_FONTS[d[0] % len(_FONTS)], ("centre", "side", "band")[d[1] % 3],
                 _INKS[d[2] % len(_INKS)], bool(d[3] % 2))


def font_path(name: str = "DejaVuSans-Bold.ttf") -> Path:
    """A DejaVu font shipped inside matplotlib's wheel."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if not path.is_file():
        raise ValidationError(f"font {path} is missing; reinstall matplotlib")
    return path


def _clean(phrase: str) -> list[str]:
    words = [w.strip(",.;:!?\"'") for w in phrase.split()]
    words = [w for w in words if re.search(r"\w", w)]
    kept = [w for w in words if w.lower() not in _FILLER
            and not re.fullmatch(r"\d+(-minute|-min|min)?s?", w.lower())]
    return kept


def thumbnail_words(title: str, limit: int = MAX_WORDS) -> list[str]:
    """Up to ``limit`` words from ``title``: its first whole phrase of 2 to ``limit`` words once
    the length and genre are left out ("10-Minute Guided Meditation for Evening Calm" →
    Evening Calm), never a phrase cut in the middle; a one-word phrase joins the next if both
    fit."""
    phrases = [p for p in (_clean(part) for part in _JOINS.split(title)) if p]
    if not phrases:  # a title of nothing but the genre and length ("10-Minute Meditation")
        phrases = [[w for w in (x.strip(",.;:!?\"'") for x in title.split()) if re.search(r"\w", w)]]
        phrases = [p for p in phrases if p]
    for phrase in phrases:
        if 2 <= len(phrase) <= limit:
            return phrase
    for first, second in zip(phrases, phrases[1:]):
        if len(first) + len(second) <= limit:
            return first + second
    short = [p for p in phrases if len(p) <= limit]
    if short:
        return short[0]
    return phrases[0][:limit] if phrases else []


def _shorter(words: list[str]) -> list[list[str]]:
    """``words``, then the whole phrases in them of two words or more, longest first (the
    phrase after the last joining word before the one ahead of the first): what a thumbnail
    shows when all of them cannot be large enough to read. Never a phrase cut in the
    middle."""
    text = " ".join(words)
    parts = [p.split() for p in _JOINS.split(text) if p.strip()]
    phrases = [p for p in (parts[::-1] if len(parts) > 1 else []) if len(p) >= 2]
    out = [words]
    for p in sorted(phrases, key=len, reverse=True):
        if p not in out:
            out.append(p)
    return out


def _hyphenated(word: str, pieces: int) -> list[str]:
    """``word`` broken into ``pieces`` near-equal parts, each but the last ending in a hyphen
    (a word too long for one line at a readable size is read across two or three)."""
    step = -(-len(word) // pieces)
    parts = [word[i:i + step] for i in range(0, len(word), step)]
    return [p + "-" for p in parts[:-1]] + parts[-1:]


def _joining(word: str) -> bool:
    """A word that joins phrases or only points at one ("before", "the", "and"): never the
    first or last word a thumbnail shows of a phrase."""
    return bool(_JOINS.fullmatch(f" {word} ")) or word.lower() in _FILLER


def word_ladder(words: list[str]) -> Iterator[list[str]]:
    """What a thumbnail may show of ``words``, best first, ending in one that always fits:
    the words, a whole phrase of them (:func:`_shorter`), fewer words in their order (runs of
    three, then two, those ending on the last word first, none starting or ending on a
    joining word nor before the phrase's noun), the last word alone (a phrase's head, never a
    lone adjective before it) and broken across lines, and last that word cut short with an
    ellipsis."""
    seen: list[list[str]] = []

    def fresh(candidate: list[str]) -> bool:
        if candidate and candidate not in seen:
            seen.append(candidate)
            return True
        return False

    for i, candidate in enumerate(_shorter(words)):
        if (i == 0 or not _joining(candidate[0])) and fresh(candidate):
            yield candidate
    # a phrase's last word is what it names ("Exhausted Nurses": Nurses)
    heads = [w for w in words if not _joining(w)][-1:] or words[-1:]
    head = heads[0]
    ends = {i for i, w in enumerate(words) if w is head or
            (i + 1 < len(words) and _joining(words[i + 1]))}
    for k in range(len(words) - 1, 1, -1):
        # a run that ends where a phrase ends, never on or after a joining word ("Calm
        # before", "for Nurses") nor before its noun ("Calm for Exhausted")
        for start in range(len(words) - k + 1):
            run = words[start:start + k]
            if start + k - 1 in ends and not _joining(run[0]) and not _joining(run[-1]) \
                    and fresh(run):
                yield run
    if fresh([head]):
        yield [head]
    for pieces in (2, 3):  # the head across lines, never another word alone
        if len(head) >= 2 * pieces and fresh(_hyphenated(head, pieces)):
            yield seen[-1]
    for cut in range(len(head) - 1, 0, -1):
        yield [head[:cut] + "\u2026"]


def _focus(rgb: Any) -> tuple[float, float]:
    """Where the picture's light is (0..1 across, down): its brightest soft region."""
    small = np.asarray(rgb.resize((64, 36)), dtype=np.float64)
    lum = relative_luminance(small)
    from scipy.ndimage import uniform_filter

    soft = uniform_filter(lum, size=7, mode="nearest")
    y, x = np.unravel_index(int(np.argmax(soft)), soft.shape)
    return (x + 0.5) / 64, (y + 0.5) / 36


def _cover(image: Path) -> tuple[Any, tuple[float, float]]:
    """The picture cropped to 16:9 and a little toward its focal point, and where that is."""
    from PIL import Image

    with Image.open(image) as src:
        rgb = src.convert("RGB")
    fx, fy = _focus(rgb)
    scale = max(WIDTH / rgb.width, HEIGHT / rgb.height) * 1.2        # room to move toward it
    big = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)),
                     Image.Resampling.LANCZOS)
    left = int(np.clip(fx * big.width - WIDTH / 2, 0, big.width - WIDTH))
    top = int(np.clip(fy * big.height - HEIGHT / 2, 0, big.height - HEIGHT))
    left = (left + (big.width - WIDTH) // 2) // 2                    # halfway toward it
    top = (top + (big.height - HEIGHT) // 2) // 2
    fx, fy = (fx * big.width - left) / WIDTH, (fy * big.height - top) / HEIGHT
    return big.crop((left, top, left + WIDTH, top + HEIGHT)), (fx, fy)


def _layout(words: list[str], style: Style, focus: tuple[float, float]
            ) -> tuple[Any, list[str], int, tuple[int, int, int, int]] | None:
    """The largest font and line breaks that fit the words in their area, and the area
    (left, top, right, bottom): beside the focal point, not on it. When the style's own area
    would make the letters too small to read at 1/8 width (a long word beside the picture),
    the words take a band across the whole width instead. None when they fit neither."""
    fx, fy = focus
    band = (70, 440, 1210, 690) if fy < 0.55 else (70, 30, 1210, 280)
    if style.layout == "side":
        area = (60, 80, 660, 640) if fx > 0.5 else (620, 80, 1220, 640)
    elif style.layout == "band":
        area = band
    else:
        area = (80, 380, 1200, 690) if fy < 0.5 else (80, 30, 1200, 340)
    font_file = str(font_path(style.font))
    best = None
    for where in (area, band):
        found = _fit(words, font_file, where)
        if found is not None and (best is None or found[2] > best[2]):
            best = (*found, where)
        if best is not None and best[2] / 8 * 0.7 >= MIN_LETTER_PX:
            break
    return best


def _fit(words: list[str], font_file: str, area: tuple[int, int, int, int]
         ) -> tuple[Any, list[str], int] | None:
    """The largest font (and line breaks, at most three lines) that fits ``area``."""
    from PIL import ImageFont

    width, height = area[2] - area[0], area[3] - area[1]
    for size in range(210, 60, -6):
        font = ImageFont.truetype(font_file, size)
        for lines_n in range(1, min(3, len(words)) + 1):
            per = -(-len(words) // lines_n)
            lines = [" ".join(words[i:i + per]) for i in range(0, len(words), per)]
            if max(font.getlength(line) for line in lines) <= width \
                    and len(lines) * size * 1.12 <= height:
                return font, lines, size
    return None


def _contrast(picture: Any, halo: np.ndarray, colour: tuple[int, int, int]) -> float:
    """Near-worst WCAG contrast between ``colour`` and the picture around the glyphs."""
    behind = np.asarray(picture)[halo]
    if behind.size == 0:
        return 21.0
    lum = relative_luminance(behind)
    light = relative_luminance(np.array(colour)) > 0.4
    worst = float(np.percentile(lum, 98 if light else 2))
    return contrast_ratio(float(relative_luminance(np.array(colour))), worst)


def _small_masks(mask: Any) -> tuple[np.ndarray, np.ndarray]:
    """At 1/8 width: the letters' cores, and a ring of background around them."""
    from PIL import Image, ImageFilter

    size = (WIDTH // 8, HEIGHT // 8)
    small = mask.resize(size, Image.Resampling.BOX)
    cover = np.asarray(small, dtype=np.float64) / 255
    ring = np.asarray(small.filter(ImageFilter.MaxFilter(3)), dtype=np.float64) / 255
    return cover > 0.6, (ring > 0.3) & (cover < 0.05)


def _small_contrast(picture: Any, core: np.ndarray, around: np.ndarray) -> float:
    from PIL import Image

    if not core.any() or not around.any():
        return 1.0
    small = np.asarray(picture.resize((WIDTH // 8, HEIGHT // 8), Image.Resampling.BOX))
    lum = relative_luminance(small)
    return contrast_ratio(float(np.median(lum[core])), float(np.median(lum[around])))


def legibility(picture: Any, mask: Any) -> float:
    """Contrast of the words on ``picture`` shrunk to 1/8 width: the median luminance of the
    letters' cores against that of a ring around them (1 = unreadable, 21 = black on white);
    ``mask`` is white where the letters are."""
    return _small_contrast(picture, *_small_masks(mask))


def save_jpeg(picture: Any, out: Path | str, size: tuple[int, int],
              qualities: tuple[int, ...] = (92, 85, 75, 60)) -> int:
    """Write ``picture`` as a progressive JPEG of at most :data:`MAX_BYTES` (YouTube's limit),
    at the best of ``qualities`` that fits, atomically; check it; return its size in bytes."""
    with atomic_output(out, (".jpg", ".jpeg")) as tmp:
        for quality in qualities:
            picture.save(tmp, format="JPEG", quality=quality, optimize=True, progressive=True)
            if tmp.stat().st_size <= MAX_BYTES:
                break
        validate_image(tmp, size, max_bytes=MAX_BYTES, fmt="JPEG")
        return int(tmp.stat().st_size)


def render_thumbnail(title: str, image: Path, out: Path, *, words: list[str] | None = None,
                     channel: str = "") -> ThumbnailResult:
    """Render ``out`` (JPEG, 1280x720, ≤ 2 MB) from ``image`` with 2–4 large words.

    ``words`` are used as given (at most four); without them they come from ``title``
    (:func:`thumbnail_words`). ``channel`` seeds the style (:func:`style_for`).
    """
    from PIL import Image, ImageDraw, ImageFilter

    chosen = [w for w in (words or []) if w.strip()] or thumbnail_words(title)
    if not chosen:
        raise InputError("the title is empty; give a few words, e.g. --title 'Evening Calm'")
    if len(chosen) > MAX_WORDS:
        raise InputError(f"a thumbnail holds at most {MAX_WORDS} words, not {len(chosen)}")
    style = style_for(channel)
    check_image(image)
    base, focus = _cover(Path(image))
    # the words, else the best of fewer that is large enough to read at phone size: a
    # thumbnail is the last stage, so there is always a layout (the ladder ends in one word,
    # broken or cut, that fits)
    for candidate in word_ladder(chosen):
        shown = [w.upper() if style.upper else w for w in candidate]
        found = _layout(shown, style, focus)
        if found is None:
            continue
        font, lines, size, area = found
        if size / 8 * 0.7 >= MIN_LETTER_PX:                  # cap height ≈ 0.7 of the size
            break
    else:  # pragma: no cover - the ladder's last rungs fit any font at its smallest size
        raise ValidationError(f"no layout of {' '.join(chosen)!r} is large enough to read")
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(mask)
    line_h = int(size * 1.12)
    top = (area[1] + area[3] - line_h * len(lines)) // 2
    anchors = []
    for i, line in enumerate(lines):
        x = (area[0] + area[2] - font.getlength(line)) / 2
        anchors.append((x, top + i * line_h))
        draw.text(anchors[-1], line, font=font, fill=255)
    ink = style.ink
    shade = (8, 10, 18)
    box = mask.getbbox() or (0, 0, WIDTH, HEIGHT)
    box = (box[0] - 50, box[1] - 36, box[2] + 50, box[3] + 36)
    picture, contrast, small = base, 0.0, 0.0
    halo = np.asarray(mask.filter(ImageFilter.MaxFilter(9))) > 0
    core, around = _small_masks(mask)
    for opacity in (0.0, 0.3, 0.45, 0.6, 0.72, 0.85, 0.95):
        if opacity:
            scrim = Image.new("L", (WIDTH, HEIGHT), 0)
            if style.layout == "band":
                ImageDraw.Draw(scrim).rectangle((0, box[1], WIDTH, box[3]),
                                                fill=int(255 * opacity))
            else:
                ImageDraw.Draw(scrim).rounded_rectangle(box, radius=48,
                                                        fill=int(255 * opacity))
            scrim = scrim.filter(ImageFilter.GaussianBlur(22))
            picture = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), shade), base, scrim)
        contrast = _contrast(picture, halo, ink)
        final = picture.copy()
        pen = ImageDraw.Draw(final)
        for (x, y), line in zip(anchors, lines):
            pen.text((x, y), line, font=font, fill=ink, stroke_width=max(2, size // 28),
                     stroke_fill=shade)
        small = _small_contrast(final, core, around)
        if contrast >= MIN_CONTRAST and small >= MIN_SMALL_CONTRAST:
            break
    else:
        raise ValidationError(f"thumbnail text contrast {contrast:.2f}:1 (at 1/8 width "
                              f"{small:.2f}:1) is too low")
    written = save_jpeg(final, out, (WIDTH, HEIGHT))
    return ThumbnailResult(Path(out), round(contrast, 2), written, " ".join(shown),
                           round(small, 2), f"{style.font} {style.layout}")
