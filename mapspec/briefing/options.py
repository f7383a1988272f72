"""Briefing options, sizes and the manifest of what a briefing shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pyproj import Transformer

from geodata.spatial import METRIC_CRS, WGS84
from riskmodel.bands import BANDS

HANDLING_DEFAULT = "PUBLIC SOURCES"
SLIDE_SIZE_IN = (13.333, 7.5)  # 16:9, the size of a widescreen slide
SLIDE_DPI = 150  # 2000 x 1125 px
MIN_WIDTH_PX = 1600
A4_PORTRAIT_IN = (8.27, 11.69)
BANNER_COLOUR = "#1b5e20"
MAP_BACKGROUND = "#eef2f5"
TOP_N = 10
MARKER_PT_PER_PX = 0.5
"""Marker size on the slide per px of the web map's radius: the slide shows the whole view
at once, so markers are drawn a little smaller than on screen (relative sizes kept)."""
NEUTRAL_BAND = BANDS[2].colour  # legend swatch of "coloured by band" markers

TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
TO_LONLAT = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
TITLE_PT = 17.0
LEGEND_PANEL_IN = 3.7  # the legend column beside the map
TOP_LABELS = 8  # provinces named on the map, highest scores first
LEVELS = (
    ("areas", "province", "Provinces / admin-1 units"),
    ("segments", "segment", "CPEC segments (about 25 km)"),
    ("sites", "site", "Sensitive sites"),
)


@dataclass(frozen=True)
class BriefingOptions:
    """What a user may change on a briefing."""

    banner: str = HANDLING_DEFAULT
    title: str | None = None  # default: "ISKP Risk Atlas — <view>"
    width_px: int = 2000
    generated: datetime | None = None  # default: now (UTC)

    def __post_init__(self) -> None:
        if self.width_px < MIN_WIDTH_PX:
            raise ValueError(f"a briefing image is at least {MIN_WIDTH_PX} px wide")
        if not str(self.banner).strip():
            raise ValueError("the handling banner needs some text, e.g. PUBLIC SOURCES")


@dataclass(frozen=True)
class BriefingManifest:
    """What a briefing shows: feature ids per drawn layer, texts and extent."""

    layers: Mapping[str, tuple[str, ...]]
    incident_cells: tuple[tuple[float, float, int], ...]
    legend: tuple[str, ...]
    title: str
    sentence: str
    banner: str
    as_of: str
    extent_lonlat: tuple[float, float, float, float]
    texts: tuple[str, ...] = field(default=())
    labels: tuple[str, ...] = field(default=())  # the names drawn on the map
