"""A local model when there is one (issue 25.1): an Ollama server on 127.0.0.1 (a stub whose
answers the official ``ollama`` client's types accept) serves the text stages' local route of
the podcast and the meditation at $0, with the model named in the ledger; nothing listening
means the offline writers, found out at once, and the podcast says its episode is a demo."""

from __future__ import annotations

import json
import re
import socket
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from archibald.config import load_settings
from archibald.pipeline.run import RunRequest, run_pipeline
from archibald.pipeline.spec import load_pipeline
from archibald.pipelines import shipped_pipelines
from archibald.providers import local_model
from stubs.base import Recorded, Reply, prompt_of
from stubs.ollama import OllamaStub
from stubs.openai_compat import OpenAIStub
from stubs.podcast import podcast_reply

PODCAST_TEXT = ("research", "outline", "script", "review")
MEDITATION_TEXT = ("market_research", "meditation_concept", "script_writing", "script_review",
                   "quality_polish", "tts_qa")


@pytest.fixture
def ollama(monkeypatch: pytest.MonkeyPatch) -> Iterator[OllamaStub]:
    """An Ollama stub that detection finds (OLLAMA_BASE_URL), detection on."""
    stub = OllamaStub()
    stub.start()
    monkeypatch.delenv(local_model.OFF_VAR, raising=False)
    monkeypatch.setenv("OLLAMA_BASE_URL", stub.base_url)
    local_model.forget()
    try:
        yield stub
    finally:
        stub.stop()
        local_model.forget()


