"""The stubs refuse what the real APIs refuse, and our clients never send it (issue 20.17).

YouTube (developers.google.com/youtube/v3/docs/videos#snippet.tags, videos/insert errors):
tags are at most 500 characters all together, the commas between them counted and a tag with a
space counted with the quotes YouTube wraps it in; ``status.publishAt`` is only for a private
video. OpenHands' app server types its ids as UUIDs. Perplexity names its web_search tool's
calls ``search_web`` in the usage.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from google.oauth2.credentials import Credentials

from archibald.core.prices import PriceBook
from archibald.core.tasks import Context, Task
from archibald.providers.backends.http import RetryPolicy
from archibald.providers.backends.openhands import OpenHandsBackend
from archibald.providers.backends.youtube import (TAGS_MAX_CHARS, tag_length, upload,
                                                  video_body, youtube_tags)
from archibald.providers.registry import ProviderSettings
from stubs.fixtures import openhands_stub, provider_env, sleeps, sync_sleeps  # noqa: F401
from stubs.fixtures import perplexity_stub, youtube_stub  # noqa: F401
from stubs.youtube import metadata_problems


def counted(tags: list[str]) -> int:
    """YouTube's count, written out again here so the test does not trust our own."""
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)


def meta(tags: list[str], privacy: str = "private", publish_at: str | None = None) -> dict:  # type: ignore[type-arg]
    status: dict[str, object] = {"privacyStatus": privacy}
    if publish_at:
        status["publishAt"] = publish_at
    return {"snippet": {"title": "Calm", "description": "d", "tags": tags,
                        "categoryId": "22"}, "status": status}


# --- YouTube: the stub --------------------------------------------------------------------------

def test_youtube_stub_refuses_tags_over_500_counting_quotes_and_commas() -> None:
    fits = ["a" * 496, "b"]                                     # 496 + 1 comma + 1 = 498
    assert counted(fits) <= 500 and metadata_problems(meta(fits)) is None
    spaced = ["a b" * 1 + "c" * 494]                            # 497 letters + 2 quotes = 499
    assert metadata_problems(meta(spaced)) is None
    over = ["a b" + "c" * 496]                                  # 499 letters + 2 quotes = 501
    assert len(over[0]) <= 500 and counted(over) == 501
    assert metadata_problems(meta(over)) == (
        "invalidTags", "The request metadata specifies invalid video keywords.")
    commas = ["ab"] * 168                                       # 336 letters + 167 commas = 503
    assert metadata_problems(meta(commas))[0] == "invalidTags"  # type: ignore[index]


def test_youtube_stub_refuses_publish_at_on_a_video_that_is_not_private() -> None:
    when = "2030-01-01T09:00:00Z"
    assert metadata_problems(meta(["calm"], "private", when)) is None
    for privacy in ("public", "unlisted"):
        assert metadata_problems(meta(["calm"], privacy, when))[0] == "invalidPublishAt"  # type: ignore[index]


def test_the_stub_answers_400_invalid_tags_on_the_wire(youtube_stub) -> None:
    r = httpx.post(youtube_stub.url("/upload/youtube/v3/videos"),
                   params={"uploadType": "resumable", "part": "snippet,status"},
                   json=meta(["sleep music for a calm night"] * 30),
                   headers={"authorization": f"Bearer {youtube_stub.api_key}"})
    assert r.status_code == 400
    assert r.json()["error"]["errors"][0]["reason"] == "invalidTags"


# --- YouTube: the uploader ----------------------------------------------------------------------

def test_youtube_tags_fit_as_youtube_counts_them() -> None:
    assert tag_length("Foo-Baz") == 7 and tag_length("Foo Baz") == 9  # YouTube's own example
    many = [f"calm sleep music {i}" for i in range(100)] + ["x", "<b>bold</b>", "x", " "]
    kept = youtube_tags(many)
    assert counted(kept) <= TAGS_MAX_CHARS
    assert kept[0] == "calm sleep music 0" and "x" in kept          # a short one still fits
    assert kept.count("x") == 1 and all("<" not in t and ">" not in t for t in kept)
    assert youtube_tags(["a" * 501]) == []                          # one tag too long alone
    assert youtube_tags(["a" * 500]) == ["a" * 500]
    body = video_body({"title": "t", "tags": many}, "private")
    assert counted(body["snippet"]["tags"]) <= TAGS_MAX_CHARS


def test_an_upload_with_too_many_tags_goes_up_trimmed(youtube_stub, sync_sleeps,
                                                      tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\0" * 1000)
    tags = [f"guided meditation for sleep number {i}" for i in range(40)]
    assert counted(tags) > 500
    result = upload(video, None, {"title": "Calm", "tags": tags},
                    credentials=Credentials(token=youtube_stub.api_key),
                    base_url=youtube_stub.base_url, sleep=sync_sleeps)
    sent = youtube_stub.videos[result["video_id"]]["video"]["snippet"]["tags"]
    assert sent == tags[:len(sent)] and 0 < counted(sent) <= 500


# --- OpenHands ----------------------------------------------------------------------------------

def test_openhands_stub_refuses_ids_that_are_not_uuids(openhands_stub) -> None:
    auth = {"authorization": f"Bearer {openhands_stub.api_key}"}
    for path in ("/api/v1/app-conversations/start-tasks", "/api/v1/app-conversations"):
        r = httpx.get(openhands_stub.url(path), params={"ids": "task0001"}, headers=auth)
        assert r.status_code == 422
        [detail] = r.json()["detail"]
        assert detail["type"] == "uuid_parsing" and detail["loc"] == ["query", "ids", 0]
    r = httpx.get(openhands_stub.url("/api/v1/conversation/conv0001/events/search"),
                  headers=auth)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "conversation_id"]
    r = httpx.get(openhands_stub.url("/api/v1/app-conversations/start-tasks"),
                  params={"ids": str(uuid.uuid4())}, headers=auth)
    assert r.status_code == 200 and r.json() == [None]  # a UUID it does not know: null


def test_openhands_ids_are_uuids_end_to_end(openhands_stub, provider_env, sleeps,
                                            tmp_path: Path) -> None:
    b = OpenHandsBackend(ProviderSettings.load().get("openhands"), PriceBook(),
                         llm_model="claude-sonnet-4-6", poll_interval=1.0,
                         retry=RetryPolicy(attempts=1, sleep=sleeps), sleep=sleeps)
    seen: list[str] = []
    context = Context(workdir=tmp_path, request_id_sink=seen.append)
    out = asyncio.run(b.execute(Task("qa", {"instruction": "Check it.", "title": "qa"}),
                                context))
    uuid.UUID(out.detail["conversation_id"])
    uuid.UUID(out.detail["start_task_id"])
    assert [s.split(":", 1)[0] for s in seen] == ["start-task", "conversation"]
    assert not [r for r in openhands_stub.requests if r.path.endswith("/events/search")
                and "422" in r.path]


# --- Perplexity ---------------------------------------------------------------------------------

def test_perplexity_stub_names_the_tool_as_the_api_does(perplexity_stub) -> None:
    r = httpx.post(perplexity_stub.url("/v1/responses"),
                   json={"model": "perplexity/sonar", "input": "q",
                         "tools": [{"type": "web_search"}]},
                   headers={"authorization": f"Bearer {perplexity_stub.api_key}"})
    details = r.json()["usage"]["tool_calls_details"]
    assert "search_web" in details and "web_search" not in details

