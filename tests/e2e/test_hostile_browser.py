"""Every page in a real browser with a store of hostile records (issue 11).

The store holds one incident, threat and site whose every free-text field is a template,
HTML/JS and formula payload (tests/fixtures/hostile.py), imported as a user would. Each
page is opened with a dialog handler: an ``alert(1)`` that ran would be recorded. Expected:
0 dialogs, 0 page errors, the Risk map drawn with the hostile records, their popups and
tooltips showing the payloads as literal text, nothing evaluated on the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures import hostile

from mapspec.layer_data import css_id
from tests.e2e.conftest import MAP_FRAME, start_app

pytestmark = pytest.mark.e2e

PAGES = [
    ("", "Risk map"),
    ("corridors", "CPEC corridors"),
    ("records", "Records"),
    ("export", "Export"),
    ("data", "Data"),
    ("methodology", "Methodology"),
]
QUERY = "from=2025-11-01&layers=areas,incidents,threats,sites"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[tuple[object, Path]]:
    root = tmp_path_factory.mktemp("hostile_e2e")
    pwned = root / "PWNED"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(hostile.PWNED_ENV, str(pwned))
        hostile.import_hostile(root / "home", pwned)
    server = start_app(root / "home", {hostile.PWNED_ENV: str(pwned)})
    try:
        yield server, pwned
    finally:
        server.stop()
    assert not pwned.exists(), "a template payload ran code on the server"


@pytest.fixture
def dialogs(watched_page) -> list[str]:
    seen: list[str] = []

    def record(dialog) -> None:
        seen.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    watched_page.page.on("dialog", record)
    return seen


def _shown(page, heading: str) -> None:
    try:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=120_000)
    except Exception as exc:
        shown = page.locator("body").inner_text(timeout=5_000)[:3000]
        raise AssertionError(f"page {heading!r} did not appear ({exc}):\n{shown}") from exc


@pytest.mark.parametrize(("path", "heading"), PAGES)
def test_every_page_with_hostile_records(hostile_server, watched_page, dialogs, path, heading):
    server, pwned = hostile_server
    page = watched_page.page
    page.goto(f"{server.url}/{path}?{QUERY}", wait_until="domcontentloaded")
    _shown(page, heading)
    if path in ("", "corridors"):
        frame = page.frame_locator(MAP_FRAME)
        frame.locator("path.atlas-area").first.wait_for(state="visible", timeout=120_000)
        # the hostile records are drawn (their popup and tooltip HTML is bound)
        frame.locator("path.atlas-incident").first.wait_for(state="attached")
    body = page.locator("body").inner_text()
    assert hostile.EVALUATED not in body
    assert "Something went wrong" not in body and "Traceback" not in body
    assert dialogs == []
    assert watched_page.errors == []
    assert not pwned.exists()


def test_hostile_popups_and_tooltips_show_literal_text(hostile_server, watched_page, dialogs):
    server, pwned = hostile_server
    page = watched_page.page
    page.goto(f"{server.url}/?{QUERY}", wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.atlas-area").first.wait_for(state="visible", timeout=120_000)
    assert frame.locator("path.atlas-area").count() >= 41  # the Risk map is drawn
    for kind in ("incidents", "threats", "sites"):
        record_id = hostile.record_id(kind)
        marker = frame.locator("path." + css_id({"properties": {"id": record_id}}))
        # attached, not visible: the previous (tall) popup's auto-pan may have moved the
        # marker out of view, and Leaflet takes the events anyway
        marker.wait_for(state="attached", timeout=60_000)
        marker.dispatch_event("mouseover")
        tooltip = frame.locator(".leaflet-tooltip").last
        tooltip.wait_for(state="visible")
        assert "<img src=x onerror=alert(1)>" in tooltip.inner_text()
        assert tooltip.locator("img, svg, script, b").count() == 0
        marker.dispatch_event("mouseout")
        marker.dispatch_event("click")
        popup = frame.locator(".leaflet-popup-content", has_text=record_id)
        popup.wait_for(state="visible")
        text = popup.inner_text()
        if kind != "sites":  # a site's popup is titled with its name, the id is a row
            assert popup.locator("b").first.inner_text().startswith(record_id)
        assert record_id in text, "the id is shown once-escaped, as typed"
        assert "<img src=x onerror=alert(1)>" in text and "{{ 7*7 }}" in text
        assert "</script><script>alert(1)</script>" in text
        assert "&lt;" not in text and "&amp;" not in text
        assert popup.locator("img, svg, script").count() == 0
        assert popup.locator("b").count() == 1  # only the title: "<b>bold</b>" is text
    assert dialogs == []
    assert watched_page.errors == []
    assert not pwned.exists()
