"""Context for reading the map: neighbouring countries, cities and towns, unit label points.

Pure functions over bundled files (built once by :mod:`geodata.context_build` from the
registry packages named in ``data/PROVENANCE.md``; nothing is fetched at run time). Each
returns a GeoDataFrame in EPSG:4326, cached: treat it as read-only.

Labels are thinned by zoom with a ``min_zoom`` column (the map's default view of
Afghanistan and Pakistan is about zoom 5) and a ``rank`` (capital > city > town > unit),
which the renderers use to settle collisions: a label is hidden where one of a higher rank
is already shown.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.ops import polylabel

from geodata.bundle import data_path

WGS84 = "EPSG:4326"
RANKS: tuple[str, ...] = ("country", "capital", "city", "town", "unit")
"""Label ranks, highest first (a country name outranks everything it contains)."""
DEFAULT_ZOOM = 5
UNIT_MIN_ZOOM, UNIT_MAX_ZOOM = 5, 9
LABEL_CHAR_PX = 6.5  # average width of a character of an 11 px label
COUNTRY_LABEL_MIN_ZOOM = 4
LABEL_BOX = (57.0, 22.0, 80.0, 41.5)
"""Country names are placed inside this lon/lat box (around the atlas's default view)."""


def ascii_label(name: str) -> str:
    """A name without diacritics (``Herāt`` → ``Herat``), as maps in English show it."""
    folded = unicodedata.normalize("NFKD", str(name))
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def neighbour_countries() -> gpd.GeoDataFrame:
    """The countries around Afghanistan and Pakistan (Natural Earth admin-0, clipped to
    the region and simplified): ``iso3``, ``name``, ``label_lon``/``label_lat`` (a point
    inside the clipped shape), ``rank`` and ``min_zoom``, ``geometry``."""
    gdf = pyogrio.read_dataframe(data_path("neighbours.geojson"))
    gdf = gdf.set_crs(WGS84, allow_override=True)
    # the name goes at the most inland point (pole of inaccessibility) of the largest part
    # of the country near Afghanistan and Pakistan, so it shows in the atlas's view
    near = shapely.intersection(gdf.geometry.to_numpy(), shapely.box(*LABEL_BOX))
    points = []
    for geom, whole in zip(near, gdf.geometry, strict=True):
        shape = geom if not shapely.is_empty(geom) else whole
        parts = [p for p in getattr(shape, "geoms", [shape]) if p.geom_type == "Polygon"]
        largest = max(parts, key=lambda p: p.area)
        points.append(polylabel(largest, tolerance=0.05))
    points = np.asarray(points, dtype=object)
    return gpd.GeoDataFrame(
        {
            "iso3": gdf["iso3"].astype(str),
            "name": gdf["name"].astype(str),
            "label_lon": shapely.get_x(points).round(3),
            "label_lat": shapely.get_y(points).round(3),
            "rank": "country",
            "min_zoom": COUNTRY_LABEL_MIN_ZOOM,
        },
        geometry=gdf.geometry.to_numpy(),
        crs=WGS84,
    )


@lru_cache(maxsize=1)
def places() -> gpd.GeoDataFrame:
    """Cities and towns of the region from GeoNames: ``geonameid``, ``name`` (as GeoNames
    spells it), ``label`` (without diacritics), ``country`` (ISO alpha-2),
    ``population``, ``rank`` (capital, city or town) and ``min_zoom`` (capitals and big
    cities at the default zoom, towns when zoomed in), point ``geometry``."""
    frame = pd.read_csv(data_path("places.csv"), dtype={"country": str}, keep_default_na=False)
    frame["label"] = frame["name"].map(ascii_label)
    geometry = gpd.points_from_xy(frame.pop("lon"), frame.pop("lat"), crs=WGS84)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def _fit_zoom(name: str, width_deg: float) -> int:
    """The zoom from which a label of ``name`` is narrower than a unit ``width_deg``
    wide (Web Mercator: 256·2^z px for 360°)."""
    label_px = LABEL_CHAR_PX * len(name) + 8
    if width_deg <= 0:
        return UNIT_MAX_ZOOM
    zoom = math.ceil(math.log2(label_px * 360.0 / (256.0 * width_deg)))
    return max(UNIT_MIN_ZOOM, min(UNIT_MAX_ZOOM, zoom))


def unit_label_points(admin1: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One label point per admin-1 unit (``representative_point()``: always inside the
    polygon) with ``id`` (ISO 3166-2), ``name``, ``rank`` "unit" and the ``min_zoom`` at
    which the name fits across the unit. ``admin1`` is the bundle's admin-1 layer (or a
    scored layer with ``id`` instead of ``iso_3166_2``). Cached by the units' ids, names
    and shapes (bounds and area), so a map can ask for it on every render."""
    ids = admin1["iso_3166_2"] if "iso_3166_2" in admin1.columns else admin1["id"]
    geoms = admin1.geometry.to_numpy()
    shape_key = tuple(
        np.round(np.column_stack([shapely.bounds(geoms), shapely.area(geoms)]), 6).ravel().tolist()
    )
    return _unit_label_points(
        tuple(map(str, ids)), tuple(map(str, admin1["name"])), shape_key, _Geoms(geoms)
    )


class _Geoms:
    """Geometries passed through the cache without being part of its key."""

    def __init__(self, geoms: np.ndarray):
        self.geoms = geoms

    def __hash__(self) -> int:
        return 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Geoms)


@lru_cache(maxsize=8)
def _unit_label_points(
    ids: tuple, names: tuple, shape_key: tuple, geoms: _Geoms
) -> gpd.GeoDataFrame:
    points = gpd.GeoSeries(geoms.geoms, crs=WGS84).representative_point()
    bounds = shapely.bounds(geoms.geoms)
    widths = bounds[:, 2] - bounds[:, 0]
    return gpd.GeoDataFrame(
        {
            "id": list(ids),
            "name": list(names),
            "rank": "unit",
            "min_zoom": [_fit_zoom(n, float(w)) for n, w in zip(names, widths, strict=True)],
        },
        geometry=points.to_numpy(),
        crs=WGS84,
    )
