"""The 16:9 briefing slide (PNG): the map, its legend and furniture, the sentence and
the sources."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from matplotlib_scalebar.scalebar import ScaleBar

from mapspec import context_layers
from mapspec.briefing.drawing import draw_layers
from mapspec.briefing.furniture import draw_north_arrow
from mapspec.briefing.geometry import extent_metric, fit_extent, geometry_path, to_metric
from mapspec.briefing.labels import place_labels
from mapspec.briefing.legend_panel import draw_legend, legend_entries
from mapspec.briefing.options import (
    LEGEND_PANEL_IN,
    MAP_BACKGROUND,
    SLIDE_SIZE_IN,
    TITLE_PT,
    BriefingManifest,
    BriefingOptions,
)
from mapspec.briefing.pdftables import analyst_note
from mapspec.briefing.textfit import TextMeasure, wrap_text
from mapspec.briefing.titles import default_title, draw_banner, draw_text
from mapspec.export.metadata import SCHEMATIC_NOTE, data_sources, product_version, utc_timestamp
from mapspec.resolved import ResolvedMap

# --- The slide ------------------------------------------------------------------------------


def sources_line(resolved: ResolvedMap) -> str:
    """``Sources and licences: name (licence); …`` in one line."""
    return "Sources and licences: " + "; ".join(
        f"{s.get('name', '')} ({s.get('licence', '')})" if s.get("licence") else s.get("name", "")
        for s in data_sources(resolved)
    )


def _text_block(
    target: Figure | Axes,
    xy: tuple[float, float],
    text: str,
    size: float,
    spacing: float,
    gid: str,
    **kw: Any,
) -> float:
    """One block of literal text at ``xy`` in ``target``'s fraction coordinates, its lines
    ``spacing`` apart; returns the block's height in inches."""
    draw_text(target, *xy, text, fontsize=size, linespacing=spacing, gid=gid, **kw)
    return size * spacing / 72 * (text.count("\n") + 1)


