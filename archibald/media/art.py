"""Calm 1920x1080 backgrounds from a theme and a seed: gradients, hills, waves, bokeh, mandalas.

Everything is smooth by construction (drawn at half size with soft edges, then upscaled), so
the PNG stays small and the video encoder spends few bits on it. The theme picks the palette;
the seed picks the composition, so different seeds give visibly different pictures.
"""

from __future__ import annotations

import colorsys
import hashlib
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .files import atomic_output

__all__ = ["WIDTH", "HEIGHT", "STYLES", "palette", "render_art"]

WIDTH, HEIGHT = 1920, 1080
_W, _H = WIDTH // 2, HEIGHT // 2          # drawing size; upscaled at the end
STYLES = ("landscape", "waves", "bokeh", "mandala")

Image = NDArray[np.float64]                # (H, W, 3) in 0..1

#: theme words → (hue in degrees, saturation, lightness of the sky)
_THEME_HUES: dict[str, tuple[float, float, float]] = {
    "ocean": (200, 0.45, 0.62), "sea": (195, 0.45, 0.62), "water": (190, 0.4, 0.62),
    "rain": (210, 0.25, 0.6), "forest": (130, 0.35, 0.55), "nature": (110, 0.35, 0.6),
    "garden": (100, 0.35, 0.62), "sunset": (25, 0.55, 0.62), "evening": (280, 0.3, 0.5),
    "night": (235, 0.4, 0.3), "sleep": (245, 0.35, 0.32), "moon": (225, 0.3, 0.38),
    "morning": (40, 0.5, 0.7), "dawn": (15, 0.45, 0.7), "sun": (45, 0.55, 0.68),
    "mountain": (215, 0.25, 0.6), "snow": (205, 0.2, 0.8), "winter": (200, 0.2, 0.75),
    "love": (340, 0.35, 0.68), "kindness": (330, 0.3, 0.7), "heart": (345, 0.35, 0.65),
    "calm": (185, 0.3, 0.65), "peace": (170, 0.3, 0.65), "focus": (220, 0.3, 0.5),
    "energy": (35, 0.5, 0.62), "anxiety": (160, 0.25, 0.62), "stress": (165, 0.25, 0.62),
    "gratitude": (40, 0.45, 0.66), "desert": (30, 0.4, 0.66), "lavender": (270, 0.3, 0.7),
}


def _hsl(h: float, s: float, light: float) -> NDArray[np.float64]:
    r, g, b = colorsys.hls_to_rgb((h % 360) / 360, min(1, max(0, light)), min(1, max(0, s)))
    return np.array([r, g, b])


def palette(theme: str, seed: int = 0) -> list[NDArray[np.float64]]:
    """Five calm colours for ``theme``: sky top, sky bottom, accent, mid, deep."""
    words = [w for w in theme.lower().replace("-", " ").split() if w]
    known = [_THEME_HUES[w] for w in words if w in _THEME_HUES]
    if known:
        hue, sat, light = known[0]
    else:
        digest = hashlib.sha256(theme.lower().encode()).digest()
        hue, sat, light = digest[0] / 255 * 360, 0.3, 0.62
    rng = np.random.default_rng([seed, 7])
    hue += rng.uniform(-18, 18)
    shift = rng.choice([-40.0, 30.0, 150.0])           # analogous or soft complement
    return [
        _hsl(hue, sat * 0.8, light + 0.12),
        _hsl(hue + shift * 0.3, sat, light),
        _hsl(hue + shift, sat * 0.9, min(0.85, light + 0.2)),
        _hsl(hue + 8, sat * 0.9, light * 0.7),
        _hsl(hue + 15, sat * 0.8, light * 0.38),
    ]


def _smoothstep(edge0: float, edge1: float, x: Image) -> Image:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _blend(img: Image, colour: NDArray[np.float64], alpha: Image) -> Image:
    return img * (1 - alpha[..., None]) + colour * alpha[..., None]


