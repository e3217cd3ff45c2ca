"""Publishing on YouTube with google-api-python-client: resumable upload, thumbnail, login.

``videos.insert`` runs as a resumable, chunked upload driven by ``next_chunk``; 500/502/503/504,
429, 403 ``rateLimitExceeded``/``userRateLimitExceeded`` and transport errors are retried with
``random() * 2**n`` second sleeps, at most 10 times. YouTube's own refusals (daily quota,
unaudited projects, an expired login) are explained in plain words rather than dumped.

The request body (:func:`video_body`) follows the discovery document's ``Video`` schema and is
the same for the dry run's request.json and the live upload: the description is cut to 5,000
UTF-8 *bytes* without ``<`` or ``>``, the languages are sent, and
``status.containsSyntheticMedia`` (the altered-or-synthetic-content disclosure) is set from the
channel's ``synthetic_media`` setting, on by default because every voice Archibald makes is
synthetic. Captions go up with ``captions.insert``, which needs the ``youtube.force-ssl`` scope.

``YOUTUBE_BASE_URL`` points the client at a stub: the client's ``api_endpoint`` option keeps
https, so the bundled discovery document is rebuilt with its ``rootUrl`` overridden. The OAuth token lives in ARCHIBALD_HOME with 0600 permissions.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import mimetypes
import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from ...errors import (BackendError, InputError, NonRetryable, ProviderOverloaded,
                      RouteUnavailable)
from ...core.prices import PriceBook
from ..registry import Provider, archibald_home, redact
from ...core.tasks import Context, Outcome, Task, Usage
from .base import Backend
from .http import log

__all__ = ["SCOPES", "TOKEN_FILE", "login", "load_credentials", "build_service", "upload",
           "explain_http_error", "video_body", "youtube_text", "youtube_tags", "tag_length",
           "synthetic_media", "YouTubeBackend"]

#: videos.insert and thumbnails.set need youtube.upload; captions.insert needs force-ssl
SCOPES = ["https://www.googleapis.com/auth/youtube.upload",
          "https://www.googleapis.com/auth/youtube.force-ssl"]
TOKEN_FILE = "youtube-token.json"
_RETRY_STATUS = {429, 500, 502, 503, 504}
#: 403 reasons that mean "slow down", not "never"
_RETRY_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
#: snippet.tags, all together: commas between tags count, and a tag with a space counts the
#: quotes YouTube puts around it ("Foo Baz" is 9 characters; developers.google.com/youtube/v3/
#: docs/videos#snippet.tags); more is a 400 invalidTags
TAGS_MAX_CHARS = 500
_PRIVACY = ("private", "unlisted", "public")
_UNAUDITED = ("YouTube kept the video private: videos uploaded through an API project that has "
              "not passed Google's audit can only be private. Publish it by hand in YouTube "
              "Studio, or apply for the audit (YouTube API Services audit and quota extension "
              "form) to upload public videos.")


def token_path(home: str | os.PathLike[str] | None = None) -> Path:
    return Path(home or archibald_home()) / TOKEN_FILE


def _write_private(path: Path, text: str) -> None:
    from ...store.fsio import write_file

    path.parent.mkdir(parents=True, exist_ok=True)
    write_file(path, text, mode=0o600)  # a new file, 0600 from birth, renamed over the old one


def login(client_secrets: Path, *, home: str | os.PathLike[str] | None = None,
          flow_factory: Callable[..., Any] | None = None, path: Path | None = None) -> Path:
    """Run the OAuth installed-app flow in the browser; store the token (0600) at ``path``
    (a channel's ``youtube_token``), else in ARCHIBALD_HOME; return where."""
    if not Path(client_secrets).is_file():
        raise InputError(f"{client_secrets} not found: download the OAuth client (type "
                         f"'Desktop app') from the Google Cloud console and pass its path")
    if flow_factory is None:
        from google_auth_oauthlib.flow import InstalledAppFlow

        flow_factory = InstalledAppFlow.from_client_secrets_file
    flow = flow_factory(str(client_secrets), scopes=SCOPES)
    credentials = flow.run_local_server(port=0, open_browser=True)
    path = path or token_path(home)
    _write_private(path, credentials.to_json())
    return path


def load_credentials(home: str | os.PathLike[str] | None = None, *,
                     path: Path | None = None) -> Any:
    """The stored OAuth credentials (a channel's token file at ``path``, else ARCHIBALD_HOME's),
    refreshed (and re-saved) if they have expired."""
    path = path or token_path(home)
    if not path.exists():
        raise RouteUnavailable(f"no YouTube login at {path}: run `archibald youtube login "
                               f"--client-secrets client_secret.json` first (--channel NAME "
                               f"for a channel with its own youtube_token)")
    from google.oauth2.credentials import Credentials

    try:
        # the scopes the token was granted (a token from before captions were uploaded has no
        # force-ssl; asking for it on refresh would fail the upload, not just the captions)
        credentials = Credentials.from_authorized_user_file(  # type: ignore[no-untyped-call]
            str(path))
    except (ValueError, json.JSONDecodeError) as exc:
        raise RouteUnavailable(f"the YouTube token {path} is unreadable ({exc}); run "
                               f"`archibald youtube login` again") from None
    if not credentials.valid and credentials.refresh_token:
        from google.auth.exceptions import RefreshError, TransportError
        from google.auth.transport.requests import Request

        try:
            credentials.refresh(Request())
        except RefreshError:
            raise RouteUnavailable("the YouTube login has expired or was revoked; run "
                                   "`archibald youtube login` again") from None
        except TransportError as exc:
            raise ProviderOverloaded(redact(f"could not refresh the YouTube login: {exc}"),
                                     provider="youtube", code="transport") from None
        _write_private(path, credentials.to_json())
    return credentials


def build_service(credentials: Any, base_url: str | None = None, timeout: float = 60.0) -> Any:
    """A YouTube v3 client; with ``base_url`` its every URL (uploads too) points there."""
    import google_auth_httplib2
    from googleapiclient.discovery import build, build_from_document
    from googleapiclient.discovery_cache import get_static_doc
    from googleapiclient.http import build_http

    raw = build_http()  # httplib2 with 308 taken out of its redirects, as resumable needs
    raw.timeout = timeout
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=raw)
    if not base_url:
        return build("youtube", "v3", http=http, static_discovery=True, cache_discovery=False)
    doc = json.loads(get_static_doc("youtube", "v3"))
    doc["rootUrl"] = base_url.rstrip("/") + "/"
    doc["baseUrl"] = doc["rootUrl"] + doc.get("servicePath", "")
    return build_from_document(doc, http=http)


