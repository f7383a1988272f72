"""Watch zones in the store: named areas whose newly imported records an analyst reviews.

A zone is a sensitive site with a radius, a CPEC segment or route with a buffer, or an
area of interest (``aoi=W,S,E,N`` or a drawn polygon). Its geometry is built once, when the
zone is added (:func:`buffer_km`: the site's point or the corridor's line buffered in the
metric projection :data:`geodata.spatial.METRIC_CRS`, then back to EPSG:4326), and kept as
WKT in the table ``watch_zones`` (schema version 3) with the zone's owner, creation time and
last review: ``reviewed_at``, ``reviewed_batch`` (the newest batch id when it was reviewed)
and ``reviewed_score`` (the zone's score then; see :mod:`riskmodel.watch`).

"New records inside a zone since its last review" (:func:`new_records`) are the stored
records

- of batches with ``batch_id > reviewed_batch`` (imported after the review; batch ids only
  grow, a rolled-back id is never used again), or, with ``since``, of batches imported on
  or after that date;
- not merged into another record (a merged record shows as the record it joins);
- whose point (the stored latitude and longitude) lies inside the zone or on its edge.

On a SQLite store the points are tested with shapely (vectorised); on a team store PostGIS
answers the same question (``ST_Intersects`` of the zone's ``geom`` with ``records.geom``,
both from the same text): the same rows on both engines. Records located only to a
province (no point) are never in a zone.

Pure geodata: no riskmodel, no streamlit. Which ids exist (sites, segments, routes) and the
zone's score are decided in :mod:`riskmodel.watch`.
"""

from __future__ import annotations

import getpass
import re
import shlex
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.spatial import METRIC_CRS, WGS84
from geodata.store import (
    ZONE_COLUMNS,
    _ensure_schema,
    _frame,
    _reading,
    _writing,
    store_label,
)
from geodata.store_pg import PgConnection

ZONE_KINDS: tuple[str, ...] = ("site", "segment", "route", "aoi")
"""What a zone is drawn around (``watch_zones.zone_kind``)."""
MAX_DISTANCE_KM = 500.0
"""The largest radius or buffer accepted: beyond it a zone covers most of a country."""
MAX_NAME_CHARS = 80
SOURCE_COLUMNS = ("source_dataset", "source_id", "source_1_url", "batch_id", "imported_at", "file")
"""Where a new record came from: its dataset and source, and the batch that imported it."""
RECORD_COLUMNS = (
    "zone",
    "kind",
    "id",
    "date",
    "latitude",
    "longitude",
    "actor_family",
    *SOURCE_COLUMNS,
)
"""The columns of :func:`new_records` (one row per record and zone it is in)."""
_NUMBER = re.compile(r"^\s*[-+]?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?\s*$")
"""A stored coordinate that is a number: the rule the team store's ``records.geom`` uses."""


def now_text() -> str:
    """The current UTC time as the store writes it (``2026-12-02T03:04:05Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class WatchZone:
    """One row of ``watch_zones``. ``ref`` is the site, segment or route id (None for an
    aoi zone), ``distance_km`` the radius or buffer (None for an aoi zone), ``aoi`` the
    area's ``aoi=`` text (aoi zones), ``geometry`` the zone's outline as WKT (EPSG:4326)."""

    name: str
    zone_kind: str
    ref: str | None
    distance_km: float | None
    aoi: str | None
    geometry: str
    owner: str
    created_at: str
    reviewed_at: str
    reviewed_batch: int = 0
    reviewed_score: float | None = None

    def shape(self) -> shapely.Geometry:
        """The zone's outline as a shapely geometry (EPSG:4326)."""
        return shapely.from_wkt(self.geometry)

    def describe(self) -> str:
        """What the zone is, in words: 'site AST-001 + 10 km', 'area 60.5,29,75,37'."""
        if self.zone_kind == "aoi":
            text = str(self.aoi or "")
            return "area " + (text if len(text) <= 40 else text[:37] + "…")
        km = f"{self.distance_km:g}" if self.distance_km is not None else "?"
        return f"{self.zone_kind} {self.ref} + {km} km"


