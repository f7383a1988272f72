"""Import of a generated 100,000-row ACLED-layout file into a fresh store (target < 15 s).

The file is generated here, in a temporary folder (synthetic rows: points jittered around
the 41 admin-1 units' interior points, a mix of actor names and target types). Keys:
``import_acled_100k_s`` (plan + commit, the user's wait), its parts, the cold load of
the bundle with the 100k imported records (what the app does on its first render), and
the app's map on that store: payload, server time and time to a visible map in Chromium
(``map_visible_after_import_100k_s``, as the dashboard's 100k figures).

Also (:func:`run_national_and_gtd`; ``python -m bench.bench_c_import national`` runs only
these): ``import_acled_afpk_150k_s``, a synthetic national export (current ACLED layout,
150,000 rows, 10 % outside the region; target < 15 s) and ``import_gtd_200k_s``, a
synthetic world GTD CSV (200,000 rows, 135 columns, Windows-1252, 15 % in the region;
target < 30 s), each imported (plan + commit) into a fresh store.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.import_files import GTD_ROWS, ROWS, generate, generate_gtd


def _render_after_import(bundle, home: Path, tmp: Path) -> dict[str, object]:
    """The app on the store just filled: map payload and server time, and the time to a
    visible map in Chromium on a freshly started server (its first visit loads the stored
    records) and then warm (median of five), as the dashboard's 100k figures."""
    import statistics

    from playwright.sync_api import sync_playwright

    from bench.bench_d_map import _payload_and_server_time
    from bench.browser import launch_chromium, start_app, time_to_map
    from mapspec.resolve import resolve
    from mapspec.spec import MapSpec

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
            warm = statistics.median(
                time_to_map(browser, server.url, timeout_ms=300_000) for _ in range(5)
            )
        finally:
            server.stop()
            browser.close()
    out["map_visible_after_import_100k_first_visit_s"] = round(first, 2)
    out["map_visible_after_import_100k_s"] = round(warm, 2)
    return out


def _timed_import(path: Path, home: Path) -> tuple[float, object]:
    """Plan + commit of one file into ``home`` (the user's wait), and the batch."""
    from geodata.store import commit_plan, plan_import

    start = time.perf_counter()
    plan = plan_import(path.read_bytes(), path.name, home=home)
    batch = commit_plan(plan, home)
    return time.perf_counter() - start, batch


def run_national_and_gtd(tmp: Path) -> dict[str, object]:
    """``import_acled_afpk_150k_s`` (current ACLED layout, 150,000 rows, 10 % outside the
    region; target < 15 s) and ``import_gtd_200k_s`` (135 columns, cp1252; target < 30 s),
    each into a fresh store. Both files are synthetic, generated here."""
    from geodata import load_bundle

    os.environ["ISKP_ATLAS_MAX_IMPORT_MB"] = "500"
    load_bundle()
    out: dict[str, object] = {}
    acled = tmp / "acled_afpk_150k.csv"
    generate(acled, rows=150_000, seed=8, outside_share=0.10)
    seconds, batch = _timed_import(acled, tmp / "home_afpk")
    assert batch.rows_read == 150_000, batch
    out["import_acled_afpk_150k_s"] = round(seconds, 2)
    out["import_acled_afpk_150k_accepted"] = batch.rows_accepted
    out["import_acled_afpk_150k_excluded"] = batch.rows_excluded
    gtd = tmp / "gtd_200k.csv"
    generate_gtd(gtd)
    out["gtd_200k_mb"] = round(gtd.stat().st_size / 1e6, 1)
    seconds, batch = _timed_import(gtd, tmp / "home_gtd")
    assert batch.rows_read == GTD_ROWS, batch
    out["import_gtd_200k_s"] = round(seconds, 2)
    out["import_gtd_200k_accepted"] = batch.rows_accepted
    out["import_gtd_200k_excluded"] = batch.rows_excluded
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
        probe = (
            "import time; t = time.perf_counter(); "
            "from geodata.store import load_bundle_with_store; "
            f"b = load_bundle_with_store({str(home)!r}); "
            "print(time.perf_counter() - t, len(b.incidents))"
        )
        out = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        )
        fresh_s, fresh_n = out.stdout.split()
        assert int(fresh_n) == len(bundle.incidents)
        render = _render_after_import(bundle, home, Path(tmp))
        national = run_national_and_gtd(Path(tmp))
        return {
            **render,
            **national,
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
    if sys.argv[1:] == ["national"]:  # only the 150k ACLED and 200k GTD keys
        with tempfile.TemporaryDirectory() as folder:
            print(run_national_and_gtd(Path(folder)))
    else:
        print(run())
