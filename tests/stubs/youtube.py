"""YouTube Data API v3 stub: resumable videos.insert (Location, 308 + Range) and thumbnails.set.

Point google-api-python-client at it with ``build_from_document`` and ``rootUrl`` set to
``base_url + "/"``. Faults: ``fail(500, path="/videos", method="PUT")`` fails a chunk;
``quota_exceeded()`` refuses the upload's first request; ``rate_limited()`` answers 403
``rateLimitExceeded`` once.

The video metadata is checked against the discovery document's ``Video`` schema and YouTube's
rules (title at most 100 characters, description at most 5,000 bytes, neither with ``<`` or
``>``; tags at most 500 characters all together, the commas between them counted and a tag with
a space counted with the quotes YouTube wraps it in; ``status.publishAt`` only on a private
video): a breach is a 400 ``invalidTitle`` / ``invalidDescription`` / ``invalidTags`` /
``invalidPublishAt``, as developers.google.com/youtube/v3/docs/videos/insert lists them. ``captions.insert``
(multipart upload) needs the ``youtube.force-ssl`` scope, which ``scopes`` grants.
"""

from __future__ import annotations

import email
import email.policy
import itertools
import json
import re
from typing import Any

from .base import Recorded, Reply, StubServer
from .spec import discovery_schema, violations

FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"
UPLOAD = "https://www.googleapis.com/auth/youtube.upload"


def multipart(req: Recorded) -> tuple[Any, bytes]:
    """The JSON metadata and the media bytes of a ``multipart/related`` upload."""
    msg = email.message_from_bytes(
        b"Content-Type: " + req.headers["content-type"].encode() + b"\r\n\r\n" + req.body,
        policy=email.policy.HTTP)
    parts = list(msg.iter_parts())  # type: ignore[attr-defined]
    return json.loads(parts[0].get_payload(decode=True)), parts[1].get_payload(decode=True)


def metadata_problems(meta: Any) -> tuple[str, str] | None:
    """(reason, message) of YouTube's 400 for video metadata it refuses, else None."""
    problems = violations(discovery_schema("Video"), meta)
    if problems:
        return "invalidVideoMetadata", "; ".join(problems)
    snippet = (meta or {}).get("snippet") or {}
    title, description = str(snippet.get("title", "")), str(snippet.get("description", ""))
    if not title.strip() or len(title) > 100 or "<" in title or ">" in title:
        return "invalidTitle", "The request metadata specifies an invalid video title."
    if len(description.encode("utf-8")) > 5000 or "<" in description or ">" in description:
        return "invalidDescription", "The request metadata specifies an invalid video " \
            "description."
    tags = [str(t) for t in snippet.get("tags") or []]
    counted = sum(len(t) + (2 if " " in t else 0) for t in tags) + max(len(tags) - 1, 0)
    if counted > 500 or any("<" in t or ">" in t for t in tags):
        return "invalidTags", "The request metadata specifies invalid video keywords."
    status = (meta or {}).get("status") or {}
    if status.get("publishAt") is not None and status.get("privacyStatus") != "private":
        return "invalidPublishAt", "The request metadata specifies an invalid scheduled " \
            "publishing time."
    return None

_ids = itertools.count(1)


def youtube_error(code: int, reason: str, message: str, domain: str = "youtube.quota"
                  ) -> dict[str, Any]:
    return {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}]}}