def _reason(error: Any) -> tuple[str, str]:
    try:
        body = json.loads(error.content.decode("utf-8", "replace"))
        err = body.get("error", {})
        reasons = err.get("errors") or [{}]
        return str(reasons[0].get("reason") or ""), str(err.get("message") or "")
    except (ValueError, AttributeError, TypeError):
        return "", ""


def explain_http_error(error: Any) -> BackendError:
    """A googleapiclient HttpError as an Archibald error that says what to do."""
    status = int(getattr(error.resp, "status", 0) or 0)
    reason, message = _reason(error)
    lowered = f"{reason} {message}".lower()
    if reason in ("quotaExceeded", "dailyLimitExceeded"):
        text = ("YouTube refused the upload: this Google Cloud project has used up its daily "
                "YouTube Data API quota. The quota resets at midnight Pacific time; upload "
                "again after that, or ask for more quota in the Google Cloud console.")
    elif reason == "uploadLimitExceeded":
        text = ("YouTube refused the upload: this channel has reached its upload limit for "
                "today. Try again tomorrow.")
    elif "audit" in lowered or "unverified" in lowered:
        text = _UNAUDITED
    elif status == 401 or reason in ("authError", "unauthorized"):
        text = ("YouTube did not accept the login (expired or revoked); run "
                "`archibald youtube login` again.")
    elif status == 403:
        text = (f"YouTube refused the request ({reason or 'forbidden'}): check that the "
                f"logged-in account owns the channel and that the YouTube Data API is enabled "
                f"for the project.")
    else:
        text = f"YouTube answered HTTP {status} ({reason or 'error'}): {message[:200]}"
    cls = ProviderOverloaded if _retryable(error) else NonRetryable
    return cls(redact(text), provider="youtube", status=status, code=reason or None)


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httplib2
    from google.auth.exceptions import TransportError

    return (httplib2.HttpLib2Error, OSError, http.client.HTTPException, TransportError)


