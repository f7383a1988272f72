"""From a user's file to records ready to store: read → detect → normalise → validate →
recognise known records (already present / corrections) → enrich → de-duplicate. Pure:
nothing is written here (see :mod:`geodata.store`, which runs :func:`settle` again inside
its write transaction so a plan made against an older store cannot skip de-duplication).

Identity of a record: ``(source_dataset, source_id)`` (and its ``id``, which the store
keys on). A row whose identity the atlas already holds is *already present* when its
content (the contract's columns and the provenance, compared as typed values) is the
same, and an *update* (a correction, e.g. fatalities 4 → 9) of a stored record when it
differs. Bundled records are never updated by an import (they are curated; a row naming
one is already present)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.bundle import Geography, enrich_records, load_geography
from geodata.contract import (
    DataContractError,
    Problem,
    normalise_id,
    required_columns,
    schemas,
    validate_records,
)
from geodata.importers.common import (
    BUNDLED_DATASET,
    PROVENANCE_COLUMNS,
    Exclusion,
    Normalised,
    excluded_by_country,
    nothing_in_region,
    region_summary,
)
from geodata.importers.dedup import (
    DEDUP_DAYS,
    DEDUP_KM,
    KEY_COLUMNS,
    MERGE_COLUMNS,
    find_duplicates,
)
from geodata.importers.formats import REGISTRY
from geodata.importers.reading import SourceTable, read_source

Progress = Callable[[float, str], None]
StoredRows = Callable[[str, list[str]], pd.DataFrame]
"""``(kind, ids) -> text rows`` of stored records (columns as imported, with ``id``)."""
UPDATE_COLUMNS = ("id", "source_dataset", "source_id", "changes")


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do; :func:`geodata.store.commit_plan` writes it.

    ``records`` are the text rows to store (product columns + provenance), including
    those merged into existing records (listed in ``merges``) and new versions of stored
    records (listed in ``updates``: id, identity and what changed); ``enriched`` is the
    same rows validated and joined to the geography. ``rejected`` lists the problems of
    rows left out with ``skip_bad``; ``excluded`` rows outside the region or that the atlas
    cannot place; ``already_present`` ids that the bundle or the store already hold with
    the same content. Every row read is counted once: see :meth:`counts`.
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
    updates: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(UPDATE_COLUMNS))
    )
    store_state: str | None = None
    """The state of the store the plan was checked against (set by :mod:`geodata.store`;
    when the store has changed since, committing checks the plan again)."""
    notices: list[str] = field(default_factory=list)
    """Source quirks the importer normalised, one line each with its count (e.g. UCDP
    fatality bounds widened, non-ASCII digits rewritten)."""

    @property
    def rows_rejected(self) -> int:
        """Distinct rows left out for problems."""
        return len({p.row for p in self.rejected})

    @property
    def rows_merged(self) -> int:
        """Rows merged into an existing record from another source."""
        return len(self.merges)

    @property
    def rows_updated(self) -> int:
        """Rows that are corrected versions of stored records."""
        return len(self.updates)

    @property
    def rows_accepted(self) -> int:
        """Rows that become new records of their own."""
        return len(self.records) - self.rows_merged - self.rows_updated

    def counts(self) -> dict[str, int]:
        """Rows read / accepted / merged / updated / rejected / excluded / already present.

        read = accepted + merged + updated + rejected + excluded + already present.
        """
        return {
            "read": self.rows_read,
            "accepted": self.rows_accepted,
            "merged": self.rows_merged,
            "updated": self.rows_updated,
            "rejected": self.rows_rejected,
            "excluded": len(self.excluded),
            "already_present": len(self.already_present),
        }

    def counts_line(self) -> str:
        """The counts as one sentence whose parts add up to the rows read."""
        c = self.counts()
        return (
            f"rows read {c['read']:,} = accepted {c['accepted']:,} + merged "
            f"{c['merged']:,} + updated {c['updated']:,} + rejected {c['rejected']:,} + "
            f"excluded {c['excluded']:,} + already present {c['already_present']:,}"
        )

    def merge_lines(self) -> list[str]:
        """One line per merge: 'INC-004 ← USR-002: same family BLA, 0 days, 0.0 km, same
        article'."""
        return [
            f"{m.kept_id} ← {m.merged_id}: {m.reason}" for m in self.merges.itertuples(index=False)
        ]

    def update_lines(self) -> list[str]:
        """One line per corrected record: 'ACLED-X updated: fatalities 4 → 9'."""
        return [f"{u.id} updated: {u.changes}" for u in self.updates.itertuples(index=False)]

    def excluded_by_country(self) -> dict[str, int]:
        """Rows excluded for lying outside the region, per country (most first)."""
        return excluded_by_country(self.excluded)

    def region_line(self) -> str | None:
        """One line for the rows outside the region ('excluded 4,659 rows outside the
        region: Iraq 812, Syria 640, …'), or None."""
        line = region_summary(self.excluded)
        return f"{self.source}: {line}" if line else None

    def reasons(self, limit: int = 5) -> list[str]:
        """The first problems, exclusions and duplicates, one line each; the rows outside
        the region as one summary line, and the quirks normalised."""
        lines = [p.describe(self.source) for p in self.rejected[:limit]]
        region = self.region_line()
        if region:
            lines.append(region)
        others = [e for e in self.excluded if not e.country]
        lines += [e.describe(self.source) for e in others[: max(0, limit - len(lines))]]
        lines += [f"{self.source}: {n}" for n in self.notices]
        if self.already_present and len(lines) < limit:
            shown = ", ".join(self.already_present[:3])
            lines.append(
                f"{self.source}: {len(self.already_present)} record(s) already in the "
                f"atlas, not imported again (e.g. {shown})"
            )
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
