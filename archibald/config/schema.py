"""The schema of archibald.toml: one pydantic model per table.

Every table forbids unknown keys (a typo is refused with a did-you-mean, never ignored), takes
values strictly (``dry_run = 0`` is not a boolean) and refuses ``nan``, ``inf`` and negative
money. Adding a setting is one line: a field with its type and default on the table's model.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..core.tasks import ROUTES

__all__ = ["Table", "RouterTable", "ModelsTable", "BudgetsTable", "MediaTable", "PublishTable",
           "ChannelTable", "UsageTable", "TaskTypeTable", "ProviderTable", "ModelPriceTable",
           "UnitPriceTable", "PricesTable", "ScheduleTable", "StudioTable", "LocalModelTable",
           "Root", "Usd", "Share", "Route"]

#: a sum of money in USD: finite and never negative
Usd = Annotated[float, Field(ge=0)]
#: a share or a probability
Share = Annotated[float, Field(ge=0, le=1)]
Route = Literal["premium", "budget", "agent", "local", "memory"]
assert set(Route.__args__) == set(ROUTES)  # type: ignore[attr-defined]
Name = Annotated[str, Field(min_length=1)]
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
                                description='a language code such as "en" or "pt-BR"')]
Url = Annotated[str, Field(pattern=r"^https?://\S+$", description="an http:// or https:// URL")]


class Table(BaseModel):
    """A table of archibald.toml: unknown keys refused, values taken as written, no nan/inf."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class RouterTable(Table):
    #: the design's memory rule: trust a delegation once it has this many outcomes...
    learned_min_outcomes: Annotated[int, Field(ge=1)] = 3
    #: ...at this success rate
    learned_min_success: Share = 0.8
    #: the decision matrix's third rule: delegate when premium would cost less than this
    cost_threshold_usd: Usd = 0.02
    strategy: Literal["matrix", "bandit"] = "matrix"
    explore_share: Share = 0.0
    evidence_half_life_days: Annotated[float, Field(gt=0)] = 30.0


class ModelsTable(Table):
    """Model aliases a task type's ``premium_model`` or ``models`` may name."""

    premium: Name = "claude-sonnet-4-6"
    review: Name = "claude-opus-4-5"
    budget: Name = "deepseek/deepseek-flash"
    research: Name = "perplexity/sonar-pro"
    local_llm: Name = "ollama_chat/llama3.1"
    agent: Name = "openhands"


class BudgetsTable(Table):
    per_task_usd: Usd | None = None
    per_run_usd: Usd | None = None
    per_month_usd: Usd | None = None
    #: monthly limit per channel (also settable as [channels.NAME] budget_usd)
    channels: dict[str, Usd] = {}


class MediaTable(Table):
    """How the media stages sound and look, unless a channel says otherwise."""

    #: Piper's speaking rate (higher is slower)
    length_scale: Annotated[float, Field(gt=0, le=5)] = 1.57
    #: silence between two sentences that carry no [pause Ns] mark, in seconds
    sentence_pause: Annotated[float, Field(ge=0, le=10)] = 1.0
    #: the ElevenLabs voice of the premium speech route
    voice_id: Name = "21m00Tcm4TlvDq8ikWAM"
    #: the ElevenLabs model of the premium speech route (priced as elevenlabs:<model>)
    voice_model: Name = "eleven_multilingual_v2"
    #: the fal.ai endpoints of the premium music and image routes (priced as fal:<endpoint>)
    music_model: Name = "cassetteai/music-generator"
    image_model: Name = "fal-ai/flux/dev"
    #: words put in front of every music prompt and every image prompt
    music_style: str = "calm ambient meditation pad, no beat, slow drones"
    art_style: str = "serene soft-focus landscape, calm palette, no text"
    #: BCP 47 language of the spoken script and the metadata
    language: Language = "en"


class PublishTable(Table):
    privacy: Literal["private", "unlisted", "public"] = "private"
    #: write publish/ with what would be sent instead of uploading
    dry_run: bool = True
    #: declare altered or synthetic content (YouTube's status.containsSyntheticMedia); on,
    #: because every voice Archibald makes is synthetic
    synthetic_media: bool = True
    #: hold every finished video as "ready for review" in the studio: a person approves
    #: (upload) or rejects (with a reason) it; nothing is uploaded before
    review: bool = False


