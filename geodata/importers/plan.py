"""What an import would do: :class:`ImportPlan`, its counts and the lines that report it.

Made by :func:`geodata.importers.pipeline.prepare_import`, written by
:func:`geodata.store.commit_plan`; every row read is counted once (:meth:`ImportPlan.counts`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common import Exclusion, excluded_by_country, region_summary

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
