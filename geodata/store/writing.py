"""Importing: plan an import against the bundle and the store (writes nothing), then
commit it as one batch in one write transaction, re-checked against the store inside it.
"""

from __future__ import annotations

import dataclasses
import signal
import sqlite3
import sys
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypedDict, Unpack

import numpy as np
import pandas as pd

from geodata import prepared, settings
from geodata.actors import actor_family, canonical_actor
from geodata.bundle import load_bundle
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM
from geodata.importers.pipeline import (
    ImportPlan,
    Progress,
    prepare_import,
    settle,
)
from geodata.importers.reading import check_size, max_import_bytes
from geodata.store.batches import _KEYS_SQL, _existing, _never, list_batches
from geodata.store.connection import (
    _Discard,
    _frame,
    _reading,
    _state_of,
    _writing,
    prepared_dir,
)
from geodata.store.migrations import _ensure_schema
from geodata.store.pg import PgConnection
from geodata.store.rows import _encode_rows, _rows_of
from geodata.store.schema import _RECORD_COLUMNS, KEY_COLUMNS, Batch

_CHUNK = 5000


@dataclass(frozen=True)
class ImportResult:
    """The plan (as settled inside the write transaction when committed) and the batch it
    became (None for a dry run or when nothing was new)."""

    plan: ImportPlan
    batch: Batch | None

    def counts(self) -> dict[str, int]:
        """:meth:`ImportPlan.counts`: read = accepted + merged + updated + rejected +
        excluded + already present."""
        return self.plan.counts()


def plan_import(
    data: bytes,
    source: str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    max_mb: float | None = None,
    home: Path | str | None = None,
    dedup_days: int = DEDUP_DAYS,
    dedup_km: float = DEDUP_KM,
    progress: Progress | None = None,
    countries: Collection[str] | None = None,
) -> ImportPlan:
    """What importing ``data`` would do against the bundle and this store (writes nothing).

    A preview: :func:`commit_import` checks it again inside the write transaction."""
    bundle = load_bundle()
    with _reading(home) as con:
        state = _state_of(con, home)  # before reading: a later commit shows
        stored = None if con is None else _frame(con, _KEYS_SQL)
        never = set() if con is None else _never(con)
        plan = prepare_import(
            data,
            source,
            fmt=fmt,
            encoding=encoding,
            skip_bad=skip_bad,
            max_bytes=max_import_bytes(max_mb),
            geo=bundle.geography,
            existing=_existing(stored, bundle),
            stored_rows=None if con is None else (lambda kind, ids: _rows_of(con, kind, ids)),
            never=never,
            dedup_days=dedup_days,
            dedup_km=dedup_km,
            progress=progress,
            countries=countries,
        )
    return dataclasses.replace(plan, store_state=state)


def _pause_at() -> int | None:
    value = settings.current().test_pause_at_row
    return int(value) if value else None


def _pause_here(done: int) -> None:
    """Test hook: say so on stdout and wait for a signal (the test sends SIGKILL)."""
    sys.stdout.write(f"PAUSED {done}\n")
    sys.stdout.flush()
    while True:  # pragma: no cover - ends by SIGKILL
        signal.pause()


def _record_rows(plan: ImportPlan, batch_id: int) -> list[tuple]:
    """The rows to write, in the column order of :data:`_RECORD_COLUMNS`."""
    wanted = [c for c in ("id", "actor", *KEY_COLUMNS) if c in plan.records.columns]
    records = plan.records[wanted].reset_index(drop=True).astype(object)
    records = records.where(records.notna(), None)
    n = len(records)
    merged_into = dict(zip(plan.merges["merged_id"], plan.merges["kept_id"], strict=True))

    def column(name: str) -> list:
        return records[name].tolist() if name in records.columns else [None] * n

    ids = column("id")
    families = [None if a is None else actor_family(canonical_actor(a)) for a in column("actor")]
    return list(
        zip(
            [plan.kind] * n,
            ids,
            [batch_id] * n,
            [merged_into.get(i) for i in ids],
            families,
            *[column(c) for c in KEY_COLUMNS],
            range(n),
            strict=True,
        )
    )


def _insert_records(con: sqlite3.Connection | PgConnection, insert: str, rows: list[tuple]) -> None:
    if isinstance(con, PgConnection):
        con.copy_rows("records", _RECORD_COLUMNS, rows)
    else:
        con.executemany(insert, rows)


def _insert_sql() -> str:
    names = _RECORD_COLUMNS
    return f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def _write_updates(con: sqlite3.Connection, kind: str, batch_id: int, rows: list[tuple]) -> None:
    """Keep the current version of each updated record in ``record_versions`` (keyed by
    this batch), then point the record at its new version (its merge state is kept)."""
    names = ", ".join(_RECORD_COLUMNS)
    changed = [c for c in _RECORD_COLUMNS if c not in ("kind", "id", "merged_into")]
    setter = ", ".join(f"{c} = ?" for c in changed)
    position = {c: i for i, c in enumerate(_RECORD_COLUMNS)}
    for row in rows:
        con.execute(
            f"INSERT INTO record_versions (updated_by, {names}) SELECT ?, {names} "
            "FROM records WHERE kind = ? AND id = ?",
            (batch_id, kind, row[1]),
        )
        con.execute(
            f"UPDATE records SET {setter} WHERE kind = ? AND id = ?",
            (*[row[position[c]] for c in changed], kind, row[1]),
        )


