"""Explainable, time-decayed risk scores for provinces, corridor segments and sites.

``load`` of an area is a plain sum of per-record contributions (DESIGN §6)::

    incident:  severity · recency · relevance · kernel · split
    threat:    credibility_weight · threat_weight · recency · relevance · kernel · split

with ``severity = base + per_death·D + per_injured·I``, ``recency = 2^(−age/half_life)``,
``relevance`` = the largest perspective weight among the record's target categories,
``kernel`` = 1 for provinces and a Gaussian of the distance (cut at ``cutoff_sigmas·σ``)
for segments and sites, and ``split`` = 1/k when a record without a point is spread over k
provinces. :meth:`RiskResult.explain` lists exactly these terms, so the contributions of an
area sum to its load. Full method: docs/METHODOLOGY.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geodata.places import admin1_code
from geodata.spatial import METRIC_CRS, WGS84
from riskmodel.bands import band_names, score_from_load
from riskmodel.filters import (
    Filters,
    filter_mask,
    scoring_units,
    sites_in,
    target_category_codes,
)
from riskmodel.segments import segment_corridors
from riskmodel.settings import RiskSettings, settings_from_filters
from riskmodel.trend import TREND_CATEGORIES, change_level, trend

LEVELS: tuple[str, ...] = ("province", "segment", "site")
SURGE_CATEGORIES: tuple[str, ...] = TREND_CATEGORIES
NATIONWIDE_COUNTRIES: tuple[str, ...] = ("AFG", "PAK")
EXPLAIN_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "date",
    "actor_canonical",
    "summary",
    "severity",
    "recency",
    "relevance",
    "distance_km",
    "kernel",
    "split",
    "contribution",
)
_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)


# --- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layers:
    """The layers scoring needs (all EPSG:4326). ``threats`` may be None."""

    incidents: gpd.GeoDataFrame
    threats: gpd.GeoDataFrame | None
    admin1: gpd.GeoDataFrame
    segments: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame


@lru_cache(maxsize=8)
def _cached_segments(key: tuple[tuple[str, bytes, str], ...], target_km: float) -> gpd.GeoDataFrame:
    corridors = gpd.GeoDataFrame(
        {"route_id": [k[0] for k in key], "name": [k[2] for k in key]},
        geometry=shapely.from_wkb([k[1] for k in key]),
        crs=WGS84,
    )
    return segment_corridors(corridors, target_km)


def corridor_segments(corridors: gpd.GeoDataFrame, target_km: float = 25.0) -> gpd.GeoDataFrame:
    """:func:`segment_corridors`, cached per corridor geometry (treat as read-only)."""
    names = corridors["name"] if "name" in corridors.columns else corridors["route_id"]
    key = tuple(
        zip(
            corridors["route_id"].astype(str),
            shapely.to_wkb(corridors.to_crs(WGS84).geometry.values),
            names.astype(str),
            strict=True,
        )
    )
    return _cached_segments(key, float(target_km))


def layers_from(source: Any) -> Layers:
    """:class:`Layers` from a geodata Bundle, a mapping of layers, or Layers itself.

    A mapping needs ``incidents``, ``admin1``, ``sites`` and ``segments`` or
    ``corridors``; ``threats`` is optional.
    """
    if isinstance(source, Layers):
        return source

    def get(name: str) -> Any:
        if isinstance(source, Mapping):
            return source.get(name)
        return getattr(source, name, None)

    missing = [n for n in ("incidents", "admin1", "sites") if get(n) is None]
    if get("segments") is None and get("corridors") is None:
        missing.append("corridors (or segments)")
    if missing:
        raise ValueError(f"scoring needs the layer(s): {', '.join(missing)}")
    segments = get("segments")
    if segments is None:
        segments = corridor_segments(get("corridors"))
    return Layers(get("incidents"), get("threats"), get("admin1"), segments, get("sites"))


# --- per-record factors --------------------------------------------------------------------


def recency_weight(age_days: np.ndarray | float, half_life_days: float) -> np.ndarray | float:
    """``2^(−age/half_life)``: 1 today, 0.5 one half-life ago."""
    return np.exp2(-np.asarray(age_days, dtype=float) / half_life_days)


def severity(deaths: np.ndarray, injured: np.ndarray, settings: RiskSettings) -> np.ndarray:
    """GTI-style severity ``base + per_death·D + per_injured·I`` (missing counts = 0)."""
    d = np.nan_to_num(np.asarray(deaths, dtype=float), nan=0.0)
    i = np.nan_to_num(np.asarray(injured, dtype=float), nan=0.0)
    return (
        settings.severity_base + settings.severity_per_death * d + settings.severity_per_injured * i
    )


def relevance(records: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """Largest weight among each record's ``target_categories`` (0 for none)."""
    codes, uniques = target_category_codes(records)
    per_unique = [max((weights.get(c, 0.0) for c in u), default=0.0) for u in uniques]
    return np.asarray([*per_unique, 0.0], dtype=float)[codes]


