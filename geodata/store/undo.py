"""Undoing: roll a batch back (its updates restored, records merged into its records
their own again) and "import as new" (undo one merge, kept so it is not proposed again).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from geodata import prepared
from geodata.store.batches import list_batches, list_merges
from geodata.store.connection import _writing, prepared_dir
from geodata.store.migrations import _ensure_schema
from geodata.store.schema import _RECORD_COLUMNS, Batch


def _restore_versions(con: sqlite3.Connection, batch_id: int) -> None:
    """Undo the updates of batch ``batch_id``: each record it updated gets its previous
    version back (or, when a later batch updated it again, that batch's saved version
    becomes the one before ``batch_id``); saved versions that live in this batch's rows
    (records it stored that a later batch updated) are dropped with them."""
    names = [c for c in _RECORD_COLUMNS if c not in ("kind", "id")]
    versions = con.execute(
        f"SELECT rowid, kind, id, {', '.join(names)} FROM record_versions WHERE updated_by = ?",
        (batch_id,),
    ).fetchall()
    setter = ", ".join(f"{c} = ?" for c in names)
    for rowid, kind, rid, *prior in versions:
        current = con.execute(
            "SELECT batch_id FROM records WHERE kind = ? AND id = ?", (kind, rid)
        ).fetchone()
        if current is not None and int(current[0]) == batch_id:
            con.execute(
                f"UPDATE records SET {setter} WHERE kind = ? AND id = ?", (*prior, kind, rid)
            )
        else:
            con.execute(
                f"UPDATE record_versions SET {setter} WHERE kind = ? AND id = ? AND "
                "batch_id = ? AND updated_by != ?",
                (*prior, kind, rid, batch_id, batch_id),
            )
        con.execute("DELETE FROM record_versions WHERE rowid = ?", (rowid,))
    con.execute("DELETE FROM record_versions WHERE batch_id = ?", (batch_id,))


def rollback(batch_id: int, home: Path | str | None = None) -> Batch:
    """Remove batch ``batch_id`` and its records, in one transaction; returns what it was.

    Records it updated get their previous version back; records of other batches merged
    into the removed records become records of their own again.
    """
    batch = next((b for b in list_batches(home) if b.batch_id == int(batch_id)), None)
    if batch is None:
        known = ", ".join(str(b.batch_id) for b in list_batches(home)) or "none"
        raise ValueError(
            f"there is no batch {batch_id} (batches: {known}); 'iskp-atlas batches' lists them"
        )
    folder = prepared_dir(home)
    with _writing(home) as con:
        _ensure_schema(con)
        _restore_versions(con, batch.batch_id)
        gone = "SELECT id FROM records WHERE batch_id = ?"
        con.execute(
            f"UPDATE records SET merged_into = NULL WHERE batch_id != ? AND "
            f"merged_into IN ({gone})",
            (batch.batch_id, batch.batch_id),
        )
        con.execute(
            f"DELETE FROM merges WHERE batch_id = ? OR kept_id IN ({gone})",
            (batch.batch_id, batch.batch_id),
        )
        con.execute("DELETE FROM records WHERE batch_id = ?", (batch.batch_id,))
        con.execute("DELETE FROM batch_rows WHERE batch_id = ?", (batch.batch_id,))
        con.execute("DELETE FROM batches WHERE batch_id = ?", (batch.batch_id,))
    prepared.drop_batch(folder, batch.batch_id)
    return batch


def unmerge(
    record_id: str, home: Path | str | None = None, kind: str = "incidents"
) -> dict[str, object]:
    """ "Import as new": the merged record ``record_id`` becomes a record of its own.

    The pair is kept in ``unmerged`` so a later import (e.g. after a rollback and a
    re-import) does not merge it again. Returns the merge that was undone (as listed by
    :func:`list_merges`). Raises ValueError when ``record_id`` is not a merged record.
    """
    merges = list_merges(home)
    hit = merges[(merges["merged_id"] == record_id) & (merges["kind"] == kind)]
    if hit.empty:
        shown = ", ".join(merges["merged_id"].head(5)) or "none"
        raise ValueError(
            f"{record_id} is not a merged record (merged records: {shown}); "
            "'iskp-atlas merges' lists them"
        )
    merge = hit.iloc[0].to_dict()
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _writing(home) as con:
        _ensure_schema(con)
        con.execute(
            "UPDATE records SET merged_into = NULL WHERE kind = ? AND id = ?", (kind, record_id)
        )
        con.execute("DELETE FROM merges WHERE kind = ? AND merged_id = ?", (kind, record_id))
        con.execute(
            "INSERT INTO unmerged (kind, merged_id, kept_id, unmerged_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (kind, merged_id, kept_id) "
            "DO UPDATE SET unmerged_at = excluded.unmerged_at",
            (kind, record_id, str(merge["kept_id"]), at),
        )
    return merge
