"""CPEC corridors cut into segments of about 25 km, the unit of the segment risk table."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.ops import substring

from geodata.spatial import METRIC_CRS, WGS84

SEGMENT_COLUMNS = ("id", "name", "route_id", "seq", "km_from", "km_to", "length_km", "geometry")


def segment_corridors(corridors: gpd.GeoDataFrame, target_km: float = 25.0) -> gpd.GeoDataFrame:
    """Cut each corridor line into near-equal pieces of about ``target_km`` km.

    Lengths are measured in :data:`geodata.spatial.METRIC_CRS` (within ~1 % of geodesic
    over AF/PK). A route of length ``L`` km gives ``max(1, round(L / target_km))`` pieces
    of exactly ``L / n`` km each, numbered from the start of the route.

    ``corridors`` needs ``route_id``, a line ``geometry`` and optionally ``name``. Returns a
    new GeoDataFrame in EPSG:4326 with ``id`` (``<route_id>-<seq:03d>``, e.g.
    ``KKH_N35-007``), ``name``, ``route_id``, ``seq`` (1-based), ``km_from``, ``km_to``,
    ``length_km`` and ``geometry``. The argument is not modified.
    """
    if not target_km or target_km <= 0:
        raise ValueError(f"target_km must be a positive number of km, got {target_km!r}")
    missing = {"route_id", "geometry"} - set(corridors.columns)
    if missing:
        raise ValueError(f"corridors need the column(s) {sorted(missing)}")
    if corridors.crs is None:
        raise ValueError("corridors have no CRS; set EPSG:4326 (WGS84) first")
    metric = corridors.to_crs(METRIC_CRS)
    rows: list[dict[str, object]] = []
    for route_id, line, label in zip(
        metric["route_id"],
        metric.geometry.values,
        metric["name"] if "name" in metric.columns else metric["route_id"],
        strict=True,
    ):
        line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
        if line.is_empty or line.length == 0:
            continue
        length_m = float(line.length)
        n = max(1, round(length_m / 1000.0 / target_km))
        cuts = np.linspace(0.0, length_m, n + 1)
        short = str(label).split(":")[0]
        for seq in range(1, n + 1):
            start, end = float(cuts[seq - 1]), float(cuts[seq])
            rows.append(
                {
                    "id": f"{route_id}-{seq:03d}",
                    "name": f"{short}, km {start / 1000:.0f}–{end / 1000:.0f}",
                    "route_id": route_id,
                    "seq": seq,
                    "km_from": round(start / 1000.0, 2),
                    "km_to": round(end / 1000.0, 2),
                    "length_km": round((end - start) / 1000.0, 2),
                    "geometry": substring(line, start, end),
                }
            )
    if not rows:
        raise ValueError("no corridor line with a length to cut into segments")
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS).to_crs(WGS84)
    return out[list(SEGMENT_COLUMNS)]
