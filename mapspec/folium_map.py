"""The interactive map: a pure function of a :class:`~mapspec.resolved.ResolvedMap`.

Offline by construction: no tile layer (the bundled vector layers are the basemap) and
every JS/CSS file is served locally (see :mod:`mapspec.offline`). The layers' data is
:mod:`mapspec.layer_data`; the scripts and elements that draw it, :mod:`mapspec.map_scripts`
on :mod:`mapspec.literal`'s template-safe elements; this module puts a map together.
"""

from __future__ import annotations

import folium
from branca.element import MacroElement

from mapspec import palette, popups
from mapspec.layer_data import (
    LayerData,
    map_layers,
    small_unit_data,
)
from mapspec.literal import (
    LiteralFeatureGroup,
    LiteralFitBounds,
    LiteralLayerControl,
    LiteralMap,
    check_literal,
)
from mapspec.map_scripts import (
    SMALL_UNIT_PX,
    FrameData,
    HtmlControl,
    MapBehaviour,
    folium_layer,
)
from mapspec.point_layers import AGGREGATE_CELL_DEG, aggregate_points  # noqa: F401
from mapspec.resolved import ResolvedMap

# folium.Map also loads jQuery, Bootstrap (JS and CSS), Glyphicons, Font Awesome and
# Awesome Markers, none of which this map uses; the browser fetches and parses about
# 0.5 MB less without them. Nor does it need the marker-icon path fix of mapspec.offline:
# every point is a circle marker, none an image icon (st_folium loads scripts one after
# another, so each script left out is a round trip less before the map is drawn).
_MAP_JS = ("leaflet",)
_MAP_CSS = ("leaflet_css",)
MAX_ZOOM = 12


def build_base_map(resolved: ResolvedMap, height_px: int = 640) -> folium.Map:
    """What a map keeps from one playback frame to the next: the map itself, framed on
    the view, the shape markers, the behaviour script, the neighbours and place names,
    the legend's box and the fit to the view. Nothing here depends on the frame, so the
    page can send a new frame's layers (:func:`frame_layers`) to the map the browser
    already shows instead of drawing a new one."""
    x0, y0, x1, y1 = resolved.bounds
    fmap = LiteralMap(
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
    MapBehaviour(
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
    # would cover the Makran coast and Gwadar); the frame fills it (FrameData)
    HtmlControl("", "bottomright", "atlas-legend").add_to(fmap)
    fmap.add_child(LiteralFitBounds([[y0, x0], [y1, x1]]))
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
        element = folium_layer(layer, shown or grouped)
        if grouped:
            element = LiteralFeatureGroup(name=layer.name, show=shown).add_child(element)
        out.append(element)
        if layer.key == "areas":
            areas = element
    from mapspec.legend import drawn_legend, legend_html

    # closed at first where the view is framed on one unit or route, or the map is small
    legend = legend_html(
        drawn_legend(resolved, layers), resolved.sentence, open_=resolved.spec.view.kind == "all"
    )
    data = FrameData(
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
        out.append(LiteralFeatureGroup(name="Frame", control=False))
        data.data["groups"] = 1
    out[-1].add_child(data)
    return out


def build_map(
    resolved: ResolvedMap, height_px: int = 640, layers: tuple[LayerData, ...] | None = None
) -> folium.Map:
    """The folium map of a resolved view: :func:`build_base_map` with the view's
    :func:`frame_layers` and the layer control. ``layers`` is ``map_layers(resolved)``,
    passed in when the caller keeps it cached. Pass it through :func:`mapspec.offline.localise`
    before rendering it in a browser."""
    fmap = build_base_map(resolved, height_px)
    for element in frame_layers(resolved, layers, grouped=False):
        element.add_to(fmap)
    LiteralLayerControl(collapsed=True).add_to(fmap)
    check_literal(fmap)
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
        check_literal(element)
    return fmap, groups, LiteralLayerControl(collapsed=True)


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
