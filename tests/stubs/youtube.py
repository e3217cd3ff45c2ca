"""YouTube Data API v3 stub: resumable videos.insert (Location, 308 + Range) and thumbnails.set.

Point google-api-python-client at it with ``build_from_document`` and ``rootUrl`` set to
``base_url + "/"``. Faults: ``fail(500, path="/videos", method="PUT")`` fails a chunk;
``quota_exceeded()`` refuses the upload's first request.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from .base import Recorded, Reply, StubServer

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

    def handle(self, req: Recorded) -> Reply:
        if self.api_key is not None and not self.bearer_ok(req):
            return Reply(401, youtube_error(401, "authError", "Invalid Credentials", "global"))
        path = re.sub(r"/+", "/", req.path)
        if path.endswith("/youtube/v3/videos") and req.method == "POST" \
                and req.q("uploadType") == "resumable":
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
        return Reply(404, youtube_error(404, "notFound", f"{req.method} {path}", "global"))

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

    def quota_exceeded(self) -> "YouTubeStub":
        self.fail(403, youtube_error(403, "quotaExceeded", "The request cannot be completed "
                                     "because you have exceeded your <a href=\"/youtube/v3/"
                                     "getting-started#quota\">quota</a>."), path="/videos",
                  method="POST")
        return self
