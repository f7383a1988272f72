"""Briefing image (PNG) and one-page briefing (PDF): pure functions of a ResolvedMap.

The slide is drawn with matplotlib from the same resolved layers, bands and colours as
the interactive map (:mod:`mapspec.style`): areas filled by risk band, CPEC segments
coloured by band, the border, sensitive sites, located threat records, and incidents as
points coloured by actor (or attribution) and sized by severity — or as the same 0.25°
grid cells as the map when the map aggregates them. It carries the title, the filter
sentence, the legend, a scale bar, a north arrow, the as-of date, the sources and their
licences, a handling banner and the note that CPEC routes are schematic. Its extent is
``resolved.bounds`` (the spec's view).

The map is drawn in the product's metric projection
(:data:`geodata.spatial.METRIC_CRS`, an equidistant conic centred on AF/PK), so the
scale bar holds across the whole region and the north arrow points at true north.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas directly —
never pyplot — so nothing global changes and rendering is safe inside a web server.
:func:`briefing_figure` returns the figure together with a :class:`BriefingManifest`
naming every feature drawn (each collection also carries ``gid`` = its layer name), so
tests and callers can check what the image shows without reading pixels.

The package: :mod:`.options` (options, sizes, the manifest), :mod:`.geometry`,
:mod:`.drawing` (the layers), :mod:`.textfit` (measured text and wrapping),
:mod:`.titles` (text, titles, banner), :mod:`.labels` (place names), :mod:`.legend_panel`
(the legend), :mod:`.furniture` (north arrow; re-exports those), :mod:`.slide` (the PNG),
:mod:`.pdftables` and :mod:`.pdf` (the one-page PDF).
"""

from mapspec.briefing.drawing import draw_layers, shape_layer
from mapspec.briefing.furniture import default_title
from mapspec.briefing.geometry import geometry_path
from mapspec.briefing.options import (
    HANDLING_DEFAULT,
    LEVELS,
    MIN_WIDTH_PX,
    SLIDE_DPI,
    SLIDE_SIZE_IN,
    TO_METRIC,
    TOP_LABELS,
    TOP_N,
    BriefingManifest,
    BriefingOptions,
)
from mapspec.briefing.pdf import briefing_pdf, briefing_pdf_figure
from mapspec.briefing.pdftables import TABLE_COLUMNS, TABLE_KEY, table_rows, top_rows
from mapspec.briefing.slide import briefing_figure, briefing_png, fig_title, sources_line
from mapspec.briefing.textfit import wrap_text

# the names these had when they were private (kept for callers that still use them)
_LEVELS, _TO_METRIC, _TABLE_COLUMNS, _table_rows = LEVELS, TO_METRIC, TABLE_COLUMNS, table_rows
_draw_layers, _shape_layer = draw_layers, shape_layer

__all__ = [
    "HANDLING_DEFAULT",
    "LEVELS",
    "MIN_WIDTH_PX",
    "SLIDE_DPI",
    "SLIDE_SIZE_IN",
    "TABLE_COLUMNS",
    "TABLE_KEY",
    "TOP_LABELS",
    "TOP_N",
    "TO_METRIC",
    "BriefingManifest",
    "BriefingOptions",
    "briefing_figure",
    "briefing_pdf",
    "briefing_pdf_figure",
    "briefing_png",
    "default_title",
    "draw_layers",
    "fig_title",
    "geometry_path",
    "shape_layer",
    "sources_line",
    "table_rows",
    "top_rows",
    "wrap_text",
]
