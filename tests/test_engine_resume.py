"""Resume: finished stages are loaded, not rerun; a changed input reruns what it reaches."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from archibald.errors import InputError, StageFailed
from archibald.pipeline import Engine, RunResult, Stage, StageInput, StageResult, StageStore


class Pipeline:
    """research -> script -> (voice, art) -> video; counts how often each stage runs."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.fail: set[str] = set()

    def stage(self, name: str, deps: tuple[str, ...], key_inputs: tuple[str, ...] | None,
              version: str = "") -> Stage:
        async def go(inp: StageInput) -> StageResult:
            self.calls[name] += 1
            if name in self.fail:
                raise RuntimeError(f"{name} broke")
            parts = [f"{k}={v}" for k, v in sorted(inp.inputs.items())]
            parts += [inp.deps[d].value["text"] for d in deps]
            text = f"{name}[{' '.join(parts)}]"
            out = inp.stage_dir / f"{name}.txt"
            out.write_text(text)
            return StageResult(value={"text": text}, files={"out": out},
                               record={"route": "premium", "cost": 0.25})
        return Stage(name, name.replace("_", " "), deps, go, key_inputs=key_inputs,
                     version=version)

    def stages(self, art_version: str = "") -> list[Stage]:
        return [self.stage("research", (), ("topic",)),
                self.stage("script", ("research",), ("topic", "minutes")),
                self.stage("voice", ("script",), ()),
                self.stage("art", ("research",), ("style",), version=art_version),
                self.stage("video", ("voice", "art"), ())]

    def run(self, workdir: Path, config: str = "cfg", art_version: str = "",
            **inputs: Any) -> RunResult:
        key_inputs = {"topic": "sea", "minutes": 10, "style": "watercolour", **inputs}
        self.last = Engine(self.stages(art_version), workdir, key_inputs=key_inputs,
                           config_digest=config)
        return asyncio.run(self.last.run())


def test_second_run_loads_every_stage(tmp_path: Path) -> None:
    p = Pipeline()
    first = p.run(tmp_path)
    assert p.calls == Counter({n: 1 for n in first.stages})
    second = p.run(tmp_path)
    assert p.calls == Counter({n: 1 for n in first.stages})  # nothing ran again
    assert all(o.resumed for o in second.stages.values())
    assert not any(o.resumed for o in first.stages.values())
    for name, o in second.stages.items():
        assert o.result.value == first.stages[name].result.value
        assert o.result.record == {"route": "premium", "cost": 0.25}
        assert o.result.files["out"].read_text() == o.result.value["text"]
        assert o.key == first.stages[name].key
    assert second.records()["video"]["resumed"] is True


def test_changed_upstream_input_reruns_downstream_only(tmp_path: Path) -> None:
    p = Pipeline()
    p.run(tmp_path)
    p.calls.clear()
    result = p.run(tmp_path, minutes=20)  # read by script only: script, voice, video rerun
    assert set(p.calls) == {"script", "voice", "video"}
    assert {n for n, o in result.stages.items() if o.resumed} == {"research", "art"}
    assert "minutes=20" in result.stages["video"].result.value["text"]

    p.calls.clear()
    p.run(tmp_path, style="ink", minutes=20)  # read by art only
    assert set(p.calls) == {"art", "video"}

    p.calls.clear()
    p.run(tmp_path, topic="forest", style="ink", minutes=20)  # research: everything
    assert set(p.calls) == {"research", "script", "voice", "art", "video"}

    p.calls.clear()
    p.run(tmp_path)  # back to the first inputs: still stored
    assert p.calls == Counter()


def test_config_digest_and_stage_version_invalidate(tmp_path: Path) -> None:
    p = Pipeline()
    p.run(tmp_path)
    p.calls.clear()
    p.run(tmp_path, art_version="2")
    # art reran and made the same output: video's key is built from art's *result*, so it
    # is still valid and is not redone
    assert set(p.calls) == {"art"}
    p.calls.clear()
    p.run(tmp_path, config="other", art_version="2")
    assert len(p.calls) == 5


def test_failed_run_resumes_from_what_finished(tmp_path: Path) -> None:
    p = Pipeline()
    p.fail = {"voice"}
    with pytest.raises(StageFailed) as info:
        p.run(tmp_path)
    assert info.value.stage == "voice" and "voice broke" in str(info.value)
    assert p.calls == Counter(research=1, script=1, voice=1, art=1)
    assert set(p.last.outcomes) == {"research", "script", "art"}  # what the caller can report
    p.fail = set()
    p.calls.clear()
    result = p.run(tmp_path)
    assert p.calls == Counter(voice=1, video=1)
    assert {n for n, o in result.stages.items() if o.resumed} == {"research", "script", "art"}


def test_partial_or_damaged_entries_are_redone(tmp_path: Path) -> None:
    p = Pipeline()
    first = p.run(tmp_path)
    store = StageStore(tmp_path)
    # a run killed before writing result.json: a folder with files but no marker
    voice = first.stages["voice"]
    (store.entry_dir("voice", voice.key) / "result.json").unlink()
    # a truncated artifact under a complete-looking entry
    art = first.stages["art"]
    art.result.files["out"].write_text("")
    # a stray folder from some other key
    stray = store.entry_dir("voice", "f" * 64) / "files"
    stray.mkdir(parents=True)
    p.calls.clear()
    result = p.run(tmp_path)
    assert p.calls == Counter(voice=1, art=1)  # video's inputs are unchanged: still resumed
    assert result.stages["video"].resumed
    assert not stray.parent.exists()
    assert art.result.files["out"].read_text() == result.stages["art"].result.value["text"]


def test_result_json_is_the_marker_and_describes_the_files(tmp_path: Path) -> None:
    p = Pipeline()
    result = p.run(tmp_path)
    o = result.stages["script"]
    entry = StageStore(tmp_path).entry_dir("script", o.key)
    assert entry.parent == tmp_path / ".archibald" / "stages"
    data = json.loads((entry / "result.json").read_text())
    assert data["key"] == o.key and data["result_digest"] == o.result_digest
    assert data["files"]["out"]["path"] == "script.txt"
    assert data["files"]["out"]["size"] == o.result.files["out"].stat().st_size
    assert not list(entry.glob(".*.tmp"))


def test_second_concurrent_run_on_one_workdir_is_refused(tmp_path: Path) -> None:
    store = StageStore(tmp_path)
    with store.lock():
        with pytest.raises(InputError, match="in use by another run"):
            Pipeline().run(tmp_path)
    Pipeline().run(tmp_path)  # released


def test_stage_sees_only_its_declared_inputs(tmp_path: Path) -> None:
    seen: dict[str, dict[str, Any]] = {}

    async def look(inp: StageInput) -> StageResult:
        seen[inp.stage] = dict(inp.inputs)
        return StageResult()

    stages = [Stage("narrow", "t", (), look, key_inputs=("topic",)),
              Stage("wide", "t", (), look)]
    asyncio.run(Engine(stages, tmp_path, key_inputs={"topic": "sea", "minutes": 5},
                       config_digest="c", seed=7).run())
    assert seen == {"narrow": {"topic": "sea"}, "wide": {"topic": "sea", "minutes": 5}}
