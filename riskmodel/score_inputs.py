"""The layers a score (or a forecast) reads, and the as-of date it is computed at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geodata.spatial import WGS84
from riskmodel.filters import Filters
from riskmodel.segments import segment_corridors
from riskmodel.settings import RiskSettings


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
