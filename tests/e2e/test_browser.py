"""The app in a real browser: offline map, filtered links, escaped popups."""

from __future__ import annotations

import csv
from urllib.parse import urlparse

import pytest

from geodata import declared_columns, load_bundle
from mapspec.resolve import resolve_query
from tests.e2e.conftest import MAP_FRAME, start_app

pytestmark = pytest.mark.e2e


def _wait_for_map(page, timeout_ms: int = 120_000):
    frame = page.frame_locator(MAP_FRAME)
    try:
        frame.locator(".leaflet-container").wait_for(state="visible", timeout=timeout_ms)
        frame.locator("path.atlas-area").first.wait_for(state="visible", timeout=timeout_ms)
    except Exception as exc:  # say what the page shows instead of only "timeout"
        shown = page.locator("body").inner_text(timeout=5_000)[:3000]
        raise AssertionError(f"the map did not appear ({exc}); the page shows:\n{shown}") from exc
    return frame


def _only_local(watched, port: int) -> list[str]:
    return [
        u
        for u in watched.requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and (urlparse(u).hostname, urlparse(u).port) != ("127.0.0.1", port)
    ]


def test_map_draws_offline_with_every_area(app_server, watched_page):
    page = watched_page.page
    page.goto(app_server.url, wait_until="domcontentloaded")
    frame = _wait_for_map(page)
    assert frame.locator("path.atlas-area").count() >= 41
    assert frame.locator("path.atlas-segment").count() >= 100
    assert frame.locator(".leaflet-control-layers").count() == 1
    assert _only_local(watched_page, app_server.port) == []
    assert watched_page.failed == []
    assert watched_page.errors == []


def test_filtered_link_restores_sentence_and_layers(app_server, watched_page):
    query = "actor=BLA&country=PAK&layers=areas,incidents"
    expected = resolve_query(query, load_bundle())
    n_points = int((~expected.layer("incidents").geometry.is_empty).sum())
    assert 0 < n_points < len(load_bundle().incidents)
    page = watched_page.page
    page.goto(f"{app_server.url}/?{query}", wait_until="domcontentloaded")
    frame = _wait_for_map(page)
    page.get_by_text(expected.sentence).first.wait_for(timeout=30_000)
    frame.locator("path.atlas-incident").first.wait_for(state="visible")
    assert frame.locator("path.atlas-incident").count() == n_points
    assert frame.locator("path.atlas-segment").count() == 0  # corridors layer hidden
    assert watched_page.failed == [] and watched_page.errors == []


def test_popup_shows_markup_from_data_as_literal_text(tmp_path, watched_page):
    row = {c: "" for c in declared_columns("incidents")}
    row.update(
        {
            "id": "E2E-001",
            "date": "2025-06-01",
            "country": "PAK",
            "province": "Balochistan",
            "place": "Zhob <b>town</b>",
            "latitude": "31.3408",
            "longitude": "69.4493",
            "geo_precision": "2",
            "actor": "ISIS-K",
            "attribution": "claimed",
            "attack_type": "IED",
            "target_category": "civilians",
            "fatalities": "1",
            "summary": 'Marked <b>bold</b> & <img src=x onerror="window.__x=1"> in data',
            "source_1_url": "https://example.org/ok",
            "confidence": "low",
        }
    )
    path = tmp_path / "extra.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    server = start_app(tmp_path / "home", {"ISKP_ATLAS_EXTRA_INCIDENTS": str(path)})
    try:
        page = watched_page.page
        page.goto(
            f"{server.url}/?layers=areas,incidents&from=2025-05-01&to=2025-07-01",
            wait_until="domcontentloaded",
        )
        frame = _wait_for_map(page)
        marker = frame.locator("path.rec-E2E-001")
        marker.wait_for(state="visible")
        marker.dispatch_event("click")
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(state="visible")
        text = popup.inner_text()
        assert 'Marked <b>bold</b> & <img src=x onerror="window.__x=1"> in data' in text
        assert "Zhob <b>town</b>" in text
        assert popup.locator("b", has_text="bold").count() == 0
        assert popup.locator("img").count() == 0
        assert popup.locator("a[href='https://example.org/ok']").count() == 1
        map_frame = page.locator(MAP_FRAME).element_handle().content_frame()
        assert map_frame.evaluate("() => window.__x === undefined")
        assert watched_page.errors == []
    finally:
        server.stop()


def test_data_page_upload_imports_and_the_map_shows_the_records(tmp_path, watched_page):
    from pathlib import Path

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "acled_sample.csv"
    server = start_app(tmp_path / "home")
    try:
        page = watched_page.page
        page.goto(f"{server.url}/data", wait_until="domcontentloaded")
        page.locator("input[type='file']").set_input_files(str(fixture))
        page.get_by_text("Detected").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_text("Stored as batch").first.wait_for(timeout=60_000)
        # A new tab for the map, with its own request log: leaving the Data page would
        # abort its open requests, which says nothing about the map.
        map_page = page.context.new_page()
        failed: list[str] = []
        errors: list[str] = []
        urls: list[str] = []
        map_page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
        map_page.on("pageerror", lambda e: errors.append(str(e)))
        map_page.on("request", lambda r: urls.append(r.url))
        map_page.goto(
            f"{server.url}/?layers=areas,incidents&from=2024-03-01&to=2024-03-31",
            wait_until="domcontentloaded",
        )
        frame = _wait_for_map(map_page)
        frame.locator("path.rec-ACLED-AFG90001").wait_for(state="visible", timeout=60_000)
        assert failed == [] and errors == []
        assert [
            u
            for u in urls
            if urlparse(u).hostname not in (None, "127.0.0.1")
            and urlparse(u).scheme in ("http", "https", "ws", "wss")
        ] == []
    finally:
        server.stop()


def test_grid_mode_draws_every_cell_with_its_tooltip(app_server, watched_page):
    from mapspec.folium_map import aggregate_points

    query = "points=aggregate&layers=areas,incidents"
    expected = aggregate_points(resolve_query(query, load_bundle()).layer("incidents"))
    page = watched_page.page
    page.goto(f"{app_server.url}/?{query}", wait_until="domcontentloaded")
    frame = _wait_for_map(page)
    cells = frame.locator("path.atlas-cell")
    cells.first.wait_for(state="visible")
    assert cells.count() == len(expected)
    biggest = expected.sort_values("count", ascending=False).iloc[0]
    index = expected.index.get_loc(biggest.name)
    cells.nth(index).dispatch_event("mouseover")
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text().startswith(f"{int(biggest['count']):,} incidents")
    assert watched_page.failed == [] and watched_page.errors == []


def test_deep_link_on_a_freshly_started_server(tmp_path, watched_page):
    """The first visit after the server starts is to a page other than the default one."""
    server = start_app(tmp_path / "home")
    try:
        page = watched_page.page
        page.goto(f"{server.url}/corridors?attribution=claimed", wait_until="domcontentloaded")
        _wait_for_map(page)
        page.get_by_role("heading", name="CPEC corridors").first.wait_for(timeout=30_000)
        page.get_by_text("Claimed attacks").first.wait_for(timeout=30_000)
        assert page.get_by_text("OfflineAssetError").count() == 0
        assert page.locator("[data-testid='stSidebar']").get_by_text("Risk perspective").count()
        assert _only_local(watched_page, server.port) == []
        assert watched_page.failed == [] and watched_page.errors == []
    finally:
        server.stop()