def _counts(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


@dataclass
class _Records:
    """Scoring arrays for the filtered incidents followed by the filtered threats."""

    ids: np.ndarray
    is_threat: np.ndarray
    dates: np.ndarray  # datetime64[ns]
    severity: np.ndarray
    recency: np.ndarray
    relevance: np.ndarray
    base: np.ndarray  # severity · recency · relevance
    geoms: np.ndarray  # WGS84 points or None
    x: np.ndarray
    y: np.ndarray
    sources: tuple[pd.DataFrame, pd.DataFrame | None]
    n_incidents: int

    def __len__(self) -> int:
        return len(self.ids)


def _kind_arrays(
    frame: pd.DataFrame, kind: str, settings: RiskSettings, as_of: np.datetime64
) -> dict[str, np.ndarray]:
    dates = pd.to_datetime(frame["date"]).to_numpy("datetime64[ns]")
    age = (as_of - dates) / np.timedelta64(1, "D")
    if kind == "incidents":
        sev = severity(_counts(frame, "fatalities"), _counts(frame, "injured"), settings)
    else:
        cred = frame["credibility"].map(dict(settings.credibility_weights))
        sev = cred.to_numpy(dtype=float, na_value=0.0) * settings.threat_weight
    rec = recency_weight(age, settings.half_life_days)
    rel = relevance(frame, settings.weights)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    return {
        "ids": frame["id"].to_numpy(dtype=object),
        "dates": dates,
        "severity": sev,
        "recency": rec,
        "relevance": rel,
        "geoms": geoms,
    }


def _prepare(
    incidents: pd.DataFrame, threats: pd.DataFrame | None, settings: RiskSettings, as_of: date
) -> _Records:
    cut = np.datetime64(as_of, "ns") + np.timedelta64(1, "D")  # the whole as-of day counts
    as_of64 = np.datetime64(as_of, "ns")
    frames = [("incidents", incidents)] + ([("threats", threats)] if threats is not None else [])
    parts = []
    kept_frames: list[pd.DataFrame] = []
    for kind, frame in frames:
        dates = pd.to_datetime(frame["date"]).to_numpy("datetime64[ns]")
        early = dates < cut  # nothing after the as-of date
        if not early.all():
            frame = frame.iloc[np.flatnonzero(early)]
        kept_frames.append(frame)
        arrays = _kind_arrays(frame, kind, settings, as_of64)
        arrays["recency"] = np.minimum(arrays["recency"], 1.0)  # same-day records
        parts.append(arrays)
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n_inc = len(parts[0]["ids"])
    geoms = merged["geoms"]
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    has = ~(np.isnan(lon) | np.isnan(lat))
    x = np.full(len(geoms), np.nan)
    y = np.full(len(geoms), np.nan)
    if has.any():
        x[has], y[has] = _TO_METRIC.transform(lon[has], lat[has])
    is_threat = np.zeros(len(geoms), dtype=bool)
    is_threat[n_inc:] = True
    return _Records(
        ids=merged["ids"],
        is_threat=is_threat,
        dates=merged["dates"],
        severity=merged["severity"],
        recency=merged["recency"],
        relevance=merged["relevance"],
        base=merged["severity"] * merged["recency"] * merged["relevance"],
        geoms=np.where(has, geoms, None),
        x=x,
        y=y,
        sources=(kept_frames[0], kept_frames[1] if len(kept_frames) > 1 else None),
        n_incidents=n_inc,
    )


# --- record ↔ area pairs -------------------------------------------------------------------


@dataclass
class _Pairs:
    """One row per (record, area) with a non-zero contribution."""

    record: np.ndarray
    area: np.ndarray
    distance_km: np.ndarray
    kernel: np.ndarray
    split: np.ndarray
    contribution: np.ndarray


def _province_pairs(records: _Records, admin1: gpd.GeoDataFrame) -> _Pairs:
    codes_index = pd.Index(admin1["iso_3166_2"].to_numpy(dtype=object))
    rows_all: list[np.ndarray] = []
    codes_all: list[np.ndarray] = []
    offset = 0
    for frame in records.sources:
        if frame is None:
            continue
        rows, numbers, units_seen = scoring_units(frame)
        rows_all.append(rows + offset)
        codes_all.append(codes_index.get_indexer(units_seen)[numbers])
        # Records in AF/PK with no unit at all (nationwide statements): spread over the
        # country's units.
        nation = frame["country"].to_numpy(dtype=object)
        has_unit = np.zeros(len(frame), dtype=bool)
        has_unit[rows] = True
        for country in NATIONWIDE_COUNTRIES:
            lone = np.flatnonzero(~has_unit & (nation == country))
            units = (
                admin1.loc[admin1["country"] == country, "iso_3166_2"].to_numpy(object)
                if "country" in admin1.columns
                else np.array([], dtype=object)
            )
            if len(lone) and len(units):
                rows_all.append(np.repeat(lone, len(units)) + offset)
                codes_all.append(np.tile(codes_index.get_indexer(units), len(lone)))
        offset += len(frame)
    rows = np.concatenate(rows_all) if rows_all else np.zeros(0, np.int64)
    area = np.concatenate(codes_all) if codes_all else np.zeros(0, np.int64)
    rows, area = rows[area >= 0], area[area >= 0]
    split = 1.0 / np.bincount(rows, minlength=len(records))[rows]
    contribution = records.base[rows] * split
    ones = np.ones(len(rows))
    keep = contribution > 0
    return _Pairs(
        rows[keep],
        area[keep],
        np.full(keep.sum(), np.nan),
        ones[keep],
        split[keep],
        contribution[keep],
    )


def _padded_vertices(targets_metric: np.ndarray) -> np.ndarray:
    """Array [n_targets, max_vertices, 2]; short lines repeat their last vertex."""
    coords, owner = shapely.get_coordinates(targets_metric, return_index=True)
    counts = np.bincount(owner, minlength=len(targets_metric))
    if (counts == 0).any():
        raise ValueError("a segment or site has no coordinates")
    width = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.minimum(np.arange(width)[None, :], (counts - 1)[:, None]) + starts[:, None]
    return coords[pos]


def _kernel_pairs(
    records: _Records, targets: list[gpd.GeoDataFrame], settings: RiskSettings
) -> list[_Pairs]:
    """Record points within the cut-off of each target (lines or points), with the kernel.

    All target layers share one STRtree query, so the records are scanned once.
    """
    sigma_km, cutoff_km = settings.bandwidth_km, settings.cutoff_km
    sizes = [len(t) for t in targets]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    has = np.flatnonzero(~np.isnan(records.x))
    empty = np.zeros(0)
    if not len(has) or not offsets[-1]:
        return [
            _Pairs(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty)
            for _ in targets
        ]
    wgs = np.concatenate([np.asarray(t.to_crs(WGS84).geometry.values) for t in targets])
    metric = np.concatenate([np.asarray(t.to_crs(METRIC_CRS).geometry.values) for t in targets])
    # Candidate pairs from an STRtree of the targets' envelopes widened by the cut-off in
    # degrees (generously: 1.1 × the km-per-degree at the poleward edge), then exact
    # distances in the metric CRS.
    minx, miny, maxx, maxy = shapely.bounds(wgs).T
    dlat = cutoff_km / 110.5 * 1.1
    poleward = np.minimum(np.maximum(np.abs(miny), np.abs(maxy)) + dlat, 89.0)
    dlon = cutoff_km / (111.32 * np.cos(np.radians(poleward))) * 1.1
    tree = shapely.STRtree(shapely.box(minx - dlon, miny - dlat, maxx + dlon, maxy + dlat))
    verts = _padded_vertices(metric)
    # Records in chunks, to bound the temporary arrays (a loop over chunks, not rows).
    found = [
        _near_pairs(records, has[i : i + _CHUNK], tree, verts, sigma_km, cutoff_km)
        for i in range(0, len(has), _CHUNK)
    ]
    rec, target, dist_km, kernel, contribution = (
        np.concatenate(parts) for parts in zip(*found, strict=True)
    )
    out = []
    for i in range(len(targets)):
        mine = (target >= offsets[i]) & (target < offsets[i + 1])
        out.append(
            _Pairs(
                rec[mine],
                target[mine] - offsets[i],
                dist_km[mine],
                kernel[mine],
                np.ones(int(mine.sum())),
                contribution[mine],
            )
        )
    return out


_CHUNK = 250_000


def _near_pairs(
    records: _Records,
    rows: np.ndarray,
    tree: shapely.STRtree,
    verts: np.ndarray,
    sigma_km: float,
    cutoff_km: float,
) -> tuple[np.ndarray, ...]:
    """(record, target, distance km, kernel, contribution) for ``rows`` within the cut-off."""
    hit, target = tree.query(records.geoms[rows])
    rec = rows[hit]
    px, py = records.x[rec], records.y[rec]
    best = (px - verts[target, 0, 0]) ** 2 + (py - verts[target, 0, 1]) ** 2
    for k in range(verts.shape[1] - 1):  # loop over vertex slots, vectorised over pairs
        ax, ay = verts[target, k, 0], verts[target, k, 1]
        dx, dy = verts[target, k + 1, 0] - ax, verts[target, k + 1, 1] - ay
        length2 = dx * dx + dy * dy
        t = np.clip(
            ((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0
        )
        best = np.minimum(best, (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2)
    dist_km = np.sqrt(best) / 1000.0
    within = dist_km <= cutoff_km
    rec, target, dist_km = rec[within], target[within], dist_km[within]
    kernel = np.exp(-0.5 * (dist_km / sigma_km) ** 2)
    contribution = records.base[rec] * kernel
    keep = contribution > 0
    return rec[keep], target[keep], dist_km[keep], kernel[keep], contribution[keep]


# --- surge -------------------------------------------------------------------------------


def surge_category(latest: np.ndarray, baseline_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ACLED Trendfinder level and % change (:func:`riskmodel.trend.change_level`)."""
    return change_level(latest, baseline_mean)


def _surge(
    records: _Records, pairs: _Pairs, n_areas: int, as_of: date, settings: RiskSettings
) -> dict[str, np.ndarray]:
    """The trend of each area from its incidents (:func:`riskmodel.trend.trend`)."""
    incident = ~records.is_threat[pairs.record]
    return trend(
        pairs.area[incident],
        records.dates[pairs.record[incident]],
        n_areas,
        as_of,
        settings.surge_min_baseline_events,
    )


# --- tables and result -------------------------------------------------------------------


def _area_table(
    base: pd.DataFrame, records: _Records, pairs: _Pairs, as_of: date, settings: RiskSettings
) -> pd.DataFrame:
    n = len(base)
    load = np.bincount(pairs.area, weights=pairs.contribution, minlength=n)
    load = np.maximum(load, 0.0)
    score = score_from_load(load)
    is_threat = records.is_threat[pairs.record]
    n_events = np.bincount(pairs.area[~is_threat], minlength=n)
    n_threats = np.bincount(pairs.area[is_threat], minlength=n)
    top = np.full(n, None, dtype=object)
    top_share = np.zeros(n)
    if len(pairs.area):
        best = pd.Series(pairs.contribution).groupby(pairs.area).idxmax()
        top[best.index.to_numpy()] = records.ids[pairs.record[best.to_numpy()]]
        top_share[best.index.to_numpy()] = (
            pairs.contribution[best.to_numpy()] / load[best.index.to_numpy()]
        )
    out = base.copy()
    out["load"] = load
    out["score"] = np.round(score, 1)
    out["band"] = band_names(score)
    out["n_events"] = n_events
    out["n_threats"] = n_threats
    out["top_contributor"] = top
    out["top_share"] = np.round(top_share, 3)
    for key, values in _surge(records, pairs, n, as_of, settings).items():
        out[key] = values
    geometry = out.pop("geometry")
    out["geometry"] = geometry
    return gpd.GeoDataFrame(out, geometry="geometry", crs=WGS84)


def _with_analyst_bands(table: gpd.GeoDataFrame, admin1: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """An analyst's band override (``analyst_band``/``analyst_band_note`` on the admin-1
    layer, :mod:`geodata.overrides`): ``band`` becomes the analyst's, ``band_computed``
    keeps the band of the score and ``band_override`` says who, why and until when. The
    score and the load stay the computed ones."""
    if "analyst_band" not in admin1.columns:
        return table
    analyst = admin1["analyst_band"].to_numpy(dtype=object)
    given = pd.notna(analyst)
    if not given.any():
        return table
    out = table.copy()
    out.insert(out.columns.get_loc("band") + 1, "band_computed", out["band"].to_numpy())
    band = out["band"].to_numpy(dtype=object).copy()
    band[given] = analyst[given]
    out["band"] = band
    notes = (
        admin1["analyst_band_note"].to_numpy(dtype=object)
        if "analyst_band_note" in admin1.columns
        else np.full(len(out), None, dtype=object)
    )
    out.insert(
        out.columns.get_loc("band_computed") + 1, "band_override", np.where(given, notes, None)
    )
    return out


@dataclass(frozen=True)
class RiskResult:
    """Scores at every level, with what produced them and how to explain each one.

    ``provinces``, ``segments`` and ``sites`` are GeoDataFrames (EPSG:4326) with
    ``id, name, load, score, band, surge, surge_window, surge_change_pct, surge_latest,
    surge_baseline_mean, n_events, n_threats, top_contributor, top_share`` (+ ``country``
    for provinces, ``route_id, seq, km_from, km_to`` for segments, ``asset_type, country``
    for sites) and ``geometry``. With an analyst's band override in force for a province
    or unit (:mod:`geodata.overrides`) its table adds ``band_computed`` and
    ``band_override``, and ``band`` is the analyst's (the score stays computed).
    """

    provinces: gpd.GeoDataFrame | None
    segments: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    filters: Filters
    settings: RiskSettings
    as_of: date
    description: str
    _records: _Records = field(repr=False, compare=False)
    _pairs: dict[str, _Pairs] = field(repr=False, compare=False)

    def table(self, level: str) -> gpd.GeoDataFrame:
        """The score table of ``level`` (province, segment or site)."""
        _check_level(level)
        out = {"province": self.provinces, "segment": self.segments, "site": self.sites}[level]
        if out is None:
            raise ValueError(f"level {level!r} was not scored; pass it in levels=")
        return out

    def area_index(self, area_id: str, level: str) -> int:
        """Row of ``area_id`` in the table (province names work too, e.g. "Kabul")."""
        table = self.table(level)
        ids = table["id"].astype(str)
        text = str(area_id).strip()
        hits = np.flatnonzero(ids.str.upper().to_numpy() == text.upper())
        if not len(hits) and level == "province":
            code = admin1_code(text)
            hits = np.flatnonzero(ids.to_numpy() == code)
        if not len(hits):
            raise ValueError(
                f"no {level} with id {text!r}; ids look like "
                + ", ".join(ids.head(3))
                + f" (see: iskp-atlas scores --level "
                f"{level})"
            )
        return int(hits[0])

    def explain(self, area_id: str, level: str = "province") -> pd.DataFrame:
        """The records behind one area's load, largest contribution first.

        Columns: id, kind (incident/threat), date, actor_canonical, summary, severity
        (threats: credibility weight × threat weight), recency, relevance, distance_km
        (segments/sites), kernel, split, contribution. The contributions sum to the area's
        ``load`` (to float precision).
        """
        idx = self.area_index(area_id, level)
        pairs = self._pairs[level]
        sel = np.flatnonzero(pairs.area == idx)
        rec = pairs.record[sel]
        r = self._records
        actors = np.full(len(rec), None, dtype=object)
        summaries = np.full(len(rec), None, dtype=object)
        for is_threat, frame in ((False, r.sources[0]), (True, r.sources[1])):
            if frame is None:
                continue
            mine = r.is_threat[rec] == is_threat
            pos = rec[mine] - (r.n_incidents if is_threat else 0)
            for name, target in (("actor_canonical", actors), ("summary", summaries)):
                if name in frame.columns:
                    target[mine] = frame[name].to_numpy(dtype=object)[pos]
        out = pd.DataFrame(
            {
                "id": r.ids[rec],
                "kind": np.where(r.is_threat[rec], "threat", "incident"),
                "date": pd.to_datetime(r.dates[rec]),
                "actor_canonical": actors,
                "summary": summaries,
                "severity": r.severity[rec],
                "recency": r.recency[rec],
                "relevance": r.relevance[rec],
                "distance_km": pairs.distance_km[sel],
                "kernel": pairs.kernel[sel],
                "split": pairs.split[sel],
                "contribution": pairs.contribution[sel],
            }
        )
        return out.sort_values("contribution", ascending=False, kind="stable", ignore_index=True)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of: {', '.join(LEVELS)}")


_SCORING_COLUMNS = (
    "id",
    "date",
    "fatalities",
    "injured",
    "credibility",
    "target_categories",
    "target_category",
    "admin1",
    "admin1_for_scoring",
    "country",
    "actor_canonical",
    "summary",
    "geometry",
)


def _selected(frame: gpd.GeoDataFrame, filters: Filters, kind: str) -> pd.DataFrame:
    """The columns scoring and explain use, for the rows that pass the filters.

    Only these columns are taken (copy-on-write: no copy until rows are dropped), so a
    million-row frame with forty columns is not copied whole.
    """
    mask = filter_mask(frame, filters, kind)
    sub = frame[[c for c in _SCORING_COLUMNS if c in frame.columns]]
    return sub if mask.all() else sub.iloc[np.flatnonzero(mask)]


def newest_record_date(layers: Layers, include_threats: bool = True) -> date:
    """The newest record date among incidents (and threats) before any filter."""
    frames = [layers.incidents] + (
        [layers.threats] if include_threats and layers.threats is not None else []
    )
    newest = max((pd.to_datetime(f["date"]).max() for f in frames if len(f)), default=None)
    if newest is None or pd.isna(newest):
        raise ValueError("there are no dated records to score")
    return newest.date()


def resolve_as_of(layers: Layers, filters: Filters, settings: RiskSettings) -> date:
    """The as-of date: the setting if given, else the filter's 'to' date (or the end of
    its playback 'frame' month) capped at the newest record, else the newest record date
    in the data (so the bundled view never decays to zero)."""
    if settings.as_of is not None:
        return settings.as_of
    newest = newest_record_date(layers, settings.include_threats)
    end = filters.end_date  # 'to', or the end of the playback 'frame' month if earlier
    if end is not None:
        return min(end, newest)
    return newest


def score(
    bundle_or_layers: Any,
    filters: Filters | None = None,
    settings: RiskSettings | None = None,
    levels: tuple[str, ...] = LEVELS,
) -> RiskResult:
    """Filter once and score provinces (all admin-1 units), corridor segments and sites.

    ``bundle_or_layers``: a geodata Bundle, a mapping of layers or :class:`Layers`.
    ``filters`` default to none; ``settings`` default to
    ``settings_from_filters(filters)`` (the query's perspective and half-life). Inputs are
    not modified.
    """
    filters = filters if filters is not None else Filters()
    if not isinstance(filters, Filters):
        raise TypeError("filters must be a riskmodel.filters.Filters (use parse_query)")
    settings = settings if settings is not None else settings_from_filters(filters)
    if not isinstance(settings, RiskSettings):
        raise TypeError("settings must be a riskmodel.settings.RiskSettings")
    for level in levels:
        _check_level(level)
    layers = layers_from(bundle_or_layers)
    as_of = resolve_as_of(layers, filters, settings)

    incidents = _selected(layers.incidents, filters, "incidents")
    threats = None
    if settings.include_threats and layers.threats is not None and len(layers.threats):
        threats = _selected(layers.threats, filters, "threats")
    records = _prepare(incidents, threats, settings, as_of)

    pairs: dict[str, _Pairs] = {}
    tables: dict[str, gpd.GeoDataFrame | None] = {lv: None for lv in LEVELS}
    if "province" in levels:
        admin1 = layers.admin1
        base = pd.DataFrame(
            {
                "id": admin1["iso_3166_2"].to_numpy(),
                "name": admin1["name"].to_numpy(),
                "country": admin1["country"].to_numpy() if "country" in admin1.columns else None,
                "geometry": admin1.geometry.values,
            }
        )
        pairs["province"] = _province_pairs(records, admin1)
        tables["province"] = _with_analyst_bands(
            _area_table(base, records, pairs["province"], as_of, settings), admin1
        )
    kernel_levels = [lv for lv in ("segment", "site") if lv in levels]
    # with an area of interest only the sites inside it are scored (and listed)
    site_targets = sites_in(layers.sites, filters)
    kernel_targets = {"segment": layers.segments, "site": site_targets}
    found = _kernel_pairs(records, [kernel_targets[lv] for lv in kernel_levels], settings)
    pairs.update(zip(kernel_levels, found, strict=True))
    if "segment" in levels:
        seg = layers.segments
        base = pd.DataFrame(
            {c: seg[c].to_numpy() for c in ("id", "name", "route_id", "seq", "km_from", "km_to")}
        )
        base["geometry"] = seg.to_crs(WGS84).geometry.values
        tables["segment"] = _area_table(base, records, pairs["segment"], as_of, settings)
    if "site" in levels:
        sites = site_targets
        base = pd.DataFrame(
            {
                "id": sites["id"].to_numpy(),
                "name": sites["name"].to_numpy(),
                "asset_type": sites["asset_type"].to_numpy() if "asset_type" in sites else None,
                "country": sites["country"].to_numpy() if "country" in sites else None,
                "geometry": sites.to_crs(WGS84).geometry.values,
            }
        )
        tables["site"] = _area_table(base, records, pairs["site"], as_of, settings)

    from riskmodel.filters import describe

    return RiskResult(
        provinces=tables["province"],
        segments=tables["segment"],
        sites=tables["site"],
        filters=filters,
        settings=settings,
        as_of=as_of,
        description=f"{describe(filters)}. {settings.describe()}; as of {as_of}.",
        _records=records,
        _pairs=pairs,
    )