class YouTubeStub(StubServer):
    """Sessions keyed by upload_id hold the metadata and the bytes received so far."""

    name = "youtube"

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(api_key)  # here api_key is the OAuth access token expected
        self.sessions: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.thumbnails: dict[str, bytes] = {}
        #: the privacy the stub grants (an unaudited project gets "private" whatever it asks)
        self.force_privacy: str | None = None
        #: the OAuth scopes the stub's token carries
        self.scopes: set[str] = {UPLOAD, FORCE_SSL}
        self.captions: dict[str, dict[str, Any]] = {}

    def handle(self, req: Recorded) -> Reply:
        if self.api_key is not None and not self.bearer_ok(req):
            return Reply(401, youtube_error(401, "authError", "Invalid Credentials", "global"))
        path = re.sub(r"/+", "/", req.path)
        if path.endswith("/youtube/v3/videos") and req.method == "POST" \
                and req.q("uploadType") == "resumable":
            bad = metadata_problems(req.json())
            if bad:
                return Reply(400, youtube_error(400, bad[0], bad[1], "youtube.video"))
            uid = f"upl{next(_ids):04d}"
            self.sessions[uid] = {"meta": req.json(), "data": b"",
                                  "total": int(req.headers.get("x-upload-content-length", -1)),
                                  "part": req.q("part")}
            return Reply(200, b"", {"location": f"{self.base_url}/upload/youtube/v3/videos"
                                                f"?uploadType=resumable&upload_id={uid}"})
        if path.endswith("/youtube/v3/videos") and req.method == "PUT":
            return self._chunk(req)
        if path.endswith("/youtube/v3/thumbnails/set") and req.method == "POST":
            vid = req.q("videoId") or ""
            if vid not in self.videos:
                return Reply(404, youtube_error(404, "videoNotFound", "Video not found",
                                                "youtube.thumbnail"))
            self.thumbnails[vid] = req.body
            return Reply(200, {"kind": "youtube#thumbnailSetResponse", "items": [
                {"default": {"url": f"{self.base_url}/vi/{vid}/default.jpg", "width": 120,
                             "height": 90}}]})
        if path.endswith("/youtube/v3/captions") and req.method == "POST":
            return self._caption(req)
        return Reply(404, youtube_error(404, "notFound", f"{req.method} {path}", "global"))

    def _caption(self, req: Recorded) -> Reply:
        if FORCE_SSL not in self.scopes:
            return Reply(403, youtube_error(403, "insufficientPermissions", "Request had "
                                            "insufficient authentication scopes.", "global"))
        meta, data = multipart(req)
        problems = violations(discovery_schema("Caption"), meta)
        vid = str(((meta or {}).get("snippet") or {}).get("videoId", ""))
        if problems or vid not in self.videos:
            return Reply(400, youtube_error(400, "invalidMetadata", "; ".join(problems)
                                            or f"no video {vid}", "youtube.caption"))
        cid = f"cap{next(_ids):04d}"
        self.captions[cid] = {"meta": meta, "bytes": data}
        return Reply(200, {"kind": "youtube#caption", "id": cid, "etag": "e",
                           "snippet": {**meta["snippet"], "status": "serving",
                                       "trackKind": "standard"}})

    def _chunk(self, req: Recorded) -> Reply:
        session = self.sessions.get(req.q("upload_id") or "")
        if session is None:
            return Reply(404, youtube_error(404, "notFound", "upload session not found"))
        crange = req.headers.get("content-range", "")
        m = re.match(r"bytes (\d+)-(\d+)/(\d+|\*)", crange)
        if m:
            first = int(m.group(1))
            if first == len(session["data"]):
                session["data"] += req.body
            if m.group(3) != "*":
                session["total"] = int(m.group(3))
        elif (q := re.match(r"bytes \*/(\d+)", crange)):
            session["total"] = int(q.group(1))
        elif not crange:  # a single PUT with the whole file
            session["data"] = req.body
            session["total"] = len(req.body)
        received = len(session["data"])
        if session["total"] >= 0 and received >= session["total"]:
            return Reply(200, self._video(session))
        headers = {"range": f"bytes=0-{received - 1}"} if received else {}
        return Reply(308, b"", headers)

    def _video(self, session: dict[str, Any]) -> dict[str, Any]:
        if "video" in session:
            return dict(session["video"])
        vid = f"vid{next(_ids):05d}stub"
        meta = session["meta"] or {}
        status = dict(meta.get("status") or {})
        if self.force_privacy:
            status["privacyStatus"] = self.force_privacy
        video = {"kind": "youtube#video", "id": vid, "snippet": meta.get("snippet", {}),
                 "status": {"uploadStatus": "uploaded", **status}}
        session["video"] = video
        self.videos[vid] = {"video": video, "bytes": session["data"]}
        return dict(video)

    def rate_limited(self, status: int = 403, *, times: int = 1) -> "YouTubeStub":
        reason = "rateLimitExceeded" if status == 403 else "tooManyRequests"
        self.fail(status, youtube_error(status, reason, "The request cannot be completed "
                                        "because you have exceeded a rate limit.",
                                        "youtube.quota"), path="/videos", method="POST",
                  times=times)
        return self

    def quota_exceeded(self) -> "YouTubeStub":
        self.fail(403, youtube_error(403, "quotaExceeded", "The request cannot be completed "
                                     "because you have exceeded your <a href=\"/youtube/v3/"
                                     "getting-started#quota\">quota</a>."), path="/videos",
                  method="POST")
        return self
