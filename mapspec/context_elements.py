"""The context layers' folium elements: the neighbours' fill, the place names with their
in-browser placement script, and the square / diamond point markers.

Fixed scripts: the data reaches them only as JSON through ``tojson`` and the names become
text nodes (``textContent``), never HTML. The data they draw is made in
:mod:`mapspec.context_layers`, which adds them to a map and re-exports these names.
"""

from __future__ import annotations

import folium
from folium.template import Template

from mapspec import palette
from mapspec.literal import KnownBounds, LiteralMacro

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
