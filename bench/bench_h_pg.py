"""The team store on PostgreSQL/PostGIS, in a throw-away cluster started here (a Unix
socket in a temporary folder, no TCP port; stopped at the end; needs the server binaries
and PostGIS, see docs/TEAM.md). Keys:

- ``pg_import_acled_100k_s``: plan + commit of the generated 100,000-row ACLED-layout file
  of :mod:`bench.bench_c_import` into an empty team store (the user's wait; the SQLite
  figure is ``import_acled_100k_s``), and ``pg_load_after_import_100k_s``, loading the
  bundle with those records from the team store (what the app does once per store state).
- ``pg_filtered_query_{N}_s``: one bbox + date + actor query
  (:func:`geodata.store_pg.records_in`: the GiST, date and family indexes) on a store of
  N records (``ISKP_BENCH_PG_ROWS``, default 1,000,000; the imported 100k plus synthetic
  rows generated inside the database with ``generate_series``, clearly not events),
  median of 5 runs, and how many records it returned. Target < 0.3 s at 1M.

Not measured here: ``pg_map_first_visit_1m_s`` — the app still loads every stored record
(the map's first visit at 1M needs the app to ask the store for the current filter's
records; see the report of issue 14).
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


def _grow(url: str, total: int) -> int:
    """Add synthetic records (inside the database) until the store holds ``total``."""
    from geodata import store_pg

    con = store_pg.connect(url)
    try:
        have = int(con.execute("SELECT count(*) FROM records").fetchone()[0])
        extra = max(total - have, 0)
        if extra:
            con.execute("BEGIN")
            con.execute(
                "INSERT INTO batches (file, format, kind, imported_at, sha256, size_bytes, "
                "rows_read, rows_accepted, rows_merged, rows_rejected, rows_excluded, "
                "rows_already_present, skip_bad) VALUES ('bench-synthetic', 'atlas', "
                "'incidents', '2026-01-01T00:00:00Z', repeat('0', 64), 0, ?, ?, 0, 0, 0, 0, 0)",
                (extra, extra))
            families = ["Islamic State", "TTP", "Baloch separatists", "Taliban", "unknown"]
            con.execute(
                "INSERT INTO records (kind, id, batch_id, actor_family, source_dataset, "
                "source_id, date, latitude, longitude, batch_row) "
                "SELECT 'incidents', 'BENCH-' || g, (SELECT max(batch_id) FROM batches), "
                "(?::text[])[1 + g % 5], 'bench', g::text, "
                "to_char(date '2015-01-01' + (g % 3900), 'YYYY-MM-DD'), "
                "(24 + (g::bigint * 7919 % 1300) / 100.0)::text, "
                "(60 + (g::bigint * 104729 % 1200) / 100.0)::text, "
                "g FROM generate_series(1, ?) AS g", (families, extra))
            con.execute("COMMIT")
            con.execute("ANALYZE records")
        return have + extra
    finally:
        con.close()


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
            con = store_pg.connect(url)
            try:
                times, found = [], 0
                for _ in range(5):
                    start = time.perf_counter()
                    found = len(store_pg.records_in(
                        con, bbox=(69.0, 33.0, 72.0, 35.5), start="2020-01-01",
                        end="2023-12-31", families=("Islamic State",)))
                    times.append(time.perf_counter() - start)
            finally:
                con.close()
            label = f"{stored // 1000}k" if stored < 1_000_000 else f"{stored // 1_000_000}m"
            return {
                "pg_import_acled_100k_s": round(imported, 2),
                "pg_import_acled_100k_accepted": batch.rows_accepted,
                "pg_load_after_import_100k_s": round(loaded, 2),
                "pg_load_after_import_100k_incidents": shown,
                f"pg_filtered_query_{label}_s": round(statistics.median(times), 4),
                f"pg_filtered_query_{label}_records": found,
            }
    finally:
        cluster.stop()


if __name__ == "__main__":
    print(run())
