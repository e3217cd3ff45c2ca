"""CLI commands: the offline media stages, each usable alone.

`archibald voice | music | art | thumbnail | mix | assemble`: each writes one validated file
and prints one line about it. Bad input raises InputError (one line, exit status 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from . import app


def _speakable(text: str) -> str:
    """The script made speakable for TTS (numbers, abbreviations, symbols, dashes)."""
    try:
        from ..script.speakable import speakable
    except ImportError:  # pragma: no cover - the script package ships it
        return text
    return speakable(text)


@app.command()
def voice(text_file: Path = typer.Option(..., "--text-file", help="The script (UTF-8 text)."),
          out: Path = typer.Option(..., "--out", help="Where to write the voice WAV."),
          length_scale: float = typer.Option(1.15, "--length-scale",
                                             help="Above 1 speaks more slowly."),
          sentence_pause: float = typer.Option(2.0, "--sentence-pause",
                                               help="Seconds of silence between sentences."),
          workers: int = typer.Option(2, "--workers", help="Processes for long scripts.")
          ) -> None:
    r"""Speak a script with the offline Piper voice; `\[pause 4s]` marks become silence."""
    from ..media.files import check_input
    from ..media.voice import synthesize

    path = check_input(text_file, "text file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"text file {path} is not UTF-8 text; save it as UTF-8") from exc
    result = synthesize(_speakable(text), out, length_scale=length_scale, workers=workers,
                        sentence_pause=sentence_pause)
    typer.echo(f"voice: {result.path} ({result.duration:.1f} s, "
               f"{len(result.sentences)} sentences)")


@app.command()
def music(minutes: float = typer.Option(..., "--minutes", help="Length in minutes."),
          out: Path = typer.Option(..., "--out", help="Where to write the music WAV."),
          seed: int = typer.Option(0, "--seed", help="Same seed, same music."),
          key: str = typer.Option("D", "--key", help="Musical key, e.g. D, F#, Bb."),
          binaural: Optional[float] = typer.Option(None, "--binaural",
                                                   help="Binaural beat in Hz (headphones)."),
          topic: str = typer.Option("", "--topic", help="Chooses the nature sounds."),
          sleep: bool = typer.Option(False, "--sleep", help="End quieter, to rest.")
          ) -> None:
    """Synthesise an ambient bed: drone, slow chords, bells, nature sounds (48 kHz stereo)."""
    from ..media.music import ambience_for, render_music

    path = render_music(minutes * 60, out, seed=seed, key=key, binaural_hz=binaural,
                        topic=topic, sleep=sleep)
    typer.echo(f"music: {path} ({minutes * 60:.1f} s, key {key}, seed {seed}, "
               f"{' and '.join(ambience_for(topic))})")


def _size(vertical: bool) -> tuple[int, int]:
    return (1080, 1920) if vertical else (1920, 1080)


@app.command()
def art(theme: str = typer.Option(..., "--theme", help="The topic, e.g. 'ocean calm'."),
        out: Path = typer.Option(..., "--out", help="Where to write the PNG."),
        seed: int = typer.Option(0, "--seed", help="Different seeds, different pictures."),
        loop: Optional[Path] = typer.Option(None, "--loop",
                                            help="Also write the moving scene as an MP4 loop."),
        vertical: bool = typer.Option(False, "--vertical", help="1080x1920, for Shorts.")
        ) -> None:
    """Render the topic's nature scene: a still PNG and, with --loop, a seamless moving loop."""
    from ..media.art import render_art, render_loop
    from ..media.scene import scene_kind

    size = _size(vertical)
    path = render_art(theme, out, seed=seed, size=size)
    moving = f", loop {render_loop(theme, loop, seed=seed, size=size)}" if loop else ""
    typer.echo(f"art: {path} ({size[0]}x{size[1]}, {scene_kind(theme, seed)} scene for "
               f"{theme!r}, seed {seed}{moving})")


@app.command()
def thumbnail(title: str = typer.Option(..., "--title", help="The video's title."),
              image: Path = typer.Option(..., "--image", help="The background picture."),
              out: Path = typer.Option(..., "--out", help="Where to write the JPEG."),
              words: Optional[str] = typer.Option(None, "--words",
                                                  help="2-4 words to show (default: from "
                                                       "the title)."),
              channel: str = typer.Option("", "--channel", help="Seeds the style.")) -> None:
    """Make a 1280x720 JPEG thumbnail with a few large, high-contrast words."""
    from ..media.thumbnail import render_thumbnail

    result = render_thumbnail(title, image, out, words=words.split() if words else None,
                              channel=channel)
    typer.echo(f"thumbnail: {result.path} ({result.bytes} bytes, contrast "
               f"{result.contrast:.1f}:1, at 1/8 width {result.small_contrast:.1f}:1, "
               f"{result.text!r})")


@app.command("mix")
def mix_command(voice: Path = typer.Option(..., "--voice", help="The voice track."),
                music: Optional[Path] = typer.Option(None, "--music", help="The music bed."),
                out: Path = typer.Option(..., "--out", help="Where to write the mix WAV."),
                lead_in: float = typer.Option(3.0, "--lead-in", help="Music before the voice."),
                tail: float = typer.Option(15.0, "--tail", help="Music after the voice."),
                duck: float = typer.Option(14.0, "--duck", help="dB of ducking under speech."),
                wind_down: float = typer.Option(0.0, "--wind-down",
                                                help="dB the last minutes fall (sleep).")
                ) -> None:
    """Mix voice over music with slow ducking, at -16 LUFS and true peak <= -1.5 dBTP."""
    from ..media.mix import mix

    result = mix(voice, music, out, lead_in=lead_in, tail=tail, duck_db=duck,
                 wind_down_db=wind_down)
    typer.echo(f"mix: {result.path} ({result.duration:.1f} s, {result.lufs:.1f} LUFS, "
               f"true peak {result.true_peak_dbtp:.1f} dBTP, music gain at most "
               f"{result.music_gain_rate:.1f} dB/s)")


@app.command()
def assemble(image: Optional[Path] = typer.Option(None, "--image", help="A still picture."),
             loop: Optional[Path] = typer.Option(None, "--loop",
                                                 help="A moving loop from `art --loop`."),
             audio: Path = typer.Option(..., "--audio", help="The finished mix."),
             out: Path = typer.Option(..., "--out", help="Where to write the MP4.")) -> None:
    """Picture + audio -> a YouTube-ready MP4 (H.264 High, yuv420p, BT.709, AAC)."""
    from ..media.video import assemble as assemble_video

    info = assemble_video(image, audio, out, loop=loop)
    typer.echo(f"video: {info.path} ({info.duration:.2f} s, {info.width}x{info.height} "
               f"{info.fps:g} fps, {info.profile} {info.pix_fmt}, {info.bytes} bytes)")
