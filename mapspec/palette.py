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
    "SYMBOLS",
    "Symbol",
    "actor_colour",
    "actor_scale",
    "attribution_colour",
    "band_colour",
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


@dataclass(frozen=True)
class Symbol:
    """How one layer is drawn: ``shape`` names it for the legend (fill, line, circle,
    diamond, square), ``mpl_marker`` is the matplotlib marker of point layers and
    ``css_radius`` the CSS border-radius of the web map's point markers."""

    shape: str
    mpl_marker: str | None = None
    css_radius: str = "0"
    rotate_deg: int = 0  # the web map's square turned into a diamond


SYMBOLS: dict[str, Symbol] = {
    "areas": Symbol("fill"),
    "neighbours": Symbol("fill"),
    "border": Symbol("line"),
    "segments": Symbol("line"),
    "incidents": Symbol("circle", "o", "50%"),
    "cells": Symbol("circle", "o", "50%"),
    "threats": Symbol("diamond", "D", "0", 45),
    "sites": Symbol("square", "s", "0"),
}
"""Layer → symbol: incidents and grid cells are circles, threat records diamonds, sensitive
sites squares, areas fills, the border and CPEC segments lines — on every output."""


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
