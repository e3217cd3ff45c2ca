"""What the studio's tests share: a served studio in a subprocess (its own home, store and
settings), a quick pipeline file whose stages take as long as asked, and Chromium."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).parent
REPO = HERE.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = HERE / "vendor" / "axe.min.js"

STAGES_PY = '''
import asyncio
from pathlib import Path


async def step(task, context):
    await asyncio.sleep(float(task.inputs["pause"]))
    return {"text": f"{task.inputs['topic']}: {task.inputs['name']} done"}


async def write(task, context):
    await asyncio.sleep(float(task.inputs["pause"]))
    path = Path(context.workdir) / "notes.md"
    path.write_text(f"# {task.inputs['topic']}\\n\\n{task.inputs['before']}\\n", encoding="utf-8")
    return {"path": str(path)}
'''

PIPELINE = '''
[pipeline]
name = "steps"
description = "Three stages that take as long as asked"
unit = "note"

[inputs.topic]
type = "str"
required = true
help = "what the note is about"

[inputs.pause]
type = "float"
default = PAUSE
min = 0
max = 600
help = "seconds each stage takes"

[task_types.steps_step]
capability = "text"
complexity = 2
creativity_required = false
execution_focused = true
routes = ["local"]

[task_types.steps_write]
capability = "text"
complexity = 2
creativity_required = false
execution_focused = true
routes = ["local"]

[[stages]]
name = "one"
task_type = "steps_step"
inputs = { topic = "{topic}", pause = "{pause}", name = "one" }
local = "steps_stages:step"

[[stages]]
name = "two"
task_type = "steps_step"
needs = ["one"]
inputs = { topic = "{topic}", pause = "{pause}", name = "two" }
local = "steps_stages:step"

[[stages]]
name = "three"
task_type = "steps_write"
needs = ["two"]
inputs = { topic = "{topic}", pause = "{pause}", before = "{two.text}" }
local = "steps_stages:write"
outputs = { "notes.md" = "path" }
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Place:
    """A studio's world: home, store, settings file, the steps pipeline."""

    root: Path
    env: dict[str, str]

    @property
    def db(self) -> str:
        return self.env["ARCHIBALD_DB"]


def make_place(root: Path, extra_toml: str = "", *, review: bool = True,
               pause: float = 1.0) -> Place:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    pipes = root / "pipes"
    pipes.mkdir(exist_ok=True)
    (pipes / "steps_stages.py").write_text(STAGES_PY)
    (pipes / "steps.toml").write_text(PIPELINE.replace("PAUSE", repr(float(pause))))
    config = root / "archibald.toml"
    config.write_text(textwrap.dedent(f'''
        [publish]
        review = {"true" if review else "false"}

        [studio]
        pipelines = ["pipes/steps.toml"]
        out = "studio-out"
        ''') + extra_toml)
    env = {**os.environ, "ARCHIBALD_HOME": str(home), "ARCHIBALD_CONFIG": str(config),
           "ARCHIBALD_DB": f"sqlite:///{root / 'studio.db'}",
           "ARCHIBALD_LOGIN_TOKEN": "login-" + os.urandom(8).hex(),
           "ARCHIBALD_SESSION_SECRET": os.urandom(16).hex(),
           "ARCHIBALD_SCHEDULE_TICK": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), str(HERE),
                                          os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    return Place(root, env)


@dataclass
class Served:
    url: str
    token: str
    proc: subprocess.Popen[bytes]

    @property
    def login(self) -> str:
        return f"{self.url}/login?token={self.token}"


@contextmanager
def serve(place: Place, **env: str) -> Iterator[Served]:
    """The studio on a free loopback port until the block ends (then stopped gracefully)."""
    port = free_port()
    log = open(place.root / f"server-{port}.log", "wb")
    proc = subprocess.Popen([sys.executable, str(HERE / "studio_server.py"), str(port)],
                            env={**place.env, **env}, cwd=place.root, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/static/studio.css", timeout=2)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the studio did not start: " + (
                        place.root / f"server-{port}.log").read_text()[-3000:]) from None
                time.sleep(0.2)
        yield Served(url, place.env["ARCHIBALD_LOGIN_TOKEN"], proc)
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes], timeout: float = 40) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def archibald(place: Place, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "archibald", *args], env=place.env,
                          cwd=place.root, capture_output=True, text=True, timeout=timeout)


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def logged_in(browser: Any, served: Served) -> Any:
    """A page whose browser context holds the studio's session cookie."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(served.login)
    assert page.url.rstrip("/") == served.url, page.content()[:500]
    return page


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the page as it is (labels, contrast, names...)."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return list(result)


def assert_accessible(page: Any, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"{where}: " + json.dumps(found, indent=1)