def check_name(name: object) -> str:
    """A zone name as stored (stripped), or ValueError saying what a name may be."""
    text = unicodedata.normalize("NFC", str(name or "")).strip()
    if not text:
        raise ValueError("a watch zone needs a name, e.g. 'Kabul embassy'")
    if len(text) > MAX_NAME_CHARS:
        raise ValueError(
            f"the zone name is {len(text)} characters long; use at most {MAX_NAME_CHARS}"
        )
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise ValueError(
            "the zone name has control characters; use letters, digits, spaces and punctuation"
        )
    return text


def check_distance(km: object, what: str = "radius") -> float:
    """A radius or buffer in km: a number above 0 and at most :data:`MAX_DISTANCE_KM`."""
    try:
        value = float(km)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"the {what} must be a number of km, e.g. 10, not {km!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"the {what} must be more than 0 km (got {km}); e.g. 10")
    if value > MAX_DISTANCE_KM:
        raise ValueError(
            f"a {what} of {value:g} km covers most of a country; use at most {MAX_DISTANCE_KM:g} km"
        )
    return value


def buffer_km(geometry: shapely.Geometry, km: float) -> shapely.Geometry:
    """``geometry`` (EPSG:4326) buffered by ``km`` kilometres, measured in
    :data:`METRIC_CRS` (within ~1 % of geodesic over AF/PK), returned in EPSG:4326."""
    metric = gpd.GeoSeries([geometry], crs=WGS84).to_crs(METRIC_CRS)
    return metric.buffer(float(km) * 1000.0, quad_segs=16).to_crs(WGS84).iloc[0]


def geometry_wkt(geometry: shapely.Geometry) -> str:
    """The WKT kept in the store: coordinates to 6 decimals (~0.1 m)."""
    return shapely.to_wkt(geometry, rounding_precision=6, trim=True)


def default_owner() -> str:
    """The OS user (``getpass.getuser()``), or 'unknown' when the system has none."""
    try:
        return getpass.getuser() or "unknown"
    except (KeyError, OSError):
        return "unknown"


# --- the table ---------------------------------------------------------------------------


def _row(zone: WatchZone) -> tuple:
    values = asdict(zone)
    return tuple(values[c] for c in ZONE_COLUMNS)


def _zone(row: dict) -> WatchZone:
    out = {c: row[c] for c in ZONE_COLUMNS}
    for key in ("ref", "aoi", "distance_km", "reviewed_score"):
        if out[key] is not None and pd.isna(out[key]):
            out[key] = None
    out["distance_km"] = None if out["distance_km"] is None else float(out["distance_km"])
    out["reviewed_score"] = None if out["reviewed_score"] is None else float(out["reviewed_score"])
    out["reviewed_batch"] = int(out["reviewed_batch"])
    return WatchZone(**out)


def list_zones(home: Path | str | None = None) -> list[WatchZone]:
    """Every zone of the store, by name (none when there is no store yet)."""
    with _reading(home) as con:
        if con is None:
            return []
        frame = _frame(con, f"SELECT {', '.join(ZONE_COLUMNS)} FROM watch_zones")
    zones = [_zone(r) for r in frame.to_dict(orient="records")]
    return sorted(zones, key=lambda z: z.name.casefold())


def zones_frame(home: Path | str | None = None) -> pd.DataFrame:
    """:func:`list_zones` as a table (without the WKT)."""
    rows = [{**asdict(z), "zone": z.describe()} for z in list_zones(home)]
    columns = [
        "name",
        "zone_kind",
        "ref",
        "distance_km",
        "aoi",
        "zone",
        "owner",
        "created_at",
        "reviewed_at",
        "reviewed_batch",
        "reviewed_score",
    ]
    return pd.DataFrame(rows, columns=columns)


