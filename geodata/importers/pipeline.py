"""From a user's file to records ready to store: read → detect → normalise → validate →
recognise known records (already present / corrections) → enrich → de-duplicate. Pure:
nothing is written here (see :mod:`geodata.store`, which runs :func:`settle` again inside
its write transaction so a plan made against an older store cannot skip de-duplication).

Identity of a record: ``(source_dataset, source_id)`` (and its ``id``, which the store
keys on). A row whose identity the atlas already holds is *already present* when its
content (the contract's columns and the provenance, compared as typed values) is the
same, and an *update* (a correction, e.g. fatalities 4 → 9) of a stored record when it
differs. Bundled records are never updated by an import (they are curated; a row naming
one is already present).

The plan and its report are in :mod:`~geodata.importers.plan`, the recognition of known
records in :mod:`~geodata.importers.known`; this module runs the steps."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.bundle import Geography, enrich_records, load_geography
from geodata.contract import DataContractError, Problem, normalise_id
from geodata.importers.common import (
    BUNDLED_DATASET,
    PROVENANCE_COLUMNS,
    Normalised,
    nothing_in_region,
)
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM, MERGE_COLUMNS, find_duplicates
from geodata.importers.formats import REGISTRY
from geodata.importers.known import (
    check_contract,
    classify_known,
    content_columns,
    existing_keys,
)
from geodata.importers.plan import UPDATE_COLUMNS, ImportPlan, Progress, StoredRows
from geodata.importers.reading import SourceTable, read_source

__all__ = [
    "UPDATE_COLUMNS",
    "ImportPlan",
    "Progress",
    "StoredRows",
    "check_contract",
    "classify_known",
    "content_columns",
    "existing_keys",
    "prepare_import",
    "settle",
    "with_admin1_code",
]


def _translate(problem: Problem, frame: pd.DataFrame, column_map: Mapping[str, str]) -> Problem:
    """A contract problem (row of the normalised frame, product column) in the file's terms."""
    row = problem.row
    if row is not None and 1 <= row <= len(frame):
        row = int(frame["row"].iat[row - 1])
    column = column_map.get(problem.column, problem.column) if problem.column else None
    return Problem(row, problem.record_id, column, problem.value, problem.hint)


def _validate(norm: Normalised, kind: str, source: str) -> tuple[pd.DataFrame, list[Problem]]:
    """Typed rows and every problem (mapping first, then the contract's)."""
    problems = list(norm.problems)
    seen = {(p.row, p.column) for p in problems}
    try:
        typed = check_contract(norm.frame, kind, source)
    except DataContractError as exc:
        for p in exc.problems:
            t = _translate(p, norm.frame, norm.column_map)
            if (t.row, t.column) not in seen and (t.row, None) not in seen:
                problems.append(t)
                seen.add((t.row, t.column))
        typed = None
    if typed is not None and problems:
        typed = None
    problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.column or ""))
    return typed, problems


