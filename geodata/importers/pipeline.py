"""From a user's file to records ready to store: read → detect → normalise → validate →
enrich → de-duplicate. Pure: nothing is written here (see :mod:`geodata.store`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType

import geopandas as gpd
import pandas as pd

from geodata.bundle import Geography, enrich_records, load_geography
from geodata.contract import DataContractError, Problem, required_columns, validate_records
from geodata.importers import acled, atlas, gtd, ucdp
from geodata.importers.common import PROVENANCE_COLUMNS, Exclusion, Normalised
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM, KEY_COLUMNS, find_duplicates
from geodata.importers.reading import SourceTable, read_source

IMPORTERS: dict[str, ModuleType] = {
    "acled": acled, "ucdp": ucdp, "gtd": gtd, "atlas": atlas, "geojson": atlas,
}
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do; :func:`geodata.store.commit_plan` writes it.

    ``records`` are the text rows to store (product columns + provenance), including
    those merged into existing records (listed in ``merges``); ``enriched`` is the same
    rows validated and joined to the geography. ``rejected`` lists the problems of rows
    left out with ``skip_bad``; ``excluded`` rows the atlas cannot place;
    ``already_present`` ids that the bundle or the store already hold.
    """

    source: str
    format: str
    kind: str
    sha256: str
    size_bytes: int
    encoding: str
    hxl_row_skipped: bool
    rows_read: int
    records: pd.DataFrame
    enriched: gpd.GeoDataFrame
    merges: pd.DataFrame
    rejected: list[Problem] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)
    already_present: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Distinct rows left out for problems."""
        return len({p.row for p in self.rejected})

    @property
    def rows_merged(self) -> int:
        """Rows merged into an existing record from another source."""
        return len(self.merges)

    @property
    def rows_accepted(self) -> int:
        """Rows that become new records of their own."""
        return len(self.records) - self.rows_merged

    def counts(self) -> dict[str, int]:
        """Rows read / accepted / merged / rejected / excluded / already present."""
        return {
            "read": self.rows_read, "accepted": self.rows_accepted, "merged": self.rows_merged,
            "rejected": self.rows_rejected, "excluded": len(self.excluded),
            "already_present": len(self.already_present),
        }

    def reasons(self, limit: int = 5) -> list[str]:
        """The first problems, exclusions and duplicates, one line each."""
        lines = [p.describe(self.source) for p in self.rejected[:limit]]
        lines += [e.describe(self.source) for e in self.excluded[: max(0, limit - len(lines))]]
        if self.already_present and len(lines) < limit:
            shown = ", ".join(self.already_present[:3])
            lines.append(f"{self.source}: {len(self.already_present)} record(s) already in the "
                         f"atlas, not imported again (e.g. {shown})")
        return lines


def _translate(problem: Problem, frame: pd.DataFrame, column_map: Mapping[str, str]) -> Problem:
    """A contract problem (row of the normalised frame, product column) in the file's terms."""
    row = problem.row
    if row is not None and 1 <= row <= len(frame):
        row = int(frame["row"].iat[row - 1])
    column = column_map.get(problem.column, problem.column) if problem.column else None
    return Problem(row, problem.record_id, column, problem.value, problem.hint)


def check_contract(frame: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """:func:`validate_records` on the contract's columns (and any extra user columns);
    the provenance columns are carried over unchecked (they are ours)."""
    required = set(required_columns(kind))
    # Optional columns that are empty throughout are left out: the contract adds them back
    # as empty, and skipping them saves a pass over every row.
    own = [c for c in frame.columns if c not in PROVENANCE_COLUMNS and c != "row"
           and (c in required or frame[c].notna().any())]
    typed = validate_records(frame[own].astype(object), kind, source)
    for col in PROVENANCE_COLUMNS:
        if col in frame.columns:
            typed[col] = frame[col].astype(object).to_numpy()
    return typed


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
    stated = out["admin1_stated"] if "admin1_stated" in out.columns else \
        pd.Series([()] * len(out), index=out.index, dtype=object)
    point = out["admin1"] if "admin1" in out.columns else pd.Series(None, index=out.index)
    by_name = [s[0] if s else None for s in stated]
    out["admin1_code"] = [n if n else p for n, p in zip(by_name, point, strict=True)]
    out["admin1_method"] = ["name" if n else ("point" if p else None)
                            for n, p in zip(by_name, point, strict=True)]
    return out


def existing_keys(frame: gpd.GeoDataFrame | pd.DataFrame, dataset: str | None = None
                  ) -> pd.DataFrame:
    """The columns de-duplication needs from enriched records (bundled or stored)."""
    out = pd.DataFrame({c: frame[c] if c in frame.columns else None
                        for c in KEY_COLUMNS if c != "source_dataset"})
    out["source_dataset"] = frame["source_dataset"] if "source_dataset" in frame.columns \
        and dataset is None else dataset
    out["date"] = pd.to_datetime(out["date"])
    return out.reset_index(drop=True)


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
    dedup_days: int = DEDUP_DAYS,
    dedup_km: float = DEDUP_KM,
    progress: Progress | None = None,
) -> ImportPlan:
    """Plan the import of one file (nothing is written).

    ``existing`` maps a record kind to the records already in the atlas (bundled and
    stored) with :data:`geodata.importers.dedup.KEY_COLUMNS` and optionally
    ``merged_into``. Raises :class:`geodata.contract.DataContractError` (one line per the
    first problems) when the file cannot be imported: any row problem without
    ``skip_bad``, file-level problems always.
    """
    report = progress or (lambda fraction, message: None)
    report(0.05, "reading the file")
    table: SourceTable = read_source(data, source, fmt=fmt, encoding=encoding,
                                     max_bytes=max_bytes)
    report(0.2, f"mapping {len(table.frame):,} {table.format} rows")
    norm = IMPORTERS[table.format].normalise(table)
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
    known = existing.get(table.kind) if existing else None
    known_ids = set(known["id"]) if known is not None and len(known) else set()
    present = frame["id"].isin(known_ids).to_numpy()
    already = frame.loc[present, "id"].tolist()
    frame = frame[~present].reset_index(drop=True)
    typed = typed[~present].reset_index(drop=True)
    report(0.6, "placing the records on the map")
    geo = geo or load_geography()
    enriched = with_admin1_code(enrich_records(typed, table.kind, geo)) if len(typed) else \
        gpd.GeoDataFrame(typed.assign(geometry=None), geometry="geometry", crs="EPSG:4326")
    merges = pd.DataFrame(columns=["merged_id", "kept_id", "rule", "days_apart",
                                   "distance_km"])
    if table.kind == "incidents" and known is not None and len(known) and len(enriched):
        report(0.8, "looking for the same events in other sources")
        visible = known
        if "merged_into" in known.columns:
            visible = known[known["merged_into"].isna()]
        merges = find_duplicates(existing_keys(enriched), visible, dedup_days, dedup_km)
    report(0.95, "ready")
    stored = frame.drop(columns=["row"])
    for col in PROVENANCE_COLUMNS:
        if col not in stored.columns:
            stored[col] = None
    return ImportPlan(
        source=source, format=table.format, kind=table.kind, sha256=table.sha256,
        size_bytes=table.size_bytes, encoding=table.encoding,
        hxl_row_skipped=table.hxl_row_skipped, rows_read=len(table.frame), records=stored,
        enriched=enriched, merges=merges, rejected=rejected, excluded=list(norm.excluded),
        already_present=already,
    )
