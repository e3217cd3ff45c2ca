"""A calm nature scene that moves: layers drawn once, then composed frame by frame into a loop.

The topic picks the scene (sky, water, hills, forest, stars, candle, river, train:
:func:`scene_kind`; a meditation script's setting names it outright); the
seed picks the composition inside it (light position, ridges, trees, stars, palette variant).
Everything is drawn once at half the video's size, with soft anti-aliased edges; a frame is
then a few array operations: the layers slide sideways by their depth (parallax), the light
breathes and drifts, stars and glints on water twinkle, a flame flickers. Every motion is a
sine of a whole multiple of the loop's phase, so the frame after the last is the first again:
the loop is seamless however often it is repeated.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["SCENES", "Scene", "scene_kind", "build_scene"]

SCENES = ("sky", "water", "hills", "forest", "stars", "candle", "river", "train")
Float = NDArray[np.float32]
RGB = tuple[float, float, float]

#: topic words → scene; the first word of the topic that names one wins
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "train": ("train", "railway", "carriage", "sleeper"),
    "river": ("river", "stream", "creek", "brook", "riverbank"),
    "water": ("ocean", "sea", "beach", "wave", "waves", "water", "lake", "rain",
              "shore", "island", "swim", "flow", "tide", "sailboat", "boat"),
    "stars": ("sleep", "night", "moon", "star", "stars", "insomnia", "dream", "dreams",
              "bedtime", "asleep", "shift", "midnight"),
    "candle": ("candle", "grief", "loss", "prayer", "gratitude", "focus", "study", "exam",
               "surgery", "hospital", "healing", "forgiveness", "home", "loving"),
    "forest": ("forest", "tree", "trees", "woods", "nature", "walk", "garden", "grounding",
               "earth", "roots", "green"),
    "hills": ("mountain", "mountains", "hill", "hills", "valley", "meadow", "morning",
              "confidence", "strength", "interview", "courage", "work", "commute", "snow",
              "winter"),
    "sky": ("sky", "sunrise", "sunset", "dawn", "cloud", "clouds", "energy", "hope", "joy",
            "evening", "light", "freedom", "anxiety", "stress", "breath", "breathing"),
}

#: per scene, palette variants (the seed picks one): sky top, horizon, light, far, near, mist
_PALETTES: dict[str, list[tuple[RGB, ...]]] = {
    "sky": [((0.36, 0.52, 0.78), (0.98, 0.78, 0.62), (1.0, 0.9, 0.7), (0.55, 0.5, 0.62),
             (0.3, 0.3, 0.42), (1.0, 0.95, 0.9)),
            ((0.2, 0.25, 0.5), (0.95, 0.6, 0.5), (1.0, 0.8, 0.6), (0.42, 0.3, 0.45),
             (0.2, 0.15, 0.28), (0.98, 0.85, 0.85))],
    "water": [((0.45, 0.62, 0.82), (0.96, 0.86, 0.74), (1.0, 0.94, 0.78), (0.3, 0.5, 0.66),
               (0.12, 0.3, 0.45), (0.9, 0.95, 1.0)),
              ((0.22, 0.24, 0.48), (0.98, 0.66, 0.52), (1.0, 0.82, 0.6), (0.3, 0.3, 0.5),
               (0.1, 0.14, 0.3), (1.0, 0.85, 0.8))],
    "hills": [((0.5, 0.66, 0.85), (0.98, 0.9, 0.78), (1.0, 0.95, 0.8), (0.55, 0.65, 0.7),
               (0.2, 0.35, 0.3), (0.92, 0.95, 0.97)),
              ((0.42, 0.45, 0.7), (0.99, 0.8, 0.66), (1.0, 0.88, 0.7), (0.55, 0.5, 0.65),
               (0.22, 0.22, 0.35), (0.98, 0.9, 0.9))],
    "forest": [((0.55, 0.7, 0.78), (0.93, 0.93, 0.8), (1.0, 0.97, 0.82), (0.42, 0.56, 0.5),
                (0.1, 0.22, 0.17), (0.9, 0.95, 0.9)),
               ((0.5, 0.55, 0.7), (0.98, 0.84, 0.65), (1.0, 0.9, 0.7), (0.45, 0.47, 0.45),
                (0.12, 0.16, 0.14), (0.95, 0.9, 0.82))],
    "stars": [((0.02, 0.03, 0.1), (0.12, 0.16, 0.32), (0.95, 0.95, 1.0), (0.08, 0.1, 0.2),
               (0.03, 0.04, 0.09), (0.5, 0.6, 0.8)),
              ((0.03, 0.02, 0.09), (0.22, 0.14, 0.3), (1.0, 0.96, 0.88), (0.1, 0.08, 0.18),
               (0.04, 0.03, 0.08), (0.6, 0.5, 0.75))],
    "river": [((0.5, 0.66, 0.85), (0.98, 0.9, 0.78), (1.0, 0.95, 0.8), (0.45, 0.58, 0.5),
               (0.16, 0.3, 0.22), (0.9, 0.95, 0.97)),
              ((0.4, 0.45, 0.72), (0.99, 0.8, 0.64), (1.0, 0.88, 0.7), (0.5, 0.5, 0.58),
               (0.18, 0.22, 0.24), (0.98, 0.9, 0.88))],
    "train": [((0.03, 0.04, 0.12), (0.12, 0.16, 0.3), (0.95, 0.95, 1.0), (0.06, 0.08, 0.16),
               (0.16, 0.1, 0.08), (1.0, 0.78, 0.5)),
              ((0.04, 0.03, 0.1), (0.2, 0.14, 0.28), (1.0, 0.96, 0.88), (0.08, 0.07, 0.15),
               (0.14, 0.1, 0.1), (1.0, 0.82, 0.55))],
    "candle": [((0.05, 0.03, 0.03), (0.2, 0.1, 0.06), (1.0, 0.78, 0.45), (0.85, 0.55, 0.3),
                (0.92, 0.86, 0.76), (1.0, 0.7, 0.4)),
               ((0.03, 0.03, 0.06), (0.14, 0.09, 0.12), (1.0, 0.82, 0.52), (0.7, 0.5, 0.55),
                (0.9, 0.88, 0.84), (1.0, 0.75, 0.5))],
}


def scene_kind(topic: str, seed: int = 0) -> str:
    """The scene for ``topic``: a place it names (a train, a river) before anything else, then
    the first word that names one, else one chosen by the topic."""
    said = "".join(c if c.isalnum() else " " for c in topic.lower()).split()
    for kind in ("train", "river"):  # "a night train" is a train, not the stars
        if any(w in _KEYWORDS[kind] or w.rstrip("s") in _KEYWORDS[kind] for w in said):
            return kind
    for word in said:
        for kind, words in _KEYWORDS.items():
            if word in words or word.rstrip("s") in words:
                return kind
    digest = hashlib.sha256(topic.lower().encode()).digest()
    return ("hills", "water", "sky", "forest")[(digest[0] + seed) % 4]


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def _smooth(edge0: float, edge1: float, x: Float) -> Float:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return np.asarray(t * t * (3 - 2 * t), dtype=np.float32)


@dataclass
class Layer:
    """Premultiplied RGBA rows ``top:`` of the frame, wider than it by ``margin`` each side;
    it slides ``sway`` px (sub-pixel) left and right as the loop turns."""

    rgba: Float
    top: int
    margin: int
    sway: float
    phase: float = 0.0

    def at(self, phase: float, width: int) -> Float:
        x = self.margin + self.sway * math.sin(2 * math.pi * (phase + self.phase))
        i = int(math.floor(x))
        f = np.float32(x - i)
        a, b = self.rgba[:, i:i + width], self.rgba[:, i + 1:i + 1 + width]
        return np.asarray(a + (b - a) * f)


@dataclass
class Flow(Layer):
    """A texture that flows one way across the frame (water downstream, land past a train
    window): ``rgba`` is periodic across the frame's ``width`` and slides ``cycles`` whole
    widths per loop, so the loop closes; ``mask`` (rows, width, 1) keeps it where it belongs."""

    mask: Float | None = None
    cycles: int = 1
    #: the texture's repeat in px (0: the frame's width); it moves one repeat per cycle
    period: int = 0

    def at(self, phase: float, width: int) -> Float:
        x = (phase * self.cycles % 1.0) * (self.period or width)
        i = int(math.floor(x))
        f = np.float32(x - i)
        a = np.roll(self.rgba, i, axis=1)
        b = np.roll(self.rgba, i + 1, axis=1)
        out = np.asarray(a + (b - a) * f)
        return out if self.mask is None else np.asarray(out * self.mask)


def _periodic(width: int, rng: np.random.Generator, base: float, height: float,
              detail: int = 5) -> Float:
    """A ridge line across exactly ``width`` px that joins its own start (whole sines)."""
    x = np.arange(width, dtype=np.float32) / width * 2 * math.pi
    line = np.full_like(x, base)
    for k in range(1, detail + 1):
        line += np.float32(height / k ** 1.2) * np.sin(k * x * int(rng.integers(1, 3))
                                                       + np.float32(rng.uniform(0, 6.3)))
    return np.asarray(line, dtype=np.float32)


def _river(p: _Painter, scene: Scene, horizon_y: float, colours: tuple[RGB, ...]) -> None:
    """A river crossing the foreground, its light flowing one way, between two banks."""
    rng, w, h = p.rng, p.w, p.h
    top_, horizon, light, far, near, mist = colours
    scene.layers.append(p.layer(p.ridge(horizon_y - 0.04 * h, 0.04 * h), far,
                                _mix(far, near, 0.5), 0.1 * p.margin, haze=mist))
    bank = horizon_y + 0.08 * h
    scene.layers.append(p.layer(p.ridge(bank, 0.015 * h, 3), near, near, 0.15 * p.margin,
                                haze=mist))
    near_edge = p.ridge(horizon_y + 0.16 * h, 0.012 * h, 3)[p.margin:p.margin + w]
    far_edge = p.ridge(horizon_y + 0.3 * h, 0.03 * h, 3)[p.margin:p.margin + w]
    first = int(near_edge.min()) - 2
    yy = np.mgrid[first:h, 0:w][0].astype(np.float32)
    water = _smooth(-0.9, 0.9, yy - near_edge[None, :]) * _smooth(-0.9, 0.9, far_edge[None, :] - yy)
    depth = np.clip((yy - near_edge[None, :]) / (0.15 * h), 0, 1)[..., None]
    rgb = np.asarray(horizon, np.float32) * 0.55 * (1 - depth) + np.asarray(far, np.float32) \
        * 0.8 * depth
    alpha = water[..., None]
    scene.layers.append(Flow(np.concatenate([rgb * alpha, alpha], axis=-1).astype(np.float32),
                             first, 0, 0.0, cycles=0))
    xx = np.arange(w, dtype=np.float32)[None, :] / w * 2 * math.pi
    streaks = np.zeros(yy.shape, np.float32)
    for _ in range(9):                           # long glints, periodic across the frame
        y0 = rng.uniform(0.1, 0.9)
        rows = np.exp(-((depth[..., 0] - y0) / 0.03) ** 2)
        k = int(rng.integers(2, 7))
        streaks += rows * (0.5 + 0.5 * np.sin(k * xx + rng.uniform(0, 6.3))) ** 8
    a = np.clip(streaks * 0.35, 0, 0.6)[..., None].astype(np.float32)
    scene.layers.append(Flow(np.concatenate([a * np.asarray(light, np.float32), a * 0.0],
                                            axis=-1), first, 0, 0.0, mask=alpha, cycles=1))
    scene.layers.append(p.layer(np.asarray(np.pad(far_edge, p.margin, mode="edge")
                                           - 0.005 * h, np.float32),
                                near, _mix(near, (0, 0, 0), 0.35), 0.0))


def _train(p: _Painter, scene: Scene, colours: tuple[RGB, ...]) -> None:
    """A night train's window: the dark land and a few far lights flowing past under the
    stars, framed by the warm carriage wall and its lamp."""
    rng, w, h = p.rng, p.w, p.h
    top_, horizon, light, far, wall, lamp = colours
    rows = slice(0, int(0.55 * h))
    scene.twinkles.append(Twinkle(p.points(rows, 50, 3, 0.7), rows, slice(0, w),
                                  np.asarray(light, np.float32) * 0.6, [1, 2, 3],
                                  list(rng.uniform(0, 2 * math.pi, 3))))
    half = (w + 1) // 2                          # the land repeats twice across the window
    for depth in (0.0, 1.0):                     # and passes one repeat a loop (slowly)
        line = _periodic(half, rng, (0.6 + 0.1 * depth) * h, (0.08 - 0.03 * depth) * h,
                         detail=2)
        first = int(line.min()) - 2
        yy = np.mgrid[first:h, 0:half][0].astype(np.float32)
        alpha = _smooth(-0.9, 0.9, yy - line[None, :])[..., None]
        colour = np.asarray(_mix(far, (0.0, 0.0, 0.0), 0.4 * depth), np.float32)
        rgb = colour * alpha
        if depth == 0.0:                         # a few far windows and lamps
            for _ in range(4):
                cx = rng.uniform(0, half)
                cy = float(line[int(cx) % half]) + rng.uniform(0.01, 0.05) * h
                dot = np.exp(-(((np.arange(half)[None, :] - cx) ** 2 + (yy - cy) ** 2)
                               / (2 * (0.01 * w) ** 2)))[..., None]
                rgb = rgb + dot.astype(np.float32) * np.asarray(lamp, np.float32) * 0.5
        rgba = np.tile(np.concatenate([rgb, alpha], axis=-1), (1, 2, 1))[:, :w]
        scene.layers.append(Flow(rgba.astype(np.float32), first, 0, 0.0, period=half))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    x0, x1, y0, y1, r = 0.14 * w, 0.86 * w, 0.12 * h, 0.8 * h, 0.06 * min(w, h)
    dx = np.maximum(np.maximum(x0 + r - xx, xx - (x1 - r)), 0)
    dy = np.maximum(np.maximum(y0 + r - yy, yy - (y1 - r)), 0)
    glass = _smooth(-1.0, 1.0, r - np.sqrt(dx * dx + dy * dy))
    frame_a = (1 - glass)[..., None]
    shade = np.asarray(wall, np.float32) * (0.7 + 0.6 * np.exp(
        -(((xx - 0.5 * w) / (0.6 * w)) ** 2 + ((yy - 0.95 * h) / (0.5 * h)) ** 2)))[..., None]
    sill = _smooth(-1.0, 1.0, yy - (y1 + 0.02 * h))[..., None] * 0.15
    rgb = (shade + sill * np.asarray(lamp, np.float32)) * frame_a
    scene.layers.append(Flow(np.concatenate([rgb, frame_a], axis=-1).astype(np.float32),
                             0, 0, 0.0, cycles=0))
    scene.glow_colour = np.asarray(lamp, np.float32) * 0.12
    scene.glow_breath = 0.06


@dataclass
class Twinkle:
    """Points of light in a region (stars, glints) whose brightness breathes in groups."""

    maps: list[Float]            # one (rows, cols, 1) map per group
    rows: slice
    cols: slice
    colour: Float
    cycles: list[int]            # whole cycles per loop, per group
    phases: list[float]


@dataclass
class Scene:
    """Everything drawn once; :meth:`frame` composes one frame of the loop."""

    kind: str
    width: int
    height: int
    sky: Float
    glow: Float                  # (h, w, 1) map of the breathing light
    glow_colour: Float
    glow_breath: float
    layers: list[Layer] = field(default_factory=list)
    twinkles: list[Twinkle] = field(default_factory=list)
    drift: Layer | None = None   # additive light (rays, haze) that drifts
    flicker: tuple[int, ...] = ()
    focus: tuple[float, float] = (0.5, 0.5)

    def frame(self, phase: float) -> NDArray[np.uint8]:
        """The picture at ``phase`` (0..1 of the loop) as (height, width, 3) uint8."""
        turn = 2 * math.pi * phase
        breath = 1 + self.glow_breath * math.cos(turn)      # brightest as the loop starts
        for k, n in enumerate(self.flicker):          # a flame's gentle, irregular life
            breath += 0.05 / (k + 1) * math.sin(n * turn + k)
        img = self.sky + self.glow * (self.glow_colour * np.float32(breath))
        if self.drift is not None:
            img[self.drift.top:] += self.drift.at(phase, self.width)[..., :3]
        for t in self.twinkles:
            region = img[t.rows, t.cols]
            for m, n, p in zip(t.maps, t.cycles, t.phases):
                region += m * (t.colour * np.float32(0.6 + 0.4 * math.sin(n * turn + p)))
        for layer in self.layers:
            rgba = layer.at(phase, self.width)
            rows = img[layer.top:]
            rows *= 1 - rgba[..., 3:]
            rows += rgba[..., :3]
        return np.asarray(np.clip(img * 255 + 0.5, 0, 255), dtype=np.uint8)


class _Painter:
    """Drawing primitives on a canvas of the scene's drawing size (soft edges throughout)."""

    def __init__(self, width: int, height: int, rng: np.random.Generator) -> None:
        self.w, self.h, self.rng = width, height, rng
        self.margin = max(8, width // 20)
        self.yy, self.xx = np.mgrid[0:height, 0:width + 2 * self.margin].astype(np.float32)
        self.xx -= self.margin

    def gradient(self, top: RGB, bottom: RGB, bend: float = 1.0) -> Float:
        y = (np.linspace(0, 1, self.h, dtype=np.float32) ** bend)[:, None, None]
        img = np.asarray(top, np.float32) * (1 - y) + np.asarray(bottom, np.float32) * y
        return np.ascontiguousarray(np.broadcast_to(img, (self.h, self.w, 3)))

    def blob(self, cx: float, cy: float, r: float, wide: bool = False,
             flat: float = 1.0) -> Float:
        """A soft round (or, with ``flat`` < 1, wide and low) patch of light, peak 1."""
        xx = self.xx if wide else self.xx[:, self.margin:self.margin + self.w]
        yy = self.yy if wide else self.yy[:, :self.w]
        return np.asarray(np.exp(-((xx - cx) ** 2 + ((yy - cy) / flat) ** 2) / (2 * r * r)),
                          dtype=np.float32)[..., None]

    def ridge(self, base: float, height: float, detail: int = 4) -> Float:
        """A soft hill line across the wide canvas: sines of random phase, calmer with depth."""
        x = self.xx[0] / self.w * 2 * math.pi
        line = np.full_like(x, base)
        for k in range(1, detail + 1):
            line += height / k ** 1.3 * np.sin(k * x * self.rng.uniform(0.6, 1.3)
                                             + self.rng.uniform(0, 2 * math.pi))
        return np.asarray(line, dtype=np.float32)

    def layer(self, line: Float, colour: RGB, shade: RGB, sway: float, *,
              haze: RGB | None = None, top: int | None = None) -> Layer:
        """Everything below ``line``: coloured from ``colour`` at the ridge to ``shade`` low
        down, with mist (``haze``) rising from its foot."""
        first = max(0, int(line.min()) - 3) if top is None else top
        yy = self.yy[first:]
        alpha = _smooth(-0.9, 0.9, yy - line[None, :])[..., None]
        depth = np.clip((yy - line[None, :]) / max(1.0, self.h - float(line.mean())), 0, 1)
        rgb = np.asarray(colour, np.float32) * (1 - depth[..., None]) \
            + np.asarray(shade, np.float32) * depth[..., None]
        if haze is not None:
            mist = np.exp(-((yy - line[None, :]) / (0.06 * self.h)) ** 2)[..., None] * 0.35
            rgb = rgb * (1 - mist) + np.asarray(haze, np.float32) * mist
        rgba = np.concatenate([rgb * alpha, alpha], axis=-1).astype(np.float32)
        return Layer(rgba, first, self.margin, sway, 0.0)

    def trees(self, line: Float, count: int, size: float, colour: RGB, sway: float) -> Layer:
        """A row of soft conifers standing on ``line``."""
        first = max(0, int(line.min() - size * 1.1))
        yy, xx = self.yy[first:], self.xx[first:]
        alpha = np.zeros(yy.shape, np.float32)
        for _ in range(count):
            cx = self.rng.uniform(-self.margin, self.w + self.margin)
            col = int(np.clip(cx + self.margin, 0, len(line) - 1))
            tall = size * self.rng.uniform(0.6, 1.1)
            foot, tip = float(line[col]) + size * 0.1, float(line[col]) - tall
            half = (yy - tip) * 0.28                      # half-width grows down the tree
            inside = _smooth(-1.0, 1.0, half - np.abs(xx - cx)) * _smooth(-1.0, 1.0, yy - tip) \
                * _smooth(-1.0, 1.0, foot - yy)
            np.maximum(alpha, inside, out=alpha)
        ground = _smooth(-0.9, 0.9, yy - line[None, :])
        np.maximum(alpha, ground, out=alpha)
        rgba = np.concatenate([np.asarray(colour, np.float32) * alpha[..., None],
                               alpha[..., None]], axis=-1)
        return Layer(rgba.astype(np.float32), first, self.margin, sway, 0.0)

    def points(self, rows: slice, count: int, groups: int, size: float,
               flat: float = 1.0) -> list[Float]:
        """``groups`` maps of ``count`` soft points (glints, if ``flat``) over ``rows``."""
        height = rows.stop - rows.start
        maps = []
        yy, xx = np.mgrid[0:height, 0:self.w].astype(np.float32)
        for _ in range(groups):
            m = np.zeros((height, self.w), np.float32)
            for _ in range(count):
                cx, cy = self.rng.uniform(0, self.w), self.rng.uniform(0, height)
                r = size * self.rng.uniform(0.5, 1.2)
                box = (slice(max(0, int(cy - 4 * r)), int(cy + 4 * r) + 1),
                       slice(max(0, int(cx - 4 * r)), int(cx + 4 * r) + 1))
                dot = np.exp(-((xx[box] - cx) ** 2 + ((yy[box] - cy) / flat) ** 2)
                             / (2 * r * r))
                m[box] += dot.astype(np.float32) * self.rng.uniform(0.3, 1.0)
            maps.append(m[..., None])
        return maps


def build_scene(kind: str, width: int, height: int, seed: int = 0) -> Scene:
    """Draw every layer of a ``kind`` scene at ``width`` x ``height`` (the drawing size);
    ``kind`` ``"water:night"`` (any scene but the night's own) draws it at night."""
    kind, _, when = kind.partition(":")  # "water:night": the lake under the moon
    if kind not in SCENES or when not in ("", "night"):
        raise ValueError(f"unknown scene {kind + (':' + when if when else '')!r}")
    rng = np.random.default_rng([seed, 11, SCENES.index(kind)])
    variants = _PALETTES[kind]
    top, horizon, light, far, near, mist = variants[int(rng.integers(0, len(variants)))]
    night = bool(when) and kind not in ("stars", "train", "candle")  # those are night's own
    if night:  # the day's palette under the night's sky: the land dark, the light the moon's
        top, horizon, light = _PALETTES["stars"][0][:3]
        far, near = _mix(far, (0.05, 0.07, 0.14), 0.8), _mix(near, (0.02, 0.03, 0.06), 0.85)
        mist = _mix(mist, (0.3, 0.36, 0.55), 0.7)
    p = _Painter(width, height, rng)
    w, h = width, height
    lx, ly = rng.uniform(0.25, 0.75) * w, rng.uniform(0.22, 0.4) * h
    if kind == "candle":
        lx, ly = rng.uniform(0.35, 0.65) * w, rng.uniform(0.38, 0.48) * h
    sky = p.gradient(top, horizon, bend=0.8 if kind != "stars" else 1.4)
    scene = Scene(kind, w, h, sky, p.blob(lx, ly, 0.22 * min(w, h) * (1.6 if kind == "candle"
                                                                       else 1.0)),
                  np.asarray(light, np.float32) * 0.32, 0.16, focus=(lx / w, ly / h))
    disc = _smooth(-1.2, 1.2, (0.045 * min(w, h)) - np.sqrt(
        (p.xx[:, p.margin:p.margin + w] - lx) ** 2 + (p.yy[:, :w] - ly) ** 2))[..., None]
    if kind in ("sky", "water", "hills", "forest", "stars", "river", "train"):
        sky += disc * (np.asarray(light, np.float32) - sky) * 0.7       # the sun or the moon
    if kind in ("sky", "hills", "water", "river"):                        # clouds drifting
        clouds = sum(p.blob(rng.uniform(-0.1, 1.1) * w, rng.uniform(0.08, 0.4) * h,
                            rng.uniform(0.05, 0.1) * w, wide=True, flat=0.25)
                     * rng.uniform(0.2, 0.45) for _ in range(10))
        a = np.clip(np.asarray(clouds, np.float32), 0, 0.5)
        scene.drift = Layer(np.concatenate([a * np.asarray(mist, np.float32) * 0.5, a],
                                           axis=-1), 0, p.margin, 0.4 * p.margin, 0.25)
    if kind == "forest":                                                  # drifting light rays
        angle = (p.xx + (p.yy - ly) * rng.uniform(0.3, 0.6) - lx) / w
        rays = (0.5 + 0.5 * np.sin(angle * rng.uniform(18, 30))) ** 6 \
            * np.exp(-((p.yy - ly) / (0.7 * h)) ** 2) * 0.12
        scene.drift = Layer(np.concatenate([rays[..., None] * np.asarray(light, np.float32),
                                            np.zeros_like(rays)[..., None]], axis=-1)
                            .astype(np.float32), 0, p.margin, 0.3 * p.margin)
    horizon_y = rng.uniform(0.55, 0.68) * h
    if kind == "river":
        _river(p, scene, rng.uniform(0.42, 0.5) * h, (top, horizon, light, far, near, mist))
    elif kind == "train":
        _train(p, scene, (top, horizon, light, far, near, mist))
    elif kind == "water":
        sea = p.layer(np.full(w + 2 * p.margin, horizon_y, np.float32), far, near, 0.0,
                      haze=mist)
        path = p.blob(lx, horizon_y + 0.25 * h, 0.05 * w, wide=True, flat=4.0)
        sea.rgba[..., :3] += (path[sea.top:] * 0.45) * (np.asarray(light, np.float32)
                                                       - sea.rgba[..., :3])   # the light's path
        scene.layers.append(p.layer(p.ridge(horizon_y - 0.02 * h, 0.025 * h, 3), far,
                                    far, 0.15 * p.margin, haze=mist))
        scene.layers.append(sea)
        for i in range(4):                                                # swells of light
            y = horizon_y + (0.05 + 0.1 * i) * h
            band = np.exp(-((p.yy - y) / (0.008 * h * (i + 1))) ** 2) \
                * (0.5 + 0.5 * np.sin(p.xx[0] / w * 2 * math.pi * rng.uniform(2, 4)
                                      + rng.uniform(0, 6.3)))[None, :]
            a = (band * 0.22)[int(horizon_y):, :, None].astype(np.float32)
            scene.layers.append(Layer(np.concatenate([a * np.asarray(mist, np.float32), a],
                                                     axis=-1), int(horizon_y), p.margin,
                                      (0.15 + 0.15 * i) * p.margin, 0.1 * i))
        rows = slice(int(horizon_y) + 2, h)
        cols = slice(max(0, int(lx - 0.12 * w)), min(w, int(lx + 0.12 * w)))
        maps = p.points(rows, 220, 3, 1.4, flat=0.3)
        column = np.exp(-((np.arange(w, dtype=np.float32) - lx) / (0.05 * w)) ** 2)
        maps = [m[:, cols] * column[cols][None, :, None] for m in maps]
        scene.twinkles.append(Twinkle(maps, rows, cols, np.asarray(light, np.float32) * 0.8,
                                      [1, 2, 3], [0.0, 2.1, 4.2]))
    elif kind == "stars":
        rows = slice(0, int(horizon_y))
        scene.twinkles.append(Twinkle(p.points(rows, 70, 3, 0.7), rows, slice(0, w),
                                      np.asarray(mist, np.float32) + 0.4, [1, 2, 3],
                                      list(rng.uniform(0, 2 * math.pi, 3))))
        scene.glow_breath = 0.1
    elif kind == "candle":
        bokeh = sum(p.blob(rng.uniform(0, 1) * w, rng.uniform(0.1, 0.7) * h,
                           rng.uniform(0.02, 0.05) * w, wide=True) * rng.uniform(0.1, 0.3)
                    for _ in range(14))
        a = np.clip(np.asarray(bokeh, np.float32), 0, 0.5)
        scene.drift = Layer(np.concatenate([a * np.asarray(far, np.float32), a], axis=-1),
                            0, p.margin, 0.3 * p.margin)
        body_w, body_top = 0.05 * w, ly + 0.07 * h
        xx, yy = p.xx, p.yy
        body = _smooth(-1.0, 1.0, body_w - np.abs(xx - lx)) * _smooth(-1.0, 1.0, yy - body_top)
        shade = 0.75 + 0.25 * np.cos(np.clip((xx - lx) / body_w, -1, 1) * math.pi / 2)
        flame = _smooth(-1.0, 1.0, 1 - np.sqrt(((xx - lx) / (0.012 * w)) ** 2
                                                + ((yy - ly - 0.02 * h) / (0.045 * h)) ** 2))
        colour = np.asarray(near, np.float32) * shade[..., None] * body[..., None] \
            + np.asarray((1.0, 0.93, 0.75), np.float32) * flame[..., None]
        alpha = np.maximum(body, flame)[..., None]
        table = _smooth(-1.0, 1.0, yy - (body_top + 0.3 * h))[..., None]
        colour = colour * (1 - table) + np.asarray(horizon, np.float32) * 0.6 * table
        scene.layers.append(Layer(np.concatenate([colour, np.maximum(alpha, table)], axis=-1)
                                  .astype(np.float32), 0, p.margin, 0.0))
        scene.flicker = (3, 7, 11)
        scene.glow_breath = 0.08
    if night:  # stars above the horizon, as the "stars" scene has them
        rows = slice(0, int(min(horizon_y, 0.5 * h)))
        scene.twinkles.append(Twinkle(p.points(rows, 50, 3, 0.7), rows, slice(0, w),
                                      np.asarray(mist, np.float32) + 0.4, [1, 2, 3],
                                      list(rng.uniform(0, 2 * math.pi, 3))))
    if kind in ("sky", "hills", "forest", "stars"):
        count = {"sky": 2, "hills": 4, "forest": 3, "stars": 2}[kind]
        for i in range(count):
            depth = (i + 1) / count
            base = horizon_y + (0.06 + 0.3 * depth ** 1.3) * h * (0.6 if kind == "sky" else 1)
            colour = _mix(far, near, depth)
            line = p.ridge(base, (0.05 + 0.04 * (1 - depth)) * h)
            if kind == "forest" and i > 0:
                scene.layers.append(p.trees(line, int(26 + 18 * i), (0.16 + 0.1 * i) * h,
                                            colour, (0.08 + 0.3 * depth) * p.margin))
            else:
                scene.layers.append(p.layer(line, colour, _mix(colour, (0, 0, 0), 0.2),
                                            (0.08 + 0.3 * depth) * p.margin, haze=mist))
    return scene