def briefing_figure(
    resolved: ResolvedMap,
    options: BriefingOptions | None = None,
    *,
    header: bool = True,
    size_in: tuple[float, float] | None = None,
) -> tuple[Figure, BriefingManifest]:
    """The briefing slide as a matplotlib Figure (Agg canvas) and what it shows.

    Layout (16:9): handling banner, title, filter sentence; the map on the left — as wide
    as the page leaves beside a legend column of about a quarter of its width (the view is
    widened to the map's shape, so the neighbours fill the sides) — with scale bar, north
    arrow and names (cities, neighbours, the highest-scoring provinces with their score);
    legend and notes on the right; sources and a footer (version, time, query) at the
    bottom; banner again. ``header=False`` leaves out the banners, title, sentence,
    sources and footer (for the PDF, which prints its own); ``size_in`` sets another
    figure size (the PDF's map area).
    """
    options = options or BriefingOptions()
    width_in, height_in = size_in or SLIDE_SIZE_IN
    margin = 0.2  # inches
    banner_in = 0.34 if header else 0.0
    title = options.title or default_title(resolved)
    sentence = resolved.sentence
    fig = Figure(figsize=(width_in, height_in), dpi=options.width_px / width_in, facecolor="white")
    FigureCanvasAgg(fig)
    text_w_pt = (width_in - 2 * margin) * 72
    title_text = wrap_text(title, text_w_pt, TextMeasure(fig, TITLE_PT, bold=True))
    sentence_text = wrap_text(sentence, text_w_pt, TextMeasure(fig, 12.5))

    def fy(inches_from_bottom: float) -> float:
        return inches_from_bottom / height_in

    def fx(inches_from_left: float) -> float:
        return inches_from_left / width_in

    def text_at(inches_from_bottom: float, text: str, *args: Any, **kw: Any) -> float:
        """A text block at the left margin (see :func:`_text_block`); its height (in)."""
        return _text_block(fig, (fx(margin), fy(inches_from_bottom)), text, *args, **kw)

    if header:
        draw_banner(fig, options.banner, fy(height_in - banner_in), fy(banner_in))
        draw_banner(fig, options.banner, 0.0, fy(banner_in))
        top = height_in - banner_in - 0.1
        top -= 0.05 + text_at(top, title_text, TITLE_PT, 1.15, "title", fontweight="bold", va="top")
        top -= 0.1 + text_at(top, sentence_text, 12.5, 1.15, "sentence", va="top", color="#222222")
    else:
        top = height_in - 0.1

    if header:
        footer = (
            f"ISKP Risk Atlas {product_version()} · generated "
            f"{utc_timestamp(options.generated)} · query: "
            f"{urlencode(resolved.spec.to_params()) or '(none: full bundled view)'}"
        )
        sources_text = wrap_text(sources_line(resolved), text_w_pt, TextMeasure(fig, 7.5))
        bottom = banner_in + 0.06
        draw_text(
            fig,
            fx(margin),
            fy(bottom),
            footer,
            fontsize=7.5,
            color="#555555",
            va="bottom",
            gid="footer",
        )
        bottom += 0.16
        bottom += 0.08 + text_at(
            bottom, sources_text, 7.5, 1.25, "sources", color="#444444", va="bottom"
        )
    else:
        bottom, footer, sources_text = 0.1, "", ""

    x0, y0, x1, y1 = extent_metric(resolved.bounds)
    map_h = top - bottom
    panel_w = min(LEGEND_PANEL_IN, 0.3 * width_in)
    map_w = width_in - 2 * margin - 0.25 - panel_w
    ax = fig.add_axes((fx(margin), fy(bottom), fx(map_w), fy(map_h)), gid="map")
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    x0, y0, x1, y1 = fit_extent((x0, y0, x1, y1), map_w / map_h)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    tolerance = max(x1 - x0, y1 - y0) / 4000
    drawn = draw_layers(ax, resolved, tolerance)
    context_layers.draw_neighbours(ax, to_metric, geometry_path)
    scale_bar = ScaleBar(
        1,
        "m",
        location="lower left",
        length_fraction=0.2,
        box_alpha=0.85,
        font_properties={"size": 11},
        scale_loc="top",
    )
    ax.add_artist(scale_bar)
    lon0, lat0, lon1, lat1 = resolved.bounds
    arrow = draw_north_arrow(ax, ((lon0 + lon1) / 2, (lat0 + lat1) / 2))
    renderer = fig.canvas.get_renderer()  # the names avoid the scale bar and north arrow
    # the scale bar's own extent is only its text: its box is reserved by its size
    frame = ax.get_window_extent(renderer)
    bar_box = Bbox.from_extents(
        frame.x0,
        frame.y0,
        frame.x0 + (scale_bar.length_fraction + 0.05) * frame.width,
        frame.y0 + 0.6 * fig.dpi,
    )
    obstacles = [bar_box, *(a.get_window_extent(renderer).padded(4) for a in arrow)]
    labels = place_labels(ax, resolved, obstacles)

    panel_left = margin + map_w + 0.25
    panel = fig.add_axes((fx(panel_left), fy(bottom), fx(panel_w), fy(map_h)), gid="panel")
    panel.set_axis_off()
    y, legend_labels = draw_legend(panel, legend_entries(resolved, drawn), 1.0, 10.0)
    as_of = f"Scores as of {resolved.as_of.isoformat()}"
    notes = [as_of, SCHEMATIC_NOTE, *filter(None, [analyst_note(resolved)]), *resolved.notices]
    # the notes go under the legend and must end above the sources line: the type
    # shrinks (down to 7 pt) until the wrapped lines fit in the height that is left
    room_in = max(y - 0.01, 0.0) * map_h
    size = 9.5
    while True:
        measure = TextMeasure(fig, size)
        notes_text = "\n".join(wrap_text(n, panel_w * 72, measure) for n in notes)
        lines = notes_text.count("\n") + 1
        if size <= 7.0 or lines * size * 1.3 / 72 <= room_in:
            break
        size = max(7.0, size - 0.5)
    _text_block(panel, (0.0, y - 0.01), notes_text, size, 1.3, "notes", va="top", color="#333333")

    manifest = BriefingManifest(
        layers={k: v for k, v in drawn.items() if k != "incident_cells"},
        incident_cells=tuple(drawn.get("incident_cells", ())),
        legend=tuple(legend_labels),
        title=title,
        sentence=sentence,
        banner=options.banner.upper() if header else "",
        as_of=as_of,
        extent_lonlat=tuple(float(v) for v in resolved.bounds),
        texts=tuple(t for t in (notes_text, sources_text, footer) if t),
        labels=tuple(a.get_text() for a in labels),
    )
    return fig, manifest


def figure_bytes(
    fig: Figure, fmt: str, dpi: float | None = None, metadata: Mapping[str, str] | None = None
) -> bytes:
    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 4}} if fmt == "png" else {}
    fig.savefig(buffer, format=fmt, dpi=dpi or fig.dpi, metadata=dict(metadata or {}), **extra)
    return buffer.getvalue()


def briefing_png(resolved: ResolvedMap, options: BriefingOptions | None = None) -> bytes:
    """The briefing slide as PNG bytes (``options.width_px`` wide, 16:9)."""
    fig, _ = briefing_figure(resolved, options)
    return figure_bytes(
        fig,
        "png",
        metadata={
            "Title": fig_title(fig),
            "Software": f"ISKP Risk Atlas {product_version()}",
            "Description": resolved.sentence,
        },
    )


def fig_title(fig: Figure) -> str:
    """The text of a briefing figure's title artist ('' when there is none)."""
    for text in fig.texts:
        if text.get_gid() == "title":
            return text.get_text()
    return ""
