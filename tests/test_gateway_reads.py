"""The gateway's decision reads (archibald.serve.gateway.reads): kept for a moment, forgotten
when evidence that can turn a decision is recorded, never used for money."""

from __future__ import annotations

from pathlib import Path

from archibald.serve.gateway.reads import DecisionReads
from archibald.store.ledger import Attempt
from archibald.store.memory import Memory


def _attempt(**more: object) -> Attempt:
    fields: dict[str, object] = dict(task_type="chat_simple", route="budget", backend="b",
                                     success=True, cost_nano=10, baseline_nano=40,
                                     channel="key:k", run_id="gw-1", stage="chat_simple",
                                     model="m", quality=0.9, evidence="check", checked=True,
                                     max_cost_nano=100, reason="test", price_source="test")
    fields.update(more)
    return Attempt(**fields)  # type: ignore[arg-type]


def test_reads_are_kept_and_forgotten_by_evidence_and_money_is_never_kept(
        tmp_path: Path) -> None:
    m = DecisionReads(f"sqlite:///{tmp_path / 'db.sqlite'}", ttl=60)
    try:
        assert m.shadow_pairs("chat_simple") == [] and m.remembered("human") == []
        # a judged pair written behind the cache's back is not seen...
        for purpose in ("production", "shadow"):  # Memory's own record: the cache unaware
            Memory.record(m, _attempt(purpose=purpose, evidence="shadow", created_at=1.0))
        assert m.shadow_pairs("chat_simple") == []
        # ...until this process records evidence: a judge's or a shadow's score, a verdict
        m.record(_attempt(purpose="judge", evidence="judge", created_at=2.0))
        assert len(m.shadow_pairs("chat_simple")) == 1
        m.remember("human", "key:k", "gw-1/chat_simple", {"x": 1}, 0.5)
        assert len(m.remembered("human")) == 1
        # a route's statistics are read afresh whenever one more outcome joins them
        before = m.route_stats("chat_simple", "key:k")["budget"].n
        a = _attempt(status="pending", checked=False)
        m.reserve(a, lambda spent: None)
        a.checked, a.status = True, "settled"
        m.settle(a)
        assert m.route_stats("chat_simple", "key:k")["budget"].n == before + 1
        # money is summed in the store every time
        spent = m.spent_nano(channel="key:k")
        b = _attempt(status="pending", checked=False, max_cost_nano=5_000)
        m.reserve(b, lambda spent: None)
        assert m.spent_nano(channel="key:k") == spent + 5_000
    finally:
        m.close()


def test_serve_keeps_idle_connections_longer_than_the_clients_do(monkeypatch, tmp_path) -> None:
    """httpx (and so the openai and anthropic SDKs) keep an idle connection 5 s; uvicorn's
    own default is 5 s too, and at equal timeouts a request sent as the server closes is
    reset (clients saw a ReadError on a few requests in 2,000 at 50 clients)."""
    import uvicorn
    from typer.testing import CliRunner

    from archibald.cli import app

    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("ARCHIBALD_HOME", str(tmp_path))
    assert CliRunner().invoke(app, ["serve", "--port", "18999"]).exit_code == 0
    assert seen["timeout_keep_alive"] == 75
    assert CliRunner().invoke(app, ["serve", "--keep-alive", "30"]).exit_code == 0
    assert seen["timeout_keep_alive"] == 30


def test_serve_says_when_several_workers_would_share_one_sqlite_file(monkeypatch,
                                                                     tmp_path) -> None:
    import uvicorn
    from typer.testing import CliRunner

    from archibald.cli import app

    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: None)
    monkeypatch.setenv("ARCHIBALD_HOME", str(tmp_path))
    monkeypatch.delenv("ARCHIBALD_DB", raising=False)
    one = CliRunner().invoke(app, ["serve", "--port", "18999"])
    assert one.exit_code == 0 and "SQLite" not in one.output
    two = CliRunner().invoke(app, ["serve", "--port", "18999", "--workers", "2"])
    assert two.exit_code == 0
    assert "2 workers share one SQLite file" in two.output and "PostgreSQL" in two.output
