"""Context layers that make the map readable: neighbouring countries and place names.

- :func:`add_context` adds both to a folium map: the neighbours as a muted grey fill in a
  pane *below* the atlas's layers, the names in a pane *above* them; neither takes a click
  (``interactive: false``, ``pointer-events: none``), so every click still reaches the
  province, segment or record underneath.
- Names are thinned by zoom (``min_zoom``) and, after each zoom or pan, placed greedily by
  rank (capital > country > city > town > unit name): a label goes right, left, above or
  below its place, whichever is free of other names and of the map's controls (legend,
  layer switch, zoom, scale) and of the symbols of small units (a place's own dot may
  sit on a symbol, its name may not); a label that fits nowhere is hidden. Everything
  runs in the browser in a fixed script; the data reaches it only as JSON through
  ``tojson`` and the names become text nodes (``textContent``), never HTML.
  The two map elements (and :func:`add_shape_markers`) are in
  :mod:`mapspec.context_elements`.
- :func:`highlight_route` mutes every CPEC route but one on the corridor page.
- :func:`draw_neighbours` draws the same neighbouring countries on a
  matplotlib axis (the briefing image).

Offline: no tiles, no web fonts (the system's sans-serif).
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

from geodata.context import neighbour_countries, places, unit_label_points
from mapspec import palette
from mapspec.context_elements import LABEL_CSS, _ContextFill, _Labels, add_shape_markers
from mapspec.layer_data import LayerData

__all__ = [
    "LABEL_CSS",
    "LABEL_RANKS",
    "NEIGHBOUR_TOLERANCE_DEG",
    "add_context",
    "add_shape_markers",
    "draw_neighbours",
    "highlight_route",
    "label_items",
    "neighbour_collection",
    "neighbour_countries",
]

LABEL_RANKS: tuple[str, ...] = ("capital", "country", "city", "town", "unit")
"""Collision order of the labels, highest first."""
NEIGHBOUR_TOLERANCE_DEG = 0.02


# --- Data for the browser -------------------------------------------------------------------


@lru_cache(maxsize=2)
def neighbour_collection(tolerance: float = NEIGHBOUR_TOLERANCE_DEG) -> dict:
    """The neighbouring countries as a compact GeoJSON FeatureCollection (no properties:
    the names travel with the labels). Cached: read-only."""
    gdf = neighbour_countries()
    geoms = shapely.simplify(gdf.geometry.to_numpy(), tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda c: np.round(c, 2))
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(g))}
            for g in geoms
            if g is not None and not shapely.is_empty(g)
        ],
    }


def label_items(
    admin1: gpd.GeoDataFrame | None = None, extra_places: gpd.GeoDataFrame | None = None
) -> dict:
    """Every label as ``[lat, lon, text, rank index, min zoom, has a dot]``, sorted by
    rank (then population for places, so a capital is placed before a town), with the
    rank names listed once. ``admin1`` adds the units' names; ``extra_places`` (for
    tests or another gazetteer) replaces the bundled places. The bundled countries and
    places are listed once per process (every map render asks for them)."""
    items = list(_place_items() if extra_places is None else _place_items_of(extra_places))
    if admin1 is not None and len(admin1):
        unit = LABEL_RANKS.index("unit")
        for rec in unit_label_points(admin1).itertuples(index=False):
            items.append(
                (
                    unit,
                    0.0,
                    [
                        round(rec.geometry.y, 4),
                        round(rec.geometry.x, 4),
                        str(rec.name),
                        unit,
                        int(rec.min_zoom),
                        0,
                    ],
                )
            )
    items.sort(key=lambda t: (t[0], t[1]))
    return {"ranks": list(LABEL_RANKS), "items": [list(t[2]) for t in items]}


@lru_cache(maxsize=1)
def _place_items() -> tuple[tuple[int, float, tuple], ...]:
    return _place_items_of(places())


def _place_items_of(gazetteer: gpd.GeoDataFrame) -> tuple[tuple[int, float, tuple], ...]:
    """The neighbours' names and the gazetteer's places as ``(rank, sort key, item)``."""
    rank_index = {r: i for i, r in enumerate(LABEL_RANKS)}
    items: list[tuple[int, float, tuple]] = []
    for rec in neighbour_countries().itertuples(index=False):
        country = rank_index["country"]
        item = (float(rec.label_lat), float(rec.label_lon), str(rec.name), country)
        items.append((country, 0.0, (*item, int(rec.min_zoom), 0)))
    for rec in gazetteer.itertuples(index=False):
        text = str(getattr(rec, "label", None) or rec.name)
        rank = rank_index.get(str(rec.rank), rank_index["town"])
        item = (round(rec.geometry.y, 4), round(rec.geometry.x, 4), text, rank)
        items.append(
            (rank, -float(getattr(rec, "population", 0) or 0), (*item, int(rec.min_zoom), 1))
        )
    return tuple(items)


def add_context(
    fmap: folium.Map,
    admin1: gpd.GeoDataFrame | None = None,
    extra_places: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Add the neighbours (below) and the labels (above) to a map. Call it before the
    atlas's layers are added if the neighbours should be first in the page; their panes
    keep them below / above the atlas's layers either way."""
    _ContextFill(
        neighbour_collection(),
        {
            "color": palette.NEIGHBOUR_OUTLINE,
            "weight": 0.8,
            "fillColor": palette.NEIGHBOUR_FILL,
            "fillOpacity": 1.0,
        },
    ).add_to(fmap)
    _Labels(label_items(admin1, extra_places)).add_to(fmap)
    return fmap


