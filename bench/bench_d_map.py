"""Map budgets: payload, server time per rerun and time to a visible map in Chromium.

Bundled data and 100,000 synthetic events (``geodata.synth``, opened through the app's
``ISKP_ATLAS_EXTRA_INCIDENTS`` variable), and, in the same run, the naive rendering (one
folium CircleMarker per event) for comparison. Times to visible are measured on a warm
server (the data already loaded by a first visit; median of five visits), from
navigation to the first drawn area in a fresh browser context.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

NAIVE_APP = """
import folium
import streamlit as st
from streamlit_folium import st_folium

from geodata import load_geography, load_records
from mapspec import offline

offline.install_assets(Path(__file__).resolve().parent / "static")
frame = load_records(CSV, "incidents", load_geography())
m = folium.Map(location=[31, 68], zoom_start=5, tiles=None, maxZoom=12)
folium.GeoJson(load_geography().admin1[["iso_3166_2", "geometry"]].assign(
    geometry=lambda g: g.simplify(0.01)),
    on_each_feature=folium.utilities.JsCode(
        "function(f, l){ l.options.className = 'atlas-area'; }")).add_to(m)
for y, x in zip(frame.geometry.y, frame.geometry.x):
    folium.CircleMarker([y, x], radius=3).add_to(m)
offline.localise(m)
st_folium(m, returned_objects=[], height=600)
"""


def _localised(fmap):
    """The map with its assets pointed at the local copies, as the app sends it."""
    from mapspec import offline

    offline.localise(fmap)
    return fmap


def _payload_and_server_time(resolved) -> tuple[float, float, float]:
    """(size in kB of what st_folium sends, seconds to style the layers, seconds to build
    and render the map from them) for a resolved map, the way ``ui.render_map`` does it
    (the styled layers are cached per view in the app)."""
    import streamlit_folium

    from mapspec.folium_map import build_map, map_layers

    captured: dict = {}
    original = streamlit_folium._component_func
    streamlit_folium._component_func = lambda **kwargs: captured.update(kwargs)
    try:
        start = time.perf_counter()
        layers = map_layers(resolved)
        layers_s = time.perf_counter() - start
        start = time.perf_counter()
        streamlit_folium.st_folium(
            _localised(build_map(resolved, layers=layers)),
            returned_objects=[],
            height=620,
            render=False,
        )
        render_s = time.perf_counter() - start
    finally:
        streamlit_folium._component_func = original
    size = len(json.dumps(captured, default=str).encode("utf-8")) / 1024
    return size, layers_s, render_s


def _time_server_rerun(bundle, name: str, out: dict[str, object]):
    """Resolve the default view of ``bundle`` and time its map; into ``out`` the payload
    (``map_payload_<name>_kb``), the whole server rerun (``server_rerun_<name>_s``) and the
    rerun with the layers cached (``server_rerun_<name>_cached_s``). Returns the view."""
    from mapspec.resolve import resolve
    from mapspec.spec import MapSpec

    start = time.perf_counter()
    resolved = resolve(MapSpec(), bundle)
    resolve_s = time.perf_counter() - start
    kb, layers_s, render_s = _payload_and_server_time(resolved)
    out[f"map_payload_{name}_kb"] = round(kb, 1)
    out[f"server_rerun_{name}_s"] = round(resolve_s + layers_s + render_s, 3)
    out[f"server_rerun_{name}_cached_s"] = round(render_s, 3)
    return resolved


def run() -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    from bench.browser import ROOT, launch_chromium, start_app, time_to_map
    from geodata import load_bundle, load_geography, load_records
    from geodata.synth import synthesize, to_csv_text
    from mapspec import offline

    out: dict[str, object] = {}
    offline.install_assets(ROOT / "static")
    bundle = load_bundle()
    _time_server_rerun(bundle, "bundled", out)

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "synth_100k.csv"
        csv_path.write_text(to_csv_text(synthesize(100_000, seed=7)), encoding="utf-8")
        big = bundle.with_records(incidents=load_records(csv_path, "incidents", load_geography()))
        resolved_big = _time_server_rerun(big, "100k", out)
        out["map_point_mode_100k"] = resolved_big.point_mode

        naive_script = ROOT / f".bench_naive_{int(time.time())}.py"
        naive_script.write_text(
            "from pathlib import Path\n" + f"CSV = {str(csv_path)!r}\n" + NAIVE_APP,
            encoding="utf-8",
        )
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for key, env, script, timeout in (
                    ("bundled", {}, "app.py", 120_000),
                    ("100k", {"ISKP_ATLAS_EXTRA_INCIDENTS": str(csv_path)}, "app.py", 300_000),
                    ("naive_100k", {}, naive_script.name, 900_000),
                ):
                    server = start_app(Path(tmp) / f"home_{key}", env, script=script)
                    try:
                        cold = time_to_map(browser, server.url, timeout_ms=timeout)
                        # Warm: median of five visits (one sample is noisy on 2 cores).
                        # The naive page caches nothing, so every visit costs the same;
                        # one is enough.
                        visits = 1 if key == "naive_100k" else 5
                        warm = statistics.median(
                            time_to_map(browser, server.url, timeout_ms=timeout)
                            for _ in range(visits)
                        )
                    finally:
                        server.stop()
                    name = "naive_visible_100k_s" if key == "naive_100k" else f"map_visible_{key}_s"
                    out[name] = round(warm, 2)
                    out[name.replace("_s", "_first_visit_s")] = round(cold, 2)
            finally:
                browser.close()
                naive_script.unlink(missing_ok=True)
    out["naive_over_adaptive_100k"] = round(
        out["naive_visible_100k_s"] / out["map_visible_100k_s"], 1
    )
    return out