def youtube_text(text: str, max_bytes: int) -> str:
    """``text`` without ``<`` and ``>`` (YouTube rejects them in titles and descriptions), cut
    to ``max_bytes`` of UTF-8 at the last line or word break that fits."""
    clean = text.replace("<", "").replace(">", "")
    raw = clean.encode("utf-8")
    if len(raw) <= max_bytes:
        return clean
    cut = raw[:max_bytes].decode("utf-8", "ignore")
    for sep in ("\n", " "):
        head = cut.rsplit(sep, 1)[0]
        if len(head) >= len(cut) * 0.8:
            return head.rstrip()
    return cut


def tag_length(tag: str) -> int:
    """What one tag counts toward YouTube's 500: its characters, plus 2 quotes if it has a
    space."""
    return len(tag) + (2 if " " in tag else 0)


def youtube_tags(tags: Any, max_chars: int = TAGS_MAX_CHARS) -> list[str]:
    """The tags YouTube accepts, in order: cleaned (no ``<``/``>``, spaces collapsed),
    duplicates and empties dropped, and only as many as fit ``max_chars`` counted as YouTube
    counts (a tag that does not fit is left out; a shorter later one may still fit)."""
    kept: list[str] = []
    seen: set[str] = set()
    used = 0
    for raw in tags or []:
        tag = " ".join(str(raw).replace("<", "").replace(">", "").split())
        if not tag or tag.lower() in seen:
            continue
        cost = tag_length(tag) + (1 if kept else 0)  # the comma before it
        if used + cost > max_chars:
            continue
        kept.append(tag)
        seen.add(tag.lower())
        used += cost
    return kept


def synthetic_media(settings: Any, channel: str | None) -> bool:
    """Whether the channel's uploads declare altered or synthetic content: the channel's
    ``synthetic_media`` setting, else [publish] ``synthetic_media``, else on."""
    channels = getattr(settings, "channels", None) or {}
    own = channels.get(channel) if channel else None
    if isinstance(own, Mapping) and "synthetic_media" in own:
        return bool(own["synthetic_media"])
    mine = getattr(own, "synthetic_media", None)  # a ChannelTable of the strict schema
    if mine is not None:
        return bool(mine)
    return bool((getattr(settings, "publish", None) or {}).get("synthetic_media", True))


def video_body(metadata: Mapping[str, Any], privacy: str, *, synthetic: bool = True,
               publish_at: str | None = None) -> dict[str, Any]:
    """The ``Video`` resource for videos.insert (part=snippet,status), as the discovery
    document defines it. A scheduled video (``publish_at``, ISO 8601) must be private until
    then: YouTube makes it public at status.publishAt."""
    if publish_at and privacy != "private":
        raise InputError(f"a scheduled video (publishAt {publish_at}) must be uploaded "
                         f"private, not {privacy}")
    title = youtube_text(str(metadata.get("title") or "").strip(), 4 * TITLE_MAX_CHARS)
    snippet: dict[str, Any] = {
        "title": title[:TITLE_MAX_CHARS],
        "description": youtube_text(str(metadata.get("description", "")), DESCRIPTION_MAX_BYTES),
        "tags": youtube_tags(metadata.get("tags")),
        "categoryId": str(metadata.get("categoryId", "22"))}
    for key in ("defaultLanguage", "defaultAudioLanguage"):
        if metadata.get(key):
            snippet[key] = str(metadata[key])
    status: dict[str, Any] = {"privacyStatus": privacy,
                              "selfDeclaredMadeForKids": bool(metadata.get("madeForKids", False)),
                              "containsSyntheticMedia": bool(synthetic)}
    if publish_at:
        status["publishAt"] = publish_at
    return {"snippet": snippet, "status": status}


