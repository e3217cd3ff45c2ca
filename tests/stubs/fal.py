"""fal.ai queue stub: submit, status (IN_QUEUE -> IN_PROGRESS -> COMPLETED), result, files.

Inputs are checked against the model's schema (tests/specs/fal_*.json, transcribed from fal's
model pages) and refused with fal's 422 ``{"detail": [{"loc", "msg", "type"}]}`` when they
break it — a CassetteAI duration outside 10-180 s, ElevenLabs Music given ``duration``.
Music results are real WAV files of the length asked for (8 kHz mono, to stay small).
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import wave
import zlib
from typing import Any

from .base import Recorded, Reply, StubServer
from .spec import file_schema, violations

#: app -> the spec file of its input/output schemas
SCHEMAS = {"cassetteai/music-generator": "fal_cassetteai_music_generator",
           "fal-ai/elevenlabs/music": "fal_elevenlabs_music",
           "fal-ai/flux/dev": "fal_flux_dev"}


def model_schema(app: str, part: str) -> dict[str, Any] | None:
    """The closed input/output schema of ``app``, if one was transcribed."""
    name = SCHEMAS.get(app)
    if name is None:
        return None
    spec = file_schema(name)
    return {"$ref": f"#/$defs/{part}", "$defs": spec["$defs"]}


def tone_wav(seconds: float, rate: int = 8000) -> bytes:
    """A quiet 220 Hz sine of ``seconds`` as 16-bit mono WAV."""
    n = int(round(seconds * rate))
    frames = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / rate)))
                      for i in range(n))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return buf.getvalue()

_ids = itertools.count(1)


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    """A valid grey PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0,
                                                             0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class FalStub(StubServer):
    """Every submitted request walks ``states`` on successive status polls, then COMPLETED.

    Image apps (``.../flux...``) answer ``{"images": [...]}``; other apps ``{"audio_file": ...}``.
    Set ``complete_with_error`` to make the next request COMPLETE with an error.
    """

    name = "fal"

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(api_key)
        self.states = ["IN_QUEUE", "IN_PROGRESS"]
        self.complete_with_error: str | None = None
        self.jobs: dict[str, dict[str, Any]] = {}
        self.file_bytes = {"png": tiny_png(), "wav": b"RIFF\x24\x00\x00\x00WAVEstub"}
        #: music files are real tones of the asked length; False serves 16 bytes of non-audio
        self.real_audio = True

    def _auth_ok(self, req: Recorded) -> bool:
        return self.api_key is None or req.headers.get("authorization") == f"Key {self.api_key}"

    def handle(self, req: Recorded) -> Reply:
        parts = req.path.strip("/").split("/")
        if req.method == "GET" and parts[0] == "files":
            rid, ext = parts[-1].rsplit(".", 1)
            job = self.jobs.get(rid) or {}
            seconds = self._music_seconds(job.get("input") or {})
            if ext == "wav" and seconds and self.real_audio:
                return Reply(200, tone_wav(seconds), {"content-type": "audio/wav"})
            return Reply(200, self.file_bytes.get(ext, b"?"), {"content-type": "image/png"
                                                              if ext == "png" else "audio/wav"})
        if not self._auth_ok(req):
            return Reply(401, {"detail": "Invalid or missing key"},
                         {"x-fal-error-type": "authentication_error"})
        if "requests" in parts:
            i = parts.index("requests")
            app, rid, rest = "/".join(parts[:i]), parts[i + 1], parts[i + 2:]
            job = self.jobs.get(rid)
            if job is None:
                return Reply(404, {"detail": f"request {rid} not found"})
            if rest == ["status"]:
                return self._status(job)
            if rest == ["cancel"]:
                return Reply(202, {"status": "CANCELLATION_REQUESTED"})
            if not rest:
                return self._result(job, app)
        if req.method == "POST" and len(parts) >= 2:
            return self._submit(req, parts)
        return Reply(404, {"detail": f"no route {req.method} {req.path}"})

    @staticmethod
    def _music_seconds(inp: dict[str, Any]) -> float:
        if "music_length_ms" in inp:
            return float(inp["music_length_ms"]) / 1000.0
        return float(inp.get("duration") or 0)

    def _submit(self, req: Recorded, parts: list[str]) -> Reply:
        app = "/".join(parts[:2])
        schema = model_schema("/".join(parts), "input")
        if schema is not None:
            problems = violations(schema, req.json())
            if problems:
                return Reply(422, {"detail": [{"loc": ["body", p.split(":", 1)[0]],
                                               "msg": p.split(": ", 1)[-1],
                                               "type": "value_error"} for p in problems]},
                             {"x-fal-error-type": "validation_error"})
        rid = f"req-{next(_ids):04d}-stub"
        self.jobs[rid] = {"id": rid, "app": "/".join(parts), "input": req.json(), "polls": 0,
                          "error": self.complete_with_error}
        self.complete_with_error = None
        base = f"{self.base_url}/{app}/requests/{rid}"
        return Reply(200, {"request_id": rid, "response_url": base, "status_url":
                           f"{base}/status", "cancel_url": f"{base}/cancel",
                           "queue_position": 0})

    def _status(self, job: dict[str, Any]) -> Reply:
        n = job["polls"]
        job["polls"] += 1
        if n < len(self.states):
            state = self.states[n]
            body: dict[str, Any] = {"status": state, "request_id": job["id"]}
            if state == "IN_QUEUE":
                body["queue_position"] = 0
            else:
                body["logs"] = [{"message": "working", "level": "INFO"}]
            return Reply(202, body)
        body = {"status": "COMPLETED", "request_id": job["id"], "logs": [],
                "metrics": {"inference_time": 0.5}}
        if job["error"]:
            body.update(error=job["error"], error_type="runner_error")
        return Reply(200, body)

    def _result(self, job: dict[str, Any], app: str) -> Reply:
        if job["error"]:
            return Reply(500, {"detail": job["error"]}, {"x-fal-error-type": "runner_error"})
        rid, inp = job["id"], job["input"]
        if "flux" in job["app"] or "image" in job["app"]:
            size = inp.get("image_size") or {"width": 1024, "height": 768}
            return Reply(200, {"images": [{"url": f"{self.base_url}/files/{rid}.png",
                                           "width": size["width"], "height": size["height"],
                                           "content_type": "image/png"}],
                               "seed": 42, "has_nsfw_concepts": [False],
                               "timings": {"inference": 0.5}, "prompt": inp.get("prompt")})
        audio = {"url": f"{self.base_url}/files/{rid}.wav", "content_type": "audio/wav",
                 "file_name": "output.wav"}
        key = "audio" if job["app"].endswith("elevenlabs/music") else "audio_file"
        return Reply(200, {key: audio})
