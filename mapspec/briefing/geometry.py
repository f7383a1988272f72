"""Geometry for the briefing map: the metric projection, paths of shapes, extents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from matplotlib.path import Path as MplPath

from mapspec.briefing.options import TO_METRIC

# --- Geometry helpers -----------------------------------------------------------------------


def to_metric(geoms: np.ndarray) -> np.ndarray:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = TO_METRIC.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), project)


def _ring_arrays(geom: shapely.Geometry) -> list[tuple[np.ndarray, bool]]:
    """Coordinate arrays of every ring or line of a geometry, with 'closed' flags."""
    out: list[tuple[np.ndarray, bool]] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, shapely.Polygon):
            out.append((np.asarray(part.exterior.coords), True))
            out.extend((np.asarray(r.coords), True) for r in part.interiors)
        elif isinstance(part, shapely.LineString | shapely.LinearRing):
            out.append((np.asarray(part.coords), False))
        elif isinstance(part, shapely.GeometryCollection):
            out.extend(_ring_arrays(part))
    return out


def geometry_path(geom: shapely.Geometry) -> MplPath:
    """One matplotlib path for a (multi)polygon or (multi)line, holes included."""
    verts, codes = [], []
    for coords, closed in _ring_arrays(geom):
        if len(coords) < 2:
            continue
        part_codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
        part_codes[0] = MplPath.MOVETO
        if closed:
            part_codes[-1] = MplPath.CLOSEPOLY
        verts.append(coords[:, :2])
        codes.append(part_codes)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def extent_metric(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in bounds)
    box = shapely.segmentize(shapely.box(x0, y0, x1, y1), 0.25)
    bx0, by0, bx1, by1 = shapely.bounds(to_metric(np.array([box]))[0])
    pad = 0.02 * max(bx1 - bx0, by1 - by0)
    return bx0 - pad, by0 - pad, bx1 + pad, by1 + pad


def fit_extent(
    extent: tuple[float, float, float, float], box_ratio: float
) -> tuple[float, float, float, float]:
    """Widen the short side of an extent around its centre to the axes' width/height."""
    x0, y0, x1, y1 = extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2
