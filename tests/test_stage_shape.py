"""Every route of a stage returns the shape later stages read (issue 20.10): a premium (fal)
picture feeds video_assembly as the drawn one does, and an answer that lacks a key a later
stage reads fails at its own stage (and falls back), not at the next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archibald.core.tasks import Outcome, Task
from archibald.pipeline.run import stage_check
from archibald.pipeline.spec import load_pipeline
from media_helpers import run_cli
from stubs.fixtures import fal_stub, provider_env  # noqa: F401


def test_a_stage_declares_the_keys_later_stages_read() -> None:
    meditation = load_pipeline("meditation")
    assert {"path", "scene"} <= meditation.provides("image_generation")
    spec = meditation.stage("image_generation")
    check = stage_check(spec, Task("image_generation", {}),
                        meditation.provides("image_generation"))
    with pytest.raises(ValueError, match="lacks 'scene'"):
        check(Outcome(artifact={"path": "/x.png"}, backend="some:image", route="premium"))


@pytest.mark.slow
def test_a_fal_picture_makes_the_video(fal_stub, provider_env, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:1080, 0:1920]
    rgb = np.stack([60 + 50 * np.sin(x / 150) + 20 * np.cos(y / 37), 90 + 40 * np.cos(y / 120),
                    140 + 30 * np.sin((x + y) / 200)], -1)
    picture = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(picture, format="PNG")
    fal_stub.file_bytes["png"] = picture.getvalue()  # a real picture, as fal serves one
    monkeypatch.chdir(tmp_path)
    (tmp_path / "archibald.toml").write_text('[task_types.image_generation]\nroute = "premium"\n')
    out = tmp_path / "out"
    assert run_cli(["produce", "--topic", "Evening calm", "--minutes", "1", "--out",
                    str(out), "--seed", "2"]) == 0
    data = json.loads((out / "run.json").read_text())
    image = data["stages"]["image_generation"]
    assert image["route"] == "premium" and image["cost_nano"] > 0, image["attempts"]
    assert data["stages"]["video_assembly"]["route"] == "local"
    assert (out / "video.mp4").stat().st_size > 0
