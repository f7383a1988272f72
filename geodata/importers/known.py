"""Recognising rows the atlas already holds: identity, and what a correction changed.

A row is known by ``(source_dataset, source_id)`` or its id (:func:`classify_known`); its
content is compared with the stored version's as typed values (:func:`check_contract`
types both) over :func:`content_columns`. :func:`existing_keys` gives the columns
de-duplication and this recognition need from records already in the atlas.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.contract import required_columns, schemas, validate_records
from geodata.importers.common import BUNDLED_DATASET, PROVENANCE_COLUMNS
from geodata.importers.dedup import KEY_COLUMNS
from geodata.importers.plan import UPDATE_COLUMNS, StoredRows


def check_contract(frame: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """:func:`validate_records` on the contract's columns (and any extra user columns);
    the provenance columns are carried over unchecked (they are ours)."""
    required = set(required_columns(kind))
    # Optional columns that are empty throughout are left out: the contract adds them back
    # as empty, and skipping them saves a pass over every row.
    own = [
        c
        for c in frame.columns
        if c not in PROVENANCE_COLUMNS and c != "row" and (c in required or frame[c].notna().any())
    ]
    typed = validate_records(frame[own].astype(object), kind, source)
    for col in PROVENANCE_COLUMNS:
        if col in frame.columns:
            typed[col] = frame[col].astype(object).to_numpy()
    return typed


def existing_keys(
    frame: gpd.GeoDataFrame | pd.DataFrame, dataset: str | None = None
) -> pd.DataFrame:
    """The columns de-duplication needs from enriched records (bundled or stored), and
    ``source_id`` (the record's id when it has none)."""
    out = pd.DataFrame(
        {c: frame[c] if c in frame.columns else None for c in KEY_COLUMNS if c != "source_dataset"}
    )
    out["source_dataset"] = (
        frame["source_dataset"]
        if "source_dataset" in frame.columns and dataset is None
        else dataset
    )
    source_id = (
        frame["source_id"]
        if "source_id" in frame.columns
        else pd.Series(None, index=frame.index, dtype=object)
    )
    out["source_id"] = source_id.where(source_id.notna(), frame["id"]).to_numpy()
    out["date"] = pd.to_datetime(out["date"])
    return out.reset_index(drop=True)


def content_columns(kind: str) -> list[str]:
    """What a correction can change: the contract's columns for ``kind`` and the
    provenance (derived columns such as ``admin1`` follow from these)."""
    return [*schemas()[kind].columns, *(c for c in PROVENANCE_COLUMNS if c != "source_id")]


def _comparable(series: pd.Series) -> np.ndarray:
    """Values as text for comparing two versions of a record (missing = '', floats as
    ``repr``, dates as ISO days)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)
    values = series.astype(object)
    present = values.notna().to_numpy()
    out = np.full(len(values), "", dtype=object)
    if present.any():
        out[present] = [
            ";".join(map(str, v))
            if isinstance(v, (list, tuple))
            else repr(v)
            if isinstance(v, float)
            else str(v).strip()
            for v in values[present]
        ]
    return out


def _as_text(series: pd.Series) -> np.ndarray:
    """Text cells for a quick comparison (missing = '', outer spaces ignored)."""
    values = series.astype(object)
    return values.where(values.notna(), "").astype(str).str.strip().to_numpy(dtype=object)


def _differences(
    new: pd.DataFrame, old: pd.DataFrame, columns: list[str], typed: bool = True
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per column that differs somewhere: (mask of differing rows, old, new values);
    ``typed=False`` compares text cells as they are."""
    n = len(new)
    found = {}
    convert = _comparable if typed else _as_text
    for col in columns:
        a = convert(new[col]) if col in new.columns else np.full(n, "", dtype=object)
        b = convert(old[col]) if col in old.columns else np.full(n, "", dtype=object)
        differ = a != b
        if differ.any():
            found[col] = (differ, b, a)
    return found


def _changes(new: pd.DataFrame, old: pd.DataFrame, kind: str) -> list[str]:
    """Per row (both frames typed, aligned): '' when the content is the same, else what
    changed ('fatalities 4 → 9; notes …')."""
    columns = [c for c in content_columns(kind) if c in new.columns or c in old.columns]
    out: list[list[str]] = [[] for _ in range(len(new))]
    for col, (differ, before, after) in _differences(new, old, columns).items():
        for i in np.flatnonzero(differ):
            out[i].append(f"{col} {_short(before[i])} → {_short(after[i])}")
    return ["; ".join(parts) for parts in out]


def _short(text: str, limit: int = 40) -> str:
    if text == "":
        return "(blank)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify_known(
    text: pd.DataFrame,
    typed: pd.DataFrame,
    kind: str,
    known: pd.DataFrame | None,
    stored_rows: StoredRows | None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Which rows the atlas already holds: ``status`` per row ('new', 'present' or
    'update') and the updates (:data:`UPDATE_COLUMNS`).

    ``text``/``typed`` are the same rows (positions aligned); ``known`` the existing keys
    (``id``, ``source_dataset``, ``source_id``, ``stored`` = held by the store, not the
    bundle). A row is known by its identity ``(source_dataset, source_id)`` or its id; it
    is an update when a stored record with the same identity and id differs in
    :func:`content_columns`.
    """
    n = len(text)
    status = np.full(n, "new", dtype=object)
    updates = pd.DataFrame(columns=list(UPDATE_COLUMNS))
    if known is None or not len(known) or not n:
        return status, updates
    ids = text["id"].astype(object).to_numpy()
    datasets = (
        text["source_dataset"].astype(object).to_numpy()
        if "source_dataset" in text.columns
        else np.full(n, None, dtype=object)
    )
    sids = text["source_id"].astype(object).to_numpy() if "source_id" in text.columns else ids
    stored_flag = (
        known["stored"].fillna(False).astype(bool).to_numpy()
        if "stored" in known.columns
        else np.zeros(len(known), dtype=bool)
    )
    k_sid = known["source_id"] if "source_id" in known.columns else known["id"]
    k_sid = k_sid.where(k_sid.notna(), known["id"])
    identities = zip(known["source_dataset"], k_sid, strict=True)
    by_identity = dict(zip(identities, zip(known["id"], stored_flag, strict=True), strict=True))
    known_ids = set(known["id"])
    candidates: list[int] = []
    for i in range(n):
        hit = by_identity.get((datasets[i], sids[i]))
        if hit is None and datasets[i] == BUNDLED_DATASET:
            hit = by_identity.get((datasets[i], ids[i]))
        if hit is not None and hit[1] and hit[0] == ids[i] and stored_rows is not None:
            candidates.append(i)
        elif hit is not None or ids[i] in known_ids:
            status[i] = "present"
    if candidates:
        old_text = stored_rows(kind, [str(ids[i]) for i in candidates])
        old_text = (
            old_text.drop_duplicates("id")
            .set_index("id")
            .loc[[ids[i] for i in candidates]]
            .reset_index()
        )
        new_text = text.iloc[candidates].reset_index(drop=True)
        # The same text is the same content (a re-imported file): no need to type it.
        columns = [
            c for c in content_columns(kind) if c in new_text.columns or c in old_text.columns
        ]
        differs = np.zeros(len(candidates), dtype=bool)
        for mask, _, _ in _differences(new_text, old_text, columns, typed=False).values():
            differs |= mask
        for i in np.asarray(candidates)[~differs]:
            status[i] = "present"
        rows = []
        if differs.any():
            picked = [c for c, d in zip(candidates, differs, strict=True) if d]
            old = check_contract(old_text[differs].reset_index(drop=True), kind, f"store ({kind})")
            new = typed.iloc[picked].reset_index(drop=True)
            for i, change in zip(picked, _changes(new, old, kind), strict=True):
                if change:
                    status[i] = "update"
                    rows.append((ids[i], datasets[i], sids[i], change))
                else:
                    status[i] = "present"
        updates = pd.DataFrame(rows, columns=list(UPDATE_COLUMNS))
    return status, updates
