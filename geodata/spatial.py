"""Spatial joins and distances used everywhere in the product.

Distances are measured in one metric projection, :data:`METRIC_CRS`: an equidistant
conic centred on Afghanistan/Pakistan (standard parallels 26°N and 36°N, central
meridian 68°E). Across AF/PK its distances stay within about 1 % of geodesic values
(``tests/test_geodata.py`` checks this against ``pyproj.Geod``), which is far below the
precision of the coordinates (town centres, ±2 km). Line *lengths* reported as
``length_km`` are geodesic (WGS84 ellipsoid).

All functions are pure: they return new objects and never modify their arguments.
Spatial indexes (shapely STRtree through geopandas ``sindex``) keep the cost at the
number of nearby pairs, not all pairs.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod

WGS84 = "EPSG:4326"
METRIC_CRS = "+proj=eqdc +lat_0=31 +lon_0=68 +lat_1=26 +lat_2=36 +datum=WGS84 +units=m +no_defs"
COASTAL_SNAP_M = 5_000.0
_GEOD = Geod(ellps="WGS84")


def geodesic_length_km(geometry: shapely.Geometry) -> float:
    """Geodesic length of a (multi)line in km on the WGS84 ellipsoid."""
    return float(_GEOD.geometry_length(geometry)) / 1000.0


def geodesic_distance_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance(s) in km between lon/lat points (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = np.broadcast_arrays(
        np.asarray(lon1, float),
        np.asarray(lat1, float),
        np.asarray(lon2, float),
        np.asarray(lat2, float),
    )
    _, _, dist = _GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist) / 1000.0


def has_geometry(geoms) -> np.ndarray:
    """True where a geometry is present and not empty (records without a point are kept
    in tables but not drawn or measured)."""
    arr = np.asarray(getattr(geoms, "geometry", geoms), dtype=object)
    return ~(shapely.is_missing(arr) | shapely.is_empty(arr))


def assign_admin1(
    points: gpd.GeoSeries,
    units: gpd.GeoDataFrame,
    code_column: str = "iso_3166_2",
    may_snap: np.ndarray | None = None,
) -> pd.Series:
    """The code of the unit each point falls in.

    Points on no unit snap to the nearest unit within 5 km (coastal and offshore
    points: the bundled coastline is generalised) where ``may_snap`` allows it — pass
    False for records that say they are in another country, so a point just across the
    border stays outside. Points farther away and empty geometries get None. Index
    follows ``points``.
    """
    result = np.full(len(points), None, dtype=object)
    geoms = points.geometry.values if hasattr(points, "geometry") else points.values
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    idx_present = np.flatnonzero(present)
    if len(idx_present):
        codes = units[code_column].to_numpy()
        # Query a tree of the points with each unit polygon: shapely prepares the query
        # polygons once, which is far faster than testing every point against raw
        # polygons.
        tree = shapely.STRtree(geoms[idx_present])
        unit_idx, pt_idx = tree.query(units.geometry.values, predicate="intersects")
        order = np.lexsort((unit_idx, pt_idx))
        unit_idx, pt_idx = unit_idx[order], pt_idx[order]
        # A point on a shared boundary meets two units: keep the first match.
        first = pd.Series(unit_idx).groupby(pt_idx).first()
        result[idx_present[first.index.to_numpy()]] = codes[first.to_numpy()]
        missing = idx_present[np.setdiff1d(np.arange(len(idx_present)), first.index.to_numpy())]
        if may_snap is not None:
            missing = missing[np.asarray(may_snap, bool)[missing]]
        if len(missing):
            pts_m = gpd.GeoSeries(geoms[missing], crs=WGS84).to_crs(METRIC_CRS)
            units_m = units.to_crs(METRIC_CRS)
            near_pt, near_unit = units_m.sindex.nearest(
                pts_m.values, max_distance=COASTAL_SNAP_M, return_all=False
            )
            result[missing[near_pt]] = codes[near_unit]
    return pd.Series(result, index=points.index, dtype=object)


def _segment_tree(lines: np.ndarray) -> tuple[shapely.STRtree, np.ndarray]:
    """An STRtree over the straight pieces of some lines, and the line each piece is from."""
    pieces, owner = [], []
    for i, line in enumerate(lines):
        for part in getattr(line, "geoms", [line]):
            coords = np.asarray(part.coords)
            if len(coords) < 2:
                continue
            pieces.extend(shapely.linestrings(np.stack([coords[:-1], coords[1:]], axis=1)))
            owner.extend([i] * (len(coords) - 1))
    return shapely.STRtree(pieces), np.asarray(owner)


def _nearest(points_metric: np.ndarray, lines_metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each projected point: index of the nearest line and the distance in metres
    (-1 and NaN for missing points). Uses a tree of line pieces, so the cost grows with
    the number of nearby pieces, not with every vertex of every line."""
    n = len(points_metric)
    line_idx = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    present = np.flatnonzero(~(shapely.is_missing(points_metric) | shapely.is_empty(points_metric)))
    if len(present) == 0 or len(lines_metric) == 0:
        return line_idx, dist
    tree, owner = _segment_tree(lines_metric)
    # event files repeat places a lot: query each distinct point once
    xy = shapely.get_coordinates(points_metric[present])
    uniq, inverse = np.unique(xy, axis=0, return_inverse=True)
    (pt, piece), d = tree.query_nearest(
        shapely.points(uniq), return_distance=True, all_matches=False
    )
    first = np.full(len(uniq), -1, dtype=np.int64)
    first[pt[::-1]] = np.arange(len(pt))[::-1]  # first match of each distinct point
    line_idx[present] = owner[piece[first]][inverse.ravel()]
    dist[present] = d[first][inverse.ravel()]
    return line_idx, dist


def distance_to_km(points_metric: np.ndarray, target_metric: shapely.Geometry) -> np.ndarray:
    """Distance in km from each projected point to one projected line (NaN if missing)."""
    _, dist = _nearest(np.asarray(points_metric, dtype=object), np.array([target_metric]))
    return dist / 1000.0


def nearest_line(
    points_metric: np.ndarray, lines_metric: gpd.GeoDataFrame, id_column: str
) -> tuple[np.ndarray, np.ndarray]:
    """For each projected point: the id of the nearest line and the distance in km."""
    idx, dist = _nearest(np.asarray(points_metric, dtype=object), lines_metric.geometry.to_numpy())
    ids = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    ids[ok] = lines_metric[id_column].to_numpy()[idx[ok]]
    return ids, dist / 1000.0
