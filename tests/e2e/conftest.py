"""Real-browser fixtures: the app on 127.0.0.1 on a free port, Debian's Chromium via
PyPI playwright (never ``playwright install``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bench.browser import CHROMIUM, MAP_FRAME, AppServer, launch_chromium, start_app

__all__ = ["MAP_FRAME", "start_app"]


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skipped (or failed in CI) when it is not installed."""
    if not CHROMIUM.exists():
        if os.environ.get("ISKP_REQUIRE_BROWSER"):
            pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium")
        pytest.skip("browser tests need Debian's chromium (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = launch_chromium(pw)
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