def get_zone(name: str, home: Path | str | None = None) -> WatchZone:
    """The zone called ``name`` (exact, then ignoring case), or ValueError naming them."""
    zones = list_zones(home)
    text = str(name).strip()
    hit = next((z for z in zones if z.name == text), None) or next(
        (z for z in zones if z.name.casefold() == text.casefold()), None
    )
    if hit is None:
        known = ", ".join(repr(z.name) for z in zones[:8]) or "none yet"
        raise ValueError(
            f"there is no watch zone {text!r} in {store_label(home)} (zones: "
            f"{known}); 'iskp-atlas watch list' lists them"
        )
    return hit


def latest_batch(home: Path | str | None = None) -> int:
    """The newest batch id in the store (0 when there is none)."""
    with _reading(home) as con:
        if con is None:
            return 0
        row = con.execute("SELECT MAX(batch_id) FROM batches").fetchone()
    return int(row[0] or 0)


def add_zone(zone: WatchZone, home: Path | str | None = None) -> WatchZone:
    """Store ``zone`` (one write transaction; the store is created when missing). A name
    already used (ignoring case) is refused with what to do."""
    name = check_name(zone.name)
    if zone.zone_kind not in ZONE_KINDS:
        raise ValueError(
            f"unknown zone kind {zone.zone_kind!r}; use one of " + ", ".join(ZONE_KINDS)
        )
    zone = replace(zone, name=name)
    with _writing(home, create=True) as con:
        _ensure_schema(con)
        taken = [
            r[0]
            for r in con.execute("SELECT name FROM watch_zones").fetchall()
            if str(r[0]).casefold() == name.casefold()
        ]
        if taken:
            raise ValueError(
                f"there is already a watch zone {taken[0]!r}: pick another "
                f"name or remove it first ('iskp-atlas watch remove "
                f"{shlex.quote(taken[0])}')"
            )
        con.execute(
            f"INSERT INTO watch_zones ({', '.join(ZONE_COLUMNS)}) VALUES "
            f"({', '.join('?' * len(ZONE_COLUMNS))})",
            _row(zone),
        )
    return zone


def _update(home: Path | str | None, name: str, sql: str, params: tuple) -> None:
    with _writing(home) as con:
        _ensure_schema(con)
        con.execute(sql, (*params, name))


def remove_zone(name: str, home: Path | str | None = None) -> WatchZone:
    """Delete the zone ``name``; returns what it was."""
    zone = get_zone(name, home)
    _update(home, zone.name, "DELETE FROM watch_zones WHERE name = ?", ())
    return zone


def mark_reviewed(
    name: str,
    batch_id: int,
    score: float | None,
    home: Path | str | None = None,
    at: str | None = None,
) -> WatchZone:
    """Record a review of zone ``name``: the records of batches up to ``batch_id`` are
    seen, and ``score`` is the zone's score at the review."""
    zone = get_zone(name, home)
    reviewed = replace(
        zone,
        reviewed_at=at or now_text(),
        reviewed_batch=int(batch_id),
        reviewed_score=None if score is None else float(score),
    )
    _update(
        home,
        zone.name,
        "UPDATE watch_zones SET reviewed_at = ?, reviewed_batch = ?, "
        "reviewed_score = ? WHERE name = ?",
        (reviewed.reviewed_at, reviewed.reviewed_batch, reviewed.reviewed_score),
    )
    return reviewed


# --- new records inside ------------------------------------------------------------------


def since_text(since: date | str | None) -> str | None:
    """``since`` as an ISO day (None when not given); ValueError for a bad date."""
    if since is None or since == "":
        return None
    if isinstance(since, date):
        return since.isoformat()
    text = str(since).strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise ValueError(
            f"bad date {text!r} for --since: write it as YYYY-MM-DD, e.g. 2026-01-31"
        ) from None