def _retryable(error: Any) -> bool:
    status = int(getattr(error.resp, "status", 0) or 0)
    return status in _RETRY_STATUS or (status == 403 and _reason(error)[0] in _RETRY_REASONS)


def _call_with_retries(step: Callable[[], Any], what: str, *, max_retries: int,
                       sleep: Callable[[float], None]) -> Any:
    """Run ``step`` until it returns non-None; retry 5xx, 429, 403 rate limits and transport
    errors with jittered 2**n second sleeps."""
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

    retry = 0
    while True:
        try:
            result = step()
            if result is not None:
                return result
            continue  # a chunk went through; send the next one
        except HttpError as exc:
            if not _retryable(exc):
                raise explain_http_error(exc) from None
            error = f"HTTP {exc.resp.status} {_reason(exc)[0]}".rstrip()
        except RefreshError:
            raise NonRetryable("YouTube did not accept the login and it could not be refreshed; "
                               "run `archibald youtube login` again.", provider="youtube",
                               status=401) from None
        except _transport_errors() as exc:
            error = f"{type(exc).__name__}: {exc}"
        retry += 1
        if retry > max_retries:
            raise ProviderOverloaded(redact(f"YouTube {what} failed after {max_retries} "
                                            f"retries: {error}"), provider="youtube")
        wait = random.random() * 2 ** retry
        log.warning("YouTube %s: %s; retry %d/%d in %.1fs", what, redact(error), retry,
                    max_retries, wait)
        sleep(wait)


def upload(video: Path, thumbnail: Path | None, metadata: Mapping[str, Any], *,
           privacy: str = "private", publish_at: str | None = None,
           credentials: Any = None, base_url: str | None = None,
           chunksize: int = 8 * 1024 * 1024, max_retries: int = 10,
           sleep: Callable[[float], None] = time.sleep, timeout: float = 60.0,
           captions: Path | None = None, synthetic: bool = True) -> dict[str, Any]:
    """Upload ``video`` (resumable, chunked), set its thumbnail, upload its captions; return
    id, url and notes (a thumbnail or captions that did not go up are notes, not failures)."""
    from googleapiclient.http import MediaFileUpload

    if privacy not in _PRIVACY:
        raise InputError(f"privacy {privacy!r} is not one of {', '.join(_PRIVACY)}")
    if not Path(video).is_file():
        raise InputError(f"video {video} does not exist")
    title = str(metadata.get("title") or "").strip()
    if not title:
        raise InputError("the video needs a title")
    credentials = credentials if credentials is not None else load_credentials()
    service = build_service(credentials, base_url or os.environ.get("YOUTUBE_BASE_URL"), timeout)
    if captions is not None and not Path(captions).is_file():
        raise InputError(f"captions {captions} do not exist")
    body = video_body(metadata, privacy, synthetic=synthetic, publish_at=publish_at)
    media = MediaFileUpload(str(video), mimetype=mimetypes.guess_type(str(video))[0]
                            or "video/mp4", chunksize=chunksize, resumable=True)
    request = service.videos().insert(part="snippet,status", body=body, media_body=media)

    def next_chunk() -> Any:
        _, response = request.next_chunk(num_retries=0)
        return response

    response = _call_with_retries(next_chunk, "upload", max_retries=max_retries, sleep=sleep)
    if "id" not in response:
        raise BackendError(f"YouTube finished the upload without a video id: "
                           f"{redact(str(response)[:200])}", provider="youtube")
    video_id = str(response["id"])
    notes: list[str] = []
    granted = (response.get("status") or {}).get("privacyStatus", privacy)
    if granted != privacy:
        notes.append(_UNAUDITED)
    result: dict[str, Any] = {"video_id": video_id,
                              "url": f"https://www.youtube.com/watch?v={video_id}",
                              "privacy": granted, "thumbnail": None, "captions": None,
                              "notes": notes}
    if thumbnail is not None:
        thumb = MediaFileUpload(str(thumbnail), mimetype=mimetypes.guess_type(str(thumbnail))[0]
                                or "image/png", resumable=False)
        try:
            _call_with_retries(lambda: service.thumbnails().set(videoId=video_id,
                                                                media_body=thumb).execute(),
                               "thumbnail", max_retries=max_retries, sleep=sleep)
            result["thumbnail"] = str(thumbnail)
        except BackendError as exc:  # the video is up; a missing thumbnail must not redo it
            notes.append(f"the thumbnail was not set: {exc}")
    if captions is not None:
        language = str(metadata.get("defaultLanguage") or "en")
        track = MediaFileUpload(str(captions), mimetype="application/octet-stream",
                                resumable=False)
        caption_body = {"snippet": {"videoId": video_id, "language": language,
                                    "name": "", "isDraft": False}}
        try:
            _call_with_retries(lambda: service.captions().insert(
                part="snippet", body=caption_body, media_body=track).execute(),
                "captions", max_retries=max_retries, sleep=sleep)
            result["captions"] = str(captions)
        except BackendError as exc:
            hint = " (run `archibald youtube login` again to grant the youtube.force-ssl " \
                   "scope captions need)" if exc.status == 403 else ""
            notes.append(f"the captions were not uploaded: {exc}{hint}")
    log.info("YouTube: uploaded %s as %s (%s)", video, video_id, granted)
    return result


