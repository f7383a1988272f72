"""Import of a generated 100,000-row ACLED-layout file into a fresh store (target < 15 s).

The file is generated here, in a temporary folder (synthetic rows: points jittered around
the 41 admin-1 units' interior points, a mix of actor names and target types). Keys:
``import_acled_100k_s`` (plan + commit, the user's wait), its parts, the cold load of
the bundle with the 100k imported records (what the app does on its first render), and
the app's map on that store: payload, server time and time to a visible map in Chromium
(``map_visible_after_import_100k_s``, as the dashboard's 100k figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 100_000
HEADER = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,"
          "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,"
          "civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,"
          "longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp")
ACTORS = ["Islamic State (Afghanistan)", "TTP: Tehreek-i-Taliban Pakistan",
          "BLA: Balochistan Liberation Army", "Unidentified Armed Group (Pakistan)",
          "Taliban", "Islamic State (Pakistan)", "Unidentified Armed Group (Afghanistan)"]
TARGETS = [("Civilians (Pakistan)", "Civilians"), ("Police Forces of Pakistan (2022-)",
           "State forces"), ("Hazara Ethnic Group (Afghanistan)", "Identity militia"),
           ("Civilians (China)", "Civilians"), ("Military Forces of Afghanistan (2021-)",
           "State forces"), ("", "")]


def generate(path: Path, rows: int = ROWS, seed: int = 7) -> None:
    """Write ``rows`` synthetic ACLED-layout rows to ``path``."""
    from geodata import load_geography

    rng = np.random.default_rng(seed)
    units = load_geography().admin1
    centres = units.geometry.representative_point()
    pick = rng.integers(0, len(units), rows)
    lat = np.round(centres.y.to_numpy()[pick] + rng.normal(0, 0.15, rows), 4)
    lon = np.round(centres.x.to_numpy()[pick] + rng.normal(0, 0.15, rows), 4)
    country = np.where(units["country"].to_numpy()[pick] == "AFG", "Afghanistan", "Pakistan")
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2900, rows), "D")
    actor = np.array(ACTORS)[rng.integers(0, len(ACTORS), rows)]
    t = rng.integers(0, len(TARGETS), rows)
    actor2 = np.array([x[0] for x in TARGETS])[t]
    inter2 = np.array([x[1] for x in TARGETS])[t]
    frame = pd.DataFrame({
        "event_id_cnty": [f"SYN{i:07d}" for i in range(rows)],
        "event_date": days.strftime("%d %B %Y"), "year": days.year,
        "time_precision": rng.choice(["1", "1", "1", "2", "3"], rows),
        "disorder_type": "Political violence", "event_type": "Explosions/Remote violence",
        "sub_event_type": rng.choice(["Remote explosive/landmine/IED", "Suicide bomb",
                                      "Armed clash", "Attack"], rows),
        "actor1": actor, "assoc_actor_1": "", "inter1": "Rebel group", "actor2": actor2,
        "assoc_actor_2": "", "inter2": inter2, "interaction": "",
        "civilian_targeting": np.where(inter2 == "Civilians", "Civilian targeting", ""),
        "iso": np.where(country == "Afghanistan", "4", "586"), "region": "Caspian",
        "country": country, "admin1": units["name"].to_numpy()[pick], "admin2": "",
        "admin3": "", "location": "Synthetic place", "latitude": lat, "longitude": lon,
        "geo_precision": rng.choice(["1", "2", "3"], rows), "source": "Synthetic source",
        "source_scale": "National",
        "notes": np.char.add("SYNTHETIC BENCH ROW: an attack was reported near the town; ",
                             rng.choice(["ISKP claimed responsibility.", "No group claimed it.",
                                         "Police suspected militants.", "A Shia mosque was hit.",
                                         "Chinese engineers were travelling in the convoy."],
                                        rows)),
        "fatalities": rng.poisson(1.5, rows), "tags": "", "timestamp": "1700000000",
    })
    frame.to_csv(path, index=False)


def _render_after_import(bundle, home: Path, tmp: Path) -> dict[str, object]:
    """The app on the store just filled: map payload and server time, and the time to a
    visible map in Chromium on a freshly started server (its first visit loads the stored
    records) and then warm (median of five), as the dashboard's 100k figures."""
    import statistics

    from playwright.sync_api import sync_playwright

    from bench.bench_d_map import _payload_and_server_time
    from bench.browser import launch_chromium, start_app, time_to_map
    from mapspec import offline
    from mapspec.resolve import resolve
    from mapspec.spec import MapSpec

    offline.patch_folium()
    start = time.perf_counter()
    resolved = resolve(MapSpec(), bundle)
    resolve_s = time.perf_counter() - start
    kb, layers_s, render_s = _payload_and_server_time(resolved)
    out: dict[str, object] = {
        "map_payload_after_import_100k_kb": round(kb, 1),
        "server_rerun_after_import_100k_s": round(resolve_s + layers_s + render_s, 3),
        "map_point_mode_after_import_100k": resolved.point_mode,
    }
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        server = start_app(home, {"ISKP_ATLAS_CACHE_DIR": os.environ["ISKP_ATLAS_CACHE_DIR"]})
        try:
            first = time_to_map(browser, server.url, timeout_ms=300_000)
            warm = statistics.median(time_to_map(browser, server.url, timeout_ms=300_000)
                                     for _ in range(5))
        finally:
            server.stop()
            browser.close()
    out["map_visible_after_import_100k_first_visit_s"] = round(first, 2)
    out["map_visible_after_import_100k_s"] = round(warm, 2)
    return out


