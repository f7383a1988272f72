"""Context in a real browser: the default map names its cities and neighbours, the names
do not overlap, and a click on a name reaches the area underneath."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import MAP_FRAME

pytestmark = pytest.mark.e2e

NAMES = ("Kabul", "Islamabad", "Peshawar", "Quetta", "Gwadar", "Iran", "China", "Tajikistan")


def _map(page, url: str):
    page.goto(url, wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.atlas-area").first.wait_for(state="visible", timeout=120_000)
    frame.locator(".atlas-label.on span").first.wait_for(state="visible", timeout=30_000)
    return frame


def _shown_labels(frame) -> list[dict]:
    """Text and box of every label the map shows inside its own container."""
    return frame.locator(".leaflet-container").evaluate(
        """(map) => {
            const area = map.getBoundingClientRect();
            return Array.from(map.querySelectorAll('.atlas-label.on span')).map((s) => {
                const b = s.getBoundingClientRect();
                return {text: s.textContent, x0: b.left, y0: b.top, x1: b.right,
                        y1: b.bottom, inside: b.left >= area.left && b.right <= area.right
                        && b.top >= area.top && b.bottom <= area.bottom,
                        visible: getComputedStyle(s).visibility === 'visible'};
            });
        }"""
    )


def test_default_map_names_key_cities_and_neighbours(app_server, watched_page):
    frame = _map(watched_page.page, app_server.url)
    labels = _shown_labels(frame)
    shown = {lab["text"].strip().lower() for lab in labels if lab["inside"] and lab["visible"]}
    missing = [n for n in NAMES if n.lower() not in shown]
    assert missing == [], f"not shown: {missing}; shown: {sorted(shown)}"
    # no two shown names overlap
    boxes = [lab for lab in labels if lab["visible"]]
    clashes = [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["x0"] < b["x1"] - 1
        and b["x0"] < a["x1"] - 1
        and a["y0"] < b["y1"] - 1
        and b["y0"] < a["y1"] - 1
    ]
    assert clashes == []
    assert watched_page.errors == [] and watched_page.failed == []


def test_a_click_on_a_name_reaches_the_province_underneath(app_server, watched_page):
    page = watched_page.page
    frame = _map(page, app_server.url)
    label = frame.locator(".atlas-label.on span", has_text="Herat").first
    box = label.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=15_000)
    assert "Herat" in popup.inner_text()


# --- small units, popups that explain, the corridor frame, the legend -----------------------


def _expected(query: str = ""):
    from geodata import load_bundle
    from mapspec.resolve import resolve_query

    return resolve_query(query, load_bundle())


def _open_symbol(page, frame, unit: str) -> str:
    """Click the small unit's symbol where a user would (its centre) and return the popup's
    text."""
    ring = frame.locator(f"path.atlas-small-unit.unit-{unit}")
    ring.wait_for(state="visible", timeout=15_000)
    box = ring.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=15_000)
    return popup.inner_text()


@pytest.mark.parametrize("unit", ["PK-IS", "AF-KAB"])
def test_small_unit_symbols_open_the_units_popup_with_its_contributors(
    app_server, watched_page, unit
):
    page = watched_page.page
    frame = _map(page, app_server.url)
    text = _open_symbol(page, frame, unit)
    resolved = _expected()
    row = resolved.layer("areas").set_index("id").loc[unit]
    assert row["name"] in text
    assert f"{row['band'].capitalize()} — score {row['score']:.0f} of 100" in text
    for rec_id in resolved.risk.explain(unit).head(3)["id"]:
        assert rec_id in text
    assert "What the score means" in text
    assert watched_page.errors == []


def test_the_records_link_opens_the_records_of_that_unit(app_server, watched_page):
    page = watched_page.page
    frame = _map(page, app_server.url)
    _open_symbol(page, frame, "PK-IS")
    link = frame.locator(".leaflet-popup-content a.atlas-records")
    # a new tab: the component iframe's sandbox blocks navigating the app's own tab
    with page.context.expect_page(timeout=30_000) as opened:
        link.click()
    records = opened.value
    records.wait_for_url("**/records?admin1=PK-IS", timeout=30_000)
    n = len(_expected("admin1=PK-IS").layer("incidents"))
    assert n < len(_expected().layer("incidents"))
    records.get_by_text(f"Incidents ({n:,})").wait_for(timeout=60_000)


def test_a_record_popup_opens_the_unit_underneath(app_server, watched_page):
    page = watched_page.page
    frame = _map(page, app_server.url)
    kabul = _expected().layer("incidents")
    rec_id = kabul[kabul["admin1"] == "AF-KAB"]["id"].iloc[0]
    frame.locator(f"path.atlas-incident.rec-{rec_id}").evaluate(
        "(el) => el.dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    )
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=15_000)
    assert rec_id in popup.inner_text()
    popup.locator("a.atlas-open-area").click()
    frame.locator(".leaflet-popup-content", has_text="Afghan province · AF-KAB").wait_for(
        timeout=15_000
    )


def _legend_labels(frame) -> list[str]:
    return [t.strip() for t in frame.locator(".atlas-legend .lg-e").all_inner_texts()]


def test_legend_lists_what_is_drawn_and_leaves_punjab_free(app_server, watched_page):
    page = watched_page.page
    frame = _map(page, app_server.url)
    labels = _legend_labels(frame)
    for wanted in (
        "sensitive site",
        "threat record",
        "CPEC segment",
        "Af-Pak border",
        "small unit (click)",
        "ISKP",
        "extreme",
    ):
        assert wanted in labels, labels
    # the site squares and threat diamonds on the map are the legend's symbols
    assert frame.locator("path.atlas-site").count() > 0
    assert frame.locator("path.atlas-threat").count() > 0
    # the open legend does not cover eastern Pakistan (Lahore, Islamabad, Multan)
    covered = frame.locator(".leaflet-container").evaluate(
        """(el) => {
            const m = window.map, legend = el.querySelector('.atlas-legend');
            const r = legend.getBoundingClientRect(), box = el.getBoundingClientRect();
            return [[31.55, 74.34], [33.69, 73.04], [30.2, 71.47]].filter((ll) => {
                const p = m.latLngToContainerPoint(ll);
                const x = p.x + box.left, y = p.y + box.top;
                return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
            });
        }"""
    )
    assert covered == []
    # a layer switched off by the link has no legend entry
    frame = _map(page, app_server.url + "/?layers=areas,border,corridors")
    labels = _legend_labels(frame)
    assert "threat record" not in labels and "sensitive site" not in labels
    assert "ISKP" not in labels and "CPEC segment" in labels
    assert frame.locator("path.atlas-threat").count() == 0


def test_corridor_map_frames_every_segment_of_the_route(app_server, watched_page):
    page = watched_page.page
    page.goto(app_server.url + "/corridors", wait_until="domcontentloaded")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.atlas-segment").first.wait_for(state="attached", timeout=120_000)
    from geodata import load_bundle

    route = str(load_bundle().corridors["route_id"].iloc[0])  # the page's first route
    segments = _expected(f"view=route:{route}").layer("segments")
    x0, y0, x1, y1 = segments[segments["route_id"] == route].total_bounds
    west, south, east, north = frame.locator(".leaflet-container").evaluate(
        """() => { const b = window.map.getBounds();
                   return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"""
    )
    assert west <= x0 and east >= x1 and south <= y0 and north >= y1, (
        (west, south, east, north),
        (x0, y0, x1, y1),
    )
    # the legend starts closed on a framed view: it cannot cover the route
    assert frame.locator(".atlas-legend details").get_attribute("open") is None
