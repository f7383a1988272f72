"""Real-browser fixtures: the app on 127.0.0.1 on a free port, Debian's Chromium via
PyPI playwright (never ``playwright install``)."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
START_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running ``streamlit run app.py`` and its URL."""

    proc: subprocess.Popen
    url: str
    port: int
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_app(tmp_home: Path, extra_env: dict[str, str] | None = None) -> AppServer:
    """Start the app and return once it announces its URL (reads its output; no sleep)."""
    port = _free_port()
    env = {**os.environ, "ISKP_ATLAS_HOME": str(tmp_home), **(extra_env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, bufsize=1)
    server = AppServer(proc, f"http://127.0.0.1:{port}", port)
    deadline = time.monotonic() + START_TIMEOUT_S
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        server.output.append(line)
        if f":{port}" in line:
            return server
    server.stop()
    raise RuntimeError("the app did not start:\n" + "".join(server.output[-30:]))


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skipped (or failed in CI) when it is not installed."""
    if not CHROMIUM.exists():
        if os.environ.get("ISKP_REQUIRE_BROWSER"):
            pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium")
        pytest.skip("browser tests need Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class Watched:
    """A page with every request, failed request and page error recorded."""

    page: object
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def watched_page(browser) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watched = Watched(page)
    page.on("request", lambda r: watched.requests.append(r.url))
    page.on("requestfailed", lambda r: watched.failed.append(f"{r.url} {r.failure}"))
    page.on("pageerror", lambda e: watched.errors.append(str(e)))
    yield watched
    context.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory) -> Iterator[AppServer]:
    server = start_app(tmp_path_factory.mktemp("atlas_home"))
    yield server
    server.stop()
