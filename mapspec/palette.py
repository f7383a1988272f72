"""The atlas's one palette and one symbol table.

Every renderer takes its colours and shapes from here — the web map (folium), the
briefing PNG and PDF (matplotlib) and the Records page's charts (Altair) — so an actor,
a band or a kind of record looks the same wherever an analyst meets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from riskmodel.bands import BAND_COLOURS, BAND_NAMES, BANDS

__all__ = [
    "ACTOR_COLOURS",
    "ATTRIBUTION_COLOURS",
    "BANDS",
    "BAND_COLOURS",
    "BAND_NAMES",
    "FORECAST_CLASSES",
    "HOTSPOT_COLOURS",
    "SYMBOLS",
    "Symbol",
    "actor_colour",
    "actor_scale",
    "attribution_colour",
    "band_colour",
    "forecast_colour",
    "hotspot_colour",
    "web_marker_style",
]

ACTOR_COLOURS: dict[str, str] = {
    "ISKP": "#54278f",
    "ISPP": "#9e9ac8",
    "TTP": "#08519c",
    "BLA": "#006d2c",
    "BLF": "#74c476",
    "ETIM/TIP": "#d94801",
    "Taliban": "#8c510a",
    "al-Qaeda": "#252525",
    "Sindhi separatists": "#35978f",
    "IMU": "#c51b7d",
    "Other": "#737373",
    "Unknown": "#bdbdbd",
}
"""Canonical actor → colour (incidents coloured by actor, grid cells, the Records chart)."""

ATTRIBUTION_COLOURS: dict[str, str] = {
    "claimed": "#3f007d",
    "attributed": "#6a51a3",
    "suspected": "#9e9ac8",
    "unclaimed": "#d9d9d9",
}
"""Attribution → colour (incidents coloured by attribution)."""

FALLBACK_COLOUR = "#737373"
NO_DATA_COLOUR = BAND_COLOURS[BANDS[0].name]
BORDER_COLOUR = "#222222"
COUNTRY_OUTLINE = "#555555"
SITE_OUTLINE = "#000000"
THREAT_COLOUR = "#ffffff"
THREAT_OUTLINE = "#444444"
INCIDENT_OUTLINE = "#ffffff"
MAP_BACKGROUND = "#eef2f5"
NEIGHBOUR_FILL = "#f5f4f0"
NEIGHBOUR_OUTLINE = "#b9b7ae"
LABEL_COLOUR = "#222222"
LABEL_HALO = "#ffffff"
COUNTRY_LABEL_COLOUR = "#6b6b66"
MUTED_ROUTE_COLOUR = "#bdbdbd"
"""Corridors other than the selected one on the corridor page."""
ROUTE_CASING_COLOUR = "#1f1f1f"
"""The dark edge drawn under the selected corridor."""
SMALL_UNIT_RING = "#1f1f1f"
"""Edge of the symbol drawn on units too small to click at the current zoom."""

FORECAST_CLASSES: tuple[tuple[float, float, str], ...] = (
    (0.0, 0.02, "#f1eef6"),
    (0.02, 0.05, "#d0d1e6"),
    (0.05, 0.1, "#a6bddb"),
    (0.1, 0.25, "#74a9cf"),
    (0.25, 0.5, "#2b8cbe"),
    (0.5, 1.0, "#045a8d"),
)
"""Forecast probability classes ``[lower, upper)`` (the top one includes 1) → colour
(ColorBrewer PuBu, 6 classes: blue, so a forecast is never read as a risk band; fine at the
low end, where most monthly probabilities of a cell lie)."""

HOTSPOT_COLOURS: dict[str, str] = {
    "hot 99 %": "#8e0152",
    "hot 95 %": "#de77ae",
    "hot 90 %": "#f1b6da",
    "not significant": "#f7f7f7",
    "cold 90 %": "#b8e186",
    "cold 95 %": "#7fbc41",
    "cold 99 %": "#276419",
}
"""Gi* class → colour (ColorBrewer PiYG: hot magenta, cold green — not the red/blue of
most hot-spot maps, which the risk bands' reds and oranges underneath would swallow)."""


def forecast_colour(p: float | None) -> str:
    """Colour of a forecast probability (the no-data grey when missing)."""
    if p is None or p != p:  # NaN
        return NO_DATA_COLOUR
    for lower, upper, colour in FORECAST_CLASSES:
        if lower <= p < upper:
            return colour
    return FORECAST_CLASSES[-1][2]


def hotspot_colour(label: str | None) -> str:
    """Colour of a Gi* class (the no-data grey for "too few events" / missing)."""
    return HOTSPOT_COLOURS.get(str(label), NO_DATA_COLOUR)


@dataclass(frozen=True)
class Symbol:
    """How one layer is drawn: ``shape`` names it for the legend (fill, line, circle,
    diamond, square), ``mpl_marker`` is the matplotlib marker of point layers and
    ``css_radius`` the CSS border-radius of the web map's point markers."""

    shape: str
    mpl_marker: str | None = None
    css_radius: str = "0"
    rotate_deg: int = 0  # the web map's square turned into a diamond
    outline: str = "#777777"
    """Edge colour (points) or line colour (lines; None: the risk band's colour)."""
    fill: str | None = None
    """Fixed fill colour; None when it varies (risk band, actor or attribution)."""
    dashed: bool = False
    """Dashed edge (threat records) or dashed line (the border)."""


SYMBOLS: dict[str, Symbol] = {
    "areas": Symbol("fill", outline="#555555"),
    "neighbours": Symbol("fill", outline=NEIGHBOUR_OUTLINE, fill=NEIGHBOUR_FILL),
    "border": Symbol("line", outline=BORDER_COLOUR, dashed=True),
    "segments": Symbol("line"),
    "muted_routes": Symbol("line", outline=MUTED_ROUTE_COLOUR),
    "incidents": Symbol("circle", "o", "50%", outline=INCIDENT_OUTLINE),
    "cells": Symbol("circle", "o", "50%", outline=INCIDENT_OUTLINE),
    "threats": Symbol(
        "diamond", "D", "0", 45, outline=THREAT_OUTLINE, fill=THREAT_COLOUR, dashed=True
    ),
    "sites": Symbol("square", "s", "0", outline=SITE_OUTLINE),
    "small_units": Symbol("ring", "o", "50%", outline=SMALL_UNIT_RING),
}
"""Layer → symbol: incidents and grid cells are circles (white edge, actor colour), threat
records diamonds (white, dashed grey edge), sensitive sites squares (band colour, black
edge), units too small to click a ring (band colour, dark edge), areas fills, the border a
dashed dark line, CPEC segments lines in their band colour — on every output."""


def band_colour(band: str | None) -> str:
    """Fill colour of a risk band (the lowest band's grey when unknown)."""
    return BAND_COLOURS.get(str(band), NO_DATA_COLOUR)


def actor_colour(actor: str | None) -> str:
    """Colour of a canonical actor (grey for an actor outside the palette)."""
    return ACTOR_COLOURS.get(str(actor), FALLBACK_COLOUR)


def attribution_colour(attribution: str | None) -> str:
    """Colour of an attribution level."""
    return ATTRIBUTION_COLOURS.get(str(attribution), FALLBACK_COLOUR)


def actor_scale(actors: Iterable[str]) -> tuple[list[str], list[str]]:
    """(domain, range) of a categorical colour scale for these actors: the palette's
    order first, then any others, each with its map colour."""
    present = {str(a) for a in actors}
    domain = [a for a in ACTOR_COLOURS if a in present] + sorted(present - set(ACTOR_COLOURS))
    return domain, [actor_colour(a) for a in domain]


def web_marker_style(layer_key: str) -> dict[str, str]:
    """The style entry that gives a point layer its shape on the web map (read by
    :func:`mapspec.context_layers.add_shape_markers`'s script; ``{}`` for circles)."""
    shape = SYMBOLS[layer_key].shape
    return {"atlasShape": shape} if shape in ("square", "diamond") else {}
