"""Drawing an area of interest on the map in a real browser: the Leaflet.draw toolbar is
served offline, a rectangle drawn with the mouse sets aoi= in the URL, and the Records page
counts only the incidents inside it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from geodata import load_bundle
from mapspec.resolve import resolve_query
from tests.e2e.conftest import MAP_FRAME

pytestmark = pytest.mark.e2e

# The corners of the rectangle drawn (lat, lon): around Kabul, Nangarhar and Peshawar.
NORTH_WEST = (36.0, 68.0)
SOUTH_EAST = (33.0, 72.0)


def _map_frame(page):
    page.frame_locator(MAP_FRAME).first.locator("path.atlas-area").first.wait_for(
        state="visible", timeout=120_000
    )
    return next(f for f in page.frames if "streamlit_folium" in f.url)


def _page_point(page, frame, latlon: tuple[float, float]) -> tuple[float, float]:
    """Where a latitude/longitude is on the page (the map iframe's offset added)."""
    inner = frame.evaluate(
        """([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);
        const r = window.map.getContainer().getBoundingClientRect();
        return [p.x + r.left, p.y + r.top]; }""",
        list(latlon),
    )
    box = page.locator(MAP_FRAME).bounding_box()
    return box["x"] + inner[0], box["y"] + inner[1]


def _incident_heading(page) -> int:
    heading = page.get_by_role("heading", name=re.compile(r"^Incidents \(")).first
    heading.wait_for(timeout=60_000)
    return int(re.search(r"\(([\d,]+)\)", heading.inner_text())[1].replace(",", ""))


def test_drawing_a_rectangle_filters_the_records_and_the_url(app_server, watched_page):
    page = watched_page.page
    page.goto(app_server.url, wait_until="domcontentloaded")
    frame = _map_frame(page)
    toolbar = page.frame_locator(MAP_FRAME).first.locator(".leaflet-draw-draw-rectangle")
    assert page.frame_locator(MAP_FRAME).first.locator(".leaflet-draw-draw-polygon").count() == 1
    assert page.frame_locator(MAP_FRAME).first.locator(".leaflet-draw-draw-polyline").count() == 0
    toolbar.click()
    x0, y0 = _page_point(page, frame, NORTH_WEST)
    x1, y1 = _page_point(page, frame, SOUTH_EAST)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()

    page.wait_for_url(re.compile(r"[?&]aoi="), timeout=60_000)
    aoi = parse_qs(urlparse(page.url).query)["aoi"][0]
    west, south, east, north = (float(v) for v in aoi.split(","))
    # the drawn box, to within a few pixels of the mouse at this zoom
    assert west == pytest.approx(68.0, abs=0.2) and east == pytest.approx(72.0, abs=0.2)
    assert south == pytest.approx(33.0, abs=0.2) and north == pytest.approx(36.0, abs=0.2)
    page.get_by_text("inside the area").first.wait_for(timeout=60_000)
    expected = resolve_query(f"aoi={aoi}", load_bundle())
    n_inside = len(expected.layer("incidents"))
    assert 0 < n_inside < len(load_bundle().incidents)
    # the area is outlined on the redrawn map, and the typed box shows it
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=60_000)  # the old map is gone
    page.frame_locator(MAP_FRAME).first.locator("path[stroke-dasharray]").first.wait_for(
        state="attached", timeout=60_000
    )
    assert page.get_by_label("Area of interest (W,S,E,N)", exact=True).input_value() == aoi

    page.get_by_role("link", name="Records").click()
    page.wait_for_url(re.compile(r"/records"), timeout=60_000)
    page.get_by_text("inside the area").first.wait_for(timeout=60_000)
    assert _incident_heading(page) == n_inside
    assert "aoi=" in page.url

    page.get_by_role("button", name="Clear area").click()
    page.wait_for_function("() => !location.search.includes('aoi=')", timeout=60_000)
    page.get_by_role("heading", name=f"Incidents ({len(load_bundle().incidents):,})").wait_for(
        timeout=60_000
    )
    assert watched_page.failed == [] and watched_page.errors == []


def test_a_typed_bounding_box_and_a_bad_one(app_server, watched_page):
    page = watched_page.page
    page.goto(f"{app_server.url}/records", wait_until="domcontentloaded")
    total = _incident_heading(page)
    box = page.get_by_label("Area of interest (W,S,E,N)", exact=True)
    box.fill("68,33,72,36")
    box.press("Enter")
    page.wait_for_url(re.compile(r"aoi=68(%2C|,)33"), timeout=60_000)
    expected = len(resolve_query("aoi=68,33,72,36", load_bundle()).layer("incidents"))
    page.get_by_role("heading", name=f"Incidents ({expected:,})").wait_for(timeout=60_000)
    assert expected < total
    box.fill("72,33,68,36")
    box.press("Enter")
    page.get_by_text("W (72) must be less than E (68)").first.wait_for(timeout=60_000)
    # the bad box is refused: the area in force is still the good one
    assert _incident_heading(page) == expected
    assert watched_page.errors == []
