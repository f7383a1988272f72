"""Imported records as validated, joined GeoDataFrames: each batch's prepared frame
(:mod:`geodata.prepared`, remembered in this process) or its stored text rows validated and
joined again, with what was merged into each record.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import prepared
from geodata.bundle import Geography, enrich_records, load_geography
from geodata.importers.common import DATASET_URLS
from geodata.importers.pipeline import (
    check_contract,
    with_admin1_code,
)
from geodata.store.batches import _merged_rows, _stored_index, list_batches
from geodata.store.connection import _reading, _snapshot, prepared_dir
from geodata.store.rows import _batch_blob, _decode_rows
from geodata.store.schema import Batch


def load_imported(
    home: Path | str | None = None,
    geo: Geography | None = None,
    rows: pd.DataFrame | None = None,
    hidden_rows: pd.DataFrame | None = None,
    partial: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Imported records per kind, validated and enriched like the bundled ones.

    Records merged into another record are left out (the kept record lists them in
    ``merged_from``); extra columns: the provenance columns, ``import_batch``, and
    ``merged_from``/``merged_sources``/``merged_citations``. Kinds without imported
    records are absent from the dict. ``rows`` (:func:`_stored_index`) and ``hidden_rows``
    (:func:`_merged_rows`): what the caller has already read of the store. Each batch's
    validated, joined frame comes from its prepared file (:mod:`geodata.prepared`, written
    by the import) or is rebuilt from the stored text.
    """
    with _snapshot(home):
        return _load_imported(home, geo, rows, hidden_rows, partial)


def _load_imported(
    home: Path | str | None,
    geo: Geography | None,
    rows: pd.DataFrame | None,
    hidden_rows: pd.DataFrame | None,
    partial: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    rows = _stored_index(home) if rows is None else rows
    if rows is None or rows.empty:
        return {}
    geo = geo or load_geography()
    hidden = rows["merged_into"].notna()
    if hidden.any() and hidden_rows is None:
        hidden_rows = _merged_rows(home)
    merges = _merged_info(hidden_rows) if hidden.any() else {}
    batches = {b.batch_id: b for b in list_batches(home)}
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, group in rows[~hidden].groupby("kind", sort=False):
        parts = [
            _batch_part(
                home, batches[int(batch_id)], kind, geo, part["batch_row"].to_numpy(), partial
            )
            for batch_id, part in group.groupby("batch_id", sort=False)
        ]
        enriched = (
            pd.concat(parts, ignore_index=True)
            if len(parts) > 1
            else parts[0].reset_index(drop=True)
        )
        enriched = gpd.GeoDataFrame(enriched, geometry="geometry", crs=parts[0].crs)
        enriched["import_batch"] = pd.array(group["batch_id"].to_numpy(), dtype="Int64")
        out[kind] = annotate_merges(enriched, merges.get(kind))
    return out


_PREPARED_MEMO: dict[Path, tuple[int, gpd.GeoDataFrame]] = {}
"""The prepared frames this process has read, with their file's modification time (a file's
rows never change: its name carries the batch's hash and the code's), so a filtered read
does not unpickle a large batch again; a removed or rewritten file is read again."""


_PREPARED_MEMO_ROWS = 2_000_000
"""At most this many rows are kept in :data:`_PREPARED_MEMO` (the oldest read go first)."""


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _remembered(path: Path) -> gpd.GeoDataFrame | None:
    kept = _PREPARED_MEMO.get(path)
    if kept is None or kept[0] != _mtime(path):
        _PREPARED_MEMO.pop(path, None)
        return None
    return kept[1]


def _remember_prepared(path: Path, frame: gpd.GeoDataFrame) -> None:
    mtime = _mtime(path)
    if mtime is None:  # not written (a read-only folder): nothing to check it against
        return
    _PREPARED_MEMO[path] = (mtime, frame)
    while (
        len(_PREPARED_MEMO) > 1
        and sum(len(f) for _, f in _PREPARED_MEMO.values()) > _PREPARED_MEMO_ROWS
    ):
        _PREPARED_MEMO.pop(next(iter(_PREPARED_MEMO)))


PARTIAL_SHARE = 0.25
"""A filtered read that needs less than this share of a batch's rows validates and joins
just those rows from the stored text instead of reading the batch's whole prepared frame
(unpickling a million-row frame costs more than joining tens of thousands of rows)."""


def _batch_part(
    home: Path | str | None,
    batch: Batch,
    kind: str,
    geo: Geography,
    positions: np.ndarray,
    partial: bool,
) -> gpd.GeoDataFrame:
    """The rows at ``positions`` of one batch, validated and joined (from the prepared frame,
    or with ``partial`` and few rows wanted, from just those stored text rows)."""
    size = batch.rows_accepted + batch.rows_merged + batch.rows_updated
    if partial and len(positions) < PARTIAL_SHARE * size:
        path = prepared.path_for(
            prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at
        )
        if _remembered(path) is None:
            with _reading(home) as con:
                blob = _batch_blob(con, batch.batch_id)
            return _enrich_text(_decode_rows(blob, positions), kind, geo)
    return _prepared_batch(home, batch, kind, geo).iloc[positions]


def _prepared_batch(
    home: Path | str | None, batch: Batch, kind: str, geo: Geography
) -> gpd.GeoDataFrame:
    """Every row of one batch, validated and joined, in ``batch_row`` order: read from the
    batch's prepared file, else rebuilt from its stored text rows (and the file written)."""
    path = prepared.path_for(prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at)
    frame = _remembered(path)
    if frame is not None:
        return frame
    frame = prepared.load(path)
    if frame is not None:
        _remember_prepared(path, frame)
        return frame
    with _reading(home) as con:
        blob = _batch_blob(con, batch.batch_id)
    frame = _enrich_text(_decode_rows(blob), kind, geo)
    prepared.save(path, frame)
    _remember_prepared(path, frame)
    return frame


def _enrich_text(text: pd.DataFrame, kind: str, geo: Geography) -> gpd.GeoDataFrame:
    """Stored text rows validated against the contract and joined to the geography."""
    typed = check_contract(text, kind, f"store ({kind})")
    return with_admin1_code(enrich_records(typed, kind, geo))


def _merged_info(hidden: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per kind: kept_id, merged_id, merged dataset and citation of each merged record."""
    out: dict[str, pd.DataFrame] = {}
    for kind, group in hidden.groupby("kind"):
        out[kind] = pd.DataFrame(
            {
                "kept_id": group["merged_into"].to_numpy(),
                "merged_id": group["id"].to_numpy(),
                "dataset": group["source_dataset"].fillna("").to_numpy(),
                "citation": [_citation(r) for r in group.to_dict(orient="records")],
            }
        )
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
        merged_from=("merged_id", "; ".join),
        merged_sources=("dataset", "; ".join),
        merged_citations=("citation", " | ".join),
    )
    hit = out["id"].isin(grouped.index).to_numpy()
    for col in grouped.columns:
        values = out[col].to_numpy(dtype=object, copy=True)
        values[hit] = grouped.loc[out.loc[hit, "id"], col].to_numpy()
        out[col] = values
    return out
