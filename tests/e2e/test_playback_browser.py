"""Time playback in a real browser: stepping the month slider swaps the map's layers for
the incidents up to each month and the scores as of then, on the same map (kept with its
zoom, its legend following); the URL records the frame; Play advances by itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from geodata import load_bundle
from mapspec.resolve import resolve_query
from tests.e2e.conftest import MAP_FRAME

pytestmark = pytest.mark.e2e

# Months of the bundled records in which incidents happened one after the other.
FRAMES = ("2022-07", "2022-08", "2022-09", "2022-10")


def _points(frame: str) -> int:
    incidents = resolve_query(f"frame={frame}", load_bundle()).layer("incidents")
    return int((~incidents.geometry.is_empty & incidents.geometry.notna()).sum())


def test_stepping_through_months_changes_the_map(app_server, watched_page):
    counts = [_points(f) for f in FRAMES]
    assert counts == sorted(counts) and len(set(counts)) == len(counts)  # the data moves
    page = watched_page.page
    page.goto(f"{app_server.url}/?frame={FRAMES[0]}", wait_until="domcontentloaded")
    markers = page.frame_locator(MAP_FRAME).first.locator("path.atlas-incident")
    expect(markers).to_have_count(counts[0], timeout=120_000)
    page.get_by_text(f"shown up to the end of {FRAMES[0]}").first.wait_for(timeout=120_000)
    mapframe = page.frame_locator(MAP_FRAME).first
    container = mapframe.locator(".leaflet-container")
    # the map the user looks at, zoomed in one step: a step must keep it (no blank map,
    # no redraw from scratch, the zoom stays), only its layers change
    zoom = container.evaluate("(m) => { m.dataset.kept = 'yes'; return window.map.getZoom(); }")
    mapframe.locator(".leaflet-control-zoom-in").click()
    container.evaluate(
        "(m, z) => new Promise((ok) => { const check = () => window.map.getZoom() > z ? "
        "ok() : requestAnimationFrame(check); check(); })",
        zoom,
    )
    zoomed = container.evaluate("() => window.map.getZoom()")
    thumb = page.get_by_role("slider")
    for frame, count in zip(FRAMES[1:], counts[1:], strict=True):
        thumb.focus()
        thumb.press("ArrowRight")
        page.wait_for_url(re.compile(rf"frame={frame}"), timeout=120_000)
        expect(markers).to_have_count(count, timeout=120_000)
        # the scores follow the month: as of its last day
        page.get_by_text(re.compile(rf"as of {frame}-3[01]")).first.wait_for(timeout=120_000)
        # the legend on the map names the month shown
        expect(mapframe.locator(".atlas-legend .lg-sent")).to_contain_text(
            f"shown up to the end of {frame}", timeout=120_000
        )
    assert container.get_attribute("data-kept") == "yes"  # the same map, never re-created
    assert container.evaluate("() => window.map.getZoom()") == zoomed
    # after the steps the layers still work: a record's popup opens, with the link to the
    # popup of its unit; the small units keep their symbols
    mapframe.locator("path.atlas-incident").first.evaluate(
        "(el) => el.dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    )
    popup = mapframe.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=15_000)
    expect(popup.locator("a.atlas-open-area")).to_have_count(1)
    assert mapframe.locator("path.atlas-small-unit").count() > 0
    # one set of layers on the map: the previous months' were taken off
    assert mapframe.locator("path.atlas-area.rec-AF-KAB").count() == 1
    page.get_by_role("button", name="Play").click()
    page.wait_for_url(re.compile(r"frame=2022-11"), timeout=120_000)
    page.wait_for_url(re.compile(r"frame=2022-12"), timeout=120_000)
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Play").wait_for(timeout=120_000)
    paused_at = re.search(r"frame=(\d{4}-\d{2})", page.url)[1]  # where playback stopped
    assert paused_at >= "2022-12"
    expect(markers).to_have_count(_points(paused_at), timeout=120_000)
    assert watched_page.failed == [] and watched_page.errors == []


def test_a_link_to_a_frame_gives_the_briefing_of_that_month(app_server, watched_page):
    page = watched_page.page
    page.goto(f"{app_server.url}/export?frame=2023-06", wait_until="domcontentloaded")
    page.get_by_text("shown up to the end of 2023-06").first.wait_for(timeout=120_000)
    assert "frame=2023-06" in page.url
