"""Watch zones: building a zone from a site, segment, route or area, its score, and the
alerts (new records inside each zone since its last review, with the score change).

The store side (the ``watch_zones`` table, the point-in-zone test on both engines) is in
:mod:`geodata.watch`; this module knows the ids (sites, CPEC segments and routes) and the
risk model.

**The zone score** (0–100, the fixed transform of :mod:`riskmodel.bands`), under the
default view (every record, the default perspective and half-life, as of the newest
record):

- a *site* zone: the site's own score (``iskp-atlas scores --level site``);
- a *segment* zone: the segment's own score (``--level segment``);
- a *route* zone: the highest score of the route's segments;
- an *area* zone: the score of the records the area keeps as an ``aoi=`` filter —
  ``score_from_load`` of the sum of their loads (each record's severity or threat weight ×
  recency × relevance, as in a province's load).

The radius or buffer decides which new records are listed, not the site's or segment's
score (that uses the model's distance kernel). The *score change* is the score now minus the
score at the last review (or at the zone's creation).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import watch as zones_store
from geodata.watch import SOURCE_COLUMNS, WatchZone, buffer_km, check_distance, geometry_wkt
from riskmodel.aoi import parse_aoi
from riskmodel.bands import score_from_load
from riskmodel.filters import Filters
from riskmodel.score import corridor_segments, score

ALERT_COLUMNS = (
    "zone",
    "zone_kind",
    "zone_ref",
    "kind",
    "id",
    "date",
    "actor",
    "place",
    "fatalities",
    "summary",
    "latitude",
    "longitude",
    *SOURCE_COLUMNS,
    "zone_score_reviewed",
    "zone_score_now",
    "zone_score_change",
)
"""One row per new record and zone it lies in (``iskp-atlas alerts``)."""
ZONE_SUMMARY_COLUMNS = (
    "name",
    "zone",
    "zone_kind",
    "ref",
    "distance_km",
    "owner",
    "created_at",
    "reviewed_at",
    "reviewed_batch",
    "new_records",
    "score_reviewed",
    "score_now",
    "score_change",
)


def _pick(ids: pd.Series, wanted: str, what: str, example: str, listing: str) -> str:
    text = str(wanted).strip()
    exact = ids[ids == text]
    hits = exact if len(exact) else ids[ids.str.upper() == text.upper()]
    if not len(hits):
        shown = ", ".join(ids.head(3))
        raise ValueError(
            f"there is no {what} {text!r}; {what} ids look like {shown} "
            f"(e.g. {example}; {listing} lists them)"
        )
    return str(hits.iloc[0])


def build_zone(
    name: str,
    data,
    *,
    site: str | None = None,
    segment: str | None = None,
    route: str | None = None,
    aoi: str | None = None,
    distance_km: float | None = None,
    owner: str | None = None,
) -> WatchZone:
    """A new zone (not stored yet): exactly one of ``site`` (with ``distance_km``, the
    radius), ``segment`` or ``route`` (with ``distance_km``, the buffer) or ``aoi`` (the
    text of ``aoi=``: ``W,S,E,N`` or ``poly:…``). Unknown ids, a missing or absurd distance
    and a bad area are ValueErrors that say what to write instead."""
    name = zones_store.check_name(name)
    given = {
        k: v
        for k, v in (("site", site), ("segment", segment), ("route", route), ("aoi", aoi))
        if v not in (None, "")
    }
    if len(given) != 1:
        raise ValueError(
            "give exactly one of --site ID --radius-km N, --segment ID "
            "--buffer-km N, --route ID --buffer-km N or --aoi W,S,E,N"
        )
    kind, value = next(iter(given.items()))
    ref: str | None
    area: str | None = None
    if kind == "aoi":
        if distance_km is not None:
            raise ValueError(
                "an area zone has no radius or buffer: drop --radius-km/"
                "--buffer-km, or use --site/--segment/--route"
            )
        parsed = parse_aoi(str(value))  # AoiError (a ValueError) says what to write
        ref, km, area, shape = None, None, parsed.to_param(), parsed.polygon()
    else:
        what = "radius" if kind == "site" else "buffer"
        if distance_km is None:
            flag = "--radius-km" if kind == "site" else "--buffer-km"
            raise ValueError(f"a {kind} zone needs a {what}: add {flag} N (km), e.g. {flag} 10")
        km = check_distance(distance_km, what)
        if kind == "site":
            sites = data.sites
            ref = _pick(
                sites["id"].astype(str),
                value,
                "site",
                "AST-001",
                "'iskp-atlas scores --level site'",
            )
            line = sites.loc[sites["id"].astype(str) == ref].geometry.iloc[0]
        elif kind == "segment":
            segments = corridor_segments(data.corridors)
            ref = _pick(
                segments["id"].astype(str),
                value,
                "segment",
                "KKH_N35-007",
                "'iskp-atlas scores --level segment'",
            )
            line = segments.loc[segments["id"] == ref].geometry.iloc[0]
        else:
            routes = data.corridors
            ref = _pick(
                routes["route_id"].astype(str), value, "route", "KKH_N35", "'iskp-atlas info'"
            )
            line = routes.loc[routes["route_id"].astype(str) == ref].geometry.iloc[0]
        if line is None or line.is_empty:
            raise ValueError(f"the {kind} {ref} has no location to draw a zone around")
        shape = buffer_km(line, km)
    now = zones_store.now_text()
    return WatchZone(
        name=name,
        zone_kind=kind,
        ref=ref,
        distance_km=km,
        aoi=area,
        geometry=geometry_wkt(shape),
        owner=str(owner or "").strip() or zones_store.default_owner(),
        created_at=now,
        reviewed_at=now,
    )


def zone_scores(zones: list[WatchZone], data) -> dict[str, float]:
    """Each zone's score now (see the module docstring), rounded to 0.1."""
    out: dict[str, float] = {}
    if not zones:
        return out
    kernel = [z for z in zones if z.zone_kind in ("site", "segment", "route")]
    if kernel:
        result = score(data, Filters(), levels=("segment", "site"))
        sites = result.sites.set_index("id")["score"]
        segments = result.segments
        by_segment = segments.set_index("id")["score"]
        by_route = segments.groupby("route_id")["score"].max()
        for zone in kernel:
            table = {"site": sites, "segment": by_segment, "route": by_route}[zone.zone_kind]
            value = table.get(zone.ref)
            if value is not None and np.isfinite(value):
                out[zone.name] = round(float(value), 1)
    for zone in zones:
        if zone.zone_kind == "aoi" and zone.aoi:
            filters = dataclasses.replace(Filters(), aoi=parse_aoi(zone.aoi))
            try:
                provinces = score(data, filters, levels=("province",)).provinces
            except ValueError:  # no dated record at all
                continue
            out[zone.name] = round(float(score_from_load(float(provinces["load"].sum()))), 1)
    return out


