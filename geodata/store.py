"""The local store of imported records: one SQLite file under ``ISKP_ATLAS_HOME``.

- Home: ``$ISKP_ATLAS_HOME``, else the platform's user data folder
  (``platformdirs.user_data_dir("iskp-atlas")``); the file is ``store.sqlite``.
- One transaction per import batch (``BEGIN IMMEDIATE`` … ``COMMIT``): a batch goes in
  whole or not at all. Everything that can fail (reading, mapping, validation, joins,
  de-duplication) happens *before* the transaction opens; the connection runs with
  ``cache_spill = OFF`` so no page reaches the database file before ``COMMIT``, and
  SQLite's rollback journal undoes a commit cut short. A process killed half-way leaves
  the database file byte-identical.
- Rows are stored as the normalised text (the product's columns + provenance, values as
  given) in JSON, beside the keys de-duplication needs; loading validates them against
  the contract again and joins them to the geography (:func:`load_imported`).
- :func:`rollback` removes a batch; records of later batches that had been merged into
  its records become records of their own again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geodata.actors import actor_family, canonical_actor
from geodata.bundle import Bundle, Geography, enrich_records, load_bundle, load_geography
from geodata.importers.common import BUNDLED_DATASET, DATASET_URLS, PROVENANCE_COLUMNS
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM
from geodata.importers.pipeline import (
    ImportPlan,
    Progress,
    check_contract,
    existing_keys,
    prepare_import,
    with_admin1_code,
)
from geodata.importers.reading import check_size, max_import_bytes

HOME_ENV = "ISKP_ATLAS_HOME"
STORE_FILE = "store.sqlite"
SCHEMA_VERSION = 1
PAUSE_ENV = "ISKP_ATLAS_TEST_PAUSE_AT_ROW"
"""Test hook: pause inside the import transaction after this many rows (see tests)."""
_CHUNK = 5000

KEY_COLUMNS: tuple[str, ...] = ("source_dataset", "source_id", "date", "latitude",
                                 "longitude", "source_1_url", "source_2_url",
                                 "source_citation")
"""Columns kept per record for de-duplication and listings (the full rows of a batch are
one Arrow IPC stream of text columns in ``batch_rows``)."""

_SCHEMA_TEMPLATE = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL, format TEXT NOT NULL, kind TEXT NOT NULL,
    imported_at TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    rows_read INTEGER NOT NULL, rows_accepted INTEGER NOT NULL, rows_merged INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL, rows_excluded INTEGER NOT NULL,
    rows_already_present INTEGER NOT NULL, skip_bad INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL,
    batch_id INTEGER NOT NULL REFERENCES batches(batch_id),
    merged_into TEXT, actor_family TEXT, source_dataset TEXT, source_id TEXT,
    date TEXT, latitude TEXT, longitude TEXT, source_1_url TEXT, source_2_url TEXT,
    source_citation TEXT, batch_row INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id INTEGER PRIMARY KEY REFERENCES batches(batch_id),
    encoding TEXT NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_batch ON records(batch_id);
CREATE TABLE IF NOT EXISTS merges (
    batch_id INTEGER NOT NULL, kind TEXT NOT NULL, merged_id TEXT NOT NULL,
    kept_id TEXT NOT NULL, rule TEXT NOT NULL, days_apart INTEGER, distance_km REAL
);
"""
_SCHEMA = _SCHEMA_TEMPLATE


@dataclass(frozen=True)
class Batch:
    """One import batch as listed by ``iskp-atlas batches``."""

    batch_id: int
    file: str
    format: str
    kind: str
    imported_at: str
    sha256: str
    size_bytes: int
    rows_read: int
    rows_accepted: int
    rows_merged: int
    rows_rejected: int
    rows_excluded: int
    rows_already_present: int
    skip_bad: bool


