"""The studio end to end in headless Chromium (Debian's, driven by Playwright; no browser is
downloaded): login, a finished run's video playing, the publish queue against the YouTube
stub, blind review teaching the learning page, a run from the form watched live, a batch
cancelled, and axe-core's accessibility check on every page."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import httpx
import pytest

from studio_helpers import (CHROMIUM, archibald, assert_accessible, chromium, logged_in,
                            make_place, serve)

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"{CHROMIUM} is missing: apt-get install chromium "
                                        f"(scripts/test.sh installs it)")]


def test_without_the_cookie_there_is_only_the_login_page(tmp_path: Path) -> None:
    place = make_place(tmp_path)
    with serve(place) as served, chromium() as browser:
        page = browser.new_page()
        for path in ("/", "/runs", "/learning", "/review", "/publish", "/schedules",
                     "/runs/new"):
            response = page.goto(served.url + path)
            assert response is not None and response.status == 401
            assert page.locator("h1").inner_text() == "Log in"
            assert "Runs" not in page.locator("main").inner_text()
        assert_accessible(page, "login page")
        for path in ("/events?run=x", "/learning/export", "/runs/x/files/video.mp4"):
            r = httpx.get(served.url + path)
            assert r.status_code == 401 and "log in" in r.json()["error"]
        # a made-up token, then the right one once, then never again
        page.goto(served.url + "/login?token=nope")
        assert "not valid" in page.locator("[role=alert]").inner_text()
        me = logged_in(browser, served)
        cookie = next(c for c in me.context.cookies() if c["name"] == "archibald_studio")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert me.locator("h1").inner_text() == "Overview"
        other = browser.new_page()
        other.goto(served.login)
        assert "already used" in other.locator("[role=alert]").inner_text()
        # keyboard: the first Tab reaches the skip link, which moves focus to the content
        me.keyboard.press("Tab")
        assert me.evaluate("document.activeElement.className") == "skip"
        me.keyboard.press("Enter")
        assert me.evaluate("document.activeElement.id") == "main"


def _two_queued_meditations(place) -> list[dict]:  # type: ignore[no-untyped-def]
    manifest = place.root / "videos.csv"
    with manifest.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["topic", "minutes", "channel"])
        w.writerow(["Calm before an exam", "1", "calm"])
        w.writerow(["Rest after a night shift", "1", "calm"])
    done = archibald(place, "batch", str(manifest), "--out", str(place.root / "made"),
                     "--jobs", "2", "--no-batch-api", timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    runs = [json.loads(p.read_text()) for p in sorted((place.root / "made").glob("*/run.json"))]
    assert len(runs) == 2 and all(r["status"] == "done" for r in runs)
    return runs


def test_a_finished_run_plays_and_the_publish_queue_uploads_only_what_is_approved(
        tmp_path: Path) -> None:
    from stubs.youtube import YouTubeStub

    place = make_place(tmp_path)
    runs = _two_queued_meditations(place)
    stub = YouTubeStub("ya29.studio-test-token").start()
    try:
        from archibald.providers.backends.youtube import SCOPES

        (Path(place.env["ARCHIBALD_HOME"]) / "youtube-token.json").write_text(json.dumps({
            "token": stub.api_key, "refresh_token": "r", "client_id": "x", "client_secret": "s",
            "scopes": SCOPES, "expiry": "2999-01-01T00:00:00Z"}))
        with serve(place, YOUTUBE_BASE_URL=stub.base_url) as served, chromium() as browser:
            page = logged_in(browser, served)
            assert_accessible(page, "overview")
            page.click("nav >> text=Runs")
            assert page.locator("table.runs tbody tr").count() == 2
            assert_accessible(page, "runs")
            # the run's page: its stages, attempts and a video that plays
            page.click(f"text={runs[0]['topic']}")
            assert page.locator("#stage-youtube_upload[data-state=done]").count() == 1
            assert "local" in page.locator("table.stages").inner_text()
            video = page.locator("video").first
            video.evaluate("v => { v.muted = true; return v.play(); }")
            page.wait_for_function("document.querySelector('video').readyState >= 2",
                                   timeout=20000)
            assert page.evaluate("document.querySelector('video').duration") > 30
            page.wait_for_function("document.querySelector('video').currentTime > 0",
                                   timeout=20000)
            assert_accessible(page, "run page")

            # the publish queue: both wait; approve one, reject the other
            page.click("nav >> text=Publish")
            assert page.locator("section.queued").count() == 2
            assert_accessible(page, "publish queue")
            first, second = runs[0]["run_id"], runs[1]["run_id"]
            page.click(f"#q-{first} >> xpath=.. >> text=Approve and upload")
            assert "uploaded: https://www.youtube.com/watch?v=" in page.locator(
                "[role=status]").inner_text()
            uploads = stub.requests_to("/upload/youtube/v3/videos", "POST")
            assert len(uploads) == 1
            assert "Calm before an exam" in json.dumps(uploads[0].json()) or uploads[0].body
            assert len(stub.videos) == 1
            page.fill(f"#why-{second}", "the voice is too fast")
            page.click(f"#q-{second} >> xpath=.. >> text=Reject")
            assert "nothing uploaded" in page.locator("[role=status]").inner_text()
            assert len(stub.videos) == 1  # still only the approved one
            assert len(stub.requests_to("/upload/youtube/v3/videos", "POST")) == 1
            page.goto(f"{served.url}/runs/{second}")
            assert "the voice is too fast" in page.locator("main").inner_text()
            page.goto(f"{served.url}/runs/{first}")
            assert "uploaded" in page.locator("main").inner_text()
    finally:
        stub.stop()


def _seed_pair(db: str) -> None:
    """Two answers to the same script task, one on budget and one on premium, stored as the
    router stores paid answers."""
    from archibald.store.ledger import Attempt
    from archibald.store.memory import Memory

    m = Memory(db)
    try:
        for route, text in (("budget", "Breathe in for four, out for six."),
                            ("premium", "Let the breath settle; notice the shoulders.")):
            a = Attempt(task_type="script_writing", route=route, backend=f"{route}:model",
                        success=True, cost_nano=1000 if route == "budget" else 9000,
                        baseline_nano=9000, channel="calm", run_id="run-seeded",
                        stage="script_writing", quality=0.8, evidence="check",
                        input_key="same-task")
            m.record(a)
            m.settle(a, {"artifact": {"text": text}, "route": route})
    finally:
        m.close()


def test_a_blind_verdict_changes_the_learning_page(tmp_path: Path) -> None:
    place = make_place(tmp_path)
    _seed_pair(place.db)
    with serve(place) as served, chromium() as browser:
        page = logged_in(browser, served)
        page.goto(served.url + "/learning")
        row = page.locator("#tt-script_writing >> xpath=.. >> tr:has(th:text-is('budget'))")
        assert "no comparison yet" in row.inner_text()
        assert_accessible(page, "learning")
        page.click("nav >> text=Review")
        text = page.locator("main").inner_text()
        assert "budget" not in text and "premium" not in text  # the routes are hidden
        assert "Breathe in" in text and "Let the breath settle" in text
        assert_accessible(page, "review")
        sides = [page.locator("#side-A >> xpath=.. >> pre").inner_text(),
                 page.locator("#side-B >> xpath=.. >> pre").inner_text()]
        premium_side = "A" if "settle" in sides[0] else "B"
        page.click(f"button:text-is('{premium_side} better')")
        assert "stored as evidence" in page.locator("[role=status]").inner_text()
        assert "No pair waits" in page.locator("main").inner_text()
        page.goto(served.url + "/learning")
        row = page.locator("#tt-script_writing >> xpath=.. >> tr:has(th:text-is('budget'))")
        assert "1 by a person" in row.inner_text()
        assert "50% of premium's quality" in row.inner_text()
        page.goto(served.url + "/schedules")
        assert_accessible(page, "schedules")


def test_a_run_started_from_the_form_shows_its_stages_finish_live(tmp_path: Path) -> None:
    place = make_place(tmp_path)
    with serve(place) as served, chromium() as browser:
        page = logged_in(browser, served)
        page.goto(served.url + "/runs/new?pipeline=steps")
        assert_accessible(page, "new run form")
        page.fill("#in-topic", "river otters")
        page.fill("#in-pause", "1.5")
        page.click("text=Start the run")
        page.wait_for_url("**/runs/run-*")
        page.wait_for_load_state("load")
        loads: list[str] = []
        page.on("load", lambda: loads.append(page.url))
        # stage one finishes while three has not started: seen without reloading the page
        page.wait_for_function(
            "document.querySelector('#stage-one')?.dataset.state === 'done' && "
            "document.querySelector('#stage-three')?.dataset.state !== 'done'", timeout=30000)
        assert loads == []
        page.wait_for_function(
            "document.querySelector('#stage-two')?.dataset.state === 'done'", timeout=30000)
        # the end of the run reloads the page once: outputs and totals
        page.wait_for_selector("#stage-three[data-state=done]", timeout=30000)
        page.wait_for_selector("text=notes.md", timeout=30000)
        assert "river otters" in page.locator("pre.text").inner_text()
        assert page.locator("#run-status").inner_text() == "done"
        assert_accessible(page, "finished run")


def test_a_running_batch_is_cancelled_from_its_page(tmp_path: Path) -> None:
    place = make_place(tmp_path, pause=600.0)  # every stage would take ten minutes
    with serve(place) as served, chromium() as browser:
        page = logged_in(browser, served)
        page.goto(served.url + "/runs/new?pipeline=steps")
        page.fill("#topics", "slow one\nslow two")
        page.click("text=Start the batch")
        assert "/jobs/" in page.url
        page.wait_for_selector("td >> text=running", timeout=30000)
        assert_accessible(page, "batch page")
        started = time.monotonic()
        page.click("text=Cancel the batch")
        page.wait_for_selector("#job-state:text-is('cancelled')", timeout=30000)
        assert time.monotonic() - started < 30
        states = page.locator("tbody td:nth-child(3)").all_inner_texts()
        assert states and all(s.startswith("cancelled") for s in states), states
        assert page.locator("text=Cancel the batch").count() == 0