def with_admin1_code(enriched: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy with ``admin1_code``: the unit the record *names* (old and misspelt names
    included, e.g. FATA → PK-KP), else the unit its point falls in; ``admin1_method``
    says which ('name', 'point' or None)."""
    out = enriched.copy()
    stated = (
        out["admin1_stated"]
        if "admin1_stated" in out.columns
        else pd.Series([()] * len(out), index=out.index, dtype=object)
    )
    point = out["admin1"] if "admin1" in out.columns else pd.Series(None, index=out.index)
    by_name = [s[0] if s else None for s in stated]
    out["admin1_code"] = [n if n else p for n, p in zip(by_name, point, strict=True)]
    out["admin1_method"] = [
        "name" if n else ("point" if p else None) for n, p in zip(by_name, point, strict=True)
    ]
    return out


def _merges(
    enriched: gpd.GeoDataFrame,
    new_rows: np.ndarray,
    known: pd.DataFrame | None,
    kind: str,
    never: Collection[tuple[str, str]],
    days: int,
    km: float,
) -> pd.DataFrame:
    """De-duplication of the new rows (not updates) against the visible known records."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MERGE_COLUMNS})
    if kind != "incidents" or known is None or not len(known) or not new_rows.any():
        return empty
    visible = known
    if "merged_into" in known.columns:
        visible = known[known["merged_into"].isna()]
    candidates = enriched[new_rows]
    return find_duplicates(existing_keys(candidates), visible, days, km, never=never)


def settle(
    plan: ImportPlan,
    existing: Mapping[str, pd.DataFrame] | None,
    stored_rows: StoredRows | None = None,
    never: Collection[tuple[str, str]] = (),
    dedup_days: int = DEDUP_DAYS,
    dedup_km: float = DEDUP_KM,
) -> ImportPlan:
    """``plan`` checked again against ``existing`` (as :func:`prepare_import` does): rows
    the atlas now holds become already present or updates, and de-duplication runs
    again. The store calls this inside its write transaction, so a plan made before
    another import committed cannot store the same event twice."""
    known = existing.get(plan.kind) if existing else None
    status, updates = classify_known(plan.records, plan.enriched, plan.kind, known, stored_rows)
    keep = status != "present"
    records = plan.records[keep].reset_index(drop=True)
    enriched = plan.enriched[keep].reset_index(drop=True)
    merges = _merges(enriched, status[keep] == "new", known, plan.kind, never, dedup_days, dedup_km)
    already = [*plan.already_present, *plan.records.loc[~keep, "id"].tolist()]
    return replace(
        plan,
        records=records,
        enriched=enriched,
        merges=merges,
        updates=updates,
        already_present=already,
    )


def prepare_import(
    data: bytes,
    source: str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    max_bytes: int | None = None,
    geo: Geography | None = None,
    existing: Mapping[str, pd.DataFrame] | None = None,
    stored_rows: StoredRows | None = None,
    never: Collection[tuple[str, str]] = (),
    dedup_days: int = DEDUP_DAYS,
    dedup_km: float = DEDUP_KM,
    progress: Progress | None = None,
    countries: Collection[str] | None = None,
) -> ImportPlan:
    """Plan the import of one file (nothing is written).

    ``existing`` maps a record kind to the records already in the atlas (bundled and
    stored) with :data:`geodata.importers.dedup.KEY_COLUMNS`, ``source_id`` and optionally
    ``merged_into`` and ``stored``; ``stored_rows`` gives the stored text of records (to
    recognise corrections, see :func:`classify_known`); ``never`` the (merged_id,
    kept_id) pairs a user has undone. Raises :class:`geodata.contract.DataContractError`
    (one line per the first problems) when the file cannot be imported: any row problem
    without ``skip_bad``, file-level problems always. A row claiming the bundled dataset
    (``atlas-reference``, e.g. from an export) that the bundle does not hold is stored as
    the file's format.
    """
    report = progress or (lambda fraction, message: None)
    report(0.05, "reading the file")
    table: SourceTable = read_source(data, source, fmt=fmt, encoding=encoding, max_bytes=max_bytes)
    report(0.2, f"mapping {len(table.frame):,} {table.format} rows")
    # ``countries``: the region (ISO alpha-3; None = common.DEFAULT_REGION); rows of other
    # countries are excluded, counted per country (see ImportPlan.region_line).
    norm = REGISTRY[table.format].normaliser()(table, countries=countries)
    empty = nothing_in_region(norm, countries)
    if empty:
        raise DataContractError(source, [empty])
    report(0.4, "checking the rows against the data contract")
    typed, problems = _validate(norm, table.kind, source)
    file_level = [p for p in problems if p.row is None]
    if file_level or (problems and not skip_bad):
        raise DataContractError(source, file_level or problems)
    frame = norm.frame
    rejected: list[Problem] = []
    if problems:
        rejected = problems
        frame = frame[~frame["row"].isin({p.row for p in problems})]
        if frame.empty:
            raise DataContractError(source, problems)
        typed = check_contract(frame, table.kind, source)
    # store the ids the contract compared (NFKC, invisible characters stripped), so the
    # stored record, its merges and a later re-import agree on them
    frame = frame.assign(id=frame["id"].astype(object).map(normalise_id))
    known = existing.get(table.kind) if existing else None
    status, updates = classify_known(frame, typed, table.kind, known, stored_rows)
    present = status == "present"
    already = frame.loc[present, "id"].tolist()
    frame = frame[~present].reset_index(drop=True)
    typed = typed[~present].reset_index(drop=True)
    if "source_dataset" in frame.columns:
        claimed = (frame["source_dataset"] == BUNDLED_DATASET).to_numpy()
        if claimed.any():
            frame = frame.assign(
                source_dataset=frame["source_dataset"].where(~claimed, table.format)
            )
            typed = typed.assign(source_dataset=frame["source_dataset"].to_numpy())
    report(0.6, "placing the records on the map")
    geo = geo or load_geography()
    enriched = (
        with_admin1_code(enrich_records(typed, table.kind, geo))
        if len(typed)
        else gpd.GeoDataFrame(typed.assign(geometry=None), geometry="geometry", crs="EPSG:4326")
    )
    if table.kind == "incidents" and known is not None and len(known) and len(enriched):
        report(0.8, "looking for the same events in other sources")
    merges = _merges(
        enriched, status[~present] == "new", known, table.kind, never, dedup_days, dedup_km
    )
    report(0.95, "ready")
    stored = frame.drop(columns=["row"])
    for col in PROVENANCE_COLUMNS:
        if col not in stored.columns:
            stored[col] = None
    return ImportPlan(
        source=source,
        format=table.format,
        kind=table.kind,
        sha256=table.sha256,
        size_bytes=table.size_bytes,
        encoding=table.encoding,
        hxl_row_skipped=table.hxl_row_skipped,
        rows_read=len(table.frame),
        records=stored,
        enriched=enriched,
        merges=merges,
        rejected=rejected,
        excluded=list(norm.excluded),
        already_present=already,
        updates=updates,
        notices=list(norm.notices),
    )