def highlight_route(layer: LayerData, route_id: str) -> LayerData:
    """The CPEC segment layer with one route highlighted (band colours, wider, on a dark
    casing) and the others muted grey and thin, drawn under it. Returns a new LayerData
    (``layer`` is cached and shared, so it is not changed)."""
    data = copy.deepcopy(layer.data)
    chosen, others = [], []
    for feature in data["features"]:
        seg_id = str(feature["properties"].get("id", ""))
        if seg_id.rsplit("-", 1)[0] == route_id:
            feature["properties"]["style"] = {
                **feature["properties"].get("style", {}),
                "weight": 8,
                "opacity": 1.0,
            }
            chosen.append(feature)
        else:
            feature["properties"]["style"] = {
                "color": palette.MUTED_ROUTE_COLOUR,
                "weight": 3,
                "opacity": 0.8,
            }
            others.append(feature)
    # a dark casing under the chosen route sets it apart, even where its band colour is
    # the grey of "insignificant" (casings carry no popup, id or class)
    casing = [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {
                "style": {"color": palette.ROUTE_CASING_COLOUR, "weight": 12, "opacity": 0.9}
            },
        }
        for f in chosen
    ]
    data["features"] = others + casing + chosen
    bounds = layer.bounds
    if chosen:
        geoms = [shapely.geometry.shape(f["geometry"]) for f in chosen]
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(geoms, dtype=object))
        bounds = [[float(y0), float(x0)], [float(y1), float(x1)]]
    return dataclasses.replace(layer, data=data, bounds=bounds)


# --- Briefing (matplotlib) ------------------------------------------------------------------

Projector = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def draw_neighbours(
    ax: Any,
    project_geoms: Callable[[np.ndarray], np.ndarray],
    path_of: Callable[[Any], Any],
    zorder: float = 0.3,
) -> None:
    """The neighbouring countries as a grey fill on a matplotlib axis. ``project_geoms``
    maps lon/lat shapely geometries to the axis's coordinates; ``path_of`` turns one
    geometry into a matplotlib Path (the briefing's own helpers)."""
    from matplotlib.collections import PathCollection

    geoms = project_geoms(neighbour_countries().geometry.to_numpy())
    paths = [path_of(g) for g in geoms if g is not None and not shapely.is_empty(g)]
    ax.add_collection(
        PathCollection(
            paths,
            facecolors=palette.NEIGHBOUR_FILL,
            edgecolors=palette.NEIGHBOUR_OUTLINE,
            linewidths=0.5,
            zorder=zorder,
            gid="neighbours",
        ),
        autolim=False,
    )
