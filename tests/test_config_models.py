"""Any model LiteLLM serves: each reaches its own provider's URL with its own key, or is refused
with one line naming the missing variable; none ever reaches the OpenAI URL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from archibald.core.catalog import build_registry
from archibald.cli import main
from archibald.config import load_settings
from archibald.errors import ConfigError, MissingKeyError
from archibald.store.ledger import to_nano
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook, litellm_price_map
from archibald.providers.registry import ProviderSettings
from archibald.core.router import Router
from archibald.core.tasks import Context, Task, Usage
from stubs.base import Recorded, Reply, StubServer
from stubs.fixtures import ollama_stub, provider_env  # noqa: F401
from stubs.openai_compat import OpenAIStub

#: variables of the providers under test, which the shared conftest does not strip
_VARS = ("GROQ_API_KEY", "GROQ_API_BASE", "OPENROUTER_API_KEY", "OPENROUTER_API_BASE",
         "GEMINI_API_KEY", "GEMINI_API_BASE", "GOOGLE_API_KEY", "MISTRAL_API_KEY",
         "TOGETHERAI_API_KEY", "AZURE_API_KEY", "AZURE_API_BASE", "AZURE_API_VERSION",
         "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "HOSTED_VLLM_API_BASE", "OPENAI_API_BASE")


class GeminiStub(StubServer):
    """Google AI Studio: POST {base}/models/{model}:generateContent with x-goog-api-key."""

    name = "gemini"

    def handle(self, req: Recorded) -> Reply:
        if req.method != "POST" or not req.path.endswith(":generateContent"):
            return Reply(404, {"error": {"code": 404, "message": f"{req.path} not found"}})
        if req.headers.get("x-goog-api-key") != self.api_key:
            return Reply(400, {"error": {"code": 400, "message": "API key not valid.",
                                         "status": "INVALID_ARGUMENT"}})
        return Reply(200, {
            "candidates": [{"content": {"parts": [{"text": "Hello from the Gemini stub."}],
                                        "role": "model"},
                            "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 400,
                              "totalTokenCount": 1400},
            "modelVersion": "gemini-2.5-flash", "responseId": "stub-1"})


class GroqStub(OpenAIStub):
    """Groq's chat completions: OpenAI's shape plus its service_tier and x_groq fields."""

    name = "groq"

    def handle(self, req: Recorded) -> Reply:
        reply = super().handle(req)
        if reply.status == 200 and isinstance(reply.body, dict):
            reply.body.update({"service_tier": "on_demand", "system_fingerprint": "fp_stub",
                               "x_groq": {"id": "req_stub"}})
        return reply


class OpenRouterStub(OpenAIStub):
    """OpenRouter's chat completions: OpenAI's shape plus its own request parameters
    (openrouter.ai/docs/api-reference/parameters: usage accounting, provider routing...)."""

    name = "openrouter"
    extensions = ("usage", "provider", "transforms", "models", "route", "reasoning")


@pytest.fixture
def openai_trap(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIStub]:
    """OpenAI configured with its own key and URL: a model of another provider must never
    come here, nor carry this key anywhere."""
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)
    with OpenAIStub("sk-proj-STUBSECRET-openai-trap-0123456789") as trap:
        monkeypatch.setenv("OPENAI_API_KEY", str(trap.api_key))
        monkeypatch.setenv("OPENAI_BASE_URL", trap.base_url + "/v1")
        monkeypatch.setenv("OPENAI_API_BASE", trap.base_url + "/v1")
        yield trap


def _settings(tmp_path: Path, model: str, extra: str = "") -> Path:
    path = tmp_path / "archibald.toml"
    path.write_text("[task_types.summary]\ncomplexity = 3\ncreativity_required = false\n"
                    "execution_focused = true\nroutes = [\"premium\", \"budget\"]\n"
                    "premium_usage = { input_tokens = 1000, output_tokens = 300 }\n"
                    f"route = \"budget\"\nmodels = {{ budget = \"{model}\" }}\n{extra}")
    return path


def _run(config: Path, tmp_path: Path) -> Any:
    settings = load_settings(config)
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        router = Router(settings, memory, build_registry(settings, memory))
        task = Task("summary", {"prompt": "Tighten this script.", "max_tokens": 400})
        return asyncio.run(router.run(task, Context(workdir=tmp_path), run_id="r"))
    finally:
        memory.close()


PROVIDERS = [
    # model, key variable, base variable, base path, the path the request must reach
    ("groq/openai/gpt-oss-20b", "GROQ_API_KEY", "GROQ_API_BASE", "/openai/v1",
     "/openai/v1/chat/completions"),
    ("openrouter/anthropic/claude-sonnet-4.6", "OPENROUTER_API_KEY", "OPENROUTER_API_BASE",
     "/api/v1", "/api/v1/chat/completions"),
    ("gemini/gemini-2.5-flash", "GEMINI_API_KEY", "GEMINI_API_BASE", "/v1beta",
     "/v1beta/models/gemini-2.5-flash:generateContent"),
]

#: declared for a model the installed LiteLLM's price map lacks (1.106 dropped OpenRouter)
_PRICE = "[prices.models.\"{model}\"]\ninput_per_mtok = 3.0\noutput_per_mtok = 15.0\n" \
         "source = \"openrouter.ai/anthropic/claude-sonnet-4.6\"\n"


@pytest.mark.parametrize("model,key_var,base_var,prefix,path", PROVIDERS,
                         ids=[p[0].split("/")[0] for p in PROVIDERS])
def test_each_model_reaches_its_own_provider_with_its_own_key(openai_trap, monkeypatch, tmp_path,
                                                              model, key_var, base_var, prefix,
                                                              path):
    gemini = model.startswith("gemini/")
    key = f"STUBSECRET-{key_var.lower()}-0123456789"
    stub: StubServer = GeminiStub(key) if gemini else \
        GroqStub(key) if model.startswith("groq/") else OpenRouterStub(key)
    with stub as own:
        monkeypatch.setenv(key_var, key)
        monkeypatch.setenv(base_var, own.base_url + prefix)
        priced = model in litellm_price_map()
        config = _settings(tmp_path, model, "" if priced else _PRICE.format(model=model))
        result = _run(config, tmp_path)
        attempt = result.attempts[-1]
        assert attempt.success and attempt.route == "budget" and attempt.model == model
        assert [r.path for r in own.requests] == [path]
        sent = own.requests[0].headers
        assert (sent.get("x-goog-api-key") if gemini else sent.get("authorization")) \
            in (key, f"Bearer {key}")
        assert str(openai_trap.api_key) not in json.dumps(
            [dict(r.headers) for r in own.requests])
        usage = Usage(input_tokens=1000, output_tokens=400) if gemini else \
            Usage(input_tokens=3500, output_tokens=1000)
        price = PriceBook.from_settings(load_settings(config))
        assert attempt.cost_nano == to_nano(price.cost(usage, model=model)) > 0
        assert ("LiteLLM" if priced else "openrouter.ai") in attempt.price_source
    assert openai_trap.requests == []


def test_a_providers_table_moves_the_endpoint(openai_trap, monkeypatch, tmp_path):
    with GroqStub("gsk-STUBSECRET-groq-from-toml-0123456789") as groq:
        config = _settings(tmp_path, "groq/openai/gpt-oss-20b",
                           f"[providers.groq]\napi_key = \"{groq.api_key}\"\n"
                           f"base_url = \"{groq.base_url}/openai/v1\"\n")
        assert _run(config, tmp_path).attempts[-1].success
        assert len(groq.requests) == 1
    assert openai_trap.requests == []


@pytest.mark.parametrize("model,says", [
    ("groq/openai/gpt-oss-20b", "GROQ_API_KEY"),
    ("openrouter/anthropic/claude-sonnet-4.6", "OPENROUTER_API_KEY"),
    ("gemini/gemini-2.5-flash", "GEMINI_API_KEY"),
    ("mistral/mistral-small-latest", "MISTRAL_API_KEY"),
    ("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "TOGETHERAI_API_KEY"),
    ("azure/my-deployment", "AZURE_API_KEY"),
    ("bedrock/anthropic.claude-3-haiku-20240307-v1:0", "AWS_SECRET_ACCESS_KEY"),
])
def test_a_missing_key_is_one_line_naming_the_variable(openai_trap, tmp_path, model, says):
    with pytest.raises(MissingKeyError) as info:
        _run(_settings(tmp_path, model), tmp_path)
    message = str(info.value)
    assert says in message and "\n" not in message
    assert openai_trap.requests == []


def test_the_cli_refuses_a_forced_route_without_its_key_with_exit_2(openai_trap, tmp_path,
                                                                   capsys):
    config = _settings(tmp_path, "groq/openai/gpt-oss-20b")
    with pytest.raises(SystemExit) as code:
        main(["route", "explain", "summary", "--config", str(config)])
    err = capsys.readouterr().err
    assert code.value.code == 2 and err.count("\n") == 1
    assert "route 'budget': GROQ_API_KEY is not set (groq serves groq/openai/gpt-oss-20b)" in err


def test_unknown_provider_is_unavailable_and_a_bad_providers_name_is_refused(openai_trap,
                                                                             tmp_path):
    settings = load_settings(_settings(tmp_path, "nosuchprovider/some-model")
                             .rename(tmp_path / "a.toml"))
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    registry = build_registry(settings, memory)
    why = registry.unavailable("summary", "budget") or ""
    assert "does not know which provider serves model 'nosuchprovider/some-model'" in why
    memory.close()
    with pytest.raises(Exception) as info:
        ProviderSettings.load({"openroutr": {}}, {})
    assert "did you mean 'openrouter'" in str(info.value)


def test_any_litellm_provider_resolves_without_code_changes(openai_trap):
    env = {"GROQ_API_KEY": "gsk-1234567890", "GEMINI_API_KEY": "AIza-1234567890",
           "HOSTED_VLLM_API_BASE": "http://127.0.0.1:8000/v1",
           "OLLAMA_BASE_URL": "http://127.0.0.1:11434"}
    providers = ProviderSettings.load({}, env)
    groq = providers.for_model("groq/openai/gpt-oss-20b")
    assert (groq.name, groq.api_key, groq.key_var, groq.configured) == \
        ("groq", "gsk-1234567890", "GROQ_API_KEY", True)
    assert groq.base_url == "https://api.groq.com/openai/v1"
    gemini = providers.for_model("gemini/gemini-2.5-flash")
    assert gemini.configured and gemini.api_key == "AIza-1234567890"
    assert "GEMINI_API_KEY" in gemini.key_var
    vllm = providers.for_model("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct")
    assert vllm.configured and vllm.base_url == "http://127.0.0.1:8000/v1"
    assert vllm.api_key != env.get("OPENAI_API_KEY")
    assert providers.for_model("ollama_chat/llama3.1").name == "ollama"
    assert providers.for_model("claude-sonnet-4-6").key_var == "ANTHROPIC_API_KEY"
    openrouter = providers.for_model("openrouter/anthropic/claude-3.5-sonnet")
    assert not openrouter.configured and openrouter.missing == "OPENROUTER_API_KEY"
    assert providers.for_model("gemini/x").missing is None
    assert not ProviderSettings.load({}, {}).for_model("gemini/x").configured
    assert "or" in (ProviderSettings.load({}, {}).for_model("gemini/x").missing or "")


def test_doctor_shows_provider_endpoint_and_key_variable_per_route(openai_trap, monkeypatch,
                                                                   tmp_path):
    from typer.testing import CliRunner

    from archibald.cli import app

    monkeypatch.setenv("GROQ_API_KEY", "gsk-STUBSECRET-groq-0123456789")
    config = _settings(tmp_path, "groq/openai/gpt-oss-20b",
                       "[task_types.script_review.models]\nbudget = \"gemini/gemini-2.5-flash\"\n")
    result = CliRunner().invoke(app, ["doctor", "--offline", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "gsk-STUBSECRET" not in result.output
    routes = {(r["task_type"], r["route"]): r for r in json.loads(result.output)["routes"]}
    groq = routes["summary", "budget"]
    assert (groq["provider"], groq["endpoint"], groq["key_var"], groq["unavailable"]) == \
        ("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", None)
    gemini = routes["script_review", "budget"]
    assert gemini["provider"] == "gemini" and "GEMINI_API_KEY" in gemini["key_var"]
    assert "GEMINI_API_KEY" in gemini["unavailable"]
    premium = routes["script_review", "premium"]
    assert (premium["provider"], premium["key_var"]) == ("anthropic", "ANTHROPIC_API_KEY")
    text = CliRunner().invoke(app, ["doctor", "--offline", "--config", str(config)]).output
    assert "groq https://api.groq.com/openai/v1 key GROQ_API_KEY" in text


def test_a_local_model_serves_a_task_type_without_a_local_runner(ollama_stub, provider_env,
                                                                 tmp_path):
    config = tmp_path / "archibald.toml"
    config.write_text("[task_types.podcast_summary]\ncomplexity = 3\ncreativity_required = false\n"
                      "execution_focused = true\nroutes = [\"local\"]\n"
                      "models = { local = \"local_llm\" }\n")  # [models] local_llm: Ollama
    settings = load_settings(config)
    memory = Memory(f"sqlite:///{tmp_path / 'm.db'}")
    router = Router(settings, memory, build_registry(settings, memory))
    result = asyncio.run(router.run(Task("podcast_summary", {"prompt": "Sum up."}),
                                    Context(workdir=tmp_path), run_id="r"))
    memory.close()
    attempt = result.attempts[-1]
    assert attempt.success and attempt.route == "local" and attempt.cost_nano == 0
    assert attempt.model == "ollama_chat/llama3.1"
    assert [r.path for r in ollama_stub.requests] == ["/v1/chat/completions"]
    assert json.loads(ollama_stub.requests[0].body)["model"] == "llama3.1"
    config.write_text(config.read_text().replace('routes = ["local"]', 'routes = ["budget"]'))
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert "models.local names a route this task type does not take" in str(info.value)
