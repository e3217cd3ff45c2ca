"""OpenHands V1 app server stub: app-conversations, start tasks, conversations, events search,
sandbox resume.

Shapes follow the app server's own models (tests/specs/openhands_app_server.json). A sandbox
walks ``sandbox_states``; while it is not RUNNING the conversation has no execution status (as
the server reports it). A PAUSED sandbox stays paused until ``POST /api/v1/sandboxes/{id}/
resume`` (404 when ``resumable`` is off), then runs again.

Start tasks and conversations have UUIDs for ids (the models' ``id: UUID``), and an id that is
not one is refused as the server's FastAPI routes refuse it (``ids: list[UUID]`` in the query,
``conversation_id: UUID`` in the path): 422 with a ``uuid_parsing`` detail.
"""

from __future__ import annotations

import uuid
from typing import Any

from .base import Recorded, Reply, StubServer

def uuid_refusal(where: str, values: list[str]) -> Reply | None:
    """FastAPI's 422 for the values that do not parse as a UUID (pydantic's uuid_parsing),
    or None when every one does."""
    errors = []
    for i, value in enumerate(values):
        try:
            uuid.UUID(value)
        except ValueError:
            loc: list[Any] = ["query", where, i] if where == "ids" else ["path", where]
            errors.append({"type": "uuid_parsing", "loc": loc,
                           "msg": "Input should be a valid UUID, invalid character: expected "
                                  "an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], "
                                  f"found {value[:1]!r} at 1", "input": value})
    return Reply(422, {"detail": errors}) if errors else None


