"""The picture of a video: a calm nature scene from the topic, as a still and as a moving loop.

The still (PNG) is the loop's first frame; it is what a thumbnail or a paid route's image
stands beside. The loop (MP4) is :data:`LOOP_SECONDS` of the scene moving, encoded once to the
video's final spec so assembly only has to repeat it by stream copy (see :mod:`.video`).
Scenes are drawn at half size and upscaled: every edge is soft, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import InputError
from .files import atomic_output
from .scene import Scene, build_scene, scene_kind

__all__ = ["WIDTH", "HEIGHT", "LOOP_SECONDS", "SIZES", "scene_for", "render_art", "render_loop"]

WIDTH, HEIGHT = 1920, 1080
#: landscape for the main video, portrait for Shorts
SIZES = ((1920, 1080), (1080, 1920))
#: one slow breath (about 5 s in, 6 s out); 30 s and 300 s fall at other points of the loop
LOOP_SECONDS = 11
#: frames drawn per second of loop; the encoder blends them up to 30 fps (the motion is slow)
DRAWN_FPS = 10


def scene_for(theme: str, *, seed: int = 0, size: tuple[int, int] = (WIDTH, HEIGHT),
              kind: str | None = None) -> Scene:
    """The scene a topic (or theme) calls for, drawn for a ``size`` video (half size)."""
    if not theme.strip():
        raise InputError("the theme is empty; give a word or two, e.g. --theme 'ocean calm'")
    if size not in SIZES:
        raise InputError(f"picture size {size[0]}x{size[1]} is not 1920x1080 or 1080x1920")
    return build_scene(kind or scene_kind(theme, seed), size[0] // 2, size[1] // 2, seed)


def _upscaled(pixels: NDArray[np.uint8], size: tuple[int, int]) -> Any:
    from PIL import Image as PILImage

    return PILImage.fromarray(pixels, "RGB").resize(size, PILImage.Resampling.BICUBIC)


def render_art(theme: str, out: Path, *, seed: int = 0,
               size: tuple[int, int] = (WIDTH, HEIGHT), kind: str | None = None) -> Path:
    """Render the scene for ``theme`` (or the ``kind`` of scene named, e.g. the script's
    setting's) as a PNG still (``size``); same seed, same picture."""
    from .quality import validate_image

    picture = _upscaled(scene_for(theme, seed=seed, size=size, kind=kind).frame(0.0), size)
    with atomic_output(out, (".png",)) as tmp:
        picture.save(tmp, format="PNG", optimize=False, compress_level=6)
        validate_image(tmp, size, fmt="PNG")
    return Path(out)


def _frames(scene: Scene) -> Iterator[bytes]:
    """The loop's drawn frames as raw RGB, then its first again (so the last blend closes
    the loop instead of holding the last frame)."""
    count = LOOP_SECONDS * DRAWN_FPS
    for i in range(count + 1):
        yield scene.frame((i % count) / count).tobytes()


def render_loop(theme: str, out: Path, *, seed: int = 0,
                size: tuple[int, int] = (WIDTH, HEIGHT), kind: str | None = None) -> Path:
    """Render :data:`LOOP_SECONDS` of the moving scene as a seamless H.264 loop at ``out``."""
    from .video import encode_loop

    scene = scene_for(theme, seed=seed, size=size, kind=kind)
    return encode_loop(_frames(scene), (scene.width, scene.height), DRAWN_FPS,
                       LOOP_SECONDS, size, out)