@pytest.fixture
def nothing_listening(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """OLLAMA_BASE_URL at a port nothing listens on, detection on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.delenv(local_model.OFF_VAR, raising=False)
    monkeypatch.setenv("OLLAMA_BASE_URL", url)
    local_model.forget()
    yield url
    local_model.forget()


def text_stages_only(name: str, keep: tuple[str, ...], folder: Path) -> Path:
    """The shipped pipeline file with only its ``keep`` stages (its text stages: no voice,
    music or video to make), written in ``folder``."""
    text = shipped_pipelines()[name].read_text(encoding="utf-8")
    head, *blocks = text.split("\n[[stages]]\n")
    names = [re.findall(r'^name = "([^"]+)"', b, re.M)[0] for b in blocks]
    kept = [b for b, n in zip(blocks, names) if n in keep]
    assert len(kept) == len(keep)
    path = folder / f"{name}-text.toml"
    path.write_text("\n[[stages]]\n".join([head, *kept]), encoding="utf-8")
    return path


def run_text(name: str, keep: tuple[str, ...], tmp_path: Path, inputs: dict[str, str],
             out: str = "out", overrides: dict[str, Any] | None = None
             ) -> tuple[dict[str, Any], Path]:
    pipeline = load_pipeline(text_stages_only(name, keep, tmp_path))
    settings = load_settings(overrides=overrides, pipeline=pipeline)
    folder = tmp_path / out
    data = run_pipeline(RunRequest(pipeline, pipeline.run_inputs(inputs), out=folder, seed=3),
                        settings)
    return data, folder


def assert_local_model(data: dict[str, Any], stages: tuple[str, ...], model: str) -> None:
    """Every one of ``stages`` was answered by the model on the local route, at $0."""
    for name in stages:
        s = data["stages"][name]
        accepted = [a for a in s["attempts"] if a["success"] and a.get("purpose") in (None, "production")]
        assert s["route"] == "local", (name, s)
        assert len(accepted) == 1 and accepted[0]["model"] == model, json.dumps(s["attempts"])
        assert accepted[0]["route"] == "local" and accepted[0]["cost_nano"] == 0
        assert accepted[0]["usage"].get("output_tokens"), (name, accepted[0])
        assert s["cost_nano"] == 0 and not s["below_floor"], (name, s)


# -- detection ------------------------------------------------------------------------------------
def test_detect_names_the_server_its_models_and_the_one_it_uses(ollama: OllamaStub) -> None:
    import ollama as client_lib

    ollama.models = ["qwen2.5:0.5b", "llama3.2:latest"]
    settings = load_settings()
    found = local_model.detect(settings)
    assert found is not None and found.kind == "ollama" and found.version == "0.13.1"
    assert found.models == ("qwen2.5:0.5b", "llama3.2:latest")  # the embedder is not a chat model
    # the configured local_llm (llama3.1) is not there: the first chat model listed
    assert settings.models["local_llm"] == "ollama_chat/llama3.1"
    assert found.chosen == "ollama_chat/qwen2.5:0.5b"
    local_model.forget()
    mine = load_settings(overrides={"models": {"local_llm": "ollama_chat/llama3.2"}})
    assert local_model.detect(mine).chosen == "ollama_chat/llama3.2"  # type: ignore[union-attr]
    assert "Ollama 0.13.1 at " + ollama.base_url in found.describe()
    # the stub is what the official client reads: its list and its own chat
    client = client_lib.Client(host=ollama.base_url)
    assert [m.model for m in client.list().models][:2] == ["qwen2.5:0.5b", "llama3.2:latest"]
    ollama.reply_text = "Hello."
    answer = client.chat(model="llama3.2", messages=[{"role": "user", "content": "Hi"}])
    assert answer.message.content == "Hello." and answer.done and answer.eval_count == 356


def test_detection_is_quick_when_nothing_listens_or_nothing_answers(
        nothing_listening: str, monkeypatch: pytest.MonkeyPatch) -> None:
    start = time.perf_counter()
    assert local_model.detect(load_settings()) is None
    assert time.perf_counter() - start < 1.0
    # a socket that accepts but never answers: the probe gives up after probe_seconds
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(4)
        monkeypatch.setenv("OLLAMA_BASE_URL", f"http://127.0.0.1:{mute.getsockname()[1]}")
        local_model.forget()
        start = time.perf_counter()
        assert local_model.detect(load_settings()) is None
        assert time.perf_counter() - start < 2.5
    # off is off: not even a probe
    monkeypatch.setenv(local_model.OFF_VAR, "off")
    assert local_model.detect(load_settings()) is None


# -- the podcast ------------------------------------------------------------------------------------
def test_the_podcast_text_stages_use_the_local_model_at_no_cost(
        ollama: OllamaStub, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    ollama.reply_text = podcast_reply
    data, out = run_text("podcast", PODCAST_TEXT, tmp_path,
                         {"topic": "the history of coffee", "minutes": "1"})
    assert data["status"] == "done"
    assert_local_model(data, PODCAST_TEXT, "ollama_chat/llama3.2")
    chats = [r for r in ollama.requests if r.path == "/v1/chat/completions"]
    assert len(chats) == len(PODCAST_TEXT)
    assert {r.json()["model"] for r in chats} == {"llama3.2"}
    # the ledger itself: one settled row per text stage, the model named, $0
    from archibald.store.memory import Memory

    memory = Memory()
    try:
        rows = [a for a in memory.attempts_of_run(data["run_id"]) if a.stage in PODCAST_TEXT]
    finally:
        memory.close()
    assert sorted(a.stage for a in rows) == sorted(PODCAST_TEXT)
    assert {(a.route, a.model, a.cost_nano, a.success) for a in rows} == {
        ("local", "ollama_chat/llama3.2", 0, True)}
    # the model's words are the episode's, and no demo notice is given
    assert "Coffee, Cup by Cup" in (out / "script.md").read_text()
    assert data["notices"] == []
    assert "structural demo" not in capfd.readouterr().err
    assert "structural demo" not in (out / "report.md").read_text()


def _offline_podcast(tmp_path: Path) -> tuple[dict[str, Any], Path]:
    """The podcast's text stages when the offline writer ends up writing them: done, and
    within a minute (no stage waits on a model that is not there)."""
    start = time.perf_counter()
    data, out = run_text("podcast", PODCAST_TEXT, tmp_path,
                         {"topic": "the history of coffee", "minutes": "1"})
    assert data["status"] == "done" and time.perf_counter() - start < 60
    return data, out


def test_nothing_listening_means_the_offline_writer_and_one_notice(
        nothing_listening: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    data, out = _offline_podcast(tmp_path)
    for name in PODCAST_TEXT:
        s = data["stages"][name]
        assert s["route"] == "local" and s["backend"] == f"local:podcast_{name}", s
        assert all(a["model"] is None for a in s["attempts"])
    err = [line for line in capfd.readouterr().err.splitlines() if "structural demo" in line]
    assert len(err) == 1 and "ollama pull llama3.2" in err[0], err
    notice = err[0].strip()
    assert data["notices"] == [notice]
    assert notice in (out / "report.md").read_text()


def test_a_rejected_local_answer_falls_back_to_the_offline_writer(
        ollama: OllamaStub, tmp_path: Path) -> None:
    def reply(body: Any) -> str:  # a script that is no script: rejected by its route-blind check
        return "Sure!" if prompt_of(body).startswith("Write the full script") \
            else podcast_reply(body)

    ollama.reply_text = reply
    data, _ = run_text("podcast", PODCAST_TEXT, tmp_path,
                       {"topic": "the history of coffee", "minutes": "1"})
    assert data["status"] == "done"
    script = data["stages"]["script"]
    first, last = script["attempts"][0], script["attempts"][-1]
    assert first["model"] == "ollama_chat/llama3.2" and not first["success"]
    assert last["backend"] == "local:podcast_script" and last["success"]
    assert first["error"] and first["cost_nano"] == 0  # why it was not used, and it was free
    assert_local_model(data, ("research", "outline", "review"), "ollama_chat/llama3.2")


def test_a_server_gone_mid_run_leaves_the_offline_writer(
        ollama: OllamaStub, tmp_path: Path) -> None:
    assert local_model.detect(load_settings()) is not None  # found (and remembered)...
    ollama.stop()  # ...then gone before the run
    data, out = _offline_podcast(tmp_path)
    for name in PODCAST_TEXT:
        s = data["stages"][name]
        assert s["route"] == "local" and s["attempts"][-1]["backend"] == f"local:podcast_{name}"
        assert s["attempts"][-1]["success"] and s["cost_nano"] == 0
    first = data["stages"]["research"]["attempts"][0]
    assert first["backend"] == "ollama:ollama_chat/llama3.2" and "unreachable" in first["error"]
    # unreachable once, then skipped for a cool-down: no stage waits for it again
    assert all(len(data["stages"][n]["attempts"]) == 1 for n in PODCAST_TEXT[1:])
    assert len(data["notices"]) == 1  # the offline writer made this episode: it says so


async def own_notes(task: Any, context: Any) -> dict[str, Any]:
    """A user's own local route for a shipped task type (no prompt, nothing to adopt)."""
    return {"brief": {"topic": task.inputs["topic"], "angles": []}, "notes": "mine\n"}


def test_a_stage_that_sends_no_prompt_keeps_its_own_local_route(
        ollama: OllamaStub, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[pipeline]\nname = "mine"\n\n[inputs.topic]\ntype = "str"\n\n'
                    '[[stages]]\nname = "notes"\ntask_type = "podcast_research"\n'
                    'inputs = { topic = "{topic}" }\nlocal = "test_local_model:own_notes"\n',
                    encoding="utf-8")
    pipeline = load_pipeline(path)
    data = run_pipeline(RunRequest(pipeline, pipeline.run_inputs({"topic": "otters"}),
                                   out=tmp_path / "out"), load_settings(pipeline=pipeline))
    assert data["status"] == "done"
    attempts = data["stages"]["notes"]["attempts"]
    assert [a["backend"] for a in attempts] == ["local:podcast_research"]
    assert not [r for r in ollama.requests if r.method == "POST"]


def test_the_local_model_never_judges_its_own_work(ollama: OllamaStub, tmp_path: Path) -> None:
    ollama.reply_text = podcast_reply
    data, _ = run_text("podcast", ("research", "outline"), tmp_path,
                       {"topic": "the history of coffee", "minutes": "1"},
                       overrides={"quality": {"judge_model": "ollama_chat/llama3.2"}})
    assert data["status"] == "done"
    assert_local_model(data, ("research", "outline"), "ollama_chat/llama3.2")
    for name in ("research", "outline"):
        qa = data["stages"][name]["quality_assurance"]
        assert "wrote it" in qa["note"] and qa["evidence"] == "check", qa
    # two production calls, no judge's call
    assert len([r for r in ollama.requests if r.path == "/v1/chat/completions"]) == 2


class LlamaCppStub(OpenAIStub):
    """An OpenAI-compatible server on this machine (llama.cpp's llama-server, say): its
    /v1/models lists what it serves, in the openai SDK's Model shape."""

    def handle(self, req: Recorded) -> Reply:
        if req.method == "GET" and req.path.rstrip("/") == "/v1/models":
            from openai.types import Model

            data = [{"id": "qwen2.5-0.5b-instruct-q4_k_m.gguf", "object": "model",
                     "created": 1764500000, "owned_by": "llamacpp"}]
            for m in data:
                Model.model_validate(m)
            return Reply(200, {"object": "list", "data": data})
        return super().handle(req)


def test_an_openai_compatible_server_the_settings_name_serves_the_local_route(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stub = LlamaCppStub(None)
    stub.start()
    monkeypatch.delenv(local_model.OFF_VAR, raising=False)
    local_model.forget()
    try:
        stub.reply_text = podcast_reply
        stub.usage = {"prompt_tokens": 300, "completion_tokens": 200, "total_tokens": 500}
        data, _ = run_text("podcast", PODCAST_TEXT, tmp_path,
                           {"topic": "the history of coffee", "minutes": "1"},
                           overrides={"local_model": {"base_url": stub.base_url + "/v1"}})
    finally:
        stub.stop()
        local_model.forget()
    assert data["status"] == "done"
    assert_local_model(data, PODCAST_TEXT, "openai/qwen2.5-0.5b-instruct-q4_k_m.gguf")
    chats = [r for r in stub.requests if r.path == "/v1/chat/completions"]
    assert len(chats) == len(PODCAST_TEXT)


# -- the meditation -----------------------------------------------------------------------------------
def test_the_meditation_text_stages_use_the_local_model_at_no_cost(
        ollama: OllamaStub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = {"topic": "calm before sleep", "minutes": "3"}
    # what the model writes: a script in the shape the offline writer makes for this concept
    monkeypatch.setenv(local_model.OFF_VAR, "off")
    offline, folder = run_text("meditation", MEDITATION_TEXT, tmp_path, inputs, "offline")
    assert offline["status"] == "done"
    written = next(folder.glob(".archibald/stages/script_writing-*/result.json"))
    markdown = json.loads(written.read_text())["value"]["markdown"]
    monkeypatch.delenv(local_model.OFF_VAR)
    title = "Calm Before Sleep: A 3-Minute Guided Meditation to Relax"

    def reply(body: Any) -> str:  # told apart by what each prompt carries, not its wording
        prompt = prompt_of(body)
        heading = re.search(r"^# .*", prompt, re.M)
        if "JSON" in prompt:  # the concept
            return json.dumps({"theme": "night", "technique": "body scan",
                               "audience": "tired adults", "title": title})
        if heading:  # an editor, given the script: keeps it as it is
            return prompt[heading.start():]
        if title in prompt:  # the writer, given the concept
            return markdown
        return ("1. Evening listeners want calm before sleep without screens.\n"
                "2. A body scan suits a tired audience at night.\n"
                "3. Short sessions before sleep keep people coming back.")

    ollama.reply_text = reply
    data, out = run_text("meditation", MEDITATION_TEXT, tmp_path, inputs)
    assert data["status"] == "done"
    assert_local_model(data, MEDITATION_TEXT, "ollama_chat/llama3.2")
    assert title in (out / "script.md").read_text()  # the model's concept named the script
    assert data["notices"] == []


# -- archibald doctor -----------------------------------------------------------------------------
def test_doctor_says_which_server_and_models_it_found(
        ollama: OllamaStub, nothing_listening: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from archibald.cli import app

    # (nothing_listening set OLLAMA_BASE_URL after ollama did: point it back at the stub)
    monkeypatch.setenv("OLLAMA_BASE_URL", ollama.base_url)
    local_model.forget()
    result = CliRunner().invoke(app, ["doctor", "--json", "--timeout", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    found = report["local_model"]
    assert found["found"] and found["kind"] == "ollama" and found["version"] == "0.13.1"
    assert found["models"] == ["llama3.2:latest"] and found["chosen"] == "ollama_chat/llama3.2"
    script = next(r for r in report["routes"]
                  if r["task_type"] == "podcast_script" and r["route"] == "local")
    assert script["model"] == "ollama_chat/llama3.2" and not script["unavailable"]
    text = CliRunner().invoke(app, ["doctor", "--timeout", "1"]).output
    assert f"local model: Ollama 0.13.1 at {ollama.base_url} with llama3.2:latest" in text
    # nothing there: it says so, and how to get one
    monkeypatch.setenv("OLLAMA_BASE_URL", nothing_listening)
    local_model.forget()
    text = CliRunner().invoke(app, ["doctor", "--timeout", "1"]).output
    line = next(x for x in text.splitlines() if x.startswith("local model:"))
    assert "none found" in line and "ollama pull llama3.2" in line
