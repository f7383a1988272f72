"""The interactive map: a pure function of a :class:`~mapspec.resolved.ResolvedMap`.

Offline by construction: no tile layer (the bundled vector layers are the basemap) and
every JS/CSS file is served locally (see :mod:`mapspec.offline`). Geometry sent to the
browser is simplified and rounded for display only (about 1 km / 11 m); exports keep the
full geometry. Many points are drawn as grid aggregates (or a heat layer) instead of one
marker each, and the map says so.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import folium
import folium.elements
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from geodata.spatial import has_geometry
from mapspec import palette, popups, style
from mapspec.resolved import ResolvedMap

DISPLAY_TOLERANCE_DEG = 0.01
COORD_DECIMALS = 4
AREA_DECIMALS = 3  # ~100 m: finer than the 1 km display simplification
_STYLE_INPUTS = ("fill", "stroke", "r")
# folium.Map also loads jQuery, Bootstrap (JS and CSS), Glyphicons, Font Awesome and
# Awesome Markers, none of which this map uses; the browser fetches and parses about
# 0.5 MB less without them. Nor does it need the marker-icon path fix of mapspec.offline:
# every point is a circle marker, none an image icon (st_folium loads scripts one after
# another, so each script left out is a round trip less before the map is drawn).
_MAP_JS = ("leaflet",)
_MAP_CSS = ("leaflet_css",)
AGGREGATE_CELL_DEG = 0.25
MAX_ZOOM = 12

_BIND = JsCode(
    """function(feature, layer) {
        var p = feature.properties;
        if (p.cls) { layer.options.className = p.cls; }
        if (p.popup) {
            // written once per map: the notes (what a score means, window.atlasNotes) and
            // the contributors of the CPEC segments (window.atlasTop)
            layer.bindPopup(function () {
                var notes = window.atlasNotes || {}, text = p.popup;
                if (p.top && window.atlasTop) { text += window.atlasTop(p.top); }
                return p.note && notes[p.note] ? text + notes[p.note] : text;
            }, {maxWidth: 380});
        }
        if (p.tip) { layer.bindTooltip(p.tip, {sticky: true}); }
    }"""
)


class _Rendered(Element):
    """Text a macro has already rendered, inserted into the page as it is.

    branca's ``MacroElement.render`` wraps each macro's output in ``Element(text)``, which
    compiles that output as a *new* Jinja2 template: record text that reached the output
    (as JSON through ``tojson``) was then parsed as template source, so ``{{ 7*7 }}`` in a
    summary became ``49``, ``{% if %}`` crashed the map and ``{{ cycler... }}`` ran Python.
    This element is never compiled."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Rendered"
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _LiteralMacro(MacroElement):
    """A MacroElement whose macro output is added to the figure as literal text
    (:class:`_Rendered`), never compiled again. Every element :func:`build_map` adds
    derives from it, listed *after* the folium class (``class X(folium.GeoJson,
    _LiteralMacro)``) so folium's own ``render`` steps run and this ``render`` takes the
    place of ``MacroElement.render`` at the end of the chain. Data reaches the page only
    through ``tojson`` in the elements' fixed templates."""

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map element can only be rendered inside a Figure")
        module = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = module.get(part)
            if macro is not None:
                target.add_child(_Rendered(str(macro(self, kwargs))), name=self.get_name())
        for name, element in list(self._children.items()):
            if type(element) is folium.elements.ElementAddToElement:
                # folium's Layer.render adds this child (``layer.addTo(map)``): same text,
                # rendered literally
                element = _ElementAddToElement(element.element_name, element.element_parent_name)
                self.add_child(element, name=name)
            element.render(**kwargs)


class _Map(folium.Map, _LiteralMacro):
    pass


class _LayerControl(folium.LayerControl, _LiteralMacro):
    pass


class _FeatureGroup(folium.FeatureGroup, _LiteralMacro):
    pass


class _HeatMap(folium.plugins.HeatMap, _LiteralMacro):
    pass


class _FitBounds(folium.map.FitBounds, _LiteralMacro):
    pass


class _ElementAddToElement(folium.elements.ElementAddToElement, _LiteralMacro):
    pass


