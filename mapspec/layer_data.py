"""The map's layers as data: each layer of a resolved view styled, escaped and made small
for the browser (:class:`LayerData`), built once per view and cached; drawing them is
:mod:`mapspec.folium_map`'s part.

Geometry sent to the browser is simplified and rounded for display only (about 1 km /
11 m); exports keep the full geometry. Here: :class:`LayerData` and its helpers, the
area, border, CPEC segment and site layers, and :func:`map_layers`; the record layers
drawn as points (threats, incidents: many become grid aggregates or a heat layer instead
of one marker each, and the map says so) are :mod:`mapspec.point_layers`'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely

from mapspec import palette, popups, style
from mapspec.literal import json_string_literal
from mapspec.resolved import ResolvedMap

DISPLAY_TOLERANCE_DEG = 0.01
COORD_DECIMALS = 4
AREA_DECIMALS = 3  # ~100 m: finer than the 1 km display simplification
_STYLE_INPUTS = ("fill", "stroke", "r")


def small_unit_data(areas: gpd.GeoDataFrame) -> list[list]:
    """Every unit as ``[lat, lon, id, area km², above the lowest band (0/1)]``: its
    representative point (inside the polygon) and its equal-area size, from which the
    browser decides at each zoom whether the unit is drawn too small to click
    (:data:`mapspec.map_scripts.SMALL_UNIT_PX`)."""
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


def round_coords(geoms: np.ndarray, decimals: int = COORD_DECIMALS) -> np.ndarray:
    return shapely.transform(geoms, lambda c: np.round(c, decimals))


def _display_geoms(gdf: gpd.GeoDataFrame, simplify: bool) -> np.ndarray:
    geoms = gdf.geometry.to_numpy()
    if simplify:
        geoms = shapely.simplify(geoms, DISPLAY_TOLERANCE_DEG, preserve_topology=True)
        return round_coords(geoms, AREA_DECIMALS)
    return round_coords(geoms)


def features(geoms: np.ndarray, props: list[dict]) -> tuple[dict, list | None]:
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


def records_of(gdf: gpd.GeoDataFrame) -> list[dict]:
    return gdf.drop(columns="geometry").to_dict(orient="records")


def css_id(feature: dict) -> str:
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

    @cached_property
    def json_literal(self) -> str:
        """``data`` as a JavaScript string of its JSON, for ``JSON.parse`` in the page
        (:class:`mapspec.map_scripts.GeoJsonLayer`, :func:`mapspec.literal.json_string_literal`);
        written once per layer."""
        return json_string_literal(self.data)


def styled(
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
            feature["properties"]["cls"] = f"atlas-{css_class} {css_id(feature)}"
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


def areas_layer(resolved: ResolvedMap) -> LayerData:
    areas = resolved.layer("areas")
    recs = records_of(areas)
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
    return styled(
        "areas",
        "Risk by province / admin-1",
        "area",
        features(_display_geoms(areas, simplify=True), props),
        lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": 0.7,
        },
    )


def segments_layer(resolved: ResolvedMap) -> LayerData:
    seg = resolved.layer("segments")
    recs = records_of(seg)
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
    layer = styled(
        "corridors",
        "CPEC corridors (schematic), risk by segment",
        "segment",
        features(round_coords(seg.geometry.to_numpy()), props),
        lambda f: {"color": f["properties"]["stroke"], "weight": 5, "opacity": 0.95},
    )
    for feature in layer.data["features"]:
        if not feature["properties"]["top"]:
            del feature["properties"]["top"]
    return replace(layer, records=records)


def border_layer(resolved: ResolvedMap) -> LayerData:
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
        for r in records_of(border)
    ]
    return styled(
        "border",
        "Af-Pak border",
        "border",
        features(_display_geoms(border, simplify=True), props),
        lambda f: {"color": style.BORDER_COLOUR, "weight": 2.5, "dashArray": "6 4"},
    )


def sites_layer(resolved: ResolvedMap) -> LayerData:
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
        for r in records_of(sites)
    ]
    return styled(
        "sites",
        "Sensitive sites (risk)",
        "site",
        features(round_coords(sites.geometry.to_numpy()), props),
        lambda f: {"fillColor": f["properties"]["fill"], **palette.web_marker_style("sites")},
        marker={
            "color": style.SITE_OUTLINE,
            "weight": 2,
            "fill": True,
            "fill_opacity": 0.95,
            "radius": 6,
        },
    )


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
