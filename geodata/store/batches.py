"""What the store holds, as listed: batches, merges in force, record counts, and the
identity and de-duplication keys of the stored records (what an import is checked against).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pandas as pd

from geodata.bundle import Bundle, load_bundle
from geodata.importers.common import BUNDLED_DATASET
from geodata.importers.pipeline import (
    existing_keys,
)
from geodata.store.connection import _read
from geodata.store.migrations import _has_table
from geodata.store.pg import PgConnection
from geodata.store.schema import _RECORD_COLUMNS, Batch


def list_batches(home: Path | str | None = None) -> list[Batch]:
    """Every batch in the store, oldest first."""
    frame = _read(home, "SELECT * FROM batches ORDER BY batch_id")
    if frame is None:
        return []
    return [
        Batch(**{**row, "skip_bad": bool(row["skip_bad"])})
        for row in frame.to_dict(orient="records")
    ]


def batches_frame(home: Path | str | None = None) -> pd.DataFrame:
    """:func:`list_batches` as a table."""
    fields = [f.name for f in dataclasses.fields(Batch)]
    return pd.DataFrame([dataclasses.asdict(b) for b in list_batches(home)], columns=fields)


MERGE_LIST_COLUMNS = (
    "batch_id",
    "kind",
    "merged_id",
    "kept_id",
    "rule",
    "days_apart",
    "distance_km",
    "reason",
    "merged_dataset",
    "merged_source_id",
)


def list_merges(home: Path | str | None = None) -> pd.DataFrame:
    """Every merge in force: which imported record (merged_id) was folded into which
    (kept_id), by which rule and why (``reason``, e.g. 'same family Islamic State, 0 days,
    2.1 km, same article'). Undone merges (:func:`unmerge`) are not listed."""
    frame = _read(
        home,
        "SELECT m.batch_id, m.kind, m.merged_id, m.kept_id, "
        "m.rule, m.days_apart, m.distance_km, m.reason, "
        "r.source_dataset AS merged_dataset, r.source_id AS merged_source_id "
        "FROM merges m LEFT JOIN records r ON r.kind = m.kind AND r.id = m.merged_id "
        "ORDER BY m.batch_id, m.merged_id",
    )
    if frame is None:
        return pd.DataFrame(columns=list(MERGE_LIST_COLUMNS))
    missing = frame["reason"].isna()
    if missing.any():  # merges recorded before reasons were kept (schema 1)
        frame.loc[missing, "reason"] = [
            f"{r.rule}, {r.days_apart} day(s), {r.distance_km} km"
            for r in frame[missing].itertuples(index=False)
        ]
    return frame[list(MERGE_LIST_COLUMNS)]


def merge_line(merge: pd.Series | dict) -> str:
    """'INC-004 ← ucdp:12345: same family Islamic State, 0 days, 2.1 km, same article'."""
    m = dict(merge)
    source = m.get("merged_dataset")
    sid = m.get("merged_source_id")
    shown = f"{source}:{sid}" if source and sid else str(m["merged_id"])
    return f"{m['kept_id']} ← {shown}: {m['reason']}"


def record_counts(home: Path | str | None = None) -> dict[str, int]:
    """Imported records per kind that show as records of their own (merged ones not
    counted)."""
    frame = _read(
        home, "SELECT kind, COUNT(*) AS n FROM records WHERE merged_into IS NULL GROUP BY kind"
    )
    return {} if frame is None else dict(zip(frame["kind"], frame["n"].astype(int), strict=True))


_KEYS_SQL = (
    "SELECT kind, id, source_dataset, source_id, merged_into, date, latitude, "
    "longitude, actor_family, source_1_url, source_2_url FROM records"
)


def _stored_keys(home: Path | str | None) -> pd.DataFrame | None:
    return _read(home, _KEYS_SQL)


def existing_records(
    home: Path | str | None = None, bundle: Bundle | None = None
) -> dict[str, pd.DataFrame]:
    """Per kind: the identity and de-duplication keys of the bundled and stored records
    (``stored`` says which are the store's)."""
    return _existing(_stored_keys(home), bundle or load_bundle())


def _existing(stored: pd.DataFrame | None, bundle: Bundle) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for kind in ("incidents", "threats", "sites"):
        base = getattr(bundle, kind)
        if kind == "sites":
            keys = pd.DataFrame(
                {"id": base["id"], "source_dataset": BUNDLED_DATASET, "source_id": base["id"]}
            )
        else:
            keys = existing_keys(base, BUNDLED_DATASET)
        keys["merged_into"] = None
        keys["stored"] = False
        if stored is not None and len(stored):
            mine = stored[stored["kind"] == kind].drop(columns="kind")
            mine = mine.assign(
                date=pd.to_datetime(mine["date"]),
                stored=True,
                latitude=pd.to_numeric(mine["latitude"], errors="coerce"),
                longitude=pd.to_numeric(mine["longitude"], errors="coerce"),
            )
            keys = pd.concat([keys, mine], ignore_index=True) if len(mine) else keys
        out[kind] = keys
    return out


def _never(con: sqlite3.Connection | PgConnection) -> set[tuple[str, str]]:
    """(merged_id, kept_id) pairs a user has undone."""
    if not _has_table(con, "unmerged"):
        return set()
    return {(m, k) for m, k in con.execute("SELECT merged_id, kept_id FROM unmerged")}


def _stored_index(home: Path | str | None) -> pd.DataFrame | None:
    """Where each stored record's row is, and what it is merged into (all records)."""
    return _read(
        home,
        "SELECT kind, id, batch_id, batch_row, merged_into "
        "FROM records ORDER BY batch_id, batch_row",
    )


def _merged_rows(home: Path | str | None) -> pd.DataFrame | None:
    """The stored records merged into another record, with every stored column."""
    return _read(
        home,
        f"SELECT {', '.join(_RECORD_COLUMNS)} FROM records WHERE "
        "merged_into IS NOT NULL "
        "ORDER BY batch_id, batch_row",
    )