@dataclass(frozen=True)
class ImportResult:
    """The plan and the batch it became (None for a dry run or when nothing was new)."""

    plan: ImportPlan
    batch: Batch | None


def default_home() -> Path:
    """``$ISKP_ATLAS_HOME`` or the platform's user data folder for the atlas."""
    env = os.environ.get(HOME_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("iskp-atlas", appauthor=False))


def store_path(home: Path | str | None = None) -> Path:
    """Path of the store file (it may not exist yet)."""
    return Path(home).expanduser() / STORE_FILE if home is not None else \
        default_home() / STORE_FILE


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    con = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        con.execute("PRAGMA cache_spill = OFF")
        con.execute("PRAGMA foreign_keys = ON")
        yield con
    finally:
        con.close()


def _read(path: Path, sql: str, params: tuple = ()) -> pd.DataFrame | None:
    """Run a query on an existing store; None when there is no store (nothing is created)."""
    if not path.exists():
        return None
    with _connect(path) as con:
        has = con.execute("SELECT name FROM sqlite_master WHERE type='table' AND "
                          "name='batches'").fetchone()
        if not has:
            return None
        return pd.read_sql_query(sql, con, params=params)


# --- Reading -------------------------------------------------------------------------------


def list_batches(home: Path | str | None = None) -> list[Batch]:
    """Every batch in the store, oldest first."""
    frame = _read(store_path(home), "SELECT * FROM batches ORDER BY batch_id")
    if frame is None:
        return []
    return [Batch(**{**row, "skip_bad": bool(row["skip_bad"])})
            for row in frame.to_dict(orient="records")]


def batches_frame(home: Path | str | None = None) -> pd.DataFrame:
    """:func:`list_batches` as a table."""
    fields = [f.name for f in dataclasses.fields(Batch)]
    return pd.DataFrame([dataclasses.asdict(b) for b in list_batches(home)], columns=fields)


def list_merges(home: Path | str | None = None) -> pd.DataFrame:
    """Every merge: which imported record (merged_id) was folded into which (kept_id)."""
    frame = _read(store_path(home), "SELECT m.batch_id, m.kind, m.merged_id, m.kept_id, "
                  "m.rule, m.days_apart, m.distance_km, r.source_dataset AS merged_dataset "
                  "FROM merges m LEFT JOIN records r ON r.kind = m.kind AND r.id = m.merged_id "
                  "ORDER BY m.batch_id, m.merged_id")
    cols = ["batch_id", "kind", "merged_id", "kept_id", "rule", "days_apart", "distance_km",
            "merged_dataset"]
    return frame if frame is not None else pd.DataFrame(columns=cols)


def _stored_rows(home: Path | str | None) -> pd.DataFrame | None:
    return _read(store_path(home), "SELECT * FROM records ORDER BY batch_id, batch_row")


def _stored_keys(home: Path | str | None) -> pd.DataFrame | None:
    return _read(store_path(home), "SELECT kind, id, source_dataset, merged_into, date, "
                 "latitude, longitude, actor_family, source_1_url, source_2_url FROM records")


def existing_records(home: Path | str | None = None,
                     bundle: Bundle | None = None) -> dict[str, pd.DataFrame]:
    """Per kind: the de-duplication keys of the bundled and stored records."""
    bundle = bundle or load_bundle()
    out: dict[str, pd.DataFrame] = {}
    stored = _stored_keys(home)
    for kind in ("incidents", "threats", "sites"):
        base = getattr(bundle, kind)
        if kind == "sites":
            keys = pd.DataFrame({"id": base["id"], "source_dataset": BUNDLED_DATASET})
        else:
            keys = existing_keys(base, BUNDLED_DATASET)
        keys["merged_into"] = None
        if stored is not None and len(stored):
            mine = stored[stored["kind"] == kind].drop(columns="kind")
            mine = mine.assign(date=pd.to_datetime(mine["date"]),
                               latitude=pd.to_numeric(mine["latitude"], errors="coerce"),
                               longitude=pd.to_numeric(mine["longitude"], errors="coerce"))
            keys = pd.concat([keys, mine], ignore_index=True) if len(mine) else keys
        out[kind] = keys
    return out


