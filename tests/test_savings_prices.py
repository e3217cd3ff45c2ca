"""One source of truth for prices: every premium backend the catalog can call has a price with
a source and a date, and a configured model without one is caught."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from archibald.providers.backends.fal import FalMusicBackend
from archibald.core.baseline import unpriced
from archibald.core.catalog import build_registry
from archibald.config import load_settings
from archibald.store.memory import Memory
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings


def _registry(settings):  # type: ignore[no-untyped-def]
    return build_registry(settings, Memory("sqlite://"), ProviderSettings.load({}, environ={}),
                          PriceBook.from_settings(settings))


def test_every_premium_backend_the_catalog_calls_has_a_price() -> None:
    settings = load_settings()
    registry = _registry(settings)
    assert unpriced(registry, PriceBook(), list(settings.profiles)) == []
    # the media ones are the backends really called, at the rates in force
    book = PriceBook()
    voice = registry.get("audio_generation", "premium")
    music = registry.get("music_generation", "premium")
    assert book.unit(voice.price_key).usd_per_unit == pytest.approx(0.10 / 1000)  # type: ignore[union-attr]
    assert book.unit(music.name).usd_per_unit == pytest.approx(0.02)  # type: ignore[union-attr]
    assert music.name == "fal:cassetteai/music-generator"  # type: ignore[union-attr]


def test_every_configured_profile_price_is_known() -> None:
    settings = load_settings()
    book = PriceBook()
    for name, p in settings.profiles.items():
        if p.premium_model:
            assert book.model(p.premium_model).input_per_token > 0, name
        if p.premium_unit:
            book.unit(p.premium_unit)
    # the profile's music estimate prices the same model the catalog calls
    assert settings.profile("music_generation").premium_unit == "fal:cassetteai/music-generator"


def test_every_unit_price_names_its_source_and_date() -> None:
    text = resources.files("archibald").joinpath("prices.toml").read_text(encoding="utf-8")
    for key, entry in tomllib.loads(text)["units"].items():
        assert entry.get("source") and entry.get("date"), key


def test_a_configured_model_without_a_price_is_caught() -> None:
    settings = load_settings()
    registry = _registry(settings)
    book = PriceBook()
    registry.register("music_generation", "premium",
                      FalMusicBackend(ProviderSettings.load({}, environ={}).get("fal"), book,
                                      model="fal-ai/a-music-model-nobody-priced"))
    (line,) = unpriced(registry, book, list(settings.profiles))
    assert line.startswith("music_generation: no price known for "
                           "'fal:fal-ai/a-music-model-nobody-priced'")
