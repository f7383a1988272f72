"""The analyst's daily loop: one time-playback step and the area-of-interest filter.

``playback_step_bundled_s`` / ``playback_step_100k_s`` are what the analyst waits for: in
Chromium (``bench.browser.playback_steps``), from the key press that moves the Risk map's
month slider one month on to the animation frame that paints that month's layers on the
map (the map stays; only its layers are swapped), on the app with the bundled records and
with 100,000 synthetic events more (``geodata.synth``, through
``ISKP_ATLAS_EXTRA_INCIDENTS``). Median of six steps through the months before the last;
between steps the analyst looks at a month for a while (3 s bundled, 20 s with 100k) in
which the app prepares the next one (``ui.prefetch_views``).

``playback_step_server_bundled_s`` / ``playback_step_server_100k_s``: the server's part of
a step, without a browser: the map's parts built from the styled layers and what
st_folium sends rendered (``ui.render_map`` with the drawing toolbar). The work done ahead
per month — resolve the view of that frame (filter + score as of the end of the month)
and style its layers, nothing cached — is ``playback_frame_compute_bundled_s`` /
``playback_frame_compute_100k_s``: it bounds how fast playback can run (a step waits for
its frame). Medians of six successive months on the bundled records and 100,000 synthetic
events (as bench_b_risk makes them). ``aoi_filter_100k_s``: the filter mask of a drawn
polygon (12 vertices over eastern Afghanistan and Khyber Pakhtunkhwa) on the 100,000
events, median of five runs after one warm-up.
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
    """Seconds to build the map's parts from styled layers and render what st_folium sends
    (as ``ui.render_map`` does, with the drawing toolbar of :func:`mapspec.drawing.add_drawing`)."""
    import streamlit_folium

    from mapspec import offline
    from mapspec.drawing import add_drawing
    from mapspec.folium_map import map_parts

    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: None
    try:
        start = time.perf_counter()
        fmap, groups, control = map_parts(resolved, 620, layers)
        add_drawing(fmap, resolved.spec.filters.aoi)
        offline.localise(fmap, *groups)
        streamlit_folium.st_folium(
            fmap,
            returned_objects=["last_active_drawing"],
            height=620,
            render=False,
            feature_group_to_add=groups,
            layer_control=control,
        )
        return time.perf_counter() - start
    finally:
        streamlit_folium._component_func = original


def _browser_steps(extra_csv=None) -> float:
    """The median step in Chromium on the app (bundled records, plus ``extra_csv``)."""
    import tempfile
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    from bench.browser import launch_chromium, playback_steps, start_app
    from geodata import load_bundle
    from mapspec.playback import playback_months
    from mapspec.spec import MapSpec

    dates = load_bundle().incidents["date"]
    first, last = dates.min(), dates.max()
    env = {}
    if extra_csv is not None:
        import pandas as pd

        extra = pd.read_csv(extra_csv, usecols=["date"], parse_dates=["date"])["date"]
        first, last = min(first, extra.min()), max(last, extra.max())
        env["ISKP_ATLAS_EXTRA_INCIDENTS"] = str(extra_csv)
    months = playback_months(MapSpec(), first.date(), last.date())[-8:-1]
    with tempfile.TemporaryDirectory() as home, sync_playwright() as pw:
        server = start_app(Path(home), env, timeout_s=300)
        browser = launch_chromium(pw)
        try:
            steps = playback_steps(browser, server.url, months, dwell_s=20 if extra_csv else 3)
        finally:
            browser.close()
            server.stop()
    return statistics.median(steps)


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
    from mapspec.playback import playback_months
    from mapspec.spec import MapSpec
    from riskmodel.aoi import polygon_aoi
    from riskmodel.filters import Filters, filter_mask

    bundle = load_bundle()
    dates = bundle.incidents["date"]
    months = playback_months(MapSpec(), dates.min().date(), dates.max().date())
    step, compute = _medians(bundle, months[-13:])
    out: dict[str, object] = {
        "playback_step_server_bundled_s": round(step, 3),
        "playback_frame_compute_bundled_s": round(compute, 3),
    }

    events, _ = enriched_events(N)
    big = bundle.with_records(incidents=events)
    dates = events["date"]
    big_months = playback_months(MapSpec(), dates.min().date(), dates.max().date())
    step, compute = _medians(big, big_months[-13:])
    out["playback_step_server_100k_s"] = round(step, 3)
    out["playback_frame_compute_100k_s"] = round(compute, 3)

    import tempfile
    from pathlib import Path

    from geodata.synth import synthesize, to_csv_text

    out["playback_step_bundled_s"] = round(_browser_steps(), 3)
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "synth_100k.csv"
        csv_path.write_text(to_csv_text(synthesize(N, seed=7)), encoding="utf-8")
        out["playback_step_100k_s"] = round(_browser_steps(csv_path), 3)

    ring = [
        (70.0 + 2.2 * math.cos(t), 34.0 + 1.6 * math.sin(t))
        for t in (2 * math.pi * k / 12 for k in range(12))
    ]
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
