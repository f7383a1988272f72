"""Per-record scoring factors (severity, recency, relevance) and the record arrays a score reads.

The filtered incidents, then the filtered threats, become one set of arrays
(:class:`_Records`) with each record's ``base = severity · recency · relevance``, its point
and its metric coordinates; the pairs with areas (:mod:`riskmodel.pairs`) multiply that
base by the kernel and the split.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geodata.spatial import METRIC_CRS, WGS84
from riskmodel.filters import Filters, filter_mask, target_category_codes
from riskmodel.settings import RiskSettings

_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)


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
