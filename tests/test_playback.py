"""Time playback (frame=YYYY-MM) and shapes drawn on the map, without a browser."""

from __future__ import annotations

import sys
import time
from datetime import date

import pytest

from geodata import load_bundle
from mapspec.playback import aoi_from_drawing, frame_spec, next_frame, playback_months
from mapspec.resolve import resolve
from mapspec.spec import MapSpec
from riskmodel.filters import QueryError, apply_filters, describe, parse_query, to_query


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))


def test_a_frame_shows_records_up_to_the_end_of_its_month():
    bundle = load_bundle()
    f = parse_query("frame=2022-08")
    kept = apply_filters(bundle.incidents, f)
    assert (kept["date"] < "2022-09-01").all()
    assert (kept["date"] >= "2022-08-01").any()  # the month itself is in, to its last day
    assert len(kept) == int((bundle.incidents["date"] < "2022-09-01").sum())
    assert f.end_date == date(2022, 8, 31)
    assert parse_query("frame=2024-02").end_date == date(2024, 2, 29)


def test_scores_are_as_of_the_end_of_the_frame():
    bundle = load_bundle()
    june = resolve(MapSpec(filters=parse_query("frame=2023-06")), bundle)
    whole = resolve(MapSpec(), bundle)
    assert june.as_of == date(2023, 6, 30) < whole.as_of
    assert june.risk.table("province")["load"].sum() != whole.risk.table("province")["load"].sum()
    # with an earlier 'to', the earlier end wins
    both = parse_query("to=2023-03-15&frame=2023-06")
    assert both.end_date == date(2023, 3, 15)
    assert resolve(MapSpec(filters=both), bundle).as_of == date(2023, 3, 15)


def test_the_frame_is_in_the_sentence_and_the_link():
    f = parse_query("actor=ISKP&frame=2025-06")
    assert describe(f) == "ISKP attacks and threats, all dates, shown up to the end of 2025-06"
    assert to_query(f) == "actor=ISKP&frame=2025-06"
    assert MapSpec.from_params({"frame": "2025-06"}).filters.frame == "2025-06"


@pytest.mark.parametrize("bad", ["2025-13", "2025-6", "25-06", "2025-06-01", "1800-01", "x"])
def test_a_bad_frame_names_the_key_and_the_form(bad):
    with pytest.raises(QueryError, match=r"for 'frame'; valid: a month written YYYY-MM"):
        parse_query({"frame": bad})


def test_playback_months_follow_the_dates_and_the_filter():
    months = playback_months(MapSpec(), date(2021, 3, 9), date(2026, 2, 21))
    assert months[0] == "2021-03" and months[-1] == "2026-02" and len(months) == 60
    narrowed = MapSpec(filters=parse_query("from=2024-11-20&to=2025-02-02"))
    assert playback_months(narrowed, date(2021, 3, 9), date(2026, 2, 21)) == [
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
    ]


def test_the_last_month_is_the_view_without_a_frame_and_playback_loops():
    months = ["2025-01", "2025-02", "2025-03"]
    assert frame_spec(MapSpec(), "2025-02", months).filters.frame == "2025-02"
    assert frame_spec(MapSpec(), "2025-03", months).filters.frame is None
    assert frame_spec(MapSpec(), "2019-01", months).filters.frame is None  # not a month shown
    assert [next_frame(m, months) for m in (None, *months)] == [
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-01",
    ]
    assert next_frame("2025-01", []) is None


def _feature(ring):
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


def test_a_drawn_rectangle_becomes_a_bounding_box():
    ring = [
        [68.00182, 32.987753],
        [68.00182, 36.008984],
        [72.010371, 36.008984],
        [72.010371, 32.987753],
        [68.00182, 32.987753],
    ]
    aoi = aoi_from_drawing(_feature(ring))
    assert aoi.kind == "bbox"
    assert aoi.to_param() == "68.0018,32.9878,72.0104,36.009"


def test_a_drawn_polygon_becomes_an_encoded_polygon():
    ring = [[68.0, 33.0], [72.0, 33.0], [70.0, 36.0], [68.0, 33.0]]
    aoi = aoi_from_drawing(_feature(ring))
    assert aoi.kind == "poly" and aoi.n_vertices == 3
    assert parse_query({"aoi": aoi.to_param()}).aoi == aoi


def test_other_shapes_are_not_areas_and_a_crossing_one_is_refused():
    assert aoi_from_drawing(None) is None
    assert (
        aoi_from_drawing(
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [69, 34]}}
        )
        is None
    )
    bowtie = [[68, 33], [72, 36], [72, 33], [68, 36], [68, 33]]
    with pytest.raises(ValueError, match="crosses itself"):
        aoi_from_drawing(_feature(bowtie))


MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04"]