class _HtmlControl(_LiteralMacro):
    """A Leaflet control showing fixed HTML (built and escaped in Python)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
            div.innerHTML = {{ this.html|tojson }};
            div.style.background = 'rgba(255,255,255,0.92)';
            div.style.padding = '6px 8px';
            div.style.font = '11px/1.3 sans-serif';
            div.style.borderRadius = '4px';
            div.style.maxWidth = '236px';
            div.style.maxHeight = '60vh';
            div.style.overflowY = 'auto';
            var size = map.getSize(), details = div.querySelector('details');
            if (details && (size.x < 900 || size.y < 480)) { details.open = false; }
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {{ this._parent.get_name() }}.getContainer().style.background = '#eef2f5';
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str, css_class: str):
        super().__init__()
        self._name = "HtmlControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class


SMALL_UNIT_PX = 28
"""A unit gets a clickable symbol while its drawn size is below this: the side of a square
of the unit's area, in screen pixels at the current zoom, under 28 px. At the default view
(zoom about 5.5, ~2.9 km a pixel) that is every unit under about 6,500 km²: Islamabad
(866 km², ~10 px), Kapisa, Panjshir, Laghman, Khost, Kabul (4,420 km², ~23 px), Logar,
Kunar, Paktia and Parwan; zoomed in, the symbols go as the units grow."""


class _MapBehaviour(_LiteralMacro):
    """What the map does beyond Leaflet's defaults, in one fixed script (data only as JSON
    through ``tojson``). It belongs to the base map, which stays in the browser from one
    playback frame to the next; each frame's layers end with a :class:`_FrameData` that
    hands this script the frame's part (``window.atlasFrame``):

    - the popup notes (what a score means), written once: ``window.atlasNotes``;
    - a clickable symbol (a ring in the band colour, in a pane above every marker) at the
      representative point of each unit drawn smaller than :data:`SMALL_UNIT_PX`; it opens
      the unit's own popup (the polygon's popup, opened at the symbol); rebuilt per frame
      (the band colours change);
    - the legend's entries and sentence, per frame (the fold state the user chose stays);
    - a record popup's "Open its popup" link opens the unit's popup;
    - the "Records located in …" link is made absolute against the app's page (the map runs
      in an iframe: a relative link would resolve against the iframe's address). It opens
      in a new tab: Streamlit's component iframe is sandboxed without
      ``allow-top-navigation``, so ``target="_top"`` is blocked; a new tab is allowed
      (``allow-popups``) and keeps the map as the analyst left it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var d = {{ this.data|tojson }};
            var frame = {records: [], units: []}, areas = null, byId = {}, points = {};
            var symbols = [];
            window.atlasNotes = d.notes;
            window.atlasTop = function (top) {  // [[record index, share %], ...]
                return "<div class='ap-h'>" + d.topTitle + '</div><ol>' +
                    top.map(function (t) {
                        var r = frame.records[t[0]];  // escaped HTML: [id, date, title]
                        return "<li><span class='ap-sh'>" + (t[1] < 1 ? '&lt;1' : t[1]) +
                               ' %</span> ' +
                               r[1] + ' · ' + r[2] +
                               " <span class='ap-id'>(" + r[0] + ')</span></li>';
                    }).join('') + '</ol>';
            };
            if (!map.getPane('atlas-units')) {
                var pane = map.createPane('atlas-units');
                pane.style.zIndex = 450;  // above the overlay pane's markers (400)
            }
            // the symbols' renderer joins the map now, before the place names: on each
            // zoom and move it is updated before the names look where the symbols are
            var renderer = L.svg({pane: 'atlas-units'});
            map.addLayer(renderer);
            function openUnit(id, latlng) {
                var layer = byId[id];
                if (!layer) { return false; }
                map.closePopup();
                layer.openPopup(latlng || points[id]);
                return true;
            }
            window.atlasOpenUnit = openUnit;
            function update() {
                var z = map.getZoom(), shown = areas && map.hasLayer(areas);
                symbols.forEach(function (m) {
                    var u = m.atlasUnit;
                    var metres = 40075016.686 * Math.cos(u[0] * Math.PI / 180) /
                                 (256 * Math.pow(2, z));
                    var small = Math.sqrt(u[3] * 1e6) / metres < d.smallPx;
                    if (shown && small && !map.hasLayer(m)) { m.addTo(map); }
                    if (!(shown && small) && map.hasLayer(m)) { map.removeLayer(m); }
                });
            }
            function symbol(u) {
                var layer = byId[u[2]];
                if (!layer) { return null; }
                var p = layer.feature.properties;
                // a dot in the unit's band colour in a white and a dark ring (a target, not
                // an incident); smaller for units of the lowest band
                var r = u[4] ? 6 : 4;
                var group = L.featureGroup([
                    L.circleMarker([u[0], u[1]], {
                        pane: 'atlas-units', renderer: renderer, radius: r + 2.5,
                        weight: 1.5, color: d.ring,
                        fill: true, fillColor: '#ffffff', fillOpacity: 1,
                        className: 'atlas-small-unit unit-' + u[2], bubblingMouseEvents: false
                    }),
                    L.circleMarker([u[0], u[1]], {
                        pane: 'atlas-units', renderer: renderer, radius: r, weight: 0,
                        interactive: false,
                        fillColor: p.style && p.style.fillColor, fillOpacity: 1,
                        className: 'atlas-small-unit-dot'
                    })
                ]);
                if (p.tip) { group.bindTooltip(p.tip, {direction: 'top', offset: [0, -8]}); }
                group.on('click', function (e) { openUnit(u[2], e.latlng); });
                group.atlasUnit = u;
                return group;
            }
            function legend(html) {
                var div = map.getContainer().querySelector('.atlas-legend');
                if (!div) { return; }
                var before = div.querySelector('details'), open = before && before.open;
                div.innerHTML = html;
                var details = div.querySelector('details'), size = map.getSize();
                if (details && before) {
                    details.open = open;  // as the user left it
                } else if (details && (size.x < 900 || size.y < 480)) {
                    details.open = false;
                }
            }
            // one playback frame: its units (in the layer group ``group``), its
            // contributors, its legend; ``hidden``: its groups not shown at first
            window.atlasFrame = function (group, f, hidden) {
                symbols.forEach(function (m) { if (map.hasLayer(m)) { map.removeLayer(m); } });
                frame = f;
                areas = group;
                byId = {};
                points = {};
                (function walk(g) {
                    if (!g) { return; }
                    g.eachLayer(function (l) {
                        if (l.feature && l.feature.properties) {
                            byId[l.feature.properties.id] = l;
                        } else if (l.eachLayer) { walk(l); }
                    });
                })(group);
                f.units.forEach(function (u) { points[u[2]] = L.latLng(u[0], u[1]); });
                symbols = f.units.map(symbol).filter(function (s) { return s; });
                legend(f.legend);
                // the rest of the frame's script runs first: streamlit-folium adds every
                // group of a frame to the map (the hidden ones come off again here) and
                // keeps them to take off at the next frame (only this frame's are kept)
                Promise.resolve().then(function () {
                    (hidden || []).forEach(function (g) { map.removeLayer(g); });
                    if (window.feature_group && f.groups) {
                        window.feature_group = window.feature_group.slice(-f.groups);
                    }
                    update();
                    // the place names make room for the new legend and symbols, once
                    // Leaflet has placed the symbols' layer (after this task)
                    setTimeout(function () {
                        map.getContainer().dispatchEvent(new Event('toggle'));
                    }, 0);
                });
            };
            map.on('zoomend overlayadd overlayremove', update);
            map.getContainer().addEventListener('click', function (e) {
                var a = e.target.closest && e.target.closest('a.atlas-open-area');
                if (!a) { return; }
                e.preventDefault();
                e.stopPropagation();
                openUnit(a.getAttribute('data-area'));
            });
            map.on('popupopen', function (e) {
                var el = e.popup.getElement();
                if (!el) { return; }
                el.querySelectorAll('a.atlas-records').forEach(function (a) {
                    try {
                        a.href = new URL(a.getAttribute('data-records'),
                                         window.top.location.href).href;
                    } catch (err) { /* another origin: keep the relative link */ }
                });
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict):
        super().__init__()
        self._name = "MapBehaviour"
        self.data = data


class _FrameData(_LiteralMacro):
    """The end of one frame's layers: hands the base map's script (:class:`_MapBehaviour`)
    the frame's units, contributors and legend, the group of its areas and its groups not
    shown at first (variables of the same script, by name as folium refers to a parent)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.atlasFrame(
            {{ this.areas.get_name() if this.areas is not none else 'null' }},
            {{ this.data|tojson }},
            [{% for g in this.hidden %}{{ g.get_name() }}{{ ', ' if not loop.last }}{% endfor %}]);
        {% endmacro %}
        """
    )

    def __init__(self, areas, hidden: list, data: dict):
        super().__init__()
        self._name = "FrameData"
        self.areas = areas
        self.hidden = hidden
        self.data = data