class OpenHandsStub(StubServer):
    """Start tasks walk ``start_states`` then READY; conversations walk ``execution_states``.

    ``final_events`` are what events/search returns (newest first, as with TIMESTAMP_DESC).
    """

    name = "openhands"

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(api_key)
        self.start_states = ["WORKING", "WAITING_FOR_SANDBOX", "STARTING_CONVERSATION"]
        self.execution_states = ["running", "running", "finished"]
        self.sandbox_status = "RUNNING"
        #: sandbox states walked on successive polls before ``sandbox_status`` holds
        self.sandbox_states: list[str] = []
        self.resumable = True
        self.resumed: list[str] = []
        self.metrics = {"model_name": "litellm_proxy/claude-sonnet-4-6",
                        "accumulated_cost": 0.0734, "max_budget_per_task": None,
                        "accumulated_token_usage": {"model": "claude-sonnet-4-6",
                                                    "prompt_tokens": 21000,
                                                    "completion_tokens": 1900,
                                                    "cache_read_tokens": 5000,
                                                    "cache_write_tokens": 0}}
        self.final_message = "Done: the metadata is written."
        self.use_finish_action = True
        self.tasks: dict[str, dict[str, Any]] = {}
        self.conversations: dict[str, dict[str, Any]] = {}

    def handle(self, req: Recorded) -> Reply:
        if self.api_key is not None and not self.bearer_ok(req):
            return Reply(401, {"detail": "Not authenticated"})
        path = req.path.rstrip("/")
        if req.method == "POST" and path == "/api/v1/app-conversations":
            return self._start(req)
        if req.method == "GET" and path in ("/api/v1/app-conversations/start-tasks",
                                             "/api/v1/app-conversations"):
            ids = req.query.get("ids", [])  # repeated ids=..., each one a UUID
            refused = uuid_refusal("ids", ids)
            if refused is not None:
                return refused
            poll = self._poll_task if path.endswith("start-tasks") else self._poll_conv
            return Reply(200, [poll(i) for i in ids])
        if req.method == "GET" and path.startswith("/api/v1/conversation/") \
                and path.endswith("/events/search"):
            cid = path.split("/")[4]
            refused = uuid_refusal("conversation_id", [cid])
            if refused is not None:
                return refused
            if cid not in self.conversations:
                return Reply(404, {"detail": "conversation not found"})
            return Reply(200, {"items": self.events(), "next_page_id": None})
        if req.method == "POST" and path.startswith("/api/v1/sandboxes/") \
                and path.endswith("/resume"):
            return self._resume(path.split("/")[4])
        if req.method in ("GET", "HEAD") and path in ("", "/alive", "/health"):
            return Reply(200, {"status": "ok"})
        return Reply(404, {"detail": "Not Found"})

    def _start(self, req: Recorded) -> Reply:
        body = req.json()
        if not isinstance(body, dict) or "initial_message" not in body:
            return Reply(422, {"detail": [{"loc": ["body", "initial_message"],
                                           "msg": "Field required"}]})
        task = {"id": str(uuid.uuid4()), "status": "WORKING", "app_conversation_id": None,
                "sandbox_id": None, "agent_server_url": None, "detail": None, "polls": 0,
                "request": body}
        self.tasks[task["id"]] = task
        return Reply(200, self._public(task))

    @staticmethod
    def _public(task: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in task.items() if k not in ("polls", "request")}

    def _poll_task(self, tid: str) -> dict[str, Any] | None:
        task = self.tasks.get(tid)
        if task is None:
            return None
        n = task["polls"]
        task["polls"] += 1
        if n < len(self.start_states):
            task["status"] = self.start_states[n]
            if task["status"] == "ERROR":
                task["detail"] = "sandbox failed to start"
        else:
            task["status"] = "READY"
            cid = task["app_conversation_id"] or str(uuid.uuid4())
            task["app_conversation_id"] = cid
            task["sandbox_id"] = "sbx-" + cid[:8]
            self.conversations.setdefault(cid, {"polls": 0, "sandbox_id": task["sandbox_id"]})
        return self._public(task)

    def _resume(self, sandbox_id: str) -> Reply:
        conv = next((c for c in self.conversations.values()
                     if c.get("sandbox_id") == sandbox_id), None)
        if conv is None or not self.resumable:
            return Reply(404, {"detail": "Not Found"})
        self.resumed.append(sandbox_id)
        conv["paused"] = False
        return Reply(200, {"success": True})

    def _sandbox(self, conv: dict[str, Any]) -> str:
        """The next of ``sandbox_states`` (then ``sandbox_status``); PAUSED sticks until a
        resume."""
        if conv.get("paused"):
            return "PAUSED"
        n = conv["sandbox_polls"]
        conv["sandbox_polls"] += 1
        state = self.sandbox_states[n] if n < len(self.sandbox_states) else self.sandbox_status
        conv["paused"] = state == "PAUSED"
        return state

    def _poll_conv(self, cid: str) -> dict[str, Any] | None:
        conv = self.conversations.get(cid)
        if conv is None:
            return None
        conv.setdefault("sandbox_polls", 0)
        sandbox = self._sandbox(conv)
        state = None
        if sandbox == "RUNNING":
            n = conv["polls"]
            conv["polls"] += 1
            state = self.execution_states[min(n, len(self.execution_states) - 1)]
        return {"id": cid, "created_by_user_id": "user-stub",
                "sandbox_id": conv.get("sandbox_id", "sbx" + cid), "title": None,
                "sandbox_status": sandbox, "execution_status": state,
                "metrics": self.metrics, "conversation_url": f"{self.base_url}/c/{cid}",
                "session_api_key": "session-key-stub" if sandbox == "RUNNING" else None}

    def events(self) -> list[dict[str, Any]]:
        """Newest first: finish action (or an agent message), an observation, a user message."""
        items: list[dict[str, Any]] = []
        if self.use_finish_action:
            items.append({"id": "e4", "timestamp": "2026-11-01T10:00:04", "kind": "ActionEvent",
                          "source": "agent", "tool_name": "finish",
                          "action": {"kind": "FinishAction", "message": self.final_message}})
        items += [
            {"id": "e3", "timestamp": "2026-11-01T10:00:03", "kind": "MessageEvent",
             "source": "agent", "llm_message": {"role": "assistant", "content": [
                 {"type": "text", "text": "Agent message: " + self.final_message}]}},
            {"id": "e2", "timestamp": "2026-11-01T10:00:02", "kind": "ObservationEvent",
             "source": "environment", "tool_name": "terminal", "observation": {}},
            {"id": "e1", "timestamp": "2026-11-01T10:00:01", "kind": "MessageEvent",
             "source": "user", "llm_message": {"role": "user", "content": [
                 {"type": "text", "text": "the task"}]}},
        ]
        return items