def load_imported(home: Path | str | None = None,
                  geo: Geography | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Imported records per kind, validated and enriched like the bundled ones.

    Records merged into another record are left out (the kept record lists them in
    ``merged_from``); extra columns: the provenance columns, ``import_batch``, and
    ``merged_from``/``merged_sources``/``merged_citations``. Kinds without imported
    records are absent from the dict.
    """
    rows = _stored_rows(home)
    if rows is None or rows.empty:
        return {}
    geo = geo or load_geography()
    hidden = rows["merged_into"].notna()
    merges = _merged_info(rows[hidden])
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, group in rows[~hidden].groupby("kind", sort=False):
        text = _text_rows(home, group)
        typed = check_contract(text, kind, f"store ({kind})")
        enriched = with_admin1_code(enrich_records(typed, kind, geo))
        enriched["import_batch"] = pd.array(group["batch_id"].to_numpy(), dtype="Int64")
        out[kind] = annotate_merges(enriched, merges.get(kind))
    return out


def _encode_rows(records: pd.DataFrame) -> bytes:
    """A batch's text rows as one Arrow IPC stream (every column a nullable string)."""
    table = pa.Table.from_pandas(records.astype(pd.StringDtype("pyarrow")),
                                 preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode_rows(blob: bytes) -> pd.DataFrame:
    frame = pa.ipc.open_stream(blob).read_all().to_pandas().astype(object)
    return frame.where(frame.notna(), None)


def _text_rows(home: Path | str | None, group: pd.DataFrame) -> pd.DataFrame:
    """Stored rows back as the text frame that was imported, in ``group``'s order."""
    parts = []
    for batch_id, rows in group.groupby("batch_id", sort=False):
        blob = _read(store_path(home), "SELECT data FROM batch_rows WHERE batch_id = ?",
                     (int(batch_id),))["data"].iat[0]
        parts.append(_decode_rows(blob).iloc[rows["batch_row"].to_numpy()])
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else \
        parts[0].reset_index(drop=True)


def _merged_info(hidden: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per kind: kept_id, merged_id, merged dataset and citation of each merged record."""
    out: dict[str, pd.DataFrame] = {}
    for kind, group in hidden.groupby("kind"):
        out[kind] = pd.DataFrame({
            "kept_id": group["merged_into"].to_numpy(),
            "merged_id": group["id"].to_numpy(),
            "dataset": group["source_dataset"].fillna("").to_numpy(),
            "citation": [_citation(r) for r in group.to_dict(orient="records")],
        })
    return out


def _citation(row: dict) -> str:
    """The record's own URL, or its dataset citation when it has only the dataset's URL."""
    url = row.get("source_1_url") or ""
    if not url or url in DATASET_URLS:
        return row.get("source_citation") or url
    return url


def annotate_merges(frame: gpd.GeoDataFrame, merged: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with ``merged_from``, ``merged_sources`` and ``merged_citations``
    (';'-joined; None where nothing was merged)."""
    out = frame.copy()
    for col in ("merged_from", "merged_sources", "merged_citations"):
        out[col] = None
    if merged is None or merged.empty:
        return out
    grouped = merged.groupby("kept_id").agg(
        merged_from=("merged_id", "; ".join), merged_sources=("dataset", "; ".join),
        merged_citations=("citation", " | ".join))
    hit = out["id"].isin(grouped.index).to_numpy()
    for col in grouped.columns:
        values = out[col].to_numpy(dtype=object, copy=True)
        values[hit] = grouped.loc[out.loc[hit, "id"], col].to_numpy()
        out[col] = values
    return out


def _bundled_with_provenance(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    defaults = {"source_dataset": BUNDLED_DATASET, "licence": "atlas-reference",
                "date_precision": "day", "geo_precision_source": "as given",
                "target_derivation": "curated"}
    for col in PROVENANCE_COLUMNS:
        if col not in out.columns:
            out[col] = defaults.get(col)
    out["source_id"] = out["source_id"].fillna(out["id"])
    out["import_batch"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if out["source_citation"].isna().all():
        out["source_citation"] = out.get("source_1_title")
    return out


def load_bundle_with_store(home: Path | str | None = None) -> Bundle:
    """The bundle with the imported records added (every layer, score and export sees them).

    Bundled records carry the same provenance columns (``source_dataset`` =
    ``atlas-reference``) and show the imported records merged into them.

    The result is cached on disk per store state (:func:`store_signature`), bundled data
    and code (see :func:`geodata.bundle.cache_key`): validating and joining 100,000 stored
    records takes seconds, so it is done once per import, not at every start.
    """
    from geodata.bundle import (
        cache_dir,
        cache_disabled,
        cache_key,
        read_cached_bundle,
        write_cached_bundle,
    )

    signature = store_signature(home)
    if signature == "no-store" or cache_disabled():
        return _build_bundle_with_store(home)
    digest = hashlib.sha256("|".join((
        cache_key(), str(store_path(home).resolve()), signature,
        hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
    )).encode()).hexdigest()[:24]
    path = cache_dir() / f"store-{digest}.pickle"
    cached = read_cached_bundle(path)
    if cached is not None:
        return cached
    bundle = _build_bundle_with_store(home)
    write_cached_bundle(path, bundle)
    return bundle


def _build_bundle_with_store(home: Path | str | None) -> Bundle:
    bundle = load_bundle()
    imported = load_imported(home, bundle.geography)
    rows = _stored_rows(home)
    merges: dict[str, pd.DataFrame] = {}
    if rows is not None and len(rows):
        stored_ids = set(zip(rows["kind"], rows["id"], strict=True))
        into_bundle = rows["merged_into"].notna().to_numpy() & np.array(
            [(k, m) not in stored_ids
             for k, m in zip(rows["kind"], rows["merged_into"], strict=True)], dtype=bool)
        merges = _merged_info(rows[into_bundle])
    updates: dict[str, gpd.GeoDataFrame] = {}
    for kind in ("incidents", "threats", "sites"):
        base = annotate_merges(_bundled_with_provenance(getattr(bundle, kind)),
                               merges.get(kind))
        updates[kind] = base
    combined = dataclasses.replace(bundle, **updates)
    return combined.with_records(**imported) if imported else combined


# --- Writing -------------------------------------------------------------------------------


def plan_import(data: bytes, source: str, *, fmt: str | None = None,
                encoding: str | None = None, skip_bad: bool = False,
                max_mb: float | None = None, home: Path | str | None = None,
                dedup_days: int = DEDUP_DAYS, dedup_km: float = DEDUP_KM,
                progress: Progress | None = None) -> ImportPlan:
    """What importing ``data`` would do against the bundle and this store (writes nothing)."""
    bundle = load_bundle()
    return prepare_import(
        data, source, fmt=fmt, encoding=encoding, skip_bad=skip_bad,
        max_bytes=max_import_bytes(max_mb), geo=bundle.geography,
        existing=existing_records(home, bundle), dedup_days=dedup_days, dedup_km=dedup_km,
        progress=progress)


def _pause_at() -> int | None:
    value = os.environ.get(PAUSE_ENV, "").strip()
    return int(value) if value else None


def _pause_here(done: int) -> None:
    """Test hook: say so on stdout and wait for a signal (the test sends SIGKILL)."""
    sys.stdout.write(f"PAUSED {done}\n")
    sys.stdout.flush()
    while True:  # pragma: no cover - ends by SIGKILL
        signal.pause()


def _record_rows(plan: ImportPlan, batch_id: int) -> list[tuple]:
    """The rows to insert, in the column order of :func:`_insert_sql`."""
    wanted = [c for c in ("id", "actor", *KEY_COLUMNS) if c in plan.records.columns]
    records = plan.records[wanted].reset_index(drop=True).astype(object)
    records = records.where(records.notna(), None)
    n = len(records)
    merged_into = dict(zip(plan.merges["merged_id"], plan.merges["kept_id"], strict=True))

    def column(name: str) -> list:
        return records[name].tolist() if name in records.columns else [None] * n

    ids = column("id")
    families = [None if a is None else actor_family(canonical_actor(a))
                for a in column("actor")]
    return list(zip([plan.kind] * n, ids, [batch_id] * n, [merged_into.get(i) for i in ids],
                    families, *[column(c) for c in KEY_COLUMNS], range(n), strict=True))


def _insert_sql() -> str:
    names = ["kind", "id", "batch_id", "merged_into", "actor_family", *KEY_COLUMNS,
             "batch_row"]
    return f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def commit_plan(plan: ImportPlan, home: Path | str | None = None, skip_bad: bool = False,
                progress: Progress | None = None) -> Batch:
    """Write ``plan`` as one batch, in one transaction (all rows or none)."""
    path = store_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda fraction, message: None)
    pause_at = _pause_at()
    imported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _connect(path) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            clash = _clashing_ids(con, plan)
            if clash:
                raise ValueError(
                    f"{plan.source}: {len(clash)} record(s) were imported meanwhile by another "
                    f"import (e.g. {clash[0]}); run the import again")
            cur = con.execute(
                "INSERT INTO batches (file, format, kind, imported_at, sha256, size_bytes, "
                "rows_read, rows_accepted, rows_merged, rows_rejected, rows_excluded, "
                "rows_already_present, skip_bad) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (plan.source, plan.format, plan.kind, imported_at, plan.sha256,
                 plan.size_bytes, plan.rows_read, plan.rows_accepted, plan.rows_merged,
                 plan.rows_rejected, len(plan.excluded), len(plan.already_present),
                 int(skip_bad)))
            batch_id = int(cur.lastrowid)
            con.execute("INSERT INTO batch_rows (batch_id, encoding, data) VALUES (?, ?, ?)",
                        (batch_id, "arrow-ipc-stream", _encode_rows(plan.records)))
            rows = _record_rows(plan, batch_id)
            total = max(len(rows), 1)
            insert = _insert_sql()
            for start in range(0, len(rows), _CHUNK):
                stop = min(start + _CHUNK, len(rows))
                if pause_at is not None and start < pause_at <= stop:
                    con.executemany(insert, rows[start:pause_at])
                    _pause_here(pause_at)
                con.executemany(insert, rows[start:stop])
                report(stop / total, f"stored {stop:,} of {total:,} rows")
            con.executemany(
                "INSERT INTO merges (batch_id, kind, merged_id, kept_id, rule, days_apart, "
                "distance_km) VALUES (?,?,?,?,?,?,?)",
                [(batch_id, plan.kind, str(m.merged_id), str(m.kept_id), str(m.rule),
                  None if pd.isna(m.days_apart) else int(m.days_apart),
                  None if pd.isna(m.distance_km) else float(m.distance_km))
                 for m in plan.merges.itertuples(index=False)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    report(1.0, "done")
    return next(b for b in list_batches(home) if b.batch_id == batch_id)


def _clashing_ids(con: sqlite3.Connection, plan: ImportPlan) -> list[str]:
    ids = plan.records["id"].tolist()
    found: list[str] = []
    for start in range(0, len(ids), 900):
        part = ids[start:start + 900]
        marks = ",".join("?" * len(part))
        found += [r[0] for r in con.execute(
            f"SELECT id FROM records WHERE kind = ? AND id IN ({marks})",
            (plan.kind, *part))]
    return found


def import_bytes(data: bytes, source: str, *, fmt: str | None = None,
                 encoding: str | None = None, skip_bad: bool = False, dry_run: bool = False,
                 max_mb: float | None = None, home: Path | str | None = None,
                 progress: Progress | None = None) -> ImportResult:
    """Plan and (unless ``dry_run``) commit the import of ``data`` named ``source``."""
    plan = plan_import(data, source, fmt=fmt, encoding=encoding, skip_bad=skip_bad,
                       max_mb=max_mb, home=home,
                       progress=(lambda f, m: progress(f * 0.7, m)) if progress else None)
    if dry_run or plan.records.empty:
        return ImportResult(plan, None)
    batch = commit_plan(plan, home, skip_bad=skip_bad,
                        progress=(lambda f, m: progress(0.7 + 0.3 * f, m)) if progress
                        else None)
    return ImportResult(plan, batch)


def import_file(path: Path | str, *, fmt: str | None = None, encoding: str | None = None,
                skip_bad: bool = False, dry_run: bool = False, max_mb: float | None = None,
                home: Path | str | None = None, progress: Progress | None = None
                ) -> ImportResult:
    """:func:`import_bytes` for a file on disk (its size is checked before reading)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    check_size(p.stat().st_size, p.name, max_import_bytes(max_mb))
    return import_bytes(p.read_bytes(), p.name, fmt=fmt, encoding=encoding, skip_bad=skip_bad,
                        dry_run=dry_run, max_mb=max_mb, home=home, progress=progress)


def rollback(batch_id: int, home: Path | str | None = None) -> Batch:
    """Remove batch ``batch_id`` and its records, in one transaction; returns what it was.

    Records of other batches merged into the removed records become records of their
    own again.
    """
    batch = next((b for b in list_batches(home) if b.batch_id == int(batch_id)), None)
    if batch is None:
        known = ", ".join(str(b.batch_id) for b in list_batches(home)) or "none"
        raise ValueError(f"there is no batch {batch_id} (batches: {known}); "
                         "'iskp-atlas batches' lists them")
    with _connect(store_path(home)) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            gone = "SELECT id FROM records WHERE batch_id = ?"
            con.execute(f"UPDATE records SET merged_into = NULL WHERE batch_id != ? AND "
                        f"merged_into IN ({gone})", (batch.batch_id, batch.batch_id))
            con.execute(f"DELETE FROM merges WHERE batch_id = ? OR kept_id IN ({gone})",
                        (batch.batch_id, batch.batch_id))
            con.execute("DELETE FROM records WHERE batch_id = ?", (batch.batch_id,))
            con.execute("DELETE FROM batch_rows WHERE batch_id = ?", (batch.batch_id,))
            con.execute("DELETE FROM batches WHERE batch_id = ?", (batch.batch_id,))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return batch


def record_counts(home: Path | str | None = None) -> dict[str, int]:
    """Imported records per kind that show as records of their own (merged ones not
    counted)."""
    frame = _read(store_path(home), "SELECT kind, COUNT(*) AS n FROM records WHERE "
                  "merged_into IS NULL GROUP BY kind")
    return {} if frame is None else dict(zip(frame["kind"], frame["n"].astype(int),
                                             strict=True))


def store_signature(home: Path | str | None = None) -> str:
    """Changes whenever a batch is committed or rolled back (SQLite's change counter,
    size and mtime of the store file): a cache key for the loaded bundle."""
    path = store_path(home)
    if not path.exists():
        return "no-store"
    stat = path.stat()
    with path.open("rb") as handle:
        header = handle.read(100)
    # SQLite's file change counter (header bytes 24-27) goes up with every committed
    # write in the store's rollback-journal mode, even when size and mtime do not move.
    counter = int.from_bytes(header[24:28], "big") if len(header) >= 28 else 0
    return f"{counter}-{stat.st_size}-{stat.st_mtime_ns}"
