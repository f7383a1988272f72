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
from folium.template import Template

from geodata.context import neighbour_countries, places, unit_label_points
from mapspec import palette
from mapspec.layer_data import LayerData
from mapspec.literal import KnownBounds, LiteralMacro

LABEL_RANKS: tuple[str, ...] = ("capital", "country", "city", "town", "unit")
"""Collision order of the labels, highest first."""
NEIGHBOUR_TOLERANCE_DEG = 0.02

LABEL_CSS = f"""
.atlas-label-anchor {{ background: none; border: none; }}
.atlas-label {{ position: absolute; left: 0; top: 0; pointer-events: none;
  visibility: hidden; font: 11px/1.15 sans-serif; color: {palette.LABEL_COLOUR}; }}
.atlas-label.on {{ visibility: visible; }}
.atlas-label span {{ position: absolute; white-space: nowrap; pointer-events: none;
  text-shadow: -1px -1px 0 {palette.LABEL_HALO}, 1px -1px 0 {palette.LABEL_HALO},
  -1px 1px 0 {palette.LABEL_HALO}, 1px 1px 0 {palette.LABEL_HALO},
  0 0 3px {palette.LABEL_HALO}; }}
.atlas-label-capital span, .atlas-label-city span {{ font-weight: 600; }}
.atlas-label-capital span {{ font-size: 12px; }}
.atlas-label-town span {{ font-size: 10.5px; }}
.atlas-label-country span {{ font-size: 12px; letter-spacing: 0.12em;
  text-transform: uppercase; color: {palette.COUNTRY_LABEL_COLOUR}; }}
.atlas-label-unit span {{ font-size: 10px; font-style: italic; color: #4a4a4a; }}
.atlas-label.dot::before {{ content: ''; position: absolute; left: -3px; top: -3px;
  width: 4px; height: 4px; border-radius: 50%; background: {palette.LABEL_COLOUR};
  border: 1px solid {palette.LABEL_HALO}; }}
.atlas-label-capital.dot::before {{ left: -4px; top: -4px; width: 6px; height: 6px;
  border-radius: 1px; }}
"""


class _ContextFill(KnownBounds, folium.map.Layer, LiteralMacro):
    """The neighbouring countries: a grey fill in a pane under the overlay pane (z 350),
    not interactive and not in the layer control."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var map = {{ this._parent.get_name() }};
            if (!map.getPane('atlas-context')) {
                var pane = map.createPane('atlas-context');
                pane.style.zIndex = 350;
                pane.style.pointerEvents = 'none';
            }
            return L.geoJSON({{ this.data|tojson }}, {
                pane: 'atlas-context', interactive: false,
                style: {{ this.style|tojson }}
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, style: dict):
        super().__init__(name="Neighbouring countries", overlay=True, control=False, show=True)
        self._name = "ContextFill"
        self.data = data
        self.style = style
        self.keep_bounds(None)


class _Labels(KnownBounds, folium.map.Layer, LiteralMacro):
    """Place, country and unit names as non-interactive DivIcon markers in a pane above
    the markers (z 620), placed without overlaps after every zoom and pan."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var d = {{ this.data|tojson }};
            var map = {{ this._parent.get_name() }};
            if (!map.getPane('atlas-labels')) {
                var pane = map.createPane('atlas-labels');
                pane.style.zIndex = 620;
                pane.style.pointerEvents = 'none';
            }
            var group = L.layerGroup(), items = null, pending = false;
            function build() {
                items = d.items.map(function (it) {
                    var rank = d.ranks[it[3]];
                    var root = document.createElement('div');
                    root.className = 'atlas-label atlas-label-' + rank +
                                     (it[5] ? ' dot' : '');
                    var span = document.createElement('span');
                    span.textContent = it[2];
                    root.appendChild(span);
                    L.marker([it[0], it[1]], {
                        icon: L.divIcon({html: root, className: 'atlas-label-anchor',
                                         iconSize: [0, 0]}),
                        interactive: false, keyboard: false, pane: 'atlas-labels'
                    }).addTo(group);
                    return {ll: L.latLng(it[0], it[1]), minZoom: it[4], dot: it[5],
                            root: root, span: span, w: 0, h: 0};
                });
            }
            function overlaps(a, list) {
                for (var i = 0; i < list.length; i++) {
                    var b = list[i];
                    if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) {
                        return true;
                    }
                }
                return false;
            }
            function layout() {
                if (!map.hasLayer(group)) { return; }
                if (items === null) {  // names after the atlas's layers are first painted
                    if (!pending) {
                        pending = true;
                        setTimeout(function () { build(); layout(); }, 0);
                    }
                    return;
                }
                var z = map.getZoom(), size = map.getSize(), taken = [];
                var box0 = map.getContainer().getBoundingClientRect();
                // the legend and the other controls are obstacles: no name under them
                map.getContainer().querySelectorAll('.leaflet-control').forEach(function (c) {
                    var r = c.getBoundingClientRect();
                    if (r.width && r.height) {
                        taken.push([r.left - box0.left, r.top - box0.top,
                                    r.right - box0.left, r.bottom - box0.top]);
                    }
                });
                // the symbols of small units: no name's text over them (a place's own
                // dot may sit on one: Islamabad's dot on the Islamabad unit's ring)
                var rings = [];
                map.getContainer().querySelectorAll('.atlas-small-unit').forEach(function (c) {
                    var r = c.getBoundingClientRect();
                    if (r.width && r.height) {
                        rings.push([r.left - box0.left, r.top - box0.top,
                                    r.right - box0.left, r.bottom - box0.top]);
                    }
                });
                items.forEach(function (it) {  // read every size first: one reflow
                    if (!it.w) { it.w = it.span.offsetWidth; it.h = it.span.offsetHeight; }
                });
                items.forEach(function (it) {
                    var on = false, p = map.latLngToContainerPoint(it.ll);
                    var inside = p.x > -50 && p.y > -20 && p.x < size.x + 50 &&
                                 p.y < size.y + 20;
                    if (z >= it.minZoom && inside && it.w) {
                        // beside the dot; then a little further out, clear of a small
                        // unit's ring around the dot (Islamabad)
                        var w = it.w, h = it.h, spots = [[-w / 2, -h / 2]];
                        if (it.dot) {
                            spots = [];
                            [5, 11].forEach(function (g) {
                                spots.push([g, -h / 2], [-g - w, -h / 2], [-w / 2, -g - h],
                                           [-w / 2, g]);
                            });
                        }
                        for (var k = 0; k < spots.length && !on; k++) {
                            var box = [p.x + spots[k][0] - 1, p.y + spots[k][1] - 1,
                                       p.x + spots[k][0] + w + 1, p.y + spots[k][1] + h + 1];
                            var mark = it.dot ? [p.x - 4, p.y - 4, p.x + 4, p.y + 4] : null;
                            var within = box[0] >= 0 && box[1] >= 0 && box[2] <= size.x &&
                                         box[3] <= size.y;
                            if (within && !overlaps(box, taken) && !overlaps(box, rings) &&
                                    !(mark && overlaps(mark, taken))) {
                                taken.push(box);
                                if (mark) { taken.push(mark); }
                                it.span.style.left = spots[k][0] + 'px';
                                it.span.style.top = spots[k][1] + 'px';
                                on = true;
                            }
                        }
                    }
                    it.root.classList.toggle('on', on);
                });
            }
            map.on('zoomend moveend resize', layout);
            // a control opened or closed (the legend's <details>) frees or covers room
            map.getContainer().addEventListener('toggle', layout, true);
            group.on('add', function () { setTimeout(layout, 0); });
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, name: str = "Place names", show: bool = True):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "Labels"
        self.data = data
        self.css = LABEL_CSS
        self.keep_bounds(None)