class YouTubeBackend(Backend):
    """Publishing. Reads inputs video, thumbnail, metadata (+privacy, captions,
    synthetic_media); returns ``{"video_id", "url", "privacy", "thumbnail", "captions",
    "notes"}``."""

    capability = frozenset({"upload"})

    def __init__(self, provider: Provider, prices: PriceBook, *, privacy: str = "private",
                 route: str = "premium", credentials: Any = None,
                 sleep: Callable[[float], None] = time.sleep, chunksize: int = 8 * 1024 * 1024
                 ) -> None:
        self._route = route
        self.provider = provider
        self.prices = prices
        self.privacy = privacy
        self.credentials = credentials
        self.sleep = sleep
        self.chunksize = chunksize
        self.name = "youtube:videos.insert"

    @property
    def route(self) -> str:  # type: ignore[override]
        return self._route

    def unavailable_reason(self) -> str | None:
        if self.credentials is None and not self.provider.configured:
            return f"youtube is not configured: {self.provider.missing}"
        return None

    async def execute(self, task: Task, context: Context) -> Outcome:
        reason = self.unavailable_reason()
        if reason:
            raise RouteUnavailable(reason)
        start = time.perf_counter()
        thumb = task.inputs.get("thumbnail")
        captions = task.inputs.get("captions")
        credentials = self.credentials or load_credentials()
        base = None if self.provider.base_url.startswith("https://www.googleapis.com") \
            else self.provider.base_url
        result = await asyncio.to_thread(
            upload, Path(task.inputs["video"]), Path(thumb) if thumb else None,
            dict(task.inputs.get("metadata") or {}),
            privacy=str(task.inputs.get("privacy") or self.privacy),
            publish_at=task.inputs.get("publish_at") or None, credentials=credentials,
            base_url=base, chunksize=self.chunksize, sleep=self.sleep,
            captions=Path(captions) if captions else None,
            synthetic=bool(task.inputs.get("synthetic_media", True)))
        usage = Usage(requests=1)
        return Outcome(artifact=result, backend=self.name, route=self._route, usage=usage,
                       cost=self.prices.cost(usage, unit="youtube:upload"),
                       seconds=time.perf_counter() - start,
                       detail={"notes": result["notes"],
                               "price_source": self.prices.source(unit="youtube:upload")})