def small_unit_data(areas: gpd.GeoDataFrame) -> list[list]:
    """Every unit as ``[lat, lon, id, area km², above the lowest band (0/1)]``: its
    representative point (inside the polygon) and its equal-area size, from which the
    browser decides at each zoom whether the unit is drawn too small to click
    (:data:`SMALL_UNIT_PX`)."""
    if areas.empty:
        return []
    geoms = areas.geometry
    km2 = geoms.to_crs("EPSG:6933").area.to_numpy() / 1e6
    points = geoms.representative_point()
    lowest = palette.BANDS[0].name
    banded = (
        (areas["band"].astype(str) != lowest).to_numpy()
        if "band" in areas
        else np.zeros(len(areas), bool)
    )
    return [
        [round(float(pt.y), 4), round(float(pt.x), 4), str(i), round(float(a), 1), int(b)]
        for pt, i, a, b in zip(points, areas["id"], km2, banded, strict=True)
        if pt is not None and not pt.is_empty
    ]


def _round_coords(geoms: np.ndarray, decimals: int = COORD_DECIMALS) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _display_geoms(gdf: gpd.GeoDataFrame, simplify: bool) -> np.ndarray:
    geoms = gdf.geometry.to_numpy()
    if simplify:
        geoms = shapely.simplify(geoms, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        return _round_coords(geoms, AREA_DECIMALS)
    return _round_coords(geoms)


def _features(geoms: np.ndarray, props: list[dict]) -> tuple[dict, list | None]:
    """A FeatureCollection (features without geometry left out) and its bounds
    ``[[south, west], [north, east]]`` (None when empty)."""
    feats, kept = [], []
    for geom, prop in zip(geoms, props, strict=True):
        if geom is None or shapely.is_empty(geom):
            continue
        kept.append(geom)
        feats.append(
            {
                "type": "Feature",
                "properties": prop,
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    bounds = None
    if kept:
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(kept, dtype=object))
        bounds = [[float(y0), float(x0)], [float(y1), float(x1)]]
    return {"type": "FeatureCollection", "features": feats}, bounds


def _records(gdf: gpd.GeoDataFrame) -> list[dict]:
    return gdf.drop(columns="geometry").to_dict(orient="records")


def _css_id(feature: dict) -> str:
    """A CSS class naming the feature (``rec-<id>``), so tests and users can find it."""
    return "rec-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(feature["properties"].get("id", "")))


@dataclass(frozen=True)
class LayerData:
    """One map layer, ready to draw: styled, escaped GeoJSON, or grid cells / heat
    coordinates in compact arrays.

    Building these is the expensive part of a map, so :func:`map_layers` is separate from
    :func:`build_map` and its result can be cached per resolved view. Treat ``data`` as
    read-only: the same object may be drawn by several sessions.
    """

    key: str  # the MapSpec layer it belongs to (visibility)
    name: str  # label in the layer control
    css_class: str  # atlas-<css_class> on every drawn feature
    data: dict | list  # FeatureCollection; grid: {"cells", "colours", "actors"}; heat: [[lat, lon]]
    bounds: list | None  # [[south, west], [north, east]]
    marker: dict | None = None  # points: circle markers, with this style for all of them
    kind: str = "geojson"  # or "grid", "heat"
    records: list | None = None
    """Contributors' lines listed once for the layer (``[id, date, title]``, escaped HTML):
    a feature's ``top`` property lists ``[index, share %]`` into it (CPEC segments)."""


def _styled(
    key: str,
    name: str,
    css_class: str,
    collection: tuple[dict, list | None],
    style_fn,
    marker: dict | None = None,
    record_class: bool = True,
) -> LayerData:
    """Per-feature style travels in ``properties.style``: folium's own ``style_function``
    writes a JavaScript switch over every feature id, which doubles the payload; Leaflet
    reads the style from the feature instead. Points carry only what differs between
    them; the rest is the circle markers' common style (``marker``). ``record_class``
    gives each feature the class ``rec-<id>`` (records and areas, not grid cells)."""
    data, bounds = collection
    for feature in data["features"]:
        feature["properties"]["style"] = style_fn(feature)
        for prop in _STYLE_INPUTS:  # inputs of the style, not needed in the browser
            feature["properties"].pop(prop, None)
        if record_class:
            feature["properties"]["cls"] = f"atlas-{css_class} {_css_id(feature)}"
    if marker is not None:
        marker = {**marker, "class_name": f"atlas-{css_class}"}
    return LayerData(key, name, css_class, data, bounds, marker=marker)


def _unit_kind(area_id: object) -> str:
    return "Afghan province" if str(area_id).startswith("AF") else "Pakistani admin-1 unit"


def _contributions(resolved: ResolvedMap, level: str) -> dict:
    if resolved.risk is None:
        return {}
    return popups.top_contributions(
        resolved.risk, level, title_frames=(resolved.layer("incidents"), resolved.layer("threats"))
    )


def _areas_layer(resolved: ResolvedMap) -> LayerData:
    areas = resolved.layer("areas")
    recs = _records(areas)
    top = _contributions(resolved, "province")
    props = [
        {
            "id": r["id"],
            "fill": style.band_colour(r.get("band")),
            "note": "area",
            "popup": popups.area_popup(
                r,
                _unit_kind(r["id"]),
                top.get(str(r["id"]), []),
                popups.records_href(resolved.spec, str(r["id"])),
            ),
            "tip": f"{style.esc(r.get('name'))}: {popups.band_words(r)}",
        }
        for r in recs
    ]
    return _styled(
        "areas",
        "Risk by province / admin-1",
        "area",
        _features(_display_geoms(areas, simplify=True), props),
        lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": 0.7,
        },
    )


def _segments_layer(resolved: ResolvedMap) -> LayerData:
    seg = resolved.layer("segments")
    recs = _records(seg)
    top = _contributions(resolved, "segment")
    records, index = popups.contributor_table(top)
    props = [
        {
            "id": r["id"],
            "stroke": style.band_colour(r.get("band")),
            "note": "near",
            "popup": popups.segment_popup(r, []),
            "top": [[index[c.id], round(100 * c.share)] for c in top.get(str(r["id"]), [])],
            "tip": f"{style.esc(r.get('id'))}: {style.esc(r.get('band'))}",
        }
        for r in recs
    ]
    layer = _styled(
        "corridors",
        "CPEC corridors (schematic), risk by segment",
        "segment",
        _features(_round_coords(seg.geometry.to_numpy()), props),
        lambda f: {"color": f["properties"]["stroke"], "weight": 5, "opacity": 0.95},
    )
    for feature in layer.data["features"]:
        if not feature["properties"]["top"]:
            del feature["properties"]["top"]
    return replace(layer, records=records)


def _border_layer(resolved: ResolvedMap) -> LayerData:
    border = resolved.layer("border")
    props = [
        {
            "id": "border",
            "tip": "Af-Pak border (Durand Line), generalised",
            "popup": style.table_html(
                style.esc("Afghanistan–Pakistan border"),
                [
                    ("Line length", f"{float(r['length_km']):,.0f} km (generalised)"),
                    ("Usually given", f"about {float(r['reference_length_km']):,.0f} km"),
                ],
            ),
        }
        for r in _records(border)
    ]
    return _styled(
        "border",
        "Af-Pak border",
        "border",
        _features(_display_geoms(border, simplify=True), props),
        lambda f: {"color": style.BORDER_COLOUR, "weight": 2.5, "dashArray": "6 4"},
    )


def _sites_layer(resolved: ResolvedMap) -> LayerData:
    sites = resolved.layer("sites")
    top = _contributions(resolved, "site")
    props = [
        {
            "id": r["id"],
            "fill": style.band_colour(r.get("band")),
            "note": "near",
            "popup": popups.area_popup(
                r, f"Sensitive site ({r.get('asset_type', '')})", top.get(str(r["id"]), [])
            ),
            "tip": f"{style.esc(r.get('name'))}: {style.esc(r.get('band'))}",
        }
        for r in _records(sites)
    ]
    return _styled(
        "sites",
        "Sensitive sites (risk)",
        "site",
        _features(_round_coords(sites.geometry.to_numpy()), props),
        lambda f: {"fillColor": f["properties"]["fill"], **palette.web_marker_style("sites")},
        marker={
            "color": style.SITE_OUTLINE,
            "weight": 2,
            "fill": True,
            "fill_opacity": 0.95,
            "radius": 6,
        },
    )


def _area_lines(resolved: ResolvedMap) -> dict[str, str]:
    """Unit id → the last line of a record's popup: the unit it lies in, its score in words
    and a link that opens the unit's own popup.

    Incidents and threat records are drawn above the units and take the clicks on them (a
    unit under a cluster of circles, like Kabul, could not be clicked). Rather than let
    clicks fall through the markers (then a marker's own popup could not be opened where it
    overlaps a unit) or shrink the markers' click area (the severity sizes would lie), each
    record's popup offers its unit's popup: both are one click away. Small units also get
    a symbol above the markers (:class:`_SmallUnits`)."""
    if not resolved.visible("areas"):
        return {}
    areas = resolved.layer("areas")
    lines = {}
    for r in _records(areas):
        words = popups.band_words(r)
        lines[str(r["id"])] = (
            f"<div class='ap-area'>In {style.esc(r.get('name'))}: {words}. <a href='#' "
            f"class='atlas-open-area' data-area='{style.esc(r['id'])}'>Open its popup</a>"
            "</div>"
        )
    return lines


def _threats_layer(resolved: ResolvedMap) -> LayerData:
    threats = resolved.layer("threats")
    pts = threats[has_geometry(threats)]
    area_lines = _area_lines(resolved)
    props = [
        {
            "id": r["id"],
            "popup": style.threat_popup(r) + area_lines.get(r.get("admin1"), ""),
            "tip": f"Threat {style.esc(r.get('id'))}: {style.esc(r.get('threat_type'))}",
        }
        for r in _records(pts)
    ]
    return _styled(
        "threats",
        "Threat records (with a location)",
        "threat",
        _features(_round_coords(pts.geometry.to_numpy()), props),
        lambda f: palette.web_marker_style("threats"),
        marker={
            "fill_color": style.THREAT_COLOUR,
            "color": "#444444",
            "weight": 2,
            "dash_array": "3 2",
            "fill": True,
            "fill_opacity": 0.9,
            "radius": 7,
        },
    )


def _incident_points(resolved: ResolvedMap, incidents: gpd.GeoDataFrame) -> LayerData:
    area_lines = _area_lines(resolved)
    colours = style.point_colours(incidents, resolved.spec.colour_by)
    radius = style.point_radius(style.severity(incidents))
    props = [
        {
            "id": r["id"],
            "fill": c,
            "r": round(float(rad), 1),
            "popup": style.incident_popup(r) + area_lines.get(r.get("admin1"), ""),
            "tip": (
                f"{style.esc(r.get('date'))} · {style.esc(r.get('actor_canonical'))} · "
                f"{style.esc(r.get('place') or r.get('province'))}"
            ),
        }
        for r, c, rad in zip(_records(incidents), colours, radius, strict=True)
    ]
    return _styled(
        "incidents",
        "Incidents",
        "incident",
        _features(_round_coords(incidents.geometry.to_numpy()), props),
        lambda f: {"fillColor": f["properties"]["fill"], "radius": f["properties"]["r"]},
        marker={"color": "#ffffff", "weight": 1, "fill": True, "fill_opacity": 0.85},
    )


def aggregate_points(
    incidents: gpd.GeoDataFrame, cell_deg: float = AGGREGATE_CELL_DEG
) -> pd.DataFrame:
    """Incidents counted per grid cell of ``cell_deg`` degrees (centre lon/lat, count,
    deaths, most frequent canonical actor)."""
    pts = incidents[has_geometry(incidents)]
    if pts.empty:
        return pd.DataFrame(columns=["lon", "lat", "count", "deaths", "top_actor"])
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    frame = pd.DataFrame(
        {
            "cx": np.floor(x / cell_deg).astype(np.int64),
            "cy": np.floor(y / cell_deg).astype(np.int64),
            "deaths": pd.to_numeric(pts["fatalities"], errors="coerce").fillna(0).to_numpy(),
            "actor": pts["actor_canonical"].to_numpy(),
        }
    )
    grouped = frame.groupby(["cx", "cy"], sort=False)
    out = grouped.agg(count=("deaths", "size"), deaths=("deaths", "sum")).reset_index()
    top = (
        frame.groupby(["cx", "cy", "actor"], sort=False)
        .size()
        .reset_index(name="n")
        .sort_values("n", ascending=False)
        .drop_duplicates(["cx", "cy"])
    )
    out = out.merge(top[["cx", "cy", "actor"]], on=["cx", "cy"], how="left")
    out["lon"] = (out["cx"] + 0.5) * cell_deg
    out["lat"] = (out["cy"] + 0.5) * cell_deg
    return out.rename(columns={"actor": "top_actor"})[
        ["lon", "lat", "count", "deaths", "top_actor"]
    ]


def _incident_aggregate(incidents: gpd.GeoDataFrame) -> LayerData:
    """Grid cells as compact arrays (a GeoJSON feature per cell is about five times the
    size): ``[lat, lon, radius, colour index, incidents, deaths, actor index]``, with the
    colours and the (escaped) actor names listed once."""
    cells = aggregate_points(incidents)
    actors = sorted({str(a) for a in cells["top_actor"]})
    colours = sorted({style.ACTOR_COLOURS.get(a, style.FALLBACK_COLOUR) for a in actors})
    actor_index = {a: i for i, a in enumerate(actors)}
    colour_index = {c: i for i, c in enumerate(colours)}
    rows = [
        [
            round(float(c.lat), 4),
            round(float(c.lon), 4),
            round(float(radius), 1),
            colour_index[style.ACTOR_COLOURS.get(str(c.top_actor), style.FALLBACK_COLOUR)],
            int(c.count),
            int(c.deaths),
            actor_index[str(c.top_actor)],
        ]
        for c, radius in zip(
            cells.itertuples(index=False), style.cell_radius(cells["count"]), strict=True
        )
    ]
    bounds = None
    if rows:
        lats, lons = [r[0] for r in rows], [r[1] for r in rows]
        bounds = [[min(lats), min(lons)], [max(lats), max(lons)]]
    data = {"cells": rows, "colours": colours, "actors": [style.esc(a) for a in actors]}
    return LayerData(
        "incidents", f"Incidents (grid of {AGGREGATE_CELL_DEG}°)", "cell", data, bounds, kind="grid"
    )


def _incident_heat(incidents: gpd.GeoDataFrame) -> LayerData:
    pts = incidents[has_geometry(incidents)]
    coords = np.round(np.column_stack([pts.geometry.y, pts.geometry.x]), 3)
    bounds = None
    if len(coords):
        bounds = [coords.min(axis=0).tolist(), coords.max(axis=0).tolist()]
    return LayerData("incidents", "Incidents (heat)", "heat", coords.tolist(), bounds, kind="heat")


def _incidents_layer(resolved: ResolvedMap) -> LayerData:
    """Incidents as points, grid cells or heat according to the resolved point mode."""
    incidents = resolved.layer("incidents")
    if resolved.point_mode == "heat":
        return _incident_heat(incidents)
    if resolved.point_mode == "aggregate":
        return _incident_aggregate(incidents)
    return _incident_points(resolved, incidents)


def map_layers(resolved: ResolvedMap) -> tuple[LayerData, ...]:
    """Every layer of the map in drawing order (areas at the bottom, incidents on top), each
    built by its :mod:`mapspec.layers` entry's ``folium_builder``; a layer that costs a
    computation (forecast, hot spots) only when it is shown."""
    from mapspec import layers as registry

    return tuple(
        registry.function(layer.folium_builder)(resolved)
        for layer in registry.LAYERS
        if layer.build_when_hidden or resolved.visible(layer.id)
    )


class _KnownBounds:
    """A layer whose bounds are given (:meth:`_keep_bounds`): folium otherwise walks every
    coordinate in Python each time the map is rendered."""

    def _keep_bounds(self, bounds: list | None) -> None:
        self._known_bounds = bounds or [[None, None], [None, None]]

    def _get_self_bounds(self) -> list:
        return self._known_bounds


class _GeoJson(_KnownBounds, folium.GeoJson, _LiteralMacro):
    def __init__(self, data: dict, bounds: list | None, **kwargs):
        super().__init__(data, **kwargs)
        self._keep_bounds(bounds)


class _GridCells(_KnownBounds, folium.map.Layer, _LiteralMacro):
    """Incident grid cells drawn from compact arrays as circle markers; the tooltip text is
    put together in the browser from numbers and the escaped actor names. (SVG like the
    other layers: a canvas would draw the cells a little faster but, lying on top, would
    take the clicks meant for the provinces underneath.)"""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function () {
            var d = {{ this.data|tojson }};
            var group = L.featureGroup();
            d.cells.forEach(function (c) {
                L.circleMarker([c[0], c[1]], {
                    radius: c[2], fillColor: d.colours[c[3]],
                    color: '#ffffff', weight: 1, fill: true, fillOpacity: 0.8,
                    className: 'atlas-cell'
                }).bindTooltip(
                    c[4].toLocaleString('en') + ' incidents, ' +
                    c[5].toLocaleString('en') + ' killed; most often ' + d.actors[c[6]],
                    {sticky: true}
                ).addTo(group);
            });
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, bounds: list | None, name: str, show: bool):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GridCells"
        self.data = data
        self._keep_bounds(bounds)


def _folium_layer(layer: LayerData, show: bool):
    if layer.kind == "grid":
        return _GridCells(layer.data, layer.bounds, name=layer.name, show=show)
    if layer.kind == "heat":
        group = _FeatureGroup(name=layer.name, show=show)
        _HeatMap(layer.data, radius=12, blur=15, min_opacity=0.3).add_to(group)
        return group
    return _GeoJson(
        layer.data,
        layer.bounds,
        name=layer.name,
        show=show,
        marker=folium.CircleMarker(**layer.marker) if layer.marker is not None else None,
        on_each_feature=_BIND,
        smooth_factor=1.0,
    )


def build_base_map(resolved: ResolvedMap, height_px: int = 640) -> folium.Map:
    """What a map keeps from one playback frame to the next: the map itself, framed on
    the view, the shape markers, the behaviour script, the neighbours and place names,
    the legend's box and the fit to the view. Nothing here depends on the frame, so the
    page can send a new frame's layers (:func:`frame_layers`) to the map the browser
    already shows instead of drawing a new one."""
    x0, y0, x1, y1 = resolved.bounds
    fmap = _Map(
        location=[(y0 + y1) / 2, (x0 + x1) / 2],
        zoom_start=5,
        tiles=None,
        maxZoom=MAX_ZOOM,  # camelCase: folium 0.20 drops max_zoom when tiles=None
        minZoom=3,
        zoomSnap=0.25,  # fit the view closely (whole zoom steps leave AF/PK small)
        prefer_canvas=False,
        control_scale=True,
        height=height_px,
    )
    fmap.default_js = [item for item in type(fmap).default_js if item[0] in _MAP_JS]
    fmap.default_css = [item for item in type(fmap).default_css if item[0] in _MAP_CSS]
    from mapspec.context_layers import add_context, add_shape_markers  # imports this module

    add_shape_markers(fmap)  # square sites and diamond threats (mapspec.palette.SYMBOLS)
    _MapBehaviour(
        {
            "notes": popups.popup_notes(resolved.settings),
            "smallPx": SMALL_UNIT_PX,
            "ring": palette.SMALL_UNIT_RING,
            "topTitle": popups.CONTRIBUTORS_TITLE,
        }
    ).add_to(fmap)
    # neighbouring countries in a pane below the layers, names in a pane above them
    add_context(fmap, resolved.layer("areas"))
    # bottom right, compact: over India south of Punjab at the default view (bottom left
    # would cover the Makran coast and Gwadar); the frame fills it (_FrameData)
    _HtmlControl("", "bottomright", "atlas-legend").add_to(fmap)
    fmap.add_child(_FitBounds([[y0, x0], [y1, x1]]))
    return fmap


def frame_layers(
    resolved: ResolvedMap, layers: tuple[LayerData, ...] | None = None, grouped: bool = True
) -> list[MacroElement]:
    """The layers of one frame (shown or not as the view says) and, at the end, the
    frame's data for the base map (:class:`_FrameData`: small-unit symbols, contributors,
    legend). ``grouped``: each layer in a group of its own, named as in the layer control,
    the frame's data inside the last group (what ``st_folium(feature_group_to_add=…)``
    takes: it swaps these groups on the map the browser shows); else the layers and the
    frame's data as they are added to one map (:func:`build_map`). ``layers`` is
    ``map_layers(resolved)``, passed in when the caller keeps it cached."""
    layers = layers if layers is not None else map_layers(resolved)
    out: list[MacroElement] = []
    areas = None
    for layer in layers:
        shown = resolved.visible(layer.key)
        element = _folium_layer(layer, shown or grouped)
        if grouped:
            element = _FeatureGroup(name=layer.name, show=shown).add_child(element)
        out.append(element)
        if layer.key == "areas":
            areas = element
    from mapspec.legend import drawn_legend, legend_html

    # closed at first where the view is framed on one unit or route, or the map is small
    legend = legend_html(
        drawn_legend(resolved, layers), resolved.sentence, open_=resolved.spec.view.kind == "all"
    )
    data = _FrameData(
        areas,
        [e for e in out if not e.show],
        {
            "units": small_unit_data(resolved.layer("areas")) if areas is not None else [],
            "records": next((layer.records for layer in layers if layer.records), []),
            "legend": legend,
            "groups": len(out) if grouped else 0,
        },
    )
    if not grouped:
        return [*out, data]
    if not out:
        out.append(_FeatureGroup(name="Frame", control=False))
        data.data["groups"] = 1
    out[-1].add_child(data)
    return out


def build_map(
    resolved: ResolvedMap, height_px: int = 640, layers: tuple[LayerData, ...] | None = None
) -> folium.Map:
    """The folium map of a resolved view: :func:`build_base_map` with the view's
    :func:`frame_layers` and the layer control. ``layers`` is ``map_layers(resolved)``,
    passed in when the caller keeps it cached. Call :func:`mapspec.offline.patch_folium`
    once per process before rendering it in a browser."""
    fmap = build_base_map(resolved, height_px)
    for element in frame_layers(resolved, layers, grouped=False):
        element.add_to(fmap)
    _LayerControl(collapsed=True).add_to(fmap)
    _check_literal(fmap)
    return fmap


def map_parts(
    resolved: ResolvedMap, height_px: int = 640, layers: tuple[LayerData, ...] | None = None
) -> tuple[folium.Map, list[folium.FeatureGroup], folium.LayerControl]:
    """The map of :func:`build_map` in the three parts ``st_folium(base,
    feature_group_to_add=groups, layer_control=control)`` takes: the base map
    (:func:`build_base_map`), the frame's layer groups (:func:`frame_layers`) and the
    layer control over both. The browser keeps the base map while only the groups and
    the control change (a playback step), so the map is not drawn anew."""
    fmap = build_base_map(resolved, height_px)
    groups = frame_layers(resolved, layers, grouped=True)
    for element in (fmap, *groups):
        _check_literal(element)
    return fmap, groups, _LayerControl(collapsed=True)


def _check_literal(fmap: folium.Map) -> None:
    """Fail loudly when an element that would compile its output as a template (any
    MacroElement that is not a :class:`_LiteralMacro`) is added to the map."""
    stack, unsafe = [fmap], []
    while stack:
        element = stack.pop()
        if isinstance(element, MacroElement) and not isinstance(element, _LiteralMacro):
            unsafe.append(type(element).__name__)
        stack.extend(element._children.values())
    if unsafe:
        raise TypeError(
            f"map elements {sorted(set(unsafe))} would compile their rendered "
            "output (data) as a template; derive them from _LiteralMacro"
        )


def asset_urls(fmap: folium.Map) -> list[str]:
    """Every JS/CSS URL the map's elements ask the browser to load."""
    urls: list[str] = []

    def walk(element) -> None:
        for attr in ("default_js", "default_css"):
            for item in getattr(element, attr, None) or []:
                urls.append(item[1] if isinstance(item, tuple | list) else str(item))
        for child in getattr(element, "_children", {}).values():
            walk(child)

    walk(fmap)
    return urls
