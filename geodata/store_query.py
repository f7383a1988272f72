"""The team store's filtered read: ask PostgreSQL/PostGIS for the current filter's records.

On a team store (:mod:`geodata.store_pg`) the records of a filter's date range and area of
interest are selected by the database — ``date`` compared as ISO text (the contract's only
date form, so text order is date order; the date index) and the point's ``geom`` against
the area's bounding box (``&&``, the GiST index) — and only those rows are taken from the
prepared batches, instead of every stored record.

What the database is asked is a *superset* of what the filter keeps; the exact filter
(:func:`riskmodel.filters.apply_filters`: polygon areas, actors named anywhere in the actor
text, targets, …) still runs on the loaded rows, so the records, scores and exports are the
same as with everything loaded (``tests/test_store_pg_query.py`` checks it):

- from/to: the stored ``date`` (every record has one); not the playback frame's end, so
  the months of one playback share one read;
- area of interest: records with a point whose point lies in the area's bounding box
  (edges included), and every record without a point (kept or dropped by its units later);
- the newest visible record of each kind is always included: the score's as-of date is the
  newest record of the *whole* data (:func:`riskmodel.score.resolve_as_of`), so narrowing
  the filters never moves the clock;
- records merged into another record are all read (they annotate the record they were
  merged into, which can lie inside the filter while they lie outside).

Not pushed down: actors. The store keeps the family of the *first* actor named only
(``actor_family``, the de-duplication key) while the filter matches every actor named, so
an actor condition in SQL would drop records the filter keeps.

This module takes the filter duck-typed (``date_from``, ``date_to``, ``aoi.bounds``) so that
``geodata`` does not import ``riskmodel`` (the layering of tests/test_architecture.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

_INDEX_COLUMNS = "kind, id, batch_id, batch_row, merged_into"


@dataclass(frozen=True)
class StoreQuery:
    """What the team store is asked for: a date range (inclusive days) and a bounding box
    (west, south, east, north in degrees); None = no bound."""

    start: date | None = None
    end: date | None = None
    bbox: tuple[float, float, float, float] | None = None

    @classmethod
    def from_filters(cls, filters: object) -> StoreQuery | None:
        """The push-down of a :class:`riskmodel.filters.Filters` (``date_from``, ``date_to``,
        ``aoi``; None when it bounds neither dates nor area, i.e. every record is needed);
        a StoreQuery as it is."""
        if filters is None or isinstance(filters, StoreQuery):
            return filters
        start = getattr(filters, "date_from", None)
        # 'to', not the playback frame's end: every month of a playback then shares one
        # read (the frame's end is applied in memory, as the score's clock)
        end = getattr(filters, "date_to", None)
        aoi = getattr(filters, "aoi", None)
        bbox = tuple(float(v) for v in aoi.bounds) if aoi is not None else None
        if start is None and end is None and bbox is None:
            return None
        return cls(start, end, bbox)  # type: ignore[arg-type]

    def key(self) -> str:
        """A stable text form (cache keys)."""
        box = ",".join(repr(v) for v in self.bbox) if self.bbox else ""
        return f"{self.start or ''}|{self.end or ''}|{box}"

    def where(self) -> tuple[str, list[object]]:
        """The SQL condition on ``records`` (``?`` parameters) and its parameters."""
        parts: list[str] = []
        params: list[object] = []
        if self.start is not None:
            parts.append("date >= ?")
            params.append(self.start.isoformat())
        if self.end is not None:
            parts.append("date < ?")
            params.append((self.end + timedelta(days=1)).isoformat())
        if self.bbox is not None:
            parts.append("(geom && ST_MakeEnvelope(?, ?, ?, ?, 4326) OR geom IS NULL)")
            params.extend(self.bbox)
        return " AND ".join(parts) or "TRUE", params


_FILTERED_KINDS = ("incidents", "threats")
"""The kinds the filters select (sites are all shown)."""


def selected_index(con, query: StoreQuery) -> pd.DataFrame:
    """Where each selected stored record's row is (kind, id, batch_id, batch_row,
    merged_into), as :func:`geodata.store.batches._stored_index` gives it for every record: the
    incidents and threats of ``query``, the newest visible record of each of those kinds,
    every site and every merged record, ordered by batch and row (the partial indexes of
    :data:`geodata.store_pg.MIGRATIONS` step 3 answer the last three)."""
    condition, params = query.where()
    visible = "merged_into IS NULL AND kind = ?"
    sql = " UNION ".join(
        [
            *(
                f"(SELECT {_INDEX_COLUMNS} FROM records WHERE {visible} AND {condition})"
                for _ in _FILTERED_KINDS
            ),
            *(
                f"(SELECT {_INDEX_COLUMNS} FROM records WHERE {visible} AND date = "
                f"(SELECT max(date) FROM records WHERE {visible}))"
                for _ in _FILTERED_KINDS
            ),
            f"(SELECT {_INDEX_COLUMNS} FROM records WHERE {visible})",
            f"(SELECT {_INDEX_COLUMNS} FROM records WHERE merged_into IS NOT NULL)",
        ]
    )
    args: list[object] = []
    for kind in _FILTERED_KINDS:
        args.extend([kind, *params])
    for kind in _FILTERED_KINDS:
        args.extend([kind, kind])
    args.append("sites")
    picked = con.frame_copied(
        sql,
        tuple(args),
        {
            "kind": "text",
            "id": "text",
            "batch_id": "int",
            "batch_row": "int",
            "merged_into": "text",
        },
    )
    if picked.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in _INDEX_COLUMNS.split(", ")})
    return picked.sort_values(["batch_id", "batch_row"], kind="stable").reset_index(drop=True)


def incident_dates(url: str) -> tuple[date, date] | None:
    """The first and last date of the team store's visible incidents (None: none stored),
    from the ``records_visible_date`` index — what the app's date filter and playback
    offer, without loading the records."""
    from geodata.store.connection import _reading

    with _reading(url) as con:
        if con is None:
            return None
        row = con.execute(
            "SELECT min(date), max(date) FROM records WHERE kind = ? AND merged_into IS NULL",
            ("incidents",),
        ).fetchone()
    if row is None or row[0] is None:
        return None
    return date.fromisoformat(row[0]), date.fromisoformat(row[1])


__all__ = ["StoreQuery", "incident_dates", "selected_index"]
