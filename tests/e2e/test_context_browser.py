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
        }""")


def test_default_map_names_key_cities_and_neighbours(app_server, watched_page):
    frame = _map(watched_page.page, app_server.url)
    labels = _shown_labels(frame)
    shown = {lab["text"].strip().lower() for lab in labels if lab["inside"] and lab["visible"]}
    missing = [n for n in NAMES if n.lower() not in shown]
    assert missing == [], f"not shown: {missing}; shown: {sorted(shown)}"
    # no two shown names overlap
    boxes = [lab for lab in labels if lab["visible"]]
    clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:]
               if a["x0"] < b["x1"] - 1 and b["x0"] < a["x1"] - 1
               and a["y0"] < b["y1"] - 1 and b["y0"] < a["y1"] - 1]
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
