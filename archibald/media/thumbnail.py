"""A 1280x720 JPEG thumbnail: the artwork with a few large words, contrast measured ≥ 4.5:1.

The text colour (white or near-black) is whichever contrasts more with the picture behind the
words; if the measured WCAG contrast is still under 4.5:1, a soft scrim is laid behind the text,
darker (or lighter) step by step, until it is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, ValidationError
from .files import atomic_output
from .quality import contrast_ratio, relative_luminance, validate_image
from .video import check_image

__all__ = ["ThumbnailResult", "render_thumbnail", "thumbnail_words", "font_path"]

WIDTH, HEIGHT = 1280, 720
MAX_BYTES = 2 * 1024 * 1024
MIN_CONTRAST = 4.5
MAX_WORDS = 5
_STOP = {"a", "an", "the", "for", "to", "of", "and", "with", "in", "on", "your", "guided",
         "meditation"}
_LIGHT, _DARK = (255, 255, 255), (20, 22, 30)


@dataclass(frozen=True)
class ThumbnailResult:
    """A written thumbnail, the words on it and their measured contrast."""

    path: Path
    contrast: float
    bytes: int
    text: str = ""


def font_path() -> Path:
    """DejaVu Sans Bold, shipped inside matplotlib's wheel."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans-Bold.ttf"
    if not path.is_file():
        raise ValidationError(f"font {path} is missing; reinstall matplotlib")
    return path


def thumbnail_words(title: str) -> list[str]:
    """At most five words from ``title``: filler words go first when it is longer."""
    words = [w for w in re.split(r"\s+", title.strip()) if re.search(r"\w", w)]
    if len(words) > MAX_WORDS:
        words = [w for w in words if w.lower().strip(",.:;!?") not in _STOP] or words
    return [w.strip(",;:") for w in words[:MAX_WORDS]]


def _cover(image: Path) -> Any:
    from PIL import Image

    with Image.open(image) as src:
        rgb = src.convert("RGB")
    scale = max(WIDTH / rgb.width, HEIGHT / rgb.height)
    rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)),
                     Image.Resampling.LANCZOS)
    left, top = (rgb.width - WIDTH) // 2, (rgb.height - HEIGHT) // 2
    return rgb.crop((left, top, left + WIDTH, top + HEIGHT))


def _layout(words: list[str]) -> tuple[Any, list[str], int]:
    """The largest font (and line breaks) that fits the words in 3 lines across the picture."""
    from PIL import ImageFont

    font_file = str(font_path())
    for size in range(170, 40, -6):
        font = ImageFont.truetype(font_file, size)
        for lines_n in range(1, min(3, len(words)) + 1):
            per = -(-len(words) // lines_n)
            lines = [" ".join(words[i:i + per]) for i in range(0, len(words), per)]
            widest = max(font.getlength(line) for line in lines)
            if widest <= WIDTH * 0.86 and len(lines) * size * 1.15 <= HEIGHT * 0.62:
                return font, lines, size
    return ImageFont.truetype(font_file, 40), [" ".join(words)], 40


def _contrast(picture: Any, mask: Any, colour: tuple[int, int, int]) -> float:
    """Near-worst WCAG contrast between ``colour`` and the picture around the glyphs."""
    from PIL import ImageFilter

    halo = np.asarray(mask.filter(ImageFilter.MaxFilter(9))) > 0
    behind = np.asarray(picture)[halo]
    if behind.size == 0:
        return 21.0
    lum = relative_luminance(behind)
    worst = float(np.percentile(lum, 98 if colour == _LIGHT else 2))
    return contrast_ratio(float(relative_luminance(np.array(colour))), worst)


def render_thumbnail(title: str, image: Path, out: Path) -> ThumbnailResult:
    """Render ``out`` (JPEG, 1280x720, ≤ 2 MB) from ``image`` with ``title`` in large words."""
    from PIL import Image, ImageDraw, ImageFilter

    words = thumbnail_words(title)
    if not words:
        raise InputError("the title is empty; give a few words, e.g. --title 'Evening Calm'")
    check_image(image)
    base = _cover(Path(image))
    font, lines, size = _layout(words)
    mask = Image.new("L", (WIDTH, HEIGHT), 0)
    draw = ImageDraw.Draw(mask)
    line_h = int(size * 1.15)
    top = (HEIGHT - line_h * len(lines)) // 2
    boxes = []
    for i, line in enumerate(lines):
        x = (WIDTH - font.getlength(line)) / 2
        draw.text((x, top + i * line_h), line, font=font, fill=255)
        boxes.append(draw.textbbox((x, top + i * line_h), line, font=font))
    colour = max((_LIGHT, _DARK), key=lambda c: _contrast(base, mask, c))
    shade = (0, 0, 0) if colour == _LIGHT else (255, 255, 255)
    box = (min(b[0] for b in boxes) - 40, min(b[1] for b in boxes) - 30,
           max(b[2] for b in boxes) + 40, max(b[3] for b in boxes) + 30)
    picture, contrast = base, _contrast(base, mask, colour)
    for opacity in (0.25, 0.4, 0.55, 0.7, 0.85, 0.95):
        if contrast >= MIN_CONTRAST:
            break
        scrim = Image.new("L", (WIDTH, HEIGHT), 0)
        ImageDraw.Draw(scrim).rounded_rectangle(box, radius=40, fill=int(255 * opacity))
        scrim = scrim.filter(ImageFilter.GaussianBlur(18))
        picture = Image.composite(Image.new("RGB", (WIDTH, HEIGHT), shade), base, scrim)
        contrast = _contrast(picture, mask, colour)
    if contrast < MIN_CONTRAST:
        raise ValidationError(f"thumbnail text contrast {contrast:.2f}:1 < {MIN_CONTRAST}:1")
    final = picture.copy()
    pen = ImageDraw.Draw(final)
    for i, line in enumerate(lines):
        pen.text(((WIDTH - font.getlength(line)) / 2, top + i * line_h), line, font=font,
                 fill=colour, stroke_width=max(2, size // 30), stroke_fill=shade)
    with atomic_output(out, (".jpg", ".jpeg")) as tmp:
        for quality in (92, 85, 75, 60):
            final.save(tmp, format="JPEG", quality=quality, optimize=True, progressive=True)
            if tmp.stat().st_size <= MAX_BYTES:
                break
        validate_image(tmp, (WIDTH, HEIGHT), max_bytes=MAX_BYTES, fmt="JPEG")
        written = tmp.stat().st_size
    return ThumbnailResult(Path(out), round(contrast, 2), written, " ".join(words))
