"""The area of interest (``aoi=``) of the filter language: a bounding box or a polygon.

Two written forms, both URL-safe once percent-encoded (as every query value is):

- ``aoi=W,S,E,N`` — a bounding box in degrees (WGS 84 longitude/latitude), e.g.
  ``aoi=60.5,29,75,37``; −180 ≤ W < E ≤ 180 and −90 ≤ S < N ≤ 90, rounded to 6 decimals;
- ``aoi=poly:<encoded>`` — a polygon written with the Encoded Polyline Algorithm (Google's,
  5 decimals, latitude before longitude, via the PyPI package ``polyline``): compact, made
  only of the ASCII characters ``?`` to ``~`` (no ``&``, ``=``, ``+`` or ``#``), and exact —
  the text is checked to be the canonical encoding of the vertices it decodes to, so
  ``parse(format(a)) == a`` and ``format(parse(s)) == s`` for every accepted ``s`` (an open
  ring is closed first). The ring needs at least 3 distinct vertices, at most
  :data:`MAX_VERTICES`, must be a valid polygon (no self-intersection, non-zero area) and the
  text at most :data:`MAX_ENCODED_CHARS` long: a link is user input.

Which records are inside (:func:`aoi_mask`): a record with a point is inside when its point
lies in the area or on its edge. A record without a point (located only to a province or
unit, e.g. most threat records) is inside when one of the units it is scored in
(``admin1_for_scoring``) intersects the area — it counts towards those units' scores, so it
stays with them.

Pure logic: no streamlit here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import polyline
import shapely
from shapely.geometry import Polygon, mapping

MAX_VERTICES = 500
"""The most vertices a drawn polygon may have (the Draw plugin's shapes have a few dozen)."""
MAX_ENCODED_CHARS = 6000
"""The longest ``poly:`` text accepted (500 vertices need ~ 5,000 characters at most)."""
_PRECISION = 5
_POLY_CHARS = re.compile(r"[?-~]+")
_FIX_BBOX = (
    "write aoi=W,S,E,N in degrees with W < E and S < N, e.g. aoi=60.5,29,75,37, "
    "or aoi=poly: followed by an encoded polygon"
)


class AoiError(ValueError):
    """An ``aoi=`` value that cannot be used; the message names the key, the value and the
    fix. (riskmodel.filters turns it into a QueryError.)"""


def _bad(value: str, why: str) -> AoiError:
    shown = value if len(value) <= 60 else value[:57] + "…"
    return AoiError(f"bad value {shown!r} for 'aoi': {why}; {_FIX_BBOX}")


def _num(v: float) -> str:
    """The shortest text that reads back as the same float (``75`` rather than ``75.0``)."""
    text = repr(float(v) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class Aoi:
    """An area of interest: ``kind`` is ``bbox`` or ``poly``; ``vertices`` the closed ring
    as (longitude, latitude) pairs; ``encoded`` the polyline text (``poly`` only)."""

    kind: str
    vertices: tuple[tuple[float, float], ...]
    encoded: str | None = None

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(west, south, east, north)."""
        xs = [x for x, _ in self.vertices]
        ys = [y for _, y in self.vertices]
        return min(xs), min(ys), max(xs), max(ys)

    @property
    def n_vertices(self) -> int:
        """Distinct vertices (the closing one is not counted twice)."""
        return len(self.vertices) - 1

    def polygon(self) -> Polygon:
        """The area as a shapely polygon (prepared for fast point tests)."""
        return _shape(self)

    def to_param(self) -> str:
        """The text after ``aoi=``; :func:`parse_aoi` reads it back to an equal Aoi."""
        if self.kind == "bbox":
            return ",".join(_num(v) for v in self.bounds)
        return "poly:" + str(self.encoded)

    def geojson(self) -> dict:
        """The area as a GeoJSON Polygon geometry (RFC 7946: counter-clockwise exterior)."""
        geom = shapely.geometry.polygon.orient(self.polygon(), sign=1.0)
        return {
            "type": "Polygon",
            "coordinates": [[list(xy) for xy in mapping(geom)["coordinates"][0]]],
        }

    def phrase(self) -> str:
        """Words for the filter sentence."""
        if self.kind == "bbox":
            w, s, e, n = self.bounds
            return f"inside the area {_lon_range(w, e)}, {_lat_range(s, n)}"
        return f"inside a drawn polygon of {self.n_vertices} vertices"


def _deg(v: float) -> str:
    v = abs(v)
    return f"{v:.1f}" if round(v, 1) == v else f"{v:g}"


def _range(low: float, high: float, pos: str, neg: str) -> str:
    """A coordinate span in words, e.g. ``60.5–75°E`` or ``10°W–5°E``."""
    if low >= 0 or high <= 0:
        hemi = pos if low >= 0 else neg
        lo, hi = (low, high) if low >= 0 else (high, low)
        return f"{_deg(lo)}–{_deg(hi)}°{hemi}"
    return f"{_deg(low)}°{neg}–{_deg(high)}°{pos}"


def _lon_range(w: float, e: float) -> str:
    return _range(w, e, "E", "W")


def _lat_range(s: float, n: float) -> str:
    return _range(s, n, "N", "S")


@lru_cache(maxsize=64)
def _shape(aoi: Aoi) -> Polygon:
    geom = Polygon(aoi.vertices)
    shapely.prepare(geom)
    return geom


def bbox_aoi(west: float, south: float, east: float, north: float) -> Aoi:
    """A bounding-box Aoi (validated as :func:`parse_aoi` validates ``aoi=W,S,E,N``)."""
    return parse_aoi(",".join(_num(v) for v in (west, south, east, north)))


def polygon_aoi(lonlats: list[tuple[float, float]] | tuple) -> Aoi:
    """A polygon Aoi from (longitude, latitude) vertices (e.g. a drawn GeoJSON ring),
    rounded to the encoding's 5 decimals and validated as ``aoi=poly:…`` is."""
    try:
        pairs = [(float(lon), float(lat)) for lon, lat in lonlats]
    except (TypeError, ValueError):
        raise _bad(
            str(lonlats)[:60], "the polygon's vertices must be longitude, latitude pairs"
        ) from None
    if len(pairs) > MAX_VERTICES + 1:
        raise _bad(f"{len(pairs)} vertices", f"a polygon may have at most {MAX_VERTICES} vertices")
    for lon, lat in pairs:
        if not (
            math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90
        ):
            raise _bad(f"{lon},{lat}", "a vertex is outside −180…180, −90…90")
    if pairs and pairs[0] != pairs[-1]:
        pairs.append(pairs[0])
    return parse_aoi("poly:" + polyline.encode([(lat, lon) for lon, lat in pairs], _PRECISION))


def parse_aoi(text: str) -> Aoi:
    """Read the value of ``aoi=`` strictly; raises :class:`AoiError` naming what to fix."""
    text = str(text).strip()
    if text.lower().startswith("poly:"):
        return _parse_poly(text, text[5:])
    if len(text) > 120:
        raise _bad(text, "a bounding box is four numbers")
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 4:
        raise _bad(text, f"a bounding box needs 4 numbers, got {len(parts)}")
    try:
        w, s, e, n = (round(float(p), 6) + 0.0 for p in parts)
    except ValueError:
        raise _bad(text, "a bounding box is four numbers") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise _bad(text, "the numbers must be finite")
    if not (-180 <= w <= 180 and -180 <= e <= 180):
        raise _bad(text, "longitudes W and E must be within −180…180")
    if not (-90 <= s <= 90 and -90 <= n <= 90):
        raise _bad(text, "latitudes S and N must be within −90…90")
    if not w < e:
        raise _bad(text, f"W ({_num(w)}) must be less than E ({_num(e)})")
    if not s < n:
        raise _bad(text, f"S ({_num(s)}) must be less than N ({_num(n)})")
    ring = ((w, s), (e, s), (e, n), (w, n), (w, s))
    return Aoi("bbox", ring)


def _parse_poly(text: str, encoded: str) -> Aoi:
    if not encoded:
        raise _bad(text, "poly: needs an encoded polygon after it")
    if len(encoded) > MAX_ENCODED_CHARS:
        raise _bad(text, f"the encoded polygon is longer than {MAX_ENCODED_CHARS} characters")
    if not _POLY_CHARS.fullmatch(encoded):
        raise _bad(text, "an encoded polygon uses only the characters ? to ~")
    try:
        latlons = polyline.decode(encoded, _PRECISION)
    except (IndexError, ValueError):
        raise _bad(text, "the encoded polygon is cut short or damaged") from None
    pairs = [(round(lon, _PRECISION) + 0.0, round(lat, _PRECISION) + 0.0) for lat, lon in latlons]
    if len(pairs) > MAX_VERTICES + 1:
        raise _bad(text, f"a polygon may have at most {MAX_VERTICES} vertices")
    for lon, lat in pairs:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise _bad(text, "a vertex is outside −180…180, −90…90")
    if len(pairs) < 3:
        raise _bad(text, "a polygon needs at least 3 distinct vertices")
    closed = pairs[0] == pairs[-1]
    if not closed:
        pairs.append(pairs[0])
    if len(set(pairs)) < 3:
        raise _bad(text, "a polygon needs at least 3 distinct vertices")
    canonical = polyline.encode([(lat, lon) for lon, lat in pairs], _PRECISION)
    as_given = pairs if closed else pairs[:-1]
    if polyline.encode([(lat, lon) for lon, lat in as_given], _PRECISION) != encoded:
        raise _bad(
            text, "the encoded polygon is not in the standard spelling; encode the vertices again"
        )
    geom = Polygon(pairs)
    if geom.convex_hull.area <= 0:  # every vertex on one line
        raise _bad(text, "the polygon has no area")
    if not shapely.is_simple(geom.exterior) or not geom.is_valid or geom.area <= 0:
        raise _bad(text, "the polygon crosses itself; draw it without crossing edges")
    return Aoi("poly", tuple(pairs), canonical)


# --- which records are inside ----------------------------------------------------------------


@lru_cache(maxsize=1)
def _unit_shapes() -> dict[str, object]:
    from geodata.bundle import load_geography

    units = load_geography().admin1
    return dict(zip(units["iso_3166_2"], units.geometry, strict=True))


def _unit_codes(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple | np.ndarray):
        return tuple(str(v) for v in value)
    return (str(value),) if isinstance(value, str) and value else ()


def aoi_mask(gdf: pd.DataFrame, aoi: Aoi) -> np.ndarray:
    """True for the rows inside ``aoi`` (see the module docstring for point-less rows)."""
    n = len(gdf)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    geoms = np.asarray(gdf.geometry.array if hasattr(gdf, "geometry") else [None] * n, dtype=object)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if located.any():
        rows = np.flatnonzero(located)
        x = shapely.get_x(geoms[rows])
        y = shapely.get_y(geoms[rows])
        w, s, e, nn = aoi.bounds
        near = (x >= w) & (x <= e) & (y >= s) & (y <= nn)
        if aoi.kind == "poly" and near.any():
            idx = np.flatnonzero(near)
            near[idx] = shapely.intersects_xy(aoi.polygon(), x[idx], y[idx])
        keep[rows] = near
    rest = np.flatnonzero(~located)
    if len(rest) and "admin1_for_scoring" in gdf.columns:
        shapes = _unit_shapes()
        area = aoi.polygon()
        hits: dict[str, bool] = {}

        def inside(codes: tuple[str, ...]) -> bool:
            for code in codes:
                if code not in hits:
                    shape = shapes.get(code)
                    hits[code] = bool(shape is not None and area.intersects(shape))
                if hits[code]:
                    return True
            return False

        units = gdf["admin1_for_scoring"].to_numpy(dtype=object)[rest]
        keep[rest] = [inside(_unit_codes(v)) for v in units]
    return keep


def aoi_geojson(aoi: Aoi | None) -> dict | None:
    """The AOI as a GeoJSON geometry dict, or None when there is none."""
    return aoi.geojson() if aoi is not None else None


__all__ = [
    "MAX_ENCODED_CHARS",
    "MAX_VERTICES",
    "Aoi",
    "AoiError",
    "aoi_geojson",
    "aoi_mask",
    "bbox_aoi",
    "parse_aoi",
    "polygon_aoi",
]