def _sky(pal: list[NDArray[np.float64]], rng: np.random.Generator) -> Image:
    y = np.linspace(0, 1, _H)[:, None, None]
    img = pal[0] * (1 - y) + pal[1] * y
    img = np.broadcast_to(img, (_H, _W, 3)).copy()
    yy, xx = np.mgrid[0:_H, 0:_W]
    cx, cy = rng.uniform(0.2, 0.8) * _W, rng.uniform(0.15, 0.5) * _H
    glow = np.exp(-(((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * (0.25 * _W) ** 2)))
    return _blend(img, np.minimum(1, pal[2] + 0.15), 0.45 * glow)


def _landscape(img: Image, pal: list[NDArray[np.float64]], rng: np.random.Generator) -> Image:
    yy, xx = np.mgrid[0:_H, 0:_W]
    cx, cy, r = rng.uniform(0.2, 0.8) * _W, rng.uniform(0.2, 0.4) * _H, rng.uniform(30, 60)
    d = np.hypot(xx - cx, yy - cy)
    img = _blend(img, np.minimum(1, pal[2] + 0.25), 1 - _smoothstep(r - 2, r + 2, d))
    x = np.linspace(0, 2 * np.pi, _W)
    layers = int(rng.integers(3, 6))
    for i in range(layers):
        base = _H * (0.5 + 0.4 * i / layers)
        ridge = np.full(_W, base)
        for k in range(3):
            ridge += rng.uniform(8, 40) / (k + 1) * np.sin(
                (k + 1) * x * rng.uniform(0.5, 1.5) + rng.uniform(0, 6.3))
        colour = pal[3] * (1 - i / layers) + pal[4] * (i / layers)
        img = _blend(img, colour, _smoothstep(-1.5, 1.5, yy - ridge[None, :]))
    return img


def _waves(img: Image, pal: list[NDArray[np.float64]], rng: np.random.Generator) -> Image:
    yy, xx = np.mgrid[0:_H, 0:_W]
    bands = int(rng.integers(4, 8))
    for i in range(bands):
        base = _H * (0.35 + 0.6 * i / bands)
        amp, freq, phase = rng.uniform(10, 45), rng.uniform(0.004, 0.012), rng.uniform(0, 6.3)
        crest = base + amp * np.sin(xx * freq + phase) + 0.4 * amp * np.sin(xx * freq * 2.3)
        colour = pal[2] * (1 - i / bands) * 0.5 + pal[3] * (0.5 + 0.5 * (1 - i / bands)) * 0.6 \
            + pal[4] * (i / bands) * 0.5
        img = _blend(img, np.clip(colour, 0, 1), 0.55 * _smoothstep(-3, 3, yy - crest))
    return img


def _bokeh(img: Image, pal: list[NDArray[np.float64]], rng: np.random.Generator,
           count: int) -> Image:
    yy, xx = np.mgrid[0:_H, 0:_W]
    for _ in range(count):
        cx, cy = rng.uniform(0, _W), rng.uniform(0, _H)
        r = rng.uniform(12, 70)
        soft = rng.uniform(2, 10)
        box = (slice(max(0, int(cy - r - soft)), int(cy + r + soft) + 1),
               slice(max(0, int(cx - r - soft)), int(cx + r + soft) + 1))
        d = np.hypot(xx[box] - cx, yy[box] - cy)
        alpha = rng.uniform(0.08, 0.3) * (1 - _smoothstep(r - soft, r + soft, d))
        colour = np.minimum(1, pal[int(rng.integers(0, 3))] + 0.2)
        img[box] = _blend(img[box], colour, alpha)
    return img


def _mandala(img: Image, pal: list[NDArray[np.float64]], rng: np.random.Generator) -> Image:
    yy, xx = np.mgrid[0:_H, 0:_W]
    cx, cy = _W / 2, _H / 2
    r = np.hypot(xx - cx, yy - cy)
    theta = np.arctan2(yy - cy, xx - cx)
    rings = int(rng.integers(3, 6))
    for i in range(rings):
        petals = int(rng.integers(5, 13))
        radius = (i + 1) / rings * _H * 0.45
        width = radius * rng.uniform(0.25, 0.45)
        edge = radius * (0.75 + 0.25 * np.cos(petals * theta + rng.uniform(0, 6.3)))
        alpha = 0.22 * (1 - _smoothstep(edge - 2, edge + 2, r)) * _smoothstep(
            edge - width - 3, edge - width + 3, r)
        img = _blend(img, pal[(i + 2) % 5] * 0.6 + pal[2] * 0.4, alpha)
    return _blend(img, np.minimum(1, pal[2] + 0.3), 0.5 * (1 - _smoothstep(8, 20, r)))


def render_art(theme: str, out: Path, *, seed: int = 0) -> Path:
    """Render a 1920x1080 PNG background for ``theme``; same seed, same picture."""
    from PIL import Image as PILImage
    from PIL import ImageFilter

    from .quality import validate_image

    if not theme.strip():
        raise InputError("the theme is empty; give a word or two, e.g. --theme 'ocean calm'")
    rng = np.random.default_rng([seed, 1])
    pal = palette(theme, seed)
    style = STYLES[int(rng.integers(0, len(STYLES)))] if seed else STYLES[0]
    img = _sky(pal, rng)
    if style == "landscape":
        img = _landscape(_bokeh(img, pal, rng, 8), pal, rng)
    elif style == "waves":
        img = _waves(_bokeh(img, pal, rng, 10), pal, rng)
    elif style == "bokeh":
        img = _bokeh(img, pal, rng, 45)
    else:
        img = _mandala(_bokeh(img, pal, rng, 12), pal, rng)
    pixels = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)
    picture = PILImage.fromarray(pixels, "RGB").resize((WIDTH, HEIGHT), PILImage.Resampling.BICUBIC)
    picture = picture.filter(ImageFilter.GaussianBlur(1.2))
    with atomic_output(out, (".png",)) as tmp:
        picture.save(tmp, format="PNG", optimize=False, compress_level=6)
        validate_image(tmp, (WIDTH, HEIGHT), fmt="PNG")
    return Path(out)
