"""Issue 20, point 8: batch cache rates, the ElevenLabs price note, fal's ElevenLabs-music range."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from archibald.providers.backends.batchapi import batch_price
from archibald.providers.backends.fal import music_arguments
from archibald.core.prices import PriceBook, litellm_price_map
from archibald.core.tasks import Usage


@pytest.mark.parametrize("provider,model", [("anthropic", "claude-sonnet-4-5"),
                                            ("anthropic", "claude-haiku-4-5"),
                                            ("openai", "gpt-4o-mini")])
def test_batch_cache_reads_and_writes_are_at_the_batch_rate(provider: str, model: str) -> None:
    sync, batch = PriceBook().model(model), batch_price(PriceBook(), provider, model)
    ratio = batch.input_per_token / sync.input_per_token
    assert ratio == pytest.approx(0.5)  # both providers: half price in a batch
    assert batch.cached_input_per_token == pytest.approx(sync.cached_input_per_token * ratio)
    if sync.cache_write_per_token is not None:
        assert batch.cache_write_per_token == pytest.approx(sync.cache_write_per_token * ratio)
    usage = Usage(input_tokens=10_000, output_tokens=500, cached_input_tokens=6_000,
                  cache_write_tokens=3_000 if provider == "anthropic" else 0, requests=1)
    # every token of a batched request costs half: the bill is half the synchronous one
    assert batch.cost(usage) == pytest.approx(sync.cost(usage) * 0.5)


def _prices() -> dict[str, object]:
    return tomllib.loads(resources.files("archibald").joinpath("prices.toml").read_text())


def test_the_elevenlabs_notes_agree_with_the_map_and_the_installed_litellm_map() -> None:
    units = _prices()["units"]
    assert isinstance(units, dict)
    lite = litellm_price_map()
    for key in ("elevenlabs:eleven_multilingual_v2", "elevenlabs:eleven_v3",
                "elevenlabs:eleven_flash_v2_5"):
        entry = units[key]
        text = entry["source"] + entry.get("note", "")
        per_1k = entry["usd_per_unit"] * 1000
        assert f"${per_1k:.2f} per 1k" in text  # the note names the rate the map charges
        installed = (lite.get(key.replace(":", "/")) or {}).get("input_cost_per_character")
        if installed is None:
            assert "no entry" in text
        else:  # whatever the note says of LiteLLM's figure is what LiteLLM has
            assert f"${installed * 1000:.2f}/1k" in text
        assert "$0.08" not in text and "$0.04" not in text


@pytest.mark.parametrize("seconds,pieces", [(5, [10.0]), (10, [10.0]), (300, [300.0]),
                                            (301, [151.0, 151.0]), (590, [300.0, 300.0])])
def test_fal_elevenlabs_music_requests_stay_within_10_s_to_5_min(seconds: float,
                                                                  pieces: list[float]) -> None:
    unit = PriceBook().unit("fal:fal-ai/elevenlabs/music")
    got = unit.pieces(seconds, 2.0)
    assert len(got) == len(pieces) and all(10 <= p <= 300 for p in got)
    for s in (1, 5, 9.99, 10, 299.6, 300, 301, 600, 1200):
        ms = music_arguments("fal-ai/elevenlabs/music", "calm", s)["music_length_ms"]
        assert 10_000 <= ms <= 300_000
