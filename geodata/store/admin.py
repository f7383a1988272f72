"""Store administration: ``iskp-atlas store info``, ``store migrate`` and ``store copy``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from geodata import prepared
from geodata.importers.pipeline import (
    Progress,
)
from geodata.store import pg as store_pg
from geodata.store.batches import list_batches
from geodata.store.connection import (
    _open,
    _reading,
    _snapshot,
    _writing,
    prepared_dir,
    store_target,
)
from geodata.store.migrations import _ensure_schema_pg, _ensure_schema_sqlite, _sqlite_version
from geodata.store.pg import PgConnection
from geodata.store.schema import (
    _BATCH_COLUMNS,
    _RECORD_COLUMNS,
    AUDIT_COLUMNS,
    OVERRIDE_COLUMNS,
    SCHEMA_VERSION,
    ZONE_COLUMNS,
)
from geodata.store.writing import _insert_records, _insert_sql


def store_info(home: Path | str | None = None) -> dict[str, object]:
    """What ``iskp-atlas store info`` shows: the engine, where the store is (a URL's
    password masked), its schema version against this atlas's, and its counts."""
    target = store_target(home)
    info: dict[str, object] = {
        "engine": target.engine,
        "store": target.label,
        "schema_version": 0,
        "atlas_schema_version": SCHEMA_VERSION,
    }
    if target.path is not None and not target.path.exists():
        info["status"] = "no store yet (the first import creates it)"
        return info
    with _open(target) as con:
        if isinstance(con, PgConnection):
            version = store_pg.schema_version(con)
            row = con.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
            ).fetchone()
            info["postgis"] = row[0] if row else None
            info["server"] = con.execute("SHOW server_version").fetchone()[0]
        else:
            version = _sqlite_version(con)
        info["schema_version"] = version
        if version == 0:
            info["status"] = (
                "no atlas tables yet (the first import or 'store migrate' creates them)"
            )
            return info
        if version < SCHEMA_VERSION:
            info["status"] = (
                f"older than this iskp-atlas ({SCHEMA_VERSION}): run 'iskp-atlas store migrate'"
            )
        elif version > SCHEMA_VERSION:
            info["status"] = "newer than this iskp-atlas: upgrade iskp-atlas"
        else:
            info["status"] = "up to date"
        info["batches"] = int(con.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
        per_kind = con.execute(
            "SELECT kind, SUM(CASE WHEN merged_into IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN merged_into IS NULL THEN 0 ELSE 1 END) FROM records "
            "GROUP BY kind ORDER BY kind"
        ).fetchall()
        info["records"] = {str(k): int(n) for k, n, _ in per_kind}
        info["merged_records"] = sum(int(m) for _, _, m in per_kind)
    return info


def migrate(home: Path | str | None = None) -> tuple[int, int]:
    """Create or migrate the store's tables to :data:`SCHEMA_VERSION`, in one transaction
    (``iskp-atlas store migrate``); returns (version before, version after). A newer
    store is refused with :class:`StoreVersionError`."""
    with _writing(home, create=True) as con:
        if isinstance(con, PgConnection):
            before = store_pg.schema_version(con)
            _ensure_schema_pg(con, migrate=True)
        else:
            before = _sqlite_version(con)
            _ensure_schema_sqlite(con)
    return before, SCHEMA_VERSION


_COPIED_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("batches", ("batch_id", *(c for c in _BATCH_COLUMNS if c != "batch_id")), "batch_id"),
    ("batch_rows", ("batch_id", "encoding", "data"), "batch_id"),
    ("records", _RECORD_COLUMNS, "batch_id, batch_row"),
    (
        "merges",
        ("batch_id", "kind", "merged_id", "kept_id", "rule", "days_apart", "distance_km", "reason"),
        "batch_id, merged_id",
    ),
    ("record_versions", ("updated_by", *_RECORD_COLUMNS), "updated_by, id"),
    ("unmerged", ("kind", "merged_id", "kept_id", "unmerged_at"), "kind, merged_id"),
    ("watch_zones", ZONE_COLUMNS, "name"),
    ("overrides", OVERRIDE_COLUMNS, "override_id"),
    ("audit_log", AUDIT_COLUMNS, "entry_id"),
)
"""What ``store copy`` moves, table by table, in a fixed order (batches first)."""