def add_zone(name: str, data, home: Path | str | None = None, **how) -> WatchZone:
    """Build (:func:`build_zone`) and store a zone. It starts reviewed: records already
    imported are not new to it, and its score now is the score it is compared with."""
    zone = build_zone(name, data, **how)
    zone = dataclasses.replace(
        zone,
        reviewed_batch=zones_store.latest_batch(home),
        reviewed_score=zone_scores([zone], data).get(zone.name),
    )
    return zones_store.add_zone(zone, home)


def review(name: str, data, home: Path | str | None = None) -> WatchZone:
    """ "Mark reviewed": the zone's records up to the newest batch are seen, and its score
    now becomes the score later changes are measured from."""
    zone = zones_store.get_zone(name, home)
    now = zone_scores([zone], data).get(zone.name)
    return zones_store.mark_reviewed(zone.name, zones_store.latest_batch(home), now, home)


@dataclass(frozen=True)
class WatchReport:
    """The zones with their counts and score change (``zones``, :data:`ZONE_SUMMARY_COLUMNS`)
    and the new records inside them (``records``, :data:`ALERT_COLUMNS`)."""

    zones: pd.DataFrame
    records: pd.DataFrame
    since: str | None = None

    @property
    def n_zones_with_news(self) -> int:
        return int((self.zones["new_records"] > 0).sum()) if len(self.zones) else 0