class _ShapeMarkers(LiteralMacro):
    """Point markers in the shape of :data:`mapspec.palette.SYMBOLS`: a circle marker whose
    options (its feature's style) name ``atlasShape`` "square" or "diamond" is drawn as
    that shape, with the same SVG path element, class, popup and click area as a circle.
    Fixed script, no data; add it to the map before any layer."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            if (L.SVG.prototype._atlasShapes) { return; }
            var circle = L.SVG.prototype._updateCircle;
            L.SVG.include({
                _atlasShapes: true,
                _updateCircle: function (layer) {
                    var shape = layer.options.atlasShape;
                    if ((shape !== 'square' && shape !== 'diamond') || layer._empty()) {
                        return circle.call(this, layer);
                    }
                    var p = layer._point, r = Math.max(Math.round(layer._radius), 1), d;
                    if (shape === 'square') {
                        r = r * 0.9;
                        d = 'M' + (p.x - r) + ',' + (p.y - r) + 'h' + (2 * r) + 'v' + (2 * r) +
                            'h' + (-2 * r) + 'z';
                    } else {
                        r = r * 1.25;
                        d = 'M' + p.x + ',' + (p.y - r) + 'l' + r + ',' + r + 'l' + (-r) + ',' +
                            r + 'l' + (-r) + ',' + (-r) + 'z';
                    }
                    this._setPath(layer, d);
                }
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "ShapeMarkers"


def add_shape_markers(fmap: folium.Map) -> folium.Map:
    """Let the map draw square and diamond point markers (call before adding layers)."""
    _ShapeMarkers().add_to(fmap)
    return fmap


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
    tests or another gazetteer) replaces the bundled places."""
    items: list[tuple[int, float, list]] = []
    rank_index = {r: i for i, r in enumerate(LABEL_RANKS)}
    for rec in neighbour_countries().itertuples(index=False):
        items.append(
            (
                rank_index["country"],
                0.0,
                [
                    float(rec.label_lat),
                    float(rec.label_lon),
                    str(rec.name),
                    rank_index["country"],
                    int(rec.min_zoom),
                    0,
                ],
            )
        )
    gazetteer = places() if extra_places is None else extra_places
    for rec in gazetteer.itertuples(index=False):
        text = str(getattr(rec, "label", None) or rec.name)
        rank = rank_index.get(str(rec.rank), rank_index["town"])
        items.append(
            (
                rank,
                -float(getattr(rec, "population", 0) or 0),
                [
                    round(rec.geometry.y, 4),
                    round(rec.geometry.x, 4),
                    text,
                    rank,
                    int(rec.min_zoom),
                    1,
                ],
            )
        )
    if admin1 is not None and len(admin1):
        for rec in unit_label_points(admin1).itertuples(index=False):
            items.append(
                (
                    rank_index["unit"],
                    0.0,
                    [
                        round(rec.geometry.y, 4),
                        round(rec.geometry.x, 4),
                        str(rec.name),
                        rank_index["unit"],
                        int(rec.min_zoom),
                        0,
                    ],
                )
            )
    items.sort(key=lambda t: (t[0], t[1]))
    return {"ranks": list(LABEL_RANKS), "items": [t[2] for t in items]}


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