def copy_store(
    source: Path | str, dest: Path | str, progress: Progress | None = None
) -> dict[str, int]:
    """Copy every batch of the store ``source`` into the empty store ``dest`` (e.g. one
    analyst's SQLite store into the team store), in one write transaction on ``dest``:
    batches keep their ids, records their merges, corrections their previous versions,
    undone merges stay undone, analysts' overrides and their audit log are kept (with their
    ids); prepared batches are copied too. Returns the counts."""
    report = progress or (lambda fraction, message: None)
    src, dst = store_target(source), store_target(dest)
    if src == dst:
        raise ValueError("the source and the destination are the same store")
    if src.path is not None and not src.path.exists():
        raise FileNotFoundError(f"there is no store at {src.label}")
    tables: dict[str, list[tuple]] = {}
    with _snapshot(source), _reading(source) as con:
        if con is None:
            raise ValueError(f"the store {src.label} has no atlas tables: nothing to copy")
        if not isinstance(con, PgConnection):
            # one read transaction (a consistent copy), not a write: no writer note
            sqlite3.Connection.execute(con, "BEGIN")
        try:
            for table, columns, order in _COPIED_TABLES:
                tables[table] = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in con.execute(
                        f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
                    ).fetchall()
                ]
        finally:
            if not isinstance(con, PgConnection):
                sqlite3.Connection.execute(con, "ROLLBACK")
    report(0.4, f"read {len(tables['batches'])} batch(es) from {src.label}")
    migrate(dest)
    with _writing(dest) as con:
        present = int(con.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
        if present:
            raise ValueError(
                f"the store {dst.label} already has {present} batch(es): "
                "copy into an empty store (batch ids and merges are kept)"
            )
        kept = int(con.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])
        if kept:
            raise ValueError(
                f"the store {dst.label} already has {kept} audit log "
                "entr(ies) of overrides: copy into an empty store"
            )
        zones = int(con.execute("SELECT COUNT(*) FROM watch_zones").fetchone()[0])
        if zones:
            raise ValueError(
                f"the store {dst.label} already has {zones} watch zone(s): copy into an empty store"
            )
        for table, columns, _ in _COPIED_TABLES:
            rows = tables[table]
            if table == "records":
                _insert_records(con, _insert_sql(), rows)
            else:
                con.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                    f"({', '.join('?' * len(columns))})",
                    rows,
                )
        if isinstance(con, PgConnection) and tables["batches"]:
            con.execute(
                "SELECT setval(pg_get_serial_sequence('batches', 'batch_id'), "
                "(SELECT max(batch_id) FROM batches))"
            )
        for table, key in (("overrides", "override_id"), ("audit_log", "entry_id")):
            if isinstance(con, PgConnection) and tables[table]:  # ids kept: go on after
                con.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                    f"(SELECT max({key}) FROM {table}))"
                )
    report(0.9, f"wrote them to {dst.label}")
    src_dir, dst_dir = prepared_dir(source), prepared_dir(dest)
    for batch in list_batches(dest):
        old = prepared.path_for(src_dir, batch.batch_id, batch.sha256, batch.imported_at)
        if old.is_file():
            new = prepared.path_for(dst_dir, batch.batch_id, batch.sha256, batch.imported_at)
            frame = prepared.load(old)
            if frame is not None:
                prepared.save(new, frame)
    report(1.0, "done")
    records = tables["records"]
    merged = sum(1 for r in records if r[_RECORD_COLUMNS.index("merged_into")] is not None)
    return {
        "batches": len(tables["batches"]),
        "records": len(records) - merged,
        "merged_records": merged,
        "merges": len(tables["merges"]),
        "record_versions": len(tables["record_versions"]),
        "unmerged": len(tables["unmerged"]),
        "overrides": len(tables["overrides"]),
        "audit_log": len(tables["audit_log"]),
        "watch_zones": len(tables["watch_zones"]),
    }
