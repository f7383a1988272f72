"""The team store on PostgreSQL/PostGIS, in a throw-away cluster started here (a Unix
socket in a temporary folder, no TCP port; stopped at the end; needs the server binaries
and PostGIS, see docs/TEAM.md). Keys:

- ``pg_import_acled_100k_s``: plan + commit of the generated 100,000-row ACLED-layout file
  of :mod:`bench.bench_c_import` into an empty team store (the user's wait; the SQLite
  figure is ``import_acled_100k_s``), and ``pg_load_after_import_100k_s``, loading the
  bundle with those records from the team store (what the app does once per store state).
- ``pg_filtered_query_{N}_s``: one bbox + date + actor query
  (:func:`geodata.store_pg.records_in`: the GiST, date and family indexes) on a store of
  N records (``ISKP_BENCH_PG_ROWS``, default 1,000,000: the imported 100k plus synthetic
  incidents), median of 5 runs, and how many records it returned. Target < 0.3 s at 1M.
- ``pg_map_first_visit_{N}_s``: the server's work for the app's first map on that store in
  a fresh process (:data:`FIRST_VISIT`: imports, the one loader, resolve, styling and
  rendering; no browser — add ~2 s of Streamlit and Leaflet in Chromium, see
  ``map_visible_*``), with its parts (``_load_s``, ``_resolve_s``, …), for the default view
  (every record) and ``_filtered_`` for :data:`FILTERED_VIEW` (the team store asked for
  that filter's records only, :mod:`geodata.store_query`). Before them the grown batch's
  prepared frame is built once (``pg_prepare_grown_{N}_s``), as an import leaves it.

The grown records are synthetic incidents (:func:`geodata.synth.synthesize`, ids ``SYN-…``)
stored as one batch with its text rows, as an import stores them.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS_ENV = "ISKP_BENCH_PG_ROWS"


def _cluster():
    sys.path.insert(0, str(ROOT))
    from tests.pg_fixture import Cluster, _bindir

    bindir = _bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed")
    cluster = Cluster(bindir)
    try:
        cluster.start()
    except BaseException as exc:  # pytest.skip outside pytest: say why
        cluster.stop()
        raise RuntimeError(f"no PostGIS cluster: {exc}") from None
    return cluster


def _grow(url: str, total: int, seed: int = 11) -> int:
    """Add clearly synthetic incidents (:func:`geodata.synth.synthesize`, ids ``SYN-…``)
    as one batch until the store holds ``total`` records: the batch's text rows, its
    records and the prepared frame, as an import writes them, so the app can load it."""
    import io

    import pandas as pd

    from geodata import store, store_pg
    from geodata.synth import synthesize, to_csv_text

    con = store_pg.connect(url)
    try:
        have = int(con.execute("SELECT count(*) FROM records").fetchone()[0])
        extra = max(total - have, 0)
        if not extra:
            return have
        text = pd.read_csv(
            io.StringIO(to_csv_text(synthesize(extra, seed=seed))),
            dtype=str,
            keep_default_na=False,
            na_values=[""],
        )
        text = text.astype(object).where(text.notna(), None)
        blob = store._encode_rows(text)
        families = [
            None if a is None else store.actor_family(store.canonical_actor(a))
            for a in text["actor"].tolist()
        ]
        n = len(text)
        column = {
            c: (text[c].tolist() if c in text.columns else [None] * n) for c in store.KEY_COLUMNS
        }
        rows = list(
            zip(
                ["incidents"] * n,
                text["id"].tolist(),
                [0] * n,
                [None] * n,
                families,
                *[column[c] for c in store.KEY_COLUMNS],
                range(n),
                strict=True,
            )
        )
        con.execute("BEGIN")
        batch_id = int(
            con.execute(
                "INSERT INTO batches (file, format, kind, imported_at, sha256, size_bytes, "
                "rows_read, rows_accepted, rows_merged, rows_rejected, rows_excluded, "
                "rows_already_present, skip_bad) VALUES ('bench-synthetic.csv', 'atlas', "
                "'incidents', '2026-01-01T00:00:00Z', ?, 0, ?, ?, 0, 0, 0, 0, 0) "
                "RETURNING batch_id",
                (f"{seed:064d}", n, n),
            ).fetchone()[0]
        )
        rows = [(r[0], r[1], batch_id, *r[3:]) for r in rows]
        con.execute(
            "INSERT INTO batch_rows (batch_id, encoding, data) VALUES (?, ?, ?)",
            (batch_id, "arrow-ipc-stream", blob),
        )
        con.copy_rows("records", store._RECORD_COLUMNS, rows)
        store_pg.bump_state(con)
        con.execute("COMMIT")
        con.execute("ANALYZE records")
        return have + n
    finally:
        con.close()


FIRST_VISIT = r"""
import json, os, sys, time
start = time.perf_counter()
from bench.bench_d_map import _payload_and_server_time
from geodata.catalog import load_current
from mapspec.resolve import resolve
from mapspec.spec import MapSpec
from riskmodel.filters import parse_query
query = sys.argv[2]
spec = MapSpec.from_params(dict(p.split("=", 1) for p in query.split("&") if p))
times = {"imports": time.perf_counter() - start}
t = time.perf_counter()
data = load_current(database_url=sys.argv[1], filters=spec.filters)
times["load"] = time.perf_counter() - t
t = time.perf_counter()
resolved = resolve(spec, data)
times["resolve"] = time.perf_counter() - t
kb, times["style"], times["render"] = _payload_and_server_time(resolved)
times["total"] = time.perf_counter() - start
times["incidents_loaded"] = len(data.incidents)
times["incidents_shown"] = len(resolved.layers["incidents"])
print(json.dumps(times))
"""
"""The server's work for the app's first map in a fresh process (a server just started):
imports, the one loader (with the view's filter pushed down), resolve, the styled layers
and the rendered folium map, as :mod:`bench.bench_d_map` times them."""

FILTERED_VIEW = "from=2025-01-01&aoi=69,34,71.5,35.2"
"""A filtered first visit: one year and an area around Kabul and Jalalabad."""


def _first_visit(url: str, query: str) -> dict[str, float]:
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", FIRST_VISIT, url, query],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> dict[str, object]:
    from bench.bench_c_import import generate

    os.environ["ISKP_ATLAS_MAX_IMPORT_MB"] = "500"
    total = int(os.environ.get(ROWS_ENV, "1000000"))
    cluster = _cluster()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["ISKP_ATLAS_CACHE_DIR"] = str(Path(tmp) / "cache")
            from geodata import load_bundle, store_pg
            from geodata.store import commit_plan, load_bundle_with_store, plan_import

            url = cluster.url(cluster.new_database())
            path = Path(tmp) / "acled_100k.csv"
            generate(path)
            load_bundle()
            start = time.perf_counter()
            batch = commit_plan(plan_import(path.read_bytes(), path.name, home=url), url)
            imported = time.perf_counter() - start
            start = time.perf_counter()
            shown = len(load_bundle_with_store(url).incidents)
            loaded = time.perf_counter() - start
            stored = _grow(url, total)
            label = f"{stored // 1000}k" if stored < 1_000_000 else f"{stored // 1_000_000}m"
            start = time.perf_counter()
            load_bundle_with_store(url)  # the grown batch's prepared frame, the store cache
            prepared_s = time.perf_counter() - start
            con = store_pg.connect(url)
            try:
                times, found = [], 0
                for _ in range(5):
                    start = time.perf_counter()
                    found = len(
                        store_pg.records_in(
                            con,
                            bbox=(69.0, 33.0, 72.0, 35.5),
                            start="2020-01-01",
                            end="2023-12-31",
                            families=("Islamic State",),
                        )
                    )
                    times.append(time.perf_counter() - start)
            finally:
                con.close()
            out: dict[str, object] = {
                "pg_import_acled_100k_s": round(imported, 2),
                "pg_import_acled_100k_accepted": batch.rows_accepted,
                "pg_load_after_import_100k_s": round(loaded, 2),
                "pg_load_after_import_100k_incidents": shown,
                f"pg_filtered_query_{label}_s": round(statistics.median(times), 4),
                f"pg_filtered_query_{label}_records": found,
                f"pg_prepare_grown_{label}_s": round(prepared_s, 1),
            }
            for key, query in (("", ""), ("_filtered", FILTERED_VIEW)):
                visit = _first_visit(url, query)
                name = f"pg_map_first_visit{key}_{label}"
                out[f"{name}_s"] = round(visit["total"], 2)
                for part in ("imports", "load", "resolve", "style", "render"):
                    out[f"{name}_{part}_s"] = round(visit[part], 2)
                out[f"{name}_incidents_loaded"] = visit["incidents_loaded"]
            return out
    finally:
        cluster.stop()


if __name__ == "__main__":
    print(run())
