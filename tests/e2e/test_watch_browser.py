"""A watch zone in a real browser: a file imported on the Data page with one record inside
a zone and one outside; the Data page names the zone's new record and the Watch page lists
it (and not the outside one)."""

from __future__ import annotations

import pytest

from bench.browser import start_app
from geodata import load_bundle
from geodata.watch import list_zones
from riskmodel.watch import add_zone
from tests.test_watch import SITE, _csv, _inside_and_outside, _row

pytestmark = pytest.mark.e2e


@pytest.fixture
def watched_home(tmp_path):
    """A store with one zone around a bundled site, and the app on it."""
    home = tmp_path / "home"
    zone = add_zone(
        "Kabul embassy", load_bundle(), home, site=SITE, distance_km=10, owner="analyst-b"
    )
    server = start_app(home, {"ISKP_ATLAS_CACHE_DIR": str(tmp_path / "cache")})
    try:
        yield server, home, zone
    finally:
        server.stop()


def test_the_watch_page_lists_a_record_imported_inside_a_zone(watched_home, watched_page, tmp_path):
    server, home, zone = watched_home
    inside, outside = _inside_and_outside(zone.shape())
    upload = tmp_path / "watch_two.csv"
    upload.write_bytes(
        _csv(
            [
                _row("USR-BROWSER-IN", *inside, "SYNTHETIC TEST ROW: inside the zone."),
                _row("USR-BROWSER-OUT", *outside, "SYNTHETIC TEST ROW: outside the zone."),
            ]
        )
    )
    page = watched_page.page
    page.goto(f"{server.url}/data", wait_until="domcontentloaded")
    uploader = page.locator("input[type='file']")
    uploader.wait_for(state="attached", timeout=120_000)  # a cold first start is slow
    uploader.set_input_files(str(upload))
    page.get_by_text("Detected").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Stored as batch").first.wait_for(timeout=60_000)
    notice = page.get_by_text("Watch zones: 1 new record(s) in 1 of 1 zone(s)").first
    notice.wait_for(timeout=60_000)
    assert "USR-BROWSER-IN" in notice.inner_text()
    assert "USR-BROWSER-OUT" not in notice.inner_text()

    page.goto(f"{server.url}/watch", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Watch zones").first.wait_for(timeout=60_000)
    listed = page.get_by_text("1 new record(s) inside since the last review").first
    listed.wait_for(timeout=60_000)
    assert "USR-BROWSER-IN" in listed.inner_text()
    assert page.get_by_text("USR-BROWSER-OUT").count() == 0
    page.screenshot(path=str(tmp_path / "watch_page.png"), full_page=True)

    page.get_by_role("button", name="Mark reviewed").click()
    page.get_by_text("No new records inside since the last review").first.wait_for(timeout=60_000)
    assert list_zones(home)[0].reviewed_batch == 1
    assert not watched_page.errors
