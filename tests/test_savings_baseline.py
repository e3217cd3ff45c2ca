"""The one baseline rule: the premium backend the catalog would call, priced for the work the
stage really did, to the nano-dollar; no premium backend, no baseline, and the reason."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from archibald.core import baseline as bl
from archibald.providers.backends.llm import chat_messages
from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Outcome, Task, Usage
from stubs.fixtures import anthropic_stub, deepseek_stub, provider_env  # noqa: F401


@pytest.fixture
def registry():  # type: ignore[no-untyped-def]
    settings = load_settings()
    return build_registry(settings, Memory("sqlite://"), ProviderSettings.load({}, environ={}),
                          PriceBook.from_settings(settings))


def _local(artifact: Any) -> Outcome:
    return Outcome(artifact=artifact, backend="local:x", route="local")


def test_music_is_priced_as_the_premium_backend_would_bill_it(registry) -> None:  # type: ignore[no-untyped-def]
    # 610 s from CassetteAI: four equal requests of <= 180 s crossfaded (4 x 156 s), each
    # rounded up to whole minutes: 3+3+3+3
    task = Task("music_generation", {"seconds": 610})
    b = bl.baseline_for(registry, PriceBook(), task, "local", _local({"seconds": 610.0}), 0)
    assert b.backend == "fal:cassetteai/music-generator"
    assert b.nano == to_nano(12 * 0.02)
    assert b.work == {"audio_seconds": 610.0, "requests": 4}
    assert "fal.ai/models/cassetteai" in b.source


def test_voice_is_priced_per_character_really_voiced(registry) -> None:  # type: ignore[no-untyped-def]
    text = "Breathe in slowly. [pause 4s] " * 300
    task = Task("audio_generation", {"text": text})
    b = bl.baseline_for(registry, PriceBook(), task, "local", _local({"duration": 1.0}), 0)
    assert b.backend == "elevenlabs:eleven_multilingual_v2"
    # the sentences as ElevenLabs would be sent them: pause marks are silence, not characters
    voiced = len("Breathe in slowly.") * 300
    assert b.nano == to_nano(voiced * 0.10 / 1000)
    assert b.work == {"characters": voiced, "requests": 300}


def test_image_is_priced_by_its_real_size(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    path = tmp_path / "bg.png"
    Image.new("RGB", (1280, 720)).save(path)
    task = Task("image_generation", {"width": 1920, "height": 1080})
    b = bl.baseline_for(registry, PriceBook(), task, "local", _local({"path": str(path)}), 0)
    # fal FLUX dev: $0.025 a megapixel, rounded up per image; 1280x720 = 0.92 MP -> 1
    assert b.nano == to_nano(0.025) and b.basis == "1 image of 1280x720"


def test_budget_text_uses_the_tokens_sent_and_accepted(registry) -> None:  # type: ignore[no-untyped-def]
    task = Task("script_review", {"prompt": "fix it"})
    out = Outcome("text", "deepseek:deepseek/deepseek-flash", "budget",
                  usage=Usage(input_tokens=3500, output_tokens=1000, cached_input_tokens=3000,
                              requests=1), cost=0.001)
    b = bl.baseline_for(registry, PriceBook(), task, "budget", out, to_nano(0.001))
    # Claude Opus 4.5 (the configured review model) at $5/$25 per Mtok, no cache discount
    assert b.nano == to_nano(3500 * 5e-6 + 1000 * 25e-6)
    assert b.backend == "anthropic:claude-opus-4-7"


def test_local_text_counts_the_prompt_and_the_accepted_answer(registry) -> None:  # type: ignore[no-untyped-def]
    task = Task("meditation_concept", {"prompt": "Propose a concept.", "system": "You write."})
    concept = {"title": "Morning light", "theme": "gratitude"}
    b = bl.baseline_for(registry, PriceBook(), task, "local", _local({"concept": concept}), 0)
    n_in, how = bl.count_tokens("claude-sonnet-4-6",
                                messages=chat_messages(task, "Propose a concept."))
    n_out, _ = bl.count_tokens("claude-sonnet-4-6", text=json.dumps(concept, sort_keys=True))
    assert b.work == {"input_tokens": n_in, "output_tokens": n_out, "requests": 1}
    assert b.nano == to_nano(n_in * 3e-6 + n_out * 15e-6)
    assert how in b.basis and how.startswith("LiteLLM")  # offline, under the network guard


def test_without_litellm_the_estimate_is_chars_over_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bl, "_litellm_counter", lambda: None)
    monkeypatch.setattr("archibald.core.tokens.count_like_litellm", lambda *a, **k: None)
    n, how = bl.count_tokens("claude-sonnet-4-6", text="x" * 10)
    assert n == math.ceil(10 / 4) and "characters/4" in how


def test_premium_route_baseline_is_its_own_cost(registry) -> None:  # type: ignore[no-untyped-def]
    task = Task("script_writing", {"prompt": "write"})
    out = Outcome("text", "anthropic:claude-sonnet-4-6", "premium",
                  usage=Usage(input_tokens=10, output_tokens=10), cost=0.00018,
                  detail={"price_source": "LiteLLM"})
    b = bl.baseline_for(registry, PriceBook(), task, "premium", out, 180_000)
    assert b.nano == 180_000 and b.basis == "the premium call itself"


@pytest.mark.parametrize("task_type", ["video_assembly", "thumbnail", "youtube_upload"])
def test_no_premium_backend_means_no_baseline_and_says_why(registry, task_type: str) -> None:  # type: ignore[no-untyped-def]
    b = bl.baseline_for(registry, PriceBook(), Task(task_type, {}), "local", _local({}), 0)
    assert b.nano == 0 and b.backend is None
    assert "no premium backend" in b.missing


# -- end to end, with stub providers ----------------------------------------------------------
def _stored_value(out: Path, stage: str) -> dict[str, Any]:
    (entry,) = (out / ".archibald" / "stages").glob(f"{stage}-*/result.json")
    value: dict[str, Any] = json.loads(entry.read_text())["value"]
    return value


def _check_run(data: dict[str, Any], out: Path) -> None:
    """Every stage: baseline = premium backend price x the stage's actual work (to the nano);
    every total the sum of its rows."""
    from archibald.media.probe import probe_audio
    from archibald.script.forms import script_from_dict

    settings = load_settings()
    reg = build_registry(settings, Memory("sqlite://"), ProviderSettings.load({}, environ={}),
                         PriceBook.from_settings(settings))
    book = PriceBook()
    for name, s in data["stages"].items():
        b = s["baseline"]
        accepted = [a for a in s["attempts"] if a["success"]]
        assert s["baseline_nano"] == sum(a["baseline_nano"] for a in s["attempts"]), name
        assert s["cost_nano"] == sum(a["cost_nano"] for a in s["attempts"]), name
        premium = reg.get(s["task_type"], "premium")
        if name in ("video_assembly", "thumbnail", "youtube_upload"):
            assert s["baseline_nano"] == 0 and "no premium backend" in b["missing"], name
            continue
        assert b["backend"] == premium.name, name  # type: ignore[union-attr]
        if s["route"] == "premium":
            assert s["baseline_nano"] == accepted[-1]["cost_nano"], name
        elif name == "audio_generation":
            script = script_from_dict(_stored_value(out, "tts_qa")["script"])
            from archibald.providers.backends.elevenlabs import speech_plan

            chars = sum(len(p) for p in speech_plan(script.spoken_text(), 4000)
                        if isinstance(p, str))
            assert b["work"]["characters"] == chars
            assert s["baseline_nano"] == to_nano(chars * 0.10 / 1000)
        elif name == "music_generation":
            seconds = b["work"]["audio_seconds"]
            made = probe_audio(s["output"]["path"]).duration
            assert abs(made - seconds) < 0.05, (made, seconds)
            from archibald.providers.backends.fal import CROSSFADE

            pieces = PriceBook().unit("fal:cassetteai/music-generator").pieces(seconds,
                                                                               CROSSFADE)
            minutes = sum(math.ceil(p / 60 - 1e-9) for p in pieces)
            assert s["baseline_nano"] == to_nano(minutes * 0.02)
        elif name == "image_generation":
            from PIL import Image

            with Image.open(s["output"]["path"]) as im:
                mp = im.width * im.height / (1024 * 1024)  # fal's megapixel
            assert s["baseline_nano"] == to_nano(math.ceil(mp) * 0.025)
        else:  # text: the premium model's token price (and request fee) for the tokens
            used = Usage.from_dict(b["work"])
            if s["route"] == "budget":
                u = Usage.from_dict(accepted[-1]["usage"])
                assert (used.input_tokens, used.output_tokens) == (u.input_tokens,
                                                                   u.output_tokens)
            assert used.input_tokens > 0 and used.output_tokens > 0, name
            expected = book.cost(used, model=premium.model,  # type: ignore[union-attr]
                                 unit=getattr(premium, "request_fee", None))
            assert s["baseline_nano"] == to_nano(expected), name
    totals = data["totals"]
    assert totals["baseline_nano"] == sum(s["baseline_nano"] for s in data["stages"].values())
    assert totals["cost_nano"] == sum(s["cost_nano"] for s in data["stages"].values())
    report = (out / "report.md").read_text()
    shown = [int(round(float(x.replace(",", "")) * 1e6)) for x in re.findall(
        r"^\| \w+ \| [^|]+ \| [^|]+ \| \$([\d,.]+) \|", report, re.M)]
    total = re.search(r"^\| \*\*Total\*\* \| \| \| \*\*\$([\d,.]+)\*\*", report, re.M)
    assert total and int(round(float(total.group(1).replace(",", "")) * 1e6)) == sum(shown)
    assert abs(sum(shown) * 1000 - totals["baseline_nano"]) <= 500 * len(shown)  # micro rounding


@pytest.mark.slow
def test_stub_providers_every_stage_baseline_is_premium_price_times_work(
        anthropic_stub, deepseek_stub, provider_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from test_produce_providers import _writer_reply

    from archibald.pipeline.produce import ProduceRequest, produce
    from stubs.base import prompt_of

    anthropic_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    deepseek_stub.reply_text = lambda body: _writer_reply(prompt_of(body))
    out = tmp_path / "video"
    data = produce(ProduceRequest("Morning light and gratitude", 1.0, out=out, seed=1),
                   load_settings(overrides={"quality": {"judge_model": ""}}))
    assert data["status"] == "done"
    routes = {s["route"] for s in data["stages"].values()}
    assert {"premium", "budget", "local"} <= routes  # every kind of row is checked
    _check_run(data, out)


@pytest.mark.slow
def test_offline_music_and_voice_baselines_are_the_premium_backends_prices(
        tmp_path: Path) -> None:
    from archibald.pipeline.produce import ProduceRequest, produce

    out = tmp_path / "video"
    data = produce(ProduceRequest("Evening calm", 1.0, out=out, seed=2), load_settings())
    assert data["status"] == "done"
    assert all(s["cost_nano"] == 0 for s in data["stages"].values())  # offline is free
    _check_run(data, out)
    music, voice = data["stages"]["music_generation"], data["stages"]["audio_generation"]
    assert music["baseline"]["backend"] == "fal:cassetteai/music-generator"
    assert voice["baseline"]["backend"] == "elevenlabs:eleven_multilingual_v2"
    eco_md = (out / "report.md").read_text()
    assert "substitution" in eco_md and "not measured (no judge)" in eco_md
    # produce again: every stage is re-used, and the report keeps the original run's time
    again = produce(ProduceRequest("Evening calm", 1.0, out=out, seed=2), load_settings())
    assert again["execution"]["resumed"] and again["execution"]["ran_stages"] == 0
    assert again["wall_seconds"] == data["wall_seconds"] > 1.0
    assert again["totals"] == data["totals"]
    assert f"| Execution time (wall) | {data['wall_seconds']} s (resumed" in \
        (out / "report.md").read_text()