def test_a_tick_shows_the_next_month_only_once_it_is_ready():
    from mapspec.playback import shown_frame

    assert shown_frame("2025-02", MONTHS, False, lambda m: True) == "2025-02"  # paused
    assert shown_frame("2025-02", MONTHS, True, lambda m: True) == "2025-03"
    # the next month still being prefetched: this one a tick longer
    assert shown_frame("2025-02", MONTHS, True, lambda m: m != "2025-03") == "2025-02"
    # no month (or one outside the range) in the session: the whole view, the last month
    assert shown_frame(None, MONTHS, False, lambda m: True) == "2025-04"
    assert shown_frame("2019-01", MONTHS, False, lambda m: True) == "2025-04"


def test_the_months_ahead_are_prefetched_while_playing_or_stepping():
    from mapspec.playback import following, frames_to_prefetch

    assert frames_to_prefetch("2025-01", MONTHS, True) == ["2025-02", "2025-03"]
    assert frames_to_prefetch("2025-02", MONTHS, False) == ["2025-03"]  # stepping by hand
    assert frames_to_prefetch("2025-04", MONTHS, False) == []  # the whole view
    assert following("2025-03", MONTHS, 3) == ["2025-04", "2025-01", "2025-02"]  # loops
    assert following("2025-01", ["2025-01"], 2) == ["2025-01"]


def _sent(resolved, layers=None) -> dict:
    """What streamlit-folium sends to the browser for the map of ``resolved``, as the Risk
    map sends it (the component itself is not called)."""
    import streamlit_folium

    from mapspec import offline
    from mapspec.folium_map import map_layers, map_parts

    sent: list[dict] = []
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: sent.append(kwargs)
    try:
        fmap, groups, control = map_parts(resolved, 620, layers or map_layers(resolved))
        offline.localise(fmap, *groups)
        streamlit_folium.st_folium(
            fmap,
            key="risk_map",
            feature_group_to_add=groups,
            layer_control=control,
            render=False,
            returned_objects=["last_active_drawing"],
        )
    finally:
        streamlit_folium._component_func = original
    return sent[0]


def test_a_playback_step_keeps_the_map_in_the_browser_and_sends_only_the_layers():
    bundle = load_bundle()
    july, august = (
        _sent(resolve(MapSpec.from_params({"frame": m}), bundle)) for m in ("2022-07", "2022-08")
    )
    # the same base map and component key: streamlit-folium keeps the Leaflet map (no
    # blank map, the zoom stays) and swaps the layer groups and the layer control
    assert july["key"] == august["key"] and july["script"] == august["script"]
    assert july["feature_group"] != august["feature_group"]
    for sent, month in ((july, "2022-07"), (august, "2022-08")):
        assert f"shown up to the end of {month}" in sent["feature_group"]  # the legend
        assert "window.atlasFrame(" in sent["feature_group"]
        assert "Incidents" in sent["layer_control"]
    # another view (framed elsewhere) is another map
    kabul = _sent(
        resolve(MapSpec.from_params({"frame": "2022-08", "view": "admin1:AF-KAB"}), bundle)
    )
    assert kabul["key"] != august["key"]


def test_a_prefetched_month_has_its_layers_json_and_tables_ready(monkeypatch):
    """The background prefetch leaves a month ready to show: its layers' JSON written and
    its top-area tables made, so the step that shows it does neither (a step that made
    them itself ran its script ~1.2 s instead of ~0.1 s)."""
    from mapspec import tables
    from ui import loaders, playback
    from ui import tables as ui_tables

    made = []
    top_areas = tables.top_areas
    monkeypatch.setattr(
        tables, "top_areas", lambda view, level, n: made.append(level) or top_areas(view, level, n)
    )
    signature = loaders.data_signature()
    key = (("actor", "ISKP"), ("frame", "2025-06"))
    # asked for a grace period ago: prepared at once
    playback._compute_view(key, signature, time.monotonic() - playback.PREFETCH_GRACE_S)
    assert made == ["province", "segment", "site"]

    resolved = loaders._resolve_cached(key, signature)
    layers = playback._map_layers(key, signature, resolved)
    drawn = [layer for layer in layers if layer.kind == "geojson"]
    assert drawn and all("json_literal" in vars(layer) for layer in drawn)
    for level, _ in ui_tables.TOP_AREA_LEVELS:  # what the page reads: no table made again
        assert len(ui_tables._top_areas(key, signature, level, 10, resolved))
    assert made == ["province", "segment", "site"]


@pytest.mark.skipif(sys.platform != "linux", reason="a thread's own nice value is Linux's")
def test_the_prefetch_runs_below_the_page_and_the_browser():
    """The months ahead are prepared at the lowest CPU priority, so on a small machine
    the step being shown (the page's thread, the browser) comes first."""
    import os
    import threading

    from ui import playback

    niceness = playback._PREFETCH.submit(
        lambda: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    ).result(timeout=30)
    assert niceness == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) < 19  # ours unchanged
