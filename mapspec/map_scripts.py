"""The map's scripts and layer elements: the fixed JavaScript that runs in the browser
(popups, the small-unit symbols, the legend of each frame, the grid cells), each a
:class:`~mapspec.literal.LiteralMacro` whose data goes in only as JSON."""

from __future__ import annotations

import folium
import folium.map
from folium.template import Template
from folium.utilities import JsCode

from mapspec.layer_data import LayerData
from mapspec.literal import (
    KnownBounds,
    LiteralFeatureGroup,
    LiteralHeatMap,
    LiteralMacro,
    tojson_text,
)

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


class HtmlControl(LiteralMacro):
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


class MapBehaviour(LiteralMacro):
    """What the map does beyond Leaflet's defaults, in one fixed script (data only as JSON
    through ``tojson``). It belongs to the base map, which stays in the browser from one
    playback frame to the next; each frame's layers end with a :class:`FrameData` that
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


class FrameData(LiteralMacro):
    """The end of one frame's layers: hands the base map's script (:class:`MapBehaviour`)
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


_NO_FEATURES = {"type": "FeatureCollection", "features": []}


class GeoJsonLayer(KnownBounds, folium.GeoJson, LiteralMacro):
    """folium's GeoJson layer whose features go into the page as one JavaScript string,
    written once per cached layer (:attr:`LayerData.json_literal`) and parsed in the browser
    with ``JSON.parse`` (faster to evaluate than the same data as an object literal).

    folium's own script is rendered with no features, and the call that adds them gets the
    cached string instead: a cached layer is drawn by every rerun of every session, and
    streamlit-folium renders each element's script twice per map. ``data`` stays the
    layer's features for anyone who reads the element. With ``json_literal`` None, folium's
    script as it is (the data written at each render)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}{{ this.script_text() }}{% endmacro %}
        """
    )

    def __init__(self, data: dict, bounds: list | None, json_literal: str | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.keep_bounds(bounds)
        self.json_literal = json_literal

    def script_text(self) -> str:
        folium_script = folium.GeoJson._template.module.script
        if self.json_literal is None:
            return str(folium_script(self, {}))
        data, self.data = self.data, _NO_FEATURES
        try:
            text = str(folium_script(self, {}))
        finally:
            self.data = data
        adds = f"{self.get_name()}_add({tojson_text(_NO_FEATURES)})"
        if adds not in text:  # folium's template changed: write the data as folium does
            return str(folium_script(self, {}))
        return text.replace(adds, f"{self.get_name()}_add(JSON.parse({self.json_literal}))", 1)


class GridCells(KnownBounds, folium.map.Layer, LiteralMacro):
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
                var cell = L.circleMarker([c[0], c[1]], {
                    radius: c[2], fillColor: d.colours[c[3]],
                    color: '#ffffff', weight: 1, fill: true, fillOpacity: 0.8,
                    className: 'atlas-cell'
                });
                cell.atlasCell = c;
                cell.addTo(group);
            });
            // one tooltip for the group, its text made for the cell under the pointer
            // (a tooltip bound to each of thousands of cells costs a step of playback)
            group.bindTooltip(function (layer) {
                var c = layer.atlasCell;
                return c[4].toLocaleString('en') + ' incidents, ' +
                    c[5].toLocaleString('en') + ' killed; most often ' + d.actors[c[6]];
            }, {sticky: true});
            return group;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, bounds: list | None, name: str, show: bool):
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "GridCells"
        self.data = data
        self.keep_bounds(bounds)


def folium_layer(layer: LayerData, show: bool):
    if layer.kind == "grid":
        return GridCells(layer.data, layer.bounds, name=layer.name, show=show)
    if layer.kind == "heat":
        group = LiteralFeatureGroup(name=layer.name, show=show)
        LiteralHeatMap(layer.data, radius=12, blur=15, min_opacity=0.3).add_to(group)
        return group
    return GeoJsonLayer(
        layer.data,
        layer.bounds,
        json_literal=layer.json_literal,
        name=layer.name,
        show=show,
        marker=folium.CircleMarker(**layer.marker) if layer.marker is not None else None,
        on_each_feature=_BIND,
        smooth_factor=1.0,
    )
