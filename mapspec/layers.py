"""The layer registry: one entry per map layer, read by every output.

Each :class:`MapLayer` says what a layer is called, which frames of the resolved map
(:class:`mapspec.resolved.ResolvedMap`) it reads, whether it is shown by default, which
function draws it on the folium map and on the briefing image, which legend lines it adds
and under which names (with which id column and country filter) it is exported. The spec
(:data:`mapspec.spec.LAYER_ORDER`, ``LAYER_LABELS``), the resolver, the folium map, the
briefing, the exports, the Export page and the CLI ``export`` command all read it; adding a
layer is one entry here plus its builder (docs/CONTRIBUTING.md).

Functions are referenced by ``"module:function"`` names and looked up when used
(:func:`function`), so this module imports nothing of the renderers (they import it).

Two words that used to mean two things are now explicit:

- the map layer ``corridors`` draws the frame ``segments`` (the ~25 km scored pieces); the
  export layer ``corridors`` writes the frame ``corridors`` (the route lines), and the
  export layer ``segments`` the scored pieces;
- the map layer ``areas`` is exported as two layers, ``provinces`` (AFG rows) and
  ``pak_admin1`` (PAK rows).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any


@dataclass(frozen=True)
class ExportLayer:
    """One layer a user can export: a frame of the resolved map, maybe one country's rows.

    ``default`` layers make up :data:`mapspec.export.EXPORT_LAYERS` (``--layer all`` and
    the GeoPackage's default); the others are exported when asked for by name.
    """

    name: str
    label: str
    frame: str
    id_column: str | None = "id"
    country: str | None = None
    default: bool = True


@dataclass(frozen=True)
class MapLayer:
    """One map layer (a name in the spec's ``layers``)."""

    id: str
    label: str
    frames: tuple[str, ...]
    """Frames of the resolved map the layer reads; the first is the one drawn."""
    folium_builder: str
    """``module:function`` taking a ResolvedMap, returning a ``layer_data.LayerData``."""
    briefing_drawer: str | None
    """``module:function(ax, resolved, tolerance, drawn)`` drawing the layer on the briefing
    image; None for the six built-in layers, drawn by ``mapspec.briefing.drawing.draw_layers``."""
    exports: tuple[ExportLayer, ...] = ()
    default_visible: bool = True
    legend: str | None = None
    """``module:function(resolved)`` returning the layer's LegendEntry lines (None: the
    resolver's built-in legend covers it)."""
    build_when_hidden: bool = True
    """Built (and listed in the map's layer control) even when hidden; False for layers
    that cost a computation, which are built only when shown."""
    frame_builder: str | None = None
    """``module:function(data, filters)`` returning the frame ``frames[0]`` (a
    GeoDataFrame in EPSG:4326) for a layer whose data the resolver does not make itself;
    computed the first time the map, the briefing or an export asks for it."""
    notes: tuple[str, ...] = field(default_factory=tuple)


_FM = "mapspec.layer_data"
_PL = "mapspec.point_layers"
_AL = "mapspec.analysis_layers"

LAYERS: tuple[MapLayer, ...] = (
    MapLayer(
        "areas",
        "Provinces / admin-1 risk",
        ("areas",),
        f"{_FM}:areas_layer",
        None,
        exports=(
            ExportLayer("provinces", "Afghan provinces (scores)", "areas", "id", "AFG"),
            ExportLayer("pak_admin1", "Pakistani admin-1 units (scores)", "areas", "id", "PAK"),
        ),
    ),
    MapLayer(
        "forecast",
        "Forecast: P(≥1 relevant attack) next month, 0.5° grid",
        ("forecast_grid",),
        f"{_AL}:forecast_layer",
        f"{_AL}:draw_forecast",
        exports=(
            ExportLayer(
                "forecast_admin1",
                "Forecast per admin-1 unit (1 and 3 months)",
                "forecast_admin1",
                default=False,
            ),
            ExportLayer(
                "forecast_grid",
                "Forecast per 0.5° grid cell (1 and 3 months)",
                "forecast_grid",
                default=False,
            ),
            ExportLayer(
                "forecast_segments",
                "Forecast per CPEC segment (1 and 3 months)",
                "forecast_segments",
                default=False,
            ),
            ExportLayer(
                "forecast_sites",
                "Forecast per sensitive site (1 and 3 months)",
                "forecast_sites",
                default=False,
            ),
        ),
        default_visible=False,
        legend=f"{_AL}:forecast_legend",
        build_when_hidden=False,
    ),
    MapLayer(
        "hotspots",
        "Hot spots (Getis-Ord Gi*, FDR), 0.5° grid",
        ("hotspots_grid",),
        f"{_AL}:hotspot_layer",
        f"{_AL}:draw_hotspots",
        exports=(
            ExportLayer(
                "hotspots_admin1",
                "Hot spots per admin-1 unit (Gi*)",
                "hotspots_admin1",
                default=False,
            ),
            ExportLayer(
                "hotspots_grid",
                "Hot spots per 0.5° grid cell (Gi*)",
                "hotspots_grid",
                default=False,
            ),
        ),
        default_visible=False,
        legend=f"{_AL}:hotspot_legend",
        build_when_hidden=False,
    ),
    MapLayer(
        "border",
        "Af-Pak border",
        ("border",),
        f"{_FM}:border_layer",
        None,
        exports=(ExportLayer("border", "Af-Pak border", "border", None),),
    ),
    MapLayer(
        "corridors",
        "CPEC corridors (segment risk)",
        ("segments", "corridors"),
        f"{_FM}:segments_layer",
        None,
        exports=(
            ExportLayer("corridors", "CPEC corridors (schematic)", "corridors", "route_id"),
            ExportLayer("segments", "CPEC segments (scores)", "segments", "id"),
        ),
        notes=(
            "On the map the layer draws the scored segments; exported, 'corridors' is the "
            "route lines and 'segments' the scored pieces.",
        ),
    ),
    MapLayer(
        "sites",
        "Sensitive sites",
        ("sites",),
        f"{_FM}:sites_layer",
        None,
        exports=(ExportLayer("sites", "Sensitive sites (scores)", "sites", "id"),),
    ),
    MapLayer(
        "threats",
        "Threat records",
        ("threats",),
        f"{_PL}:threats_layer",
        None,
        exports=(ExportLayer("threats", "Threat records", "threats", "id"),),
    ),
    MapLayer(
        "incidents",
        "Incidents",
        ("incidents",),
        f"{_PL}:incidents_layer",
        None,
        exports=(ExportLayer("incidents", "Incidents", "incidents", "id"),),
    ),
)
"""Every map layer, bottom to top (the drawing order)."""

EXPORT_ORDER: tuple[str, ...] = (
    "provinces",
    "pak_admin1",
    "border",
    "corridors",
    "segments",
    "incidents",
    "threats",
    "sites",
    "forecast_admin1",
    "forecast_grid",
    "forecast_segments",
    "forecast_sites",
    "hotspots_admin1",
    "hotspots_grid",
)
"""Export layers in the order a GeoPackage lists them (the record and score layers first)."""

BY_ID: dict[str, MapLayer] = {layer.id: layer for layer in LAYERS}
_ALL_EXPORTS = {e.name: e for layer in LAYERS for e in layer.exports}
EXPORTS: dict[str, ExportLayer] = {
    name: _ALL_EXPORTS[name]
    for name in (*EXPORT_ORDER, *(n for n in _ALL_EXPORTS if n not in EXPORT_ORDER))
}
"""Export layer name → its entry: :data:`EXPORT_ORDER`, then any other layer's exports."""
FRAME_BUILDERS: dict[str, str] = {
    layer.frames[0]: layer.frame_builder for layer in LAYERS if layer.frame_builder
}
"""Frame → the ``module:function(data, filters)`` that makes it (layers with their own
data)."""


def map_layer_ids() -> tuple[str, ...]:
    """Map layer ids, bottom to top."""
    return tuple(layer.id for layer in LAYERS)


def default_visible_ids() -> tuple[str, ...]:
    """The layers shown when a link does not say ``layers=`` (drawing order)."""
    return tuple(layer.id for layer in LAYERS if layer.default_visible)


def layer_of_frame(frame: str) -> str | None:
    """The map layer whose visibility a resolved frame follows (``segments`` follows
    ``corridors``); None for a frame no map layer draws."""
    for layer in LAYERS:
        if layer.frames[0] == frame or layer.id == frame:
            return layer.id
    return None


def export_names(default_only: bool = False) -> tuple[str, ...]:
    """Export layer names in file order (only the default ones if asked)."""
    return tuple(n for n, e in EXPORTS.items() if e.default or not default_only)


@cache
def function(ref: str) -> Callable[..., Any]:
    """The function a ``module:function`` reference names."""
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BY_ID",
    "EXPORTS",
    "EXPORT_ORDER",
    "FRAME_BUILDERS",
    "LAYERS",
    "ExportLayer",
    "MapLayer",
    "default_visible_ids",
    "export_names",
    "function",
    "layer_of_frame",
    "map_layer_ids",
]