def _details(records: pd.DataFrame, data) -> pd.DataFrame:
    """Actor, place, fatalities and summary of each listed record, from the loaded data."""
    out = records.assign(actor=None, place=None, fatalities=None, summary=None)
    frames = {"incidents": data.incidents, "threats": data.threats, "sites": data.sites}
    for kind, frame in frames.items():
        mine = np.flatnonzero((out["kind"] == kind).to_numpy())
        if frame is None or not len(mine) or "id" not in frame.columns:
            continue
        wanted = [
            c
            for c in ("id", "actor_canonical", "place", "fatalities", "summary", "name")
            if c in frame.columns
        ]
        table = pd.DataFrame(frame[wanted]).drop_duplicates("id").set_index("id")
        ids = out["id"].iloc[mine]
        for column, source in (
            ("actor", "actor_canonical"),
            ("place", "place"),
            ("fatalities", "fatalities"),
            ("summary", "summary"),
        ):
            if source == "summary" and kind == "sites":
                source = "name"
            if source in table.columns:
                out.loc[out.index[mine], column] = table[source].reindex(ids).to_numpy()
    return out


def watch_report(
    home: Path | str | None, data, since: str | None = None, names: list[str] | None = None
) -> WatchReport:
    """The alerts: for each zone (all, or ``names``) the new records inside it since its
    last review (or imported since the day ``since``), and its score change."""
    zones = zones_store.list_zones(home)
    if names is not None:
        wanted = {zones_store.get_zone(n, home).name for n in names}
        zones = [z for z in zones if z.name in wanted]
    found = (
        zones_store.new_records(home, [z.name for z in zones], since)
        if zones
        else pd.DataFrame(columns=list(zones_store.RECORD_COLUMNS))
    )
    scores = zone_scores(zones, data)
    counts = found["zone"].value_counts() if len(found) else pd.Series(dtype=int)
    rows = []
    for z in zones:
        now = scores.get(z.name)
        change = (
            None if now is None or z.reviewed_score is None else round(now - z.reviewed_score, 1)
        )
        rows.append(
            {
                "name": z.name,
                "zone": z.describe(),
                "zone_kind": z.zone_kind,
                "ref": z.ref,
                "distance_km": z.distance_km,
                "owner": z.owner,
                "created_at": z.created_at,
                "reviewed_at": z.reviewed_at,
                "reviewed_batch": z.reviewed_batch,
                "new_records": int(counts.get(z.name, 0)),
                "score_reviewed": z.reviewed_score,
                "score_now": now,
                "score_change": change,
            }
        )
    summary = pd.DataFrame(rows, columns=list(ZONE_SUMMARY_COLUMNS))
    records = (
        _details(found, data)
        if len(found)
        else found.assign(actor=None, place=None, fatalities=None, summary=None)
    )
    by_name = summary.set_index("name") if len(summary) else None
    for column, source in (
        ("zone_kind", "zone_kind"),
        ("zone_ref", "ref"),
        ("zone_score_reviewed", "score_reviewed"),
        ("zone_score_now", "score_now"),
        ("zone_score_change", "score_change"),
    ):
        records[column] = (
            records["zone"].map(by_name[source]) if by_name is not None and len(records) else None
        )
    return WatchReport(
        summary, records[list(ALERT_COLUMNS)].reset_index(drop=True), zones_store.since_text(since)
    )


def _number(value: object) -> str:
    return "?" if value is None or pd.isna(value) else f"{float(value):.1f}".removesuffix(".0")


def score_change_text(row: dict) -> str:
    """'score 45 → 52 (+7)' (or 'score 52' when there is nothing to compare with)."""
    now, before, change = row.get("score_now"), row.get("score_reviewed"), row.get("score_change")
    if before is None or pd.isna(before) or change is None or pd.isna(change):
        return f"score {_number(now)}"
    sign = "+" if change > 0 else ("±" if change == 0 else "−")
    return f"score {_number(before)} → {_number(now)} ({sign}{_number(abs(change))})"


def zone_lines(report: WatchReport) -> list[str]:
    """The 'Watch zones: …' lines shown after an import (CLI and Data page): nothing when
    there are no zones; one line per zone with new records."""
    zones = report.zones
    if zones.empty:
        return []
    news = zones[zones["new_records"] > 0]
    if news.empty:
        return [f"Watch zones: no new records in the {len(zones)} zone(s) since their last review"]
    lines = [
        f"Watch zones: {int(news['new_records'].sum())} new record(s) in "
        f"{len(news)} of {len(zones)} zone(s) since their last review"
    ]
    for row in news.to_dict(orient="records"):
        ids = report.records.loc[report.records["zone"] == row["name"], "id"].tolist()
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        lines.append(
            f"{row['name']} ({row['zone']}): {row['new_records']} new — {shown}; "
            f"{score_change_text(row)}"
        )
    return lines
