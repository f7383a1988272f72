"""The resolved map: one filtered GeoDataFrame per layer, the legend and the sentence.

The frames it holds are named in :mod:`mapspec.layers` (each map layer's ``frames`` and
each export layer's ``frame``); the analysis frames (forecasts, hot spots) are computed on
first use. A :class:`ResolvedMap` is what every output is a pure function of — the interactive
folium map, the GeoJSON/CSV/GeoPackage exports and the briefing PNG/PDF — so they can
never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd

from mapspec.layers import layer_of_frame
from mapspec.spec import MapSpec


@dataclass(frozen=True)
class LegendEntry:
    """One legend line: which layer, what it says, its colour and how it is drawn."""

    layer: str
    label: str
    colour: str
    shape: str  # "fill", "line" or "circle"


@dataclass(frozen=True)
class ResolvedMap:
    """Everything needed to draw or export one view."""

    spec: MapSpec
    layers: Mapping[str, gpd.GeoDataFrame]
    legend: tuple[LegendEntry, ...]
    sentence: str
    as_of: date
    bounds: tuple[float, float, float, float]  # minlon, minlat, maxlon, maxlat
    point_mode: str  # effective mode for incidents: "points", "aggregate" or "heat"
    notices: tuple[str, ...] = ()
    risk: Any = None  # riskmodel RiskResult (explain() for top contributors)
    settings: Any = None  # riskmodel RiskSettings used
    sources: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    def layer(self, name: str) -> gpd.GeoDataFrame:
        """One layer by name; a clear error lists the valid names."""
        try:
            return self.layers[name]
        except KeyError:
            raise ValueError(
                f"unknown layer {name!r}; use one of {', '.join(self.layers)}"
            ) from None

    def visible(self, name: str) -> bool:
        """Whether the spec shows this map layer or the layer drawing this frame (the
        frame ``segments`` follows the map layer ``corridors``: :mod:`mapspec.layers`)."""
        return (layer_of_frame(name) or name) in self.spec.visible_layers()
