"""OpenHands V1 app server stub: app-conversations, start tasks, conversations, events search."""

from __future__ import annotations

import itertools
from typing import Any

from .base import Recorded, Reply, StubServer

_ids = itertools.count(1)


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
        self.metrics = {"accumulated_cost": 0.0734,
                        "accumulated_token_usage": {"prompt_tokens": 21000,
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
        if req.method == "GET" and path == "/api/v1/app-conversations/start-tasks":
            return Reply(200, [self._poll_task(i) for i in (req.q("ids") or "").split(",")])
        if req.method == "GET" and path == "/api/v1/app-conversations":
            return Reply(200, [self._poll_conv(i) for i in (req.q("ids") or "").split(",")])
        if req.method == "GET" and path.startswith("/api/v1/conversation/") \
                and path.endswith("/events/search"):
            cid = path.split("/")[4]
            if cid not in self.conversations:
                return Reply(404, {"detail": "conversation not found"})
            return Reply(200, {"items": self.events(), "next_page_id": None})
        if req.method in ("GET", "HEAD") and path in ("", "/alive", "/health"):
            return Reply(200, {"status": "ok"})
        return Reply(404, {"detail": "Not Found"})

    def _start(self, req: Recorded) -> Reply:
        body = req.json()
        if not isinstance(body, dict) or "initial_message" not in body:
            return Reply(422, {"detail": [{"loc": ["body", "initial_message"],
                                           "msg": "Field required"}]})
        n = next(_ids)
        task = {"id": f"task{n:04d}", "status": "WORKING", "app_conversation_id": None,
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
            cid = task["id"].replace("task", "conv")
            task["app_conversation_id"] = cid
            task["sandbox_id"] = "sbx" + cid
            self.conversations.setdefault(cid, {"polls": 0})
        return self._public(task)

    def _poll_conv(self, cid: str) -> dict[str, Any] | None:
        conv = self.conversations.get(cid)
        if conv is None:
            return None
        n = conv["polls"]
        conv["polls"] += 1
        state = self.execution_states[min(n, len(self.execution_states) - 1)]
        return {"id": cid, "sandbox_status": self.sandbox_status, "execution_status": state,
                "metrics": self.metrics, "conversation_url": f"{self.base_url}/c/{cid}",
                "session_api_key": "session-key-stub"}

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