_RECORD_SELECT = (
    "r.kind, r.id, r.date, r.latitude, r.longitude, r.actor_family, "
    "r.source_dataset, r.source_id, r.source_1_url, r.batch_id, "
    "b.imported_at, b.file"
)


def _new_pg(con: PgConnection, names: list[str], since: str | None) -> pd.DataFrame:
    newer = "b.imported_at >= ?" if since else "r.batch_id > z.reviewed_batch"
    params: list[object] = [since] if since else []
    params.append(names)
    return con.frame(
        f"SELECT z.name AS zone, {_RECORD_SELECT} FROM watch_zones z "
        "JOIN records r ON r.merged_into IS NULL AND ST_Intersects(z.geom, r.geom) "
        f"JOIN batches b ON b.batch_id = r.batch_id WHERE {newer} AND z.name = ANY(?)",
        tuple(params),
    )


def _new_sqlite(con, zones: list[WatchZone], since: str | None) -> pd.DataFrame:
    where = ["r.merged_into IS NULL"]
    params: list[object] = []
    if since:
        where.append("b.imported_at >= ?")
        params.append(since)
    else:
        where.append("r.batch_id > ?")
        params.append(min(z.reviewed_batch for z in zones))
    candidates = _frame(
        con,
        f"SELECT {_RECORD_SELECT} FROM records r JOIN batches b ON "
        f"b.batch_id = r.batch_id WHERE {' AND '.join(where)}",
        tuple(params),
    )
    if candidates.empty:
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    lat_text = candidates["latitude"].fillna("").astype(str)
    lon_text = candidates["longitude"].fillna("").astype(str)
    numeric = (lat_text.str.match(_NUMBER) & lon_text.str.match(_NUMBER)).to_numpy()
    lat = np.where(numeric, pd.to_numeric(lat_text.where(numeric), errors="coerce"), np.nan)
    lon = np.where(numeric, pd.to_numeric(lon_text.where(numeric), errors="coerce"), np.nan)
    located = np.isfinite(lat) & np.isfinite(lon)
    batch = candidates["batch_id"].astype(int).to_numpy()
    parts = []
    for zone in zones:
        keep = located.copy()
        if not since:
            keep &= batch > zone.reviewed_batch
        rows = np.flatnonzero(keep)
        if len(rows):
            shape = zone.shape()
            shapely.prepare(shape)
            rows = rows[shapely.intersects_xy(shape, lon[rows], lat[rows])]
        if len(rows):
            parts.append(candidates.iloc[rows].assign(zone=zone.name))
    if not parts:
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    return pd.concat(parts, ignore_index=True)


def new_records(
    home: Path | str | None = None, names: list[str] | None = None, since: date | str | None = None
) -> pd.DataFrame:
    """The records inside each zone (all zones, or those ``names``) imported since the
    zone's last review — or, with ``since`` (YYYY-MM-DD), in batches imported on or after
    that day. One row per record and zone (:data:`RECORD_COLUMNS`), sorted by zone, batch,
    kind and id. See the module docstring for the rule."""
    day = since_text(since)
    zones = list_zones(home)
    if names is not None:
        wanted = {get_zone(n, home).name for n in names}
        zones = [z for z in zones if z.name in wanted]
    if not zones:
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    with _reading(home) as con:
        if con is None:
            return pd.DataFrame(columns=list(RECORD_COLUMNS))
        if isinstance(con, PgConnection):
            found = _new_pg(con, [z.name for z in zones], day)
        else:
            found = _new_sqlite(con, zones, day)
    if found.empty:
        return pd.DataFrame(columns=list(RECORD_COLUMNS))
    found["batch_id"] = found["batch_id"].astype(int)
    order = {z.name: i for i, z in enumerate(zones)}
    found = found.assign(_order=found["zone"].map(order))
    found = found.sort_values(
        ["_order", "batch_id", "kind", "id"], kind="stable", ignore_index=True
    )
    return found[list(RECORD_COLUMNS)]
