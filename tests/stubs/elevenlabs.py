"""ElevenLabs stub: POST /v1/text-to-speech/{voice_id}/with-timestamps (xi-api-key).

A body or output format that breaks the ``elevenlabs`` SDK's ``convert_with_timestamps``
types is a 422, as the API answers it.
"""

from __future__ import annotations

import base64
import itertools
import struct
from functools import lru_cache
from typing import Any

from .base import Recorded, Reply, StubServer
from .spec import signature_schema, violations

#: the JSON body of convert_with_timestamps (voice_id is the path, the rest are query params)
BODY = ("text", "model_id", "language_code", "voice_settings",
        "pronunciation_dictionary_locators", "seed", "previous_text", "next_text",
        "previous_request_ids", "next_request_ids", "use_pvc_as_ivc", "apply_text_normalization",
        "apply_language_text_normalization", "audio_effects")


@lru_cache(maxsize=1)
def schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """The request body and the ``output_format`` query parameter, from the SDK."""
    from elevenlabs.text_to_speech.raw_client import RawTextToSpeechClient

    method = RawTextToSpeechClient.convert_with_timestamps
    return (signature_schema(method, body=BODY),
            signature_schema(method, body=("output_format",)))

_ids = itertools.count(1)
#: seconds of speech per character the stub pretends to need
CHAR_SECONDS = 0.01


class ElevenLabsStub(StubServer):
    """Speaks any text as a quiet tone: PCM 16-bit mono at the requested pcm_ rate, with
    per-character alignment (``CHAR_SECONDS`` each)."""

    name = "elevenlabs"

    def handle(self, req: Recorded) -> Reply:
        if req.method == "GET" and req.path.startswith("/v1/user"):
            return Reply(200, {"subscription": {"tier": "creator"}})
        parts = req.path.strip("/").split("/")
        if req.method != "POST" or len(parts) != 4 or parts[:2] != ["v1", "text-to-speech"] \
                or parts[3] != "with-timestamps":
            return Reply(404, {"detail": {"status": "not_found", "message": req.path}})
        if self.api_key is not None and req.headers.get("xi-api-key") != self.api_key:
            return Reply(401, {"detail": {"status": "invalid_api_key",
                                          "message": "Invalid API key"}})
        fmt = req.q("output_format") or "mp3_44100_128"
        body_schema, format_schema = schemas()
        problems = violations(body_schema, req.json()) + \
            violations(format_schema, {"output_format": fmt})
        if problems:
            return Reply(422, {"detail": [{"loc": ["body", p.split(":", 1)[0]],
                                           "msg": p.split(": ", 1)[-1],
                                           "type": "value_error"} for p in problems]})
        if not fmt.startswith("pcm_"):
            return Reply(422, {"detail": {"status": "invalid_output_format",
                                          "message": "the stub only speaks pcm_*"}})
        rate = int(fmt.split("_")[1])
        text = str(req.json().get("text", ""))
        starts = [round(i * CHAR_SECONDS, 3) for i in range(len(text))]
        ends = [round((i + 1) * CHAR_SECONDS, 3) for i in range(len(text))]
        frames = int(round(len(text) * CHAR_SECONDS * rate))
        pcm = b"".join(struct.pack("<h", 100 if (i // 20) % 2 else -100) for i in range(frames))
        alignment = {"characters": list(text), "character_start_times_seconds": starts,
                     "character_end_times_seconds": ends}
        return Reply(200, {"audio_base64": base64.b64encode(pcm).decode(),
                           "alignment": alignment, "normalized_alignment": alignment},
                     {"request-id": f"el-stub{next(_ids):04d}"})

    def too_many_concurrent(self, times: int = 1, retry_after: float | None = None
                            ) -> "ElevenLabsStub":
        headers = {"retry-after": str(retry_after)} if retry_after is not None else {}
        self.fail(429, {"detail": {"status": "too_many_concurrent_requests",
                                   "message": "Too many concurrent requests for your plan"}},
                  headers=headers, times=times)
        return self

    def quota_exceeded(self) -> "ElevenLabsStub":
        self.fail(401, {"detail": {"status": "quota_exceeded",
                                   "message": "This request exceeds your quota."}})
        return self
