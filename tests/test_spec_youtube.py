"""The YouTube client and stub against the discovery document google-api-python-client ships."""

from __future__ import annotations

from pathlib import Path

from archibald.providers.backends.youtube import upload, video_body
from stubs.fixtures import sync_sleeps, youtube_stub  # noqa: F401
from stubs.spec import assert_conforms, discovery_schema, violations
from stubs.youtube import multipart
from google.oauth2.credentials import Credentials

VIDEO = discovery_schema("Video")
CAPTION = discovery_schema("Caption")
THUMBS = discovery_schema("ThumbnailSetResponse")
META = {"title": "Calm", "description": "Breathe.\n0:00 Start", "tags": ["calm"],
        "categoryId": "26", "defaultLanguage": "en", "defaultAudioLanguage": "en"}


def test_upload_exchange_matches_the_discovery_document(youtube_stub, sync_sleeps,
                                                        tmp_path: Path):
    video, thumb, srt = tmp_path / "v.mp4", tmp_path / "t.png", tmp_path / "s.srt"
    video.write_bytes(b"\0" * 1000)
    thumb.write_bytes(b"\x89PNG\r\n\x1a\n")
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n", encoding="utf-8")
    upload(video, thumb, META, credentials=Credentials(token=youtube_stub.api_key),
           base_url=youtube_stub.base_url, sleep=sync_sleeps, captions=srt)
    start = youtube_stub.requests_to("/videos", "POST")[0]
    assert_conforms(VIDEO, start.json(), "our videos.insert body")
    [session] = youtube_stub.sessions.values()
    assert_conforms(VIDEO, youtube_stub._video(session), "the stub's video")
    caption = youtube_stub.requests_to("/captions", "POST")[0]
    meta, _ = multipart(caption)
    assert_conforms(CAPTION, meta, "our captions.insert body")
    assert_conforms(CAPTION, youtube_stub._caption(caption).body, "the stub's caption")
    thumb_req = youtube_stub.requests_to("/thumbnails/set", "POST")[0]
    assert_conforms(THUMBS, youtube_stub.handle(thumb_req).body, "the stub's thumbnail answer")


def test_the_dry_run_body_is_the_live_body():
    assert_conforms(VIDEO, video_body(META, "unlisted"), "the dry run's videos.insert body")
    assert violations(VIDEO, {"snippet": {"title": "x", "defaultLanguages": "en"}})
    assert violations(VIDEO, {"status": {"containsSyntheticMedia": "yes"}})
