"""The analyst's daily loop: one time-playback step and the area-of-interest filter.

A playback step (the Risk map's fragment) shows a month whose view was resolved and
styled ahead on a background thread (``ui.prefetch_views``), so what the user waits for is
building the folium map (with the drawing toolbar) from the styled layers and rendering
what st_folium sends: ``playback_step_bundled_s`` / ``playback_step_100k_s``. The work done
ahead per month — resolve the view of that frame (filter + score as of the end of the
month) and style its layers, nothing cached — is ``playback_frame_compute_bundled_s`` /
``playback_frame_compute_100k_s``: it bounds how fast playback can run (a step waits for
its frame). Medians of six successive months; the bundled records and 100,000 synthetic
events (``geodata.synth``, as bench_b_risk makes them). ``aoi_filter_100k_s``: the filter
mask of a drawn polygon (12 vertices over eastern Afghanistan and Khyber Pakhtunkhwa) on
the 100,000 events, median of five runs after one warm-up.
"""

from __future__ import annotations

import statistics
import time

N = 100_000


def _frame(bundle, frame: str):
    """(the resolved view and its styled layers, seconds): the work done ahead."""
    from mapspec.folium_map import map_layers
    from mapspec.resolve import resolve
    from mapspec.spec import MapSpec

    start = time.perf_counter()
    resolved = resolve(MapSpec.from_params({"frame": frame}), bundle)
    layers = map_layers(resolved)
    return resolved, layers, time.perf_counter() - start


def _show(resolved, layers) -> float:
    """Seconds to build the map from styled layers and render what st_folium sends."""
    import streamlit_folium
    from folium.plugins import Draw

    from mapspec.folium_map import build_map

    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: None
    try:
        start = time.perf_counter()
        fmap = build_map(resolved, layers=layers)
        Draw(draw_options={"polyline": False, "circle": False, "marker": False,
                           "circlemarker": False}).add_to(fmap)
        streamlit_folium.st_folium(fmap, returned_objects=["last_active_drawing"],
                                   height=620, render=False)
        return time.perf_counter() - start
    finally:
        streamlit_folium._component_func = original


def _medians(bundle, months: list[str]) -> tuple[float, float]:
    """(median shown step, median frame compute) over months[1:7] (months[0] warms)."""
    steps, computes = [], []
    for i, month in enumerate(months[:7]):
        resolved, layers, compute_s = _frame(bundle, month)
        show_s = _show(resolved, layers)
        if i:
            steps.append(show_s)
            computes.append(compute_s)
    return statistics.median(steps), statistics.median(computes)


def run() -> dict[str, object]:
    import math

    from bench.bench_b_risk import enriched_events
    from geodata import load_bundle
    from mapspec import offline
    from mapspec.playback import playback_months
    from mapspec.spec import MapSpec
    from riskmodel.aoi import polygon_aoi
    from riskmodel.filters import Filters, filter_mask

    offline.patch_folium()
    bundle = load_bundle()
    dates = bundle.incidents["date"]
    months = playback_months(MapSpec(), dates.min().date(), dates.max().date())
    step, compute = _medians(bundle, months[-13:])
    out: dict[str, object] = {"playback_step_bundled_s": round(step, 3),
                              "playback_frame_compute_bundled_s": round(compute, 3)}

    events, _ = enriched_events(N)
    big = bundle.with_records(incidents=events)
    dates = events["date"]
    big_months = playback_months(MapSpec(), dates.min().date(), dates.max().date())
    step, compute = _medians(big, big_months[-13:])
    out["playback_step_100k_s"] = round(step, 3)
    out["playback_frame_compute_100k_s"] = round(compute, 3)

    ring = [(70.0 + 2.2 * math.cos(t), 34.0 + 1.6 * math.sin(t))
            for t in (2 * math.pi * k / 12 for k in range(12))]
    f = Filters(aoi=polygon_aoi(ring))
    filter_mask(events, f)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        kept = int(filter_mask(events, f).sum())
        runs.append(time.perf_counter() - start)
    out["aoi_filter_100k_s"] = round(statistics.median(runs), 4)
    out["aoi_filter_100k_kept"] = kept
    out["playback_events"] = len(events)
    return out
