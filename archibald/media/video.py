"""Picture + audio → a YouTube-ready MP4, by encoding a short segment once and looping it.

The recipe (see ffmpeg.md): the audio is encoded once to AAC-LC; the picture is a short
closed-GOP H.264 segment encoded once — either a moving scene's seamless loop (made with the
artwork, :func:`encode_loop`) or, from a still image, a segment encoded beside the audio
(decoded once per second, not per frame). The segment is then stream-copied in a loop and cut
to the audio's length, so the whole job costs little more than the audio encode alone.
Landscape 1920x1080 and portrait 1080x1920 (Shorts) are both made.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, MediaError, ValidationError
from ..store.fsio import TEMPORARY_DIR_SUFFIX
from . import ffmpeg
from .ffmpeg import Runner
from .files import atomic_output, check_input, check_picture
from .probe import probe_audio, probe_video

__all__ = ["VideoInfo", "WIDTH", "HEIGHT", "FPS", "SIZES", "assemble", "check_image",
           "check_loop", "encode_loop", "segment_args", "fade_tail_args", "faded_args"]

WIDTH, HEIGHT, FPS = 1920, 1080, 30
#: the two shapes made: landscape, and portrait for Shorts
SIZES = ((WIDTH, HEIGHT), (HEIGHT, WIDTH))
#: longest segment encoded from the image; one closed GOP (see segment_seconds)
SEGMENT_SECONDS = 10
AUDIO_BITRATE = "192k"
#: FFmpeg's "fast" AAC coder: about 3x faster than its default two-loop search, and at 192 kb/s
#: closer to the source (49.4 dB SNR against 31.7 dB on a 10-minute meditation mix; the default
#: spends its bits on noise substitution and intensity stereo). See BENCHMARKS.md.
AAC_CODER = "fast"

#: x264 settings every segment shares: High profile, BT.709 tags, 2 B-frames
_X264 = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-bf", "2",
         "-sc_threshold", "0", "-flags", "+cgop", "-color_primaries", "bt709",
         "-color_trc", "bt709", "-colorspace", "bt709", "-color_range", "tv"]


def _video_filter(size: tuple[int, int], flags: str = "lanczos") -> str:
    """Scale to ``size`` in BT.709 limited range, 4:2:0, tagged, 30 fps."""
    return (f"scale={size[0]}:{size[1]}:flags={flags}:out_color_matrix=bt709:out_range=tv,"
            "format=yuv420p,"
            "setparams=color_primaries=bt709:color_trc=bt709:colorspace=bt709:range=tv,"
            f"fps={FPS}")


def _gop(frames: int) -> list[str]:
    return ["-g", str(frames), "-keyint_min", str(frames)]


@dataclass(frozen=True)
class VideoInfo:
    """What an assembled (and validated) video is."""

    path: Path
    duration: float
    width: int
    height: int
    fps: float
    video_codec: str
    profile: str
    pix_fmt: str
    audio_codec: str
    sample_rate: int
    channels: int
    bytes: int


def check_image(path: Path | str, what: str = "image") -> tuple[int, int]:
    """Return an image's ``(width, height)``; InputError if missing, corrupt or odd-sized.

    "Odd-sized" here means an image that would be visibly distorted or blurred when scaled to
    1920x1080 (or 1080x1920): an aspect ratio more than 2% away from 16:9 (or 9:16), or
    smaller than 640x360.
    """
    from PIL import Image, UnidentifiedImageError

    p = check_picture(path, what)
    try:
        with Image.open(p) as im:
            im.verify()
        with Image.open(p) as im:
            im.load()
            w, h = im.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"{what} {p} is not a readable image ({exc}); give a PNG or JPEG") \
            from exc
    if min(w, h) < 360 or max(w, h) < 640:
        raise InputError(f"{what} {p} is {w}x{h}; it must be at least 640x360 (1920x1080 best)")
    if abs((max(w, h) / min(w, h)) / (16 / 9) - 1) > 0.02:
        raise InputError(f"{what} {p} is {w}x{h}, not 16:9 or 9:16; crop it (e.g. 1920x1080)")
    return w, h


def video_size(image_size: tuple[int, int]) -> tuple[int, int]:
    """The video shape an image of ``image_size`` makes: landscape or portrait."""
    return SIZES[0] if image_size[0] >= image_size[1] else SIZES[1]


def segment_seconds(duration: float) -> int:
    """Length of the looped segment: a sixtieth of the audio, 1 to 10 s.

    Encoding the segment costs about 0.3 s to start plus 0.3 CPU-s per second of it; the
    audio (AAC, fast coder) about 0.01 CPU-s per second of audio. At a sixtieth of the
    audio's length the segment encode finishes before the audio encode it runs beside, so
    the job costs about what the audio alone does. From 10 minutes of audio on it is 10 s
    (one closed GOP per segment, a keyframe every 10 s).
    """
    return max(min(1, math.ceil(duration)), min(SEGMENT_SECONDS, round(duration / 60)))


def segment_args(image: Path, out: Path, seconds: int,
                 size: tuple[int, int] = (WIDTH, HEIGHT)) -> list[str]:
    """ffmpeg arguments that encode ``seconds`` of the still image as one closed GOP."""
    return [
        "-y", "-loop", "1", "-framerate", "1", "-i", str(image), "-t", str(seconds),
        "-vf", _video_filter(size), *_X264, *_gop(seconds * FPS),
        "-preset", "superfast", "-tune", "stillimage", "-crf", "18",
        "-threads", "1",               # one core; the AAC encode beside it has the other
        "-an", str(out),
    ]


def encode_loop(frames: Iterable[bytes], drawn: tuple[int, int], drawn_fps: int,
                seconds: int, size: tuple[int, int], out: Path, *,
                timeout: float = 600.0) -> Path:
    """Encode raw RGB ``frames`` (``drawn`` size, ``drawn_fps``) into a ``seconds``-long loop.

    ``frames`` must end with the loop's first frame again: the blend up to 30 fps then runs
    from the last drawn frame into the first, and the output stops just before repeating it,
    so the segment can be repeated end to start without a seam. One closed GOP, written
    atomically, checked with :func:`check_loop`.
    """
    count = seconds * FPS
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{drawn[0]}x{drawn[1]}",
            "-framerate", str(drawn_fps), "-i", "pipe:0",
            "-vf", f"framerate=fps={FPS}," + _video_filter(size, "bicubic"),
            "-frames:v", str(count), *_X264, *_gop(count), "-preset", "veryfast",
            "-crf", "20", "-threads", "2", "-movflags", "+faststart", "-an"]
    with atomic_output(out, (".mp4",)) as tmp:
        try:
            proc = subprocess.Popen([*args, str(tmp)], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            raise MediaError(f"could not start ffmpeg: {exc}") from exc
        assert proc.stdin is not None
        try:
            for frame in frames:
                proc.stdin.write(frame)
            _, err = proc.communicate(timeout=timeout)         # closes stdin: the end
        except (BrokenPipeError, subprocess.TimeoutExpired) as exc:
            proc.kill()
            _, err = proc.communicate()
            raise MediaError(f"ffmpeg could not encode the loop: "
                             f"{err.decode('utf-8', 'replace').strip()[-300:] or exc}") from exc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if proc.returncode != 0:
            raise MediaError(f"ffmpeg failed encoding the loop (status {proc.returncode}): "
                             f"{err.decode('utf-8', 'replace').strip()[-300:]}")
        check_loop(tmp, what="encoded loop")
    return Path(out)


def check_loop(path: Path | str, what: str = "loop") -> tuple[int, int]:
    """The ``(width, height)`` of a loop segment; InputError unless it is H.264 High yuv420p
    BT.709 at 30 fps, 1920x1080 or 1080x1920, starting on a key frame (it is copied as is)."""
    p = check_input(path, what)
    try:
        f = probe_video(p, audio=False)
    except ValidationError as exc:
        raise InputError(f"{what} {p} is not a readable video ({exc}); give an MP4 loop") \
            from exc
    size = (int(f["width"]), int(f["height"]))
    if (f["video_codec"], f["profile"], f["pix_fmt"], f["color_primaries"], f["fps"]) != \
            ("h264", "High", "yuv420p", 1, float(FPS)) or size not in SIZES \
            or not f["first_frame_key"]:
        raise InputError(f"{what} {p} is not an H.264 High yuv420p BT.709 30 fps loop at "
                         f"1920x1080 or 1080x1920; make one with `archibald art --loop`")
    return size


def audio_args(audio: Path, out: Path) -> list[str]:
    """ffmpeg arguments that encode the audio once: AAC-LC, 48 kHz, stereo."""
    return ["-y", "-i", str(audio), "-vn", "-c:a", "aac", "-profile:a", "aac_low",
            "-aac_coder", AAC_CODER, "-b:a", AUDIO_BITRATE, "-ar", "48000", "-ac", "2", str(out)]


def loop_args(segment: Path, audio: Path, out: Path, duration: float) -> list[str]:
    """ffmpeg arguments that loop the segment by stream copy to ``duration`` seconds.

    The video is cut by frame count, not by ``-t``: a stream copy with ``-t`` keeps packets
    until their *decode* time passes the cut, and with B-frames that is two or three frames
    late (57.0666 s of audio gave 57.167 s of video, past the 0.1 s tolerance).
    """
    frames = max(1, round(duration * FPS))
    return ["-y", "-stream_loop", "-1", "-i", str(segment), "-i", str(audio),
            "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-frames:v", str(frames),
            "-t", f"{duration:.6f}", "-movflags", "+faststart", str(out)]


def fade_tail_args(segment: Path, out: Path, start: int, duration: float, fade: float,
                   size: tuple[int, int], *, still: bool) -> list[str]:
    """ffmpeg arguments that re-encode the looped segment from frame ``start`` (a multiple of
    its length, so a key frame) to ``duration`` s, the picture fading to black over ``fade`` s
    and black for its last 0.2 s; encoded as the segment was (same x264 settings, so the two
    join by stream copy)."""
    frames = max(1, round(duration * FPS) - start)
    begin = max(0.0, frames / FPS - fade - 0.2)
    speed = ["-preset", "superfast", "-tune", "stillimage", "-crf", "18"] if still else \
        ["-preset", "veryfast", "-crf", "20"]
    return ["-y", "-stream_loop", "-1", "-i", str(segment),
            "-vf", f"fade=t=out:st={begin:.3f}:d={fade:.3f}:color=black," + _video_filter(size),
            "-frames:v", str(frames), *_X264, *_gop(frames), *speed, "-threads", "2",
            "-an", str(out)]


def faded_args(listing: Path, audio: Path, out: Path, duration: float) -> list[str]:
    """ffmpeg arguments that join the parts ``listing`` names (whole segments, then the faded
    tail of :func:`fade_tail_args`) by stream copy, with the audio, cut to ``duration``."""
    frames = max(1, round(duration * FPS))
    return ["-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-i", str(audio),
            "-map", "0:v:0", "-map", "1:a:0", "-c", "copy", "-frames:v", str(frames),
            "-t", f"{duration:.6f}", "-movflags", "+faststart", str(out)]


def _frame_count(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        v = container.streams.video[0]
        return int(v.frames) or sum(1 for _ in container.demux(v) if _.size)


def _fade_out(seg: Path, aac: Path, out: Path, work: Path, duration: float, fade: float,
              size: tuple[int, int], still: bool, runner: Runner | None) -> None:
    """The looped video with its last ``fade`` s fading to black: whole segments copied, the
    rest re-encoded with the fade, joined by stream copy."""
    length = _frame_count(seg)
    copies = max(0, math.floor((duration - fade - 0.2) * FPS / length))
    tail = work / "tail.mp4"
    ffmpeg.run(fade_tail_args(seg, tail, copies * length, duration, fade, size, still=still),
               runner=runner)
    listing = work / "parts.txt"
    lines = [f"file '{seg.resolve()}'"] * copies + [f"file '{tail.resolve()}'"]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ffmpeg.run(faded_args(listing, aac, out, duration), runner=runner)


def assemble(image: Path | None, audio: Path, out: Path, *, loop: Path | None = None,
             runner: Runner | None = None, fade_out: float = 0.0) -> VideoInfo:
    """Make ``out`` (MP4) from a moving ``loop`` or a still ``image``, and ``audio``.

    The loop (see :func:`encode_loop`) is repeated by stream copy as it is; a still image is
    first encoded to a short segment beside the audio. Validated before it appears. Raises
    InputError for a missing/corrupt/odd-sized picture, missing/corrupt/empty audio or an
    unwritable ``out``; MediaError if ffmpeg fails; ValidationError if the result misses spec.
    ``fade_out`` s > 0: the picture fades to black at the end (a sleep session), black on its
    last frame.
    """
    from .quality import validate_video

    audio, out = Path(audio), Path(out)
    if loop is not None:
        size = check_loop(loop)
    elif image is not None:
        size = video_size(check_image(image))
    else:
        raise InputError("give a picture: a still --image or a moving --loop")
    duration = probe_audio(audio).duration
    if duration < 0.5:
        raise InputError(f"audio {audio} lasts {duration:.2f} s; give at least 0.5 s")
    seconds = segment_seconds(duration)
    with atomic_output(out, (".mp4",)) as tmp_out, \
            tempfile.TemporaryDirectory(prefix=".assemble.", suffix=TEMPORARY_DIR_SUFFIX,
                                        dir=tmp_out.parent) as work:
        aac = Path(work) / "audio.m4a"
        if loop is not None:
            seg = Path(loop)
            ffmpeg.run(audio_args(audio, aac), runner=runner)
        else:
            assert image is not None
            seg = Path(work) / "segment.mp4"
            with ThreadPoolExecutor(max_workers=2) as pool:
                jobs = [pool.submit(ffmpeg.run, segment_args(Path(image), seg, seconds, size),
                                    runner=runner),
                        pool.submit(ffmpeg.run, audio_args(audio, aac), runner=runner)]
                for job in jobs:
                    job.result()
        if fade_out > 0:
            _fade_out(seg, aac, tmp_out, Path(work), duration, min(fade_out, duration / 2),
                      size, loop is None, runner)
        else:
            ffmpeg.run(loop_args(seg, aac, tmp_out, duration), runner=runner)
        facts = validate_video(tmp_out, duration)
    return VideoInfo(
        path=out, duration=float(facts["duration"]), width=int(facts["width"]),
        height=int(facts["height"]), fps=float(facts["fps"]),
        video_codec=str(facts["video_codec"]), profile=str(facts["profile"]),
        pix_fmt=str(facts["pix_fmt"]), audio_codec=str(facts["audio_codec"]),
        sample_rate=int(facts["sample_rate"]), channels=int(facts["channels"]),
        bytes=out.stat().st_size,
    )
