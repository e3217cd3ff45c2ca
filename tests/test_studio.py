"""The studio in-process (FastAPI's test client): the login, files only from a run's folder
with Range, the overview's sums equal the ledger's rows, a person's verdict outranks the
judge's, and the publish queue against the YouTube stub."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.importorskip("fastapi")
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from archibald.config import load_settings  # noqa: E402
from archibald.store.ledger import Attempt  # noqa: E402
from archibald.store.memory import Memory  # noqa: E402
from archibald.serve.studio import install  # noqa: E402
from archibald.serve.studio.review import candidates, record_verdict  # noqa: E402
from stubs.fixtures import youtube_stub  # noqa: E402,F401


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'studio.db'}"
    monkeypatch.setenv("ARCHIBALD_DB", url)
    monkeypatch.setenv("ARCHIBALD_LOGIN_TOKEN", "the-token")
    monkeypatch.setenv("ARCHIBALD_SESSION_SECRET", "s" * 32)
    return url


def _client(config: Path | None = None) -> TestClient:
    app = FastAPI()
    app.state.lifespan_hooks = []
    install(app, load_settings(config))
    return TestClient(app)


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    c = _client()
    r = c.get("/login?token=the-token", follow_redirects=False)
    assert r.status_code == 303
    yield c
    c.app.state.studio.close()  # type: ignore[attr-defined]


def test_login_is_once_and_the_cookie_is_signed(db: str) -> None:
    c = _client()
    assert c.get("/").status_code == 401 and "Log in" in c.get("/").text
    assert c.get("/events?run=x").status_code == 401
    assert c.get("/login?token=wrong").status_code == 401
    r = c.get("/login?token=the-token", follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert c.get("/").status_code == 200
    other = _client()  # another worker of the same server: same secret, same store
    again = other.get("/login?token=the-token")
    assert again.status_code == 401 and "already used" in again.text
    other.cookies.set("archibald_studio", "forged.value.sig")
    assert other.get("/runs").status_code == 401
    other.cookies.set("archibald_studio", c.cookies["archibald_studio"])
    assert other.get("/runs").status_code == 200


def _run(m: Memory, out: Path, run_id: str = "run-abc", **totals: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    video = out / "video.mp4"
    video.write_bytes(bytes(range(256)) * 40)
    secret = out.parent / "secret.txt"
    secret.write_text("not yours")
    (out / "link.txt").symlink_to(secret)
    (out / "script.md").write_text("# Calm\n\nBreathe.")
    m.start_run(run_id, "meditation", "calm", "Calm evening", out=str(out))
    m.finish_run(run_id, "done", totals.get("cost", 0), totals.get("baseline", 0), 1.0)
    (out / "run.json").write_text(json.dumps({
        "run_id": run_id, "status": "done", "pipeline": "meditation", "inputs": {
            "topic": "Calm evening"}, "stages": {}, "files": {
            "video.mp4": str(video), "script.md": str(out / "script.md"),
            "link.txt": str(out / "link.txt"), "secret.txt": str(secret)}}))


def test_a_runs_files_are_served_from_its_folder_only_with_range(
        client: TestClient, db: str, tmp_path: Path) -> None:
    m = Memory(db)
    _run(m, tmp_path / "out")
    m.close()
    page = client.get("/runs/run-abc")
    assert page.status_code == 200 and "<video" in page.text and "Breathe." in page.text
    part = client.get("/runs/run-abc/files/video.mp4", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == bytes(range(10, 20))
    assert part.headers["content-range"] == "bytes 10-19/10240"
    for name in ("link.txt", "secret.txt", "../secret.txt", "run.json"):
        assert client.get(f"/runs/run-abc/files/{name}").status_code == 404
    assert "not yours" not in page.text
    assert client.get("/runs/run-nope").status_code == 404


def test_the_overview_sums_are_the_ledgers_rows(client: TestClient, db: str) -> None:
    m = Memory(db)
    rows = [("calm", "local", "local:script_writing", 0, 2_000_000),
            ("calm", "premium", "anthropic:claude-sonnet-4-6", 3_000_000, 3_000_000),
            ("kids", "budget", "deepseek:deepseek-chat", 500_000, 4_000_000)]
    for channel, route, backend, cost, base in rows:
        m.record(Attempt(task_type="script_writing", route=route, backend=backend,
                         success=True, cost_nano=cost, baseline_nano=base, channel=channel,
                         evidence="judge" if route == "budget" else "check"))
    m.close()
    from archibald.serve.studio.money import overview

    o = overview(client.app.state.studio.memory, client.app.state.studio.settings)  # type: ignore[attr-defined]
    assert o["cost_nano"] == 3_500_000 and o["baseline_nano"] == 9_000_000
    assert sum(p["cost_nano"] for p in o["series"]) == 3_500_000
    assert {r["key"]: r["cost_nano"] for r in o["by"]["provider"]} == {
        "local": 0, "anthropic": 3_000_000, "deepseek": 500_000}
    assert o["savings"]["verified_nano"] == 3_500_000  # judged
    assert o["savings"]["unverified_nano"] == 2_000_000  # a route-blind check only
    text = client.get("/?period=week").text
    assert "$0.0035" in text and "$0.009<" in text


def test_a_gateway_keys_sub_cent_spend_is_shown_as_it_is_not_as_nothing(
        client: TestClient, db: str) -> None:
    m = Memory(db)
    for _ in range(3):  # three gateway calls at $0.000007 each
        m.record(Attempt(task_type="chat", route="budget", backend="deepseek:deepseek-chat",
                         success=True, cost_nano=7_000, baseline_nano=0, channel="key:alice"))
    m.close()
    text = client.get("/").text
    assert "<td>key:alice</td><td class=\"num\">3</td><td class=\"num\">$0.000021</td>" in text
    assert "$0.0000<" not in text and "$0</td>" in text  # the baseline: nothing, said so


def test_near_a_budget_the_overview_alerts(tmp_path: Path, db: str) -> None:
    config = tmp_path / "budget.toml"
    config.write_text("[budgets]\nper_month_usd = 0.01\n")
    m = Memory(db)
    m.record(Attempt(task_type="script_writing", route="premium", backend="anthropic:x",
                     success=True, cost_nano=9_000_000, baseline_nano=9_000_000))
    m.close()
    c = _client(config)
    c.get("/login?token=the-token")
    page = c.get("/").text
    assert "near the limit" in page and "90%" in page
    c.app.state.studio.close()  # type: ignore[attr-defined]


def _pair(m: Memory, input_key: str, *, created: float) -> tuple[int, int]:
    """A budget answer (this run's production answer) and premium's shadow on the same task."""
    ids = []
    for route, purpose in (("budget", "production"), ("premium", "shadow")):
        a = Attempt(task_type="script_writing", route=route, backend=f"{route}:m",
                    success=True, cost_nano=1, baseline_nano=9, channel="calm",
                    run_id="r1", stage="script_writing", quality=0.95, evidence="shadow",
                    purpose=purpose, input_key=input_key, created_at=created)
        m.record(a)
        m.settle(a, {"artifact": {"text": f"{route} text for {input_key}"}})
        assert a.id is not None
        ids.append(a.id)
    return ids[0], ids[1]


def test_a_persons_verdict_outranks_the_judges_on_the_same_task(db: str) -> None:
    from archibald.quality.evidence import comparisons

    m = Memory(db)
    try:
        # the judge's shadow pair on the task says budget is as good as premium
        budget_id, premium_id = _pair(m, "task-1", created=time.time() - 10)
        before = comparisons(m, "script_writing", None, "budget")
        assert [(p["evidence"], p["quality"]) for p in before] == [("shadow", 0.95)]
        assert candidates(m) == [{"a": budget_id, "b": premium_id}]
        made = record_verdict(m, premium_id, budget_id, "a")  # premium shown as A, better
        assert made is not None and made["route"] == "budget" and made["run_id"] == "r1"
        pairs = comparisons(m, "script_writing", None, "budget")
        assert [(p["evidence"], p["quality"], p["premium_quality"]) for p in pairs] == [
            ("human", 0.5, 1.0)]  # the judge's pair on that task no longer counts
        assert candidates(m) == []  # judged once
        assert record_verdict(m, budget_id, premium_id, "b") is None  # the first one holds
        with pytest.raises(ValueError, match="premium"):
            record_verdict(m, budget_id, budget_id, "a")  # no premium side: no comparison
        stats = m.route_stats("script_writing")
        assert stats["budget"].n == 1 and stats["premium"].n == 1  # verdicts are no outcomes
        assert m.maintenance()["script_writing/budget"]["ratio"] == 0.5
        assert m.spent_nano() == 2  # a verdict costs nothing
    finally:
        m.close()


def _queued(m: Memory, root: Path, run_id: str) -> Path:
    out = root / run_id
    publish = out / "publish"
    publish.mkdir(parents=True)
    (publish / "video.mp4").write_bytes(b"\x00" * 4096)
    (publish / "thumbnail.jpg").write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    (publish / "subtitles.srt").write_text("1\n00:00:00,000 --> 00:00:02,000\nBreathe.\n")
    meta = {"title": f"Calm {run_id}", "description": "A guided meditation.",
            "tags": ["calm"], "defaultLanguage": "en"}
    (publish / "metadata.json").write_text(json.dumps(meta))
    (publish / "request.json").write_text(json.dumps({"videos.insert": {"body": {
        "snippet": meta, "status": {"privacyStatus": "private",
                                    "containsSyntheticMedia": True}}}}))
    m.start_run(run_id, "meditation", "calm", f"topic {run_id}", out=str(out))
    m.finish_run(run_id, "done", 0, 0, 1.0)
    m.hold_for_review(run_id, str(publish))
    m.hold_for_review(run_id, str(publish))  # a resumed run keeps its place
    return publish


def test_approve_uploads_once_and_reject_uploads_nothing(
        client: TestClient, db: str, tmp_path: Path, youtube_stub: Any,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from archibald.providers.backends.youtube import SCOPES, token_path

    token_path().write_text(json.dumps({
        "token": youtube_stub.api_key, "refresh_token": "r", "client_id": "x",
        "client_secret": "s", "scopes": SCOPES, "expiry": "2999-01-01T00:00:00Z"}))
    monkeypatch.setenv("YOUTUBE_BASE_URL", youtube_stub.base_url)
    m = Memory(db)
    _queued(m, tmp_path, "run-one")
    _queued(m, tmp_path, "run-two")
    _queued(m, tmp_path, "run-three")
    m.close()
    page = client.get("/publish").text
    assert page.count("Approve and upload") == 3
    r = client.post("/publish/run-one/approve", data={"publish_at": ""})
    assert "uploaded: https://www.youtube.com/watch?v=" in r.text
    assert len(youtube_stub.videos) == 1
    again = client.post("/publish/run-one/approve", data={"publish_at": ""})
    assert "already decided" in again.text and len(youtube_stub.videos) == 1
    assert "say why" in client.post("/publish/run-two/reject", data={"reason": " "}).text
    r = client.post("/publish/run-two/reject", data={"reason": "the music is too loud"})
    assert "nothing uploaded" in r.text and len(youtube_stub.videos) == 1
    assert "the music is too loud" in client.get("/runs/run-two").text
    assert "not in the future" in client.post(
        "/publish/run-three/approve", data={"publish_at": "2001-01-01T09:00"}).text
    r = client.post("/publish/run-three/approve", data={"publish_at": "2099-01-01T09:00"})
    assert "uploaded" in r.text
    body = youtube_stub.requests_to("/upload/youtube/v3/videos", "POST")[-1].json()
    assert body["status"]["publishAt"].startswith("2099-01-01T09:00:00")
    assert body["status"]["privacyStatus"] == "private"
    assert "scheduled" in client.get("/publish").text


def test_the_overviews_rollup_follows_the_ledger_as_rows_come_settle_and_are_forgotten(
        db: str) -> None:
    from archibald.config import load_settings as settings_of
    from archibald.serve.studio.money import Rollup, overview

    m = Memory(db)
    settings = settings_of()
    kept = Rollup()

    def both() -> tuple[dict[str, Any], dict[str, Any]]:
        return overview(m, settings, rollup=kept), overview(m, settings)

    try:
        for i in range(5):
            m.record(Attempt(task_type="script_writing", route="budget", backend="deepseek:x",
                             success=True, cost_nano=100 + i, baseline_nano=1000,
                             channel="calm", evidence="judge"))
        a, b = both()
        assert a == b and a["cost_nano"] == 510
        # a reservation, open and then settled: summed live while open, kept once settled
        open_ = Attempt(task_type="script_writing", route="premium", backend="anthropic:x",
                        success=False, cost_nano=0, baseline_nano=0, channel="calm",
                        max_cost_nano=5000)
        m.reserve(open_, lambda spent: None)
        a, b = both()
        assert a == b
        open_.cost_nano, open_.baseline_nano, open_.success = 4000, 4000, True
        open_.checked, open_.evidence = True, "check"
        m.settle(open_)
        a, b = both()
        assert a == b and a["cost_nano"] == 4510
        assert a["savings"]["verified_nano"] == 5 * 1000 - 510
        m.forget(route="budget")  # the judged evidence is gone: no longer verified savings
        a, b = both()
        assert a == b and a["savings"]["verified_nano"] == 0
    finally:
        m.close()


def test_a_shadow_pair_is_reviewable_and_a_resume_never_reuses_the_shadows_answer(
        db: str) -> None:
    m = Memory(db)
    try:
        t = time.time()
        ids = []
        for purpose, route in (("production", "budget"), ("shadow", "premium")):
            a = Attempt(task_type="script_writing", route=route, backend=f"{route}:m",
                        success=True, cost_nano=5, baseline_nano=9, channel="calm",
                        run_id="r9", stage="script_writing", quality=0.9, evidence="shadow",
                        purpose=purpose, input_key="task-9", created_at=t, checked=True)
            m.record(a)
            m.settle(a, {"artifact": {"text": f"{route}'s answer"}})
            ids.append(a.id)
        assert candidates(m) == [{"a": ids[0], "b": ids[1]}]
        found = m.settled_answer("r9", "script_writing", "task-9")
        assert found is not None and found[0].route == "budget"  # never premium's shadow
    finally:
        m.close()


def test_the_new_run_form_names_what_to_fix(client: TestClient) -> None:
    form = client.get("/runs/new?pipeline=short").text
    assert 'name="in_topic"' in form and "required" in form
    r = client.post("/runs/new", data={"pipeline": "short", "channel": "default",
                                       "in_seconds": "45"})
    assert r.status_code == 200 and "needs topic" in r.text
    r = client.post("/runs/new", data={"pipeline": "short", "in_topic": "rain",
                                       "in_seconds": "many"})
    assert "seconds" in r.text and "role=\"alert\"" in r.text


def test_a_job_of_a_server_that_died_is_not_running_for_ever(db: str) -> None:
    import subprocess
    import sys

    from sqlalchemy import insert, select

    from archibald.store.migrations import studio_jobs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    m = Memory(db)
    with m.engine.begin() as conn:
        conn.execute(insert(studio_jobs).values(
            job_id="j1", kind="run", run_id="run-x", title="t", spec="{}", state="running",
            progress="{}", cancel=False, owner=f"{socket.gethostname()}:{dead.pid}", error="",
            created_at=time.time(), updated_at=time.time()))
    m.close()
    c = _client()
    with c.app.state.studio.memory.engine.connect() as conn:  # type: ignore[attr-defined]
        state, error = conn.execute(select(studio_jobs.c.state, studio_jobs.c.error)).one()
    assert state == "failed" and "stopped" in error
    c.app.state.studio.close()  # type: ignore[attr-defined]