def commit_import(
    plan: ImportPlan,
    home: Path | str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Write ``plan`` as one batch, in one transaction (all rows or none).

    Inside the transaction the plan is checked again against the store as it is now
    (:func:`geodata.importers.pipeline.settle`) unless the store has not changed since
    the plan was made (:attr:`ImportPlan.store_state`): records another import stored
    meanwhile are already present (or updates), and de-duplication runs against them.
    Returns the settled plan and the batch (None when nothing was left to store).
    """
    report = progress or (lambda fraction, message: None)
    pause_at = _pause_at()
    imported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bundle = load_bundle()
    batch_id = None
    with _writing(home, create=True) as con:
        unchanged = plan.store_state is not None and _state_of(con, home) == plan.store_state
        _ensure_schema(con)
        if not unchanged:
            plan = settle(
                plan,
                _existing(_frame(con, _KEYS_SQL), bundle),
                lambda kind, ids: _rows_of(con, kind, ids),
                _never(con),
            )
        plan = dataclasses.replace(plan, store_state=None)
        if plan.records.empty:
            raise _Discard
        pg = isinstance(con, PgConnection)
        cur = con.execute(
            "INSERT INTO batches (file, format, kind, imported_at, sha256, size_bytes, "
            "rows_read, rows_accepted, rows_merged, rows_rejected, rows_excluded, "
            "rows_already_present, skip_bad, rows_updated) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)" + (" RETURNING batch_id" if pg else ""),
            (
                plan.source,
                plan.format,
                plan.kind,
                imported_at,
                plan.sha256,
                plan.size_bytes,
                plan.rows_read,
                plan.rows_accepted,
                plan.rows_merged,
                plan.rows_rejected,
                len(plan.excluded),
                len(plan.already_present),
                int(skip_bad),
                plan.rows_updated,
            ),
        )
        batch_id = int(cur.fetchone()[0] if pg else cur.lastrowid)
        con.execute(
            "INSERT INTO batch_rows (batch_id, encoding, data) VALUES (?, ?, ?)",
            (batch_id, "arrow-ipc-stream", _encode_rows(plan.records)),
        )
        all_rows = _record_rows(plan, batch_id)
        updated = set(plan.updates["id"])
        _write_updates(con, plan.kind, batch_id, [r for r in all_rows if r[1] in updated])
        rows = [r for r in all_rows if r[1] not in updated]
        total = max(len(rows), 1)
        insert = _insert_sql()
        for start in range(0, len(rows), _CHUNK):
            stop = min(start + _CHUNK, len(rows))
            if pause_at is not None and start < pause_at <= stop:
                _insert_records(con, insert, rows[start:pause_at])
                _pause_here(pause_at)
            _insert_records(con, insert, rows[start:stop])
            report(stop / total, f"stored {stop:,} of {total:,} rows")
        con.executemany(
            "INSERT INTO merges (batch_id, kind, merged_id, kept_id, rule, days_apart, "
            "distance_km, reason) VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    batch_id,
                    plan.kind,
                    str(m.merged_id),
                    str(m.kept_id),
                    str(m.rule),
                    None if pd.isna(m.days_apart) else int(m.days_apart),
                    None if pd.isna(m.distance_km) else float(m.distance_km),
                    str(m.reason),
                )
                for m in plan.merges.itertuples(index=False)
            ],
        )
    if batch_id is None:
        return ImportResult(plan, None)
    batch = next(b for b in list_batches(home) if b.batch_id == batch_id)
    _keep_prepared(home, batch, plan)
    report(1.0, "done")
    return ImportResult(plan, batch)


def _keep_prepared(home: Path | str | None, batch: Batch, plan: ImportPlan) -> None:
    """Keep the plan's validated, joined rows as the batch's prepared frame (row ``i`` of
    the batch is row ``i`` of ``plan.records``), so loading the store does not do it again.
    Skipped when the two do not line up (the frame is then rebuilt when loading)."""
    enriched = plan.enriched
    if len(enriched) != len(plan.records) or not np.array_equal(
        enriched["id"].astype(str).to_numpy(), plan.records["id"].astype(str).to_numpy()
    ):
        return
    prepared.save(
        prepared.path_for(prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at),
        enriched.reset_index(drop=True),
    )


def commit_plan(
    plan: ImportPlan,
    home: Path | str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> Batch | None:
    """:func:`commit_import`, returning only the batch (None when nothing was stored)."""
    return commit_import(plan, home, skip_bad=skip_bad, progress=progress).batch


class ImportOptions(TypedDict, total=False):
    """The keyword options of :func:`import_bytes` and :func:`import_file` (all optional;
    ``countries``: the region, see :func:`geodata.importers.prepare_import`)."""

    fmt: str | None
    encoding: str | None
    skip_bad: bool
    dry_run: bool
    max_mb: float | None
    home: Path | str | None
    progress: Progress | None
    countries: Collection[str] | None


def import_bytes(data: bytes, source: str, **options: Unpack[ImportOptions]) -> ImportResult:
    """Plan and (unless ``dry_run``) commit the import of ``data`` named ``source``."""
    progress = options.pop("progress", None)
    dry_run = options.pop("dry_run", False)
    plan = plan_import(
        data,
        source,
        **options,
        progress=(lambda f, m: progress(f * 0.7, m)) if progress else None,
    )
    if dry_run or plan.records.empty:
        return ImportResult(plan, None)
    return commit_import(
        plan,
        options.get("home"),
        skip_bad=options.get("skip_bad", False),
        progress=(lambda f, m: progress(0.7 + 0.3 * f, m)) if progress else None,
    )


def import_file(path: Path | str, **options: Unpack[ImportOptions]) -> ImportResult:
    """:func:`import_bytes` for a file on disk (its size is checked before reading)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    check_size(p.stat().st_size, p.name, max_import_bytes(options.get("max_mb")))
    return import_bytes(p.read_bytes(), p.name, **options)
