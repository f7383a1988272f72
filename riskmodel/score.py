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

This module turns the pairs into the score tables (load, score, band, surge, the analyst's
band override) and holds :func:`score`; the inputs live in :mod:`riskmodel.score_inputs`, the
per-record factors in :mod:`riskmodel.records`, the record ↔ area pairs in
:mod:`riskmodel.pairs` and the result in :mod:`riskmodel.result`. Every name stays
importable from here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.spatial import WGS84
from riskmodel.bands import band_names, score_from_load
from riskmodel.filters import Filters, sites_in
from riskmodel.pairs import NATIONWIDE_COUNTRIES, _kernel_pairs, _Pairs, _province_pairs
from riskmodel.records import _prepare, _Records, _selected, recency_weight, relevance, severity
from riskmodel.result import EXPLAIN_COLUMNS, LEVELS, RiskResult, _check_level
from riskmodel.score_inputs import (
    Layers,
    corridor_segments,
    layers_from,
    newest_record_date,
    resolve_as_of,
)
from riskmodel.settings import RiskSettings, settings_from_filters
from riskmodel.trend import TREND_CATEGORIES, change_level, trend

__all__ = [
    "EXPLAIN_COLUMNS",
    "LEVELS",
    "NATIONWIDE_COUNTRIES",
    "SURGE_CATEGORIES",
    "Layers",
    "RiskResult",
    "corridor_segments",
    "layers_from",
    "newest_record_date",
    "recency_weight",
    "relevance",
    "resolve_as_of",
    "score",
    "severity",
    "surge_category",
]

SURGE_CATEGORIES: tuple[str, ...] = TREND_CATEGORIES


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