def run() -> dict[str, object]:
    """Generate, import, load; return the timings."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "acled_100k.csv"
        generate(path)
        home = Path(tmp) / "home"
        os.environ["ISKP_ATLAS_MAX_IMPORT_MB"] = "500"
        from geodata.store import commit_plan, load_bundle_with_store, plan_import

        load_start = time.perf_counter()
        from geodata import load_bundle

        load_bundle()  # the app has the bundle cached before anyone imports
        warm = time.perf_counter()
        plan = plan_import(path.read_bytes(), path.name, home=home)
        planned = time.perf_counter()
        batch = commit_plan(plan, home)
        done = time.perf_counter()
        assert batch.rows_read == ROWS, batch
        os.environ["ISKP_ATLAS_CACHE_DIR"] = str(Path(tmp) / "cache")
        load_start = time.perf_counter()
        bundle = load_bundle_with_store(home)  # what the CLI and the Data page do once
        loaded = time.perf_counter()
        assert len(bundle.incidents) >= ROWS
        # The app started afterwards: a fresh process loading bundle + store (cached).
        probe = ("import time; t = time.perf_counter(); "
                 "from geodata.store import load_bundle_with_store; "
                 f"b = load_bundle_with_store({str(home)!r}); "
                 "print(time.perf_counter() - t, len(b.incidents))")
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True, env=dict(os.environ))
        fresh_s, fresh_n = out.stdout.split()
        assert int(fresh_n) == len(bundle.incidents)
        render = _render_after_import(bundle, home, Path(tmp))
        return {
            **render,
            "app_data_load_after_import_100k_s": round(float(fresh_s), 2),
            "import_acled_100k_s": round(done - warm, 2),
            "import_acled_100k_plan_s": round(planned - warm, 2),
            "import_acled_100k_commit_s": round(done - planned, 2),
            "import_acled_100k_accepted": batch.rows_accepted,
            "import_acled_100k_merged": batch.rows_merged,
            "store_100k_mb": round((home / "store.sqlite").stat().st_size / 1048576, 1),
            "prepare_view_after_import_100k_s": round(loaded - load_start, 2),
        }


if __name__ == "__main__":
    print(run())
