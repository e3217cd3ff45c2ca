"""YouTube upload (resumable, chunked, retried), thumbnail, errors and login against a stub."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from pathlib import Path

import pytest
from google.oauth2.credentials import Credentials

from archibald.providers.backends import youtube
from archibald.providers.backends.youtube import YouTubeBackend, login, upload
from archibald.errors import InputError, NonRetryable, ProviderOverloaded, RouteUnavailable
from archibald.core.prices import PriceBook
from archibald.providers.registry import ProviderSettings
from archibald.core.tasks import Context, Task
from stubs.fixtures import provider_env, sync_sleeps, youtube_stub  # noqa: F401

CHUNK = 256 * 1024
META = {"title": "Ten minutes of calm", "description": "A guided meditation.",
        "tags": ["meditation"]}


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    video = tmp_path / "video.mp4"
    video.write_bytes(bytes(range(256)) * (CHUNK * 2 // 256 + 100))  # 2 chunks and a bit
    thumb = tmp_path / "thumb.png"
    thumb.write_bytes(b"\x89PNG\r\n\x1a\nthumb")
    return video, thumb


def creds(stub) -> Credentials:  # type: ignore[no-untyped-def]
    return Credentials(token=stub.api_key)


def up(stub, files, sleeps, **kw):  # type: ignore[no-untyped-def]
    video, thumb = files
    return upload(video, thumb, META, credentials=creds(stub), base_url=stub.base_url,
                  chunksize=CHUNK, sleep=sleeps, **kw)


def test_resumable_upload_in_chunks_and_thumbnail(youtube_stub, files, sync_sleeps):
    result = up(youtube_stub, files, sync_sleeps)
    vid = result["video_id"]
    assert result["url"] == f"https://www.youtube.com/watch?v={vid}"
    assert result["privacy"] == "private" and result["notes"] == []
    assert youtube_stub.videos[vid]["bytes"] == files[0].read_bytes()
    assert youtube_stub.thumbnails[vid] == files[1].read_bytes()
    start = youtube_stub.requests[0]
    assert start.method == "POST" and start.q("uploadType") == "resumable"
    assert start.headers["authorization"] == f"Bearer {youtube_stub.api_key}"
    assert start.json()["status"]["privacyStatus"] == "private"
    assert start.json()["snippet"]["title"] == META["title"]
    puts = youtube_stub.requests_to("/videos", "PUT")
    assert len(puts) == 3  # two full chunks, then the rest
    assert sync_sleeps.calls == []


def test_500_on_a_chunk_is_retried_and_resumed(youtube_stub, files, sync_sleeps):
    youtube_stub.fail(500, {"error": {"code": 500, "message": "backend error"}},
                      path="/videos", method="PUT", times=2)
    result = up(youtube_stub, files, sync_sleeps)
    assert youtube_stub.videos[result["video_id"]]["bytes"] == files[0].read_bytes()
    assert len(sync_sleeps.calls) == 2
    assert all(0 <= s <= 2 ** (i + 1) for i, s in enumerate(sync_sleeps.calls))


def test_5xx_gives_up_after_max_retries(youtube_stub, files, sync_sleeps):
    youtube_stub.fail(503, "unavailable", path="/videos", method="PUT", times=20)
    with pytest.raises(ProviderOverloaded, match="after 3 retries"):
        up(youtube_stub, files, sync_sleeps, max_retries=3)
    assert len(sync_sleeps.calls) == 3


def test_transport_timeout_is_retried(youtube_stub, files, sync_sleeps):
    youtube_stub.slow(1.0, path="/videos")
    result = up(youtube_stub, files, sync_sleeps, timeout=0.3)
    assert result["video_id"] and len(sync_sleeps.calls) >= 1


def test_quota_exceeded_is_explained_not_dumped(youtube_stub, files, sync_sleeps):
    youtube_stub.quota_exceeded()
    with pytest.raises(NonRetryable) as err:
        up(youtube_stub, files, sync_sleeps)
    msg = str(err.value)
    assert "daily" in msg and "midnight Pacific" in msg and "<a href" not in msg
    assert err.value.code == "quotaExceeded" and sync_sleeps.calls == []


def test_unaudited_project_kept_private_is_explained(youtube_stub, files, sync_sleeps):
    youtube_stub.force_privacy = "private"
    result = up(youtube_stub, files, sync_sleeps, privacy="public")
    assert result["privacy"] == "private"
    assert any("audit" in n for n in result["notes"])


def test_thumbnail_failure_keeps_the_video(youtube_stub, files, sync_sleeps):
    youtube_stub.fail(403, {"error": {"code": 403, "message": "no custom thumbnails",
                                      "errors": [{"reason": "forbidden"}]}},
                      path="/thumbnails/set")
    result = up(youtube_stub, files, sync_sleeps)
    assert result["video_id"] and result["thumbnail"] is None
    assert "thumbnail was not set" in result["notes"][0]


def test_bad_input_and_expired_login(youtube_stub, files, sync_sleeps, tmp_path):
    with pytest.raises(InputError):
        up(youtube_stub, files, sync_sleeps, privacy="everyone")
    with pytest.raises(InputError):
        upload(tmp_path / "missing.mp4", None, META, credentials=creds(youtube_stub),
               base_url=youtube_stub.base_url)
    with pytest.raises(NonRetryable, match="youtube login"):
        upload(files[0], None, META, credentials=Credentials(token="ya29.wrong-token-xyz"),
               base_url=youtube_stub.base_url, chunksize=CHUNK)


def test_backend_wrapper_uses_youtube_base_url(youtube_stub, provider_env, files, sync_sleeps,
                                               tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    b = YouTubeBackend(ProviderSettings.load().get("youtube"), PriceBook(),
                       credentials=creds(youtube_stub), sleep=sync_sleeps, chunksize=CHUNK)
    youtube_stub.fail(502, "bad gateway", path="/videos", method="PUT")
    task = Task("upload", {"video": files[0], "thumbnail": files[1], "metadata": META})
    out = asyncio.run(b.execute(task, Context(workdir=tmp_path)))
    assert out.artifact["video_id"] in youtube_stub.videos and out.cost == 0.0
    assert youtube_stub.api_key not in caplog.text


def test_backend_without_login_is_unavailable(tmp_path):
    b = YouTubeBackend(ProviderSettings.load().get("youtube"), PriceBook())
    assert "youtube login" in (b.unavailable_reason() or "")
    with pytest.raises(RouteUnavailable):
        asyncio.run(b.execute(Task("upload", {}), Context(workdir=tmp_path)))


def test_login_stores_token_0600(tmp_path, monkeypatch):
    secrets = tmp_path / "client_secret.json"
    secrets.write_text(json.dumps({"installed": {"client_id": "x"}}))

    class FakeCreds:
        def to_json(self) -> str:
            return json.dumps({"token": "t", "refresh_token": "r", "client_id": "x",
                               "client_secret": "s", "scopes": youtube.SCOPES,
                               "expiry": "2999-01-01T00:00:00Z"})

    class FakeFlow:
        def run_local_server(self, **kw):  # type: ignore[no-untyped-def]
            return FakeCreds()

    path = login(secrets, flow_factory=lambda f, scopes: FakeFlow())
    assert path.parent == Path(str(tmp_path / "archibald-home"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ProviderSettings.load().get("youtube").configured
    assert youtube.load_credentials().token == "t"


def test_expired_login_without_network_is_explained(tmp_path):
    path = youtube.token_path()
    youtube._write_private(path, json.dumps({"token": "t", "refresh_token": "r",
                                             "client_id": "x", "client_secret": "s",
                                             "expiry": "2000-01-01T00:00:00Z"}))
    with pytest.raises(ProviderOverloaded, match="refresh"):  # oauth2.googleapis.com is blocked
        youtube.load_credentials()


def test_description_is_5000_bytes_without_angle_brackets(youtube_stub, files, sync_sleeps):
    """4,000 characters of 'é' are 8,000 bytes: YouTube refuses them (the stub does too)."""
    long = {**META, "description": "Breathe <slowly> — " + "é" * 4000}
    result = upload(files[0], None, long, credentials=creds(youtube_stub),
                    base_url=youtube_stub.base_url, chunksize=CHUNK, sleep=sync_sleeps)
    sent = youtube_stub.requests[0].json()["snippet"]["description"]
    assert len(sent.encode("utf-8")) <= 5000 and "<" not in sent and ">" not in sent
    assert sent.startswith("Breathe slowly") and result["video_id"]
    youtube_stub.requests.clear()
    import httpx

    r = httpx.post(youtube_stub.url("upload/youtube/v3/videos"),
                   params={"uploadType": "resumable", "part": "snippet,status"},
                   headers={"authorization": f"Bearer {youtube_stub.api_key}"},
                   json={"snippet": {"title": "t", "description": "é" * 2501}})
    assert r.status_code == 400 and "invalidDescription" in r.text


def test_live_upload_sends_languages_synthetic_flag_and_captions(youtube_stub, files,
                                                                 sync_sleeps, tmp_path):
    srt = tmp_path / "subtitles.srt"
    srt.write_text("1\n00:00:03,000 --> 00:00:06,000\nClose your eyes.\n", encoding="utf-8")
    meta = {**META, "defaultLanguage": "en", "defaultAudioLanguage": "en"}
    result = upload(files[0], files[1], meta, credentials=creds(youtube_stub),
                    base_url=youtube_stub.base_url, chunksize=CHUNK, sleep=sync_sleeps,
                    captions=srt)
    body = youtube_stub.requests[0].json()
    assert body["snippet"]["defaultLanguage"] == body["snippet"]["defaultAudioLanguage"] == "en"
    assert body["status"]["containsSyntheticMedia"] is True
    [caption] = youtube_stub.captions.values()
    assert caption["meta"]["snippet"] == {"videoId": result["video_id"], "language": "en",
                                          "name": "", "isDraft": False}
    assert caption["bytes"] == srt.read_bytes() and result["captions"] == str(srt)
    assert "https://www.googleapis.com/auth/youtube.force-ssl" in youtube.SCOPES


def test_captions_without_the_scope_are_a_note(youtube_stub, files, sync_sleeps, tmp_path):
    youtube_stub.scopes = {"https://www.googleapis.com/auth/youtube.upload"}
    srt = tmp_path / "s.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:01,000\nHi\n", encoding="utf-8")
    result = up(youtube_stub, files, sync_sleeps, captions=srt)
    assert result["video_id"] in youtube_stub.videos and result["captions"] is None
    assert any("force-ssl" in n for n in result["notes"])


@pytest.mark.parametrize("status", [403, 429])
def test_rate_limits_are_retried_with_backoff(youtube_stub, files, sync_sleeps, status):
    youtube_stub.rate_limited(status, times=2)
    result = up(youtube_stub, files, sync_sleeps)
    assert result["video_id"] in youtube_stub.videos
    assert len(sync_sleeps.calls) == 2
    assert all(0 <= s <= 2 ** (i + 1) for i, s in enumerate(sync_sleeps.calls))


def test_synthetic_media_is_a_channel_setting_on_by_default():
    from types import SimpleNamespace

    settings = SimpleNamespace(channels={"calm": {"synthetic_media": False}}, publish={})
    assert youtube.synthetic_media(settings, "calm") is False
    assert youtube.synthetic_media(settings, "other") is True
    assert youtube.synthetic_media(SimpleNamespace(channels={}, publish={
        "synthetic_media": False}), "x") is False
    body = youtube.video_body(META, "private", synthetic=False)
    assert body["status"]["containsSyntheticMedia"] is False


def test_a_channel_with_its_own_youtube_token_uploads_with_that_login(
        tmp_path, monkeypatch, files):
    """[channels.NAME] youtube_token: the channel's uploads use its own account's token."""
    import asyncio

    from archibald.config import load_settings
    from archibald.pipelines.youtube import publish
    from archibald.core.tasks import Context, Task

    token = {"token": "calm-token", "refresh_token": "r", "client_id": "x",
             "client_secret": "s", "scopes": youtube.SCOPES,
             "expiry": "2999-01-01T00:00:00Z"}
    (tmp_path / "tokens").mkdir()
    youtube._write_private(tmp_path / "tokens" / "calm.json", json.dumps(token))
    config = tmp_path / "archibald.toml"
    config.write_text('[channels.calm]\nyoutube_token = "tokens/calm.json"\n')
    settings = load_settings(config)
    used: list[str] = []
    monkeypatch.setattr(youtube, "upload", lambda *a, credentials, **k: (
        used.append(credentials.token), {"id": "v1"})[1])
    script = {"title": "Rain", "minutes": 1.0, "sleep": False,
              "sections": [{"name": "Arrival", "text": "Breathe in.", "kind": "settling"}]}
    concept = {"topic": "rain", "theme": "sleep", "technique": "body-scan", "audience": "everyone",
               "sleep": False, "minutes": 1.0, "title": "Rain Calm"}
    inputs = {"concept": concept, "script": script,
              "voice": {"duration": 2.0, "sentences": [[0.0, 1.0, "Breathe in."]],
                        "section_starts": [[0.0, "Arrival"]]},
              "video": {"path": str(files[0])}, "thumbnail": str(files[1]),
              "publish_dir": str(tmp_path / "publish"), "dry_run": False}
    for channel, expected in (("calm", "calm-token"),):
        result = asyncio.run(publish(Task("youtube_upload", inputs, channel),
                                     Context(workdir=tmp_path, settings=settings)))
        assert result["youtube"] == {"id": "v1"} and used[-1] == expected
    with pytest.raises(RouteUnavailable, match="no YouTube login"):  # default: no login yet
        asyncio.run(publish(Task("youtube_upload", inputs, "other"),
                            Context(workdir=tmp_path, settings=settings)))