class ChannelTable(Table):
    """``[channels.NAME]``: what makes one channel's runs its own. Unset keys follow [media]."""

    voice_id: Name | None = None
    music_style: str | None = None
    art_style: str | None = None
    language: Language | None = None
    #: this channel's monthly budget
    budget_usd: Usd | None = None
    #: the OAuth token file of the channel's YouTube account (`archibald youtube login`)
    youtube_token: Name | None = None
    #: the pipeline a run on this channel uses when none is named
    pipeline: Name | None = None
    #: this channel's YouTube synthetic-content disclosure (unset: [publish] synthetic_media)
    synthetic_media: bool | None = None


class UsageTable(Table):
    """Expected usage of a task type's premium route for a 10-minute video."""

    input_tokens: Usd = 0
    output_tokens: Usd = 0
    cached_input_tokens: Usd = 0
    cache_write_tokens: Usd = 0
    characters: Usd = 0
    images: Usd = 0
    megapixels: Usd = 0
    audio_seconds: Usd = 0
    agent_runs: Usd = 0
    requests: Usd = 0
    reasoning_tokens: Usd = 0
    tool_calls: Usd = 0


class TaskTypeTable(Table):
    """How one task type is analysed and routed."""

    phase: str = ""
    description: str = ""
    capability: Literal["text", "research", "speech", "music", "image", "audio", "video",
                        "upload"] = "text"
    complexity: Annotated[int, Field(ge=1, le=10)]
    creativity_required: bool
    execution_focused: bool
    routes: Annotated[list[Route], Field(min_length=1)] = ["premium", "local"]
    #: a route every task of this type must take
    route: Route | None = None
    #: the premium route's model, unless models.premium names one (text work defaults to the
    #: [models] premium alias)
    premium_model: Name | None = None
    premium_unit: Name | None = None
    premium_usage: UsageTable = UsageTable()
    #: a chat model (or a [models] alias) per route, e.g. { budget = "groq/openai/gpt-oss-20b",
    #: local = "ollama_chat/llama3.1" } (a local model answers where no local runner exists)
    models: dict[Literal["premium", "budget", "local"], Name] = {}
    scale: Literal["per_video", "per_minute"] = "per_video"
    quality_floor: Share = 0.6
    #: a paid call's deadline in seconds; unset: the router's default for the capability
    timeout_seconds: Annotated[float, Field(ge=1, le=86400)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "TaskTypeTable":
        if self.route is not None and self.route not in self.routes:
            raise ValueError(f"route {self.route!r} is not one of this task type's routes "
                             f"{list(self.routes)}")
        if self.premium_model is None and self.premium_unit is None \
                and self.capability not in ("text", "research") and "premium" in self.routes:
            raise ValueError("give premium_model or premium_unit so the premium route can be "
                             "priced")
        strays = sorted(set(self.models) - set(self.routes))
        if strays:
            raise ValueError(f"models.{strays[0]} names a route this task type does not take; "
                             f"add {strays[0]!r} to routes or drop the model")
        if "premium" in self.routes and not any(self.premium_usage.model_dump().values()):
            raise ValueError("give premium_usage, the premium route's expected usage (e.g. "
                             "{ input_tokens = 2000, output_tokens = 800 }), so its cost is "
                             "known and budgeted before any call")
        return self


class ProviderTable(Table):
    """``[providers.NAME]``: the environment's variables win over these."""

    api_key: Name | None = None
    base_url: Url | None = None


class ModelPriceTable(Table):
    """A chat model LiteLLM's price map lacks, in USD per million tokens."""

    input_per_mtok: Usd
    output_per_mtok: Usd
    cached_input_per_mtok: Usd | None = None
    cache_write_per_mtok: Usd | None = None
    source: Name = "archibald.toml"


class UnitPriceTable(Table):
    """A price per unit of something that is not a token."""

    unit: Literal["characters", "images", "megapixels", "audio_minutes", "audio_seconds",
                  "agent_runs", "requests"]
    usd_per_unit: Usd
    rounding: Literal["none", "ceil"] = "none"
    source: Name
    date: str = ""
    note: str = ""


class PricesTable(Table):
    models: dict[str, ModelPriceTable] = {}
    units: dict[str, UnitPriceTable] = {}


class QualityTable(Table):
    """``[quality]``: who judges creative work (see archibald.quality)."""

    #: a [models] alias or any model LiteLLM serves; "" turns judging off
    judge_model: str = "budget"
    #: the share of delegated creative tasks also run on premium and judged pairwise
    shadow_share: Share = 0.2
    #: judged quality a cheaper route must keep, relative to premium, to be delegated to
    maintenance_floor: Share = 0.95
    #: who looks at images and thumbnails: a vision-capable model; "" uses judge_model when it
    #: can see images, else images are judged by route-blind checks only
    vision_judge_model: str = ""
    #: who listens to voice and music: an audio-capable model (OpenAI input_audio); "" uses
    #: judge_model when it can hear, else route-blind measures only (loudness, clipping...)
    audio_judge_model: str = ""
    #: the longest excerpt of a narration or music bed the audio judge hears, seconds
    audio_excerpt_seconds: Annotated[float, Field(ge=5, le=600)] = 45.0


class GatewayTable(Table):
    """``[gateway]``: what `archibald serve` does besides answering."""

    #: the share of delegated answers also asked of premium, in the shadow, and the two
    #: judged blind against each other (after the answer was sent; the verdict teaches)
    shadow_share: Share = 0.05
    #: the most the gateway spends a day (UTC) on shadows and their judging, over all keys
    shadow_usd_per_day: Usd = 1.0


class ScheduleTable(Table):
    """``[schedules.NAME]``: a channel's runs on a timetable, made by `archibald serve`."""

    #: a cron expression ("0 9 * * 1-5", UTC) or a rate ("3 per week", "2 per day",
    #: "every minute", "every 6 hours")
    when: Name
    channel: Name = "default"
    #: a shipped pipeline or a pipeline file (default: the channel's, else meditation)
    pipeline: Name | None = None
    #: the topics, one a slot, in order (then again from the first)
    topics: list[Name] = []
    #: or a text file of topics, one a line (relative to this file)
    topics_file: Name | None = None
    #: the pipeline's other inputs, e.g. { minutes = 8 }
    inputs: dict[str, str | int | float | bool] = {}
    #: hours after its slot a run must be ready: hours of slack let LLM stages wait for the
    #: providers' batch APIs (about half price)
    deadline_hours: Annotated[float, Field(gt=0, le=24 * 14)] | None = None

    @model_validator(mode="after")
    def _topics(self) -> "ScheduleTable":
        if not self.topics and self.topics_file is None:
            raise ValueError("give topics = [...] or topics_file = \"topics.txt\"")
        return self


class LocalModelTable(Table):
    """``[local_model]``: a chat model on this machine the text stages' local route uses."""

    #: probe for one when a registry is built (ARCHIBALD_LOCAL_MODEL=off also turns it off)
    detect: bool = True
    #: an OpenAI-compatible server's base URL (llama.cpp, vLLM, LM Studio: "http://127.0.0.1:
    #: 8080/v1"); unset: Ollama at OLLAMA_BASE_URL, else http://localhost:11434
    base_url: Url | None = None
    #: how long the probe waits for an answer, in seconds
    probe_seconds: Annotated[float, Field(gt=0, le=10)] = 0.5
    #: how long one answer may take (a model on a CPU writes a long script slowly); past it,
    #: the stage falls back like any route's, at last to its offline writer
    timeout_seconds: Annotated[float, Field(ge=1, le=86400)] = 900.0


class StudioTable(Table):
    """``[studio]``: the browser UI of `archibald serve`."""

    #: where runs started from the studio write their folders (default: ARCHIBALD_HOME/studio)
    out: Name | None = None
    #: pipeline files offered in the "New run" form beside the shipped pipelines
    pipelines: list[Name] = []


class Root(Table):
    """The whole of archibald.toml (the shipped defaults merged with the user's file)."""

    router: RouterTable = RouterTable()
    models: ModelsTable = ModelsTable()
    budgets: BudgetsTable = BudgetsTable()
    media: MediaTable = MediaTable()
    publish: PublishTable = PublishTable()
    channels: dict[Name, ChannelTable] = {}
    task_types: dict[Name, TaskTypeTable] = {}
    providers: dict[Name, ProviderTable] = {}
    prices: PricesTable = PricesTable()
    quality: QualityTable = QualityTable()
    gateway: GatewayTable = GatewayTable()
    schedules: dict[Name, ScheduleTable] = {}
    studio: StudioTable = StudioTable()
    local_model: LocalModelTable = LocalModelTable()
