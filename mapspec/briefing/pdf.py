"""The one-page briefing PDF: the slide's map above the top-10 tables of areas, segments
and sites."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mapspec.briefing.furniture import default_title, draw_banner, draw_text, route_name
from mapspec.briefing.options import (
    A4_PORTRAIT_IN,
    LEVELS,
    MIN_WIDTH_PX,
    SLIDE_SIZE_IN,
    TOP_N,
    BriefingManifest,
    BriefingOptions,
)
from mapspec.briefing.pdftables import (
    ANALYST_KEY,
    TABLE_COLUMNS,
    TABLE_FONT_PT,
    TABLE_GAP_PT,
    TABLE_KEY,
    TABLE_LINE,
    TABLE_MIN_FONT_PT,
    analyst_note,
    draw_table,
    layout_table,
    table_rows,
)
from mapspec.briefing.slide import briefing_figure, figure_bytes, sources_line
from mapspec.briefing.textfit import TextMeasure, wrap_text
from mapspec.export.metadata import SCHEMATIC_NOTE, product_version, utc_timestamp
from mapspec.resolved import ResolvedMap

# --- The one-page PDF -----------------------------------------------------------------------


def _analyst_key(resolved: ResolvedMap) -> str:
    """The analyst's bands explained and listed, with a space after; "" when none is set."""
    note = analyst_note(resolved)
    return f"{ANALYST_KEY} {note} " if note else ""


def briefing_pdf_figure(
    resolved: ResolvedMap, options: BriefingOptions | None = None
) -> tuple[Figure, BriefingManifest]:
    """The one-page PDF as a Figure: map image, sentence, top 10 areas/segments/sites with
    their top contributors, sources. The manifest's ``texts`` hold the table rows.

    The tables are laid out first, with measured text (see :func:`layout_table`); the
    map image takes the height that is left (at most the page's width at the slide's
    shape). If the tables would leave the map less than a third of the page, their type
    gets smaller (down to 5 pt)."""
    options = options or BriefingOptions()
    title_src = options.title or default_title(resolved)
    page_w, page_h = A4_PORTRAIT_IN
    page_w_pt, page_h_pt = page_w * 72, page_h * 72
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    left, content_w = 0.04, 0.92
    content_pt = content_w * page_w_pt
    banner_h = 0.025
    draw_banner(fig, options.banner, 1 - banner_h, banner_h)
    draw_banner(fig, options.banner, 0.0, banner_h)
    title = wrap_text(title_src, content_pt, TextMeasure(fig, 10.5, bold=True))
    sentence = wrap_text(resolved.sentence, content_pt, TextMeasure(fig, 8.5))
    y = 1 - banner_h - 0.012
    draw_text(
        fig,
        left,
        y,
        title,
        fontsize=10.5,
        fontweight="bold",
        va="top",
        gid="title",
        linespacing=1.2,
    )
    y -= (title.count("\n") + 1) * 10.5 * 1.2 / page_h_pt + 0.006
    draw_text(fig, left, y, sentence, fontsize=8.5, va="top", gid="sentence", linespacing=1.2)
    y -= (sentence.count("\n") + 1) * 8.5 * 1.2 / page_h_pt + 0.008
    image_top = y

    footer = (
        f"ISKP Risk Atlas {product_version()} · generated "
        f"{utc_timestamp(options.generated)} · query: "
        f"{urlencode(resolved.spec.to_params()) or '(none: full bundled view)'}"
    )
    sources = (
        f"{TABLE_KEY} {_analyst_key(resolved)}{SCHEMATIC_NOTE} "
        f"Scores as of {resolved.as_of.isoformat()}. " + sources_line(resolved)
    )
    sources_text = wrap_text(sources, content_pt, TextMeasure(fig, 5.8))
    footer_text = wrap_text(footer, content_pt, TextMeasure(fig, 5.8))
    draw_text(
        fig,
        left,
        banner_h + 0.006,
        footer_text,
        fontsize=5.8,
        va="bottom",
        color="#555555",
        gid="footer",
        linespacing=1.25,
    )
    sources_y = banner_h + 0.01 + (footer_text.count("\n") + 1) * 5.8 * 1.25 / page_h_pt
    draw_text(
        fig,
        left,
        sources_y,
        sources_text,
        fontsize=5.8,
        va="bottom",
        color="#333333",
        gid="sources",
        linespacing=1.25,
    )
    sources_top = sources_y + (sources_text.count("\n") + 1) * 5.8 * 1.25 / page_h_pt

    route = (
        f": {route_name(resolved, resolved.spec.view.value)}"
        if resolved.spec.view.kind == "route"
        else ""
    )
    tables = [
        (heading + (route if layer == "segments" else ""), table_rows(resolved, layer, level))
        for layer, level, heading in LEVELS
    ]
    header = tuple(c.heading for c in TABLE_COLUMNS)
    slide_ratio = SLIDE_SIZE_IN[1] / SLIDE_SIZE_IN[0]
    image_min = 0.8 * content_w * page_w * slide_ratio / page_h  # about the slide's shape
    image_max = 0.5
    fontsize = TABLE_FONT_PT
    while True:
        measure = TextMeasure(fig, fontsize)
        layouts = [
            layout_table([header, *rows], content_pt, measure) if rows else None
            for _, rows in tables
        ]
        pitch = fontsize * TABLE_LINE / page_h_pt
        heading_h = 8.5 * 1.45 / page_h_pt
        tables_h = sum(
            heading_h
            + (lay.total_lines * pitch + 2.4 / page_h_pt * len(lay.lines) if lay else pitch)
            + 0.6 * pitch
            + 0.004
            for lay in layouts
        )
        fits = all(
            lay is None
            or sum(lay.widths) + TABLE_GAP_PT * (len(lay.widths) - 1) <= content_pt + 0.5
            for lay in layouts
        )
        image_h = min(image_max, image_top - 0.012 - tables_h - sources_top - 0.01)
        if (fits and image_h >= image_min) or fontsize <= TABLE_MIN_FONT_PT:
            break
        fontsize = max(TABLE_MIN_FONT_PT, fontsize - 0.25)
    image_h = max(image_h, 0.2)
    # the map area is drawn as a slide as wide as the widescreen one (same type sizes,
    # scaled down alike), as tall as the page leaves: a taller map, not a smaller one
    slide_h = SLIDE_SIZE_IN[0] * image_h * page_h / (content_w * page_w)
    slide, slide_manifest = briefing_figure(
        resolved,
        BriefingOptions(options.banner, options.title, MIN_WIDTH_PX, options.generated),
        header=False,
        size_in=(SLIDE_SIZE_IN[0], slide_h),
    )
    slide.canvas.draw()
    image = np.asarray(slide.canvas.buffer_rgba())
    img_ax = fig.add_axes((left, image_top - image_h, content_w, image_h), gid="map_image")
    img_ax.imshow(image, interpolation="none")
    img_ax.set_axis_off()

    rows_text: list[str] = []
    y = image_top - image_h - 0.012
    for (heading, rows), layout in zip(tables, layouts, strict=True):
        draw_text(
            fig,
            left,
            y,
            f"Top {TOP_N}: {heading}",
            fontsize=8.5,
            fontweight="bold",
            va="top",
            gid="table_heading",
        )
        y -= heading_h
        if layout is None:
            draw_text(
                fig,
                left,
                y,
                "nothing scored in this view",
                fontsize=fontsize,
                va="top",
                gid="table_cell",
            )
            y -= pitch
        else:
            y = draw_table(fig, layout, [header, *rows], left, y, fontsize, page_h_pt, page_w_pt)
            rows_text.extend(f"{r[0]} | {r[1]} ({r[2]}) | " + " | ".join(r[3:]) for r in rows)
        y -= 0.6 * pitch + 0.004
    manifest = BriefingManifest(
        layers=slide_manifest.layers,
        incident_cells=slide_manifest.incident_cells,
        legend=slide_manifest.legend,
        title=slide_manifest.title,
        sentence=resolved.sentence,
        banner=options.banner.upper(),
        as_of=slide_manifest.as_of,
        extent_lonlat=slide_manifest.extent_lonlat,
        texts=(*rows_text, sources),
    )
    return fig, manifest


def briefing_pdf(resolved: ResolvedMap, options: BriefingOptions | None = None) -> bytes:
    """The one-page briefing as PDF bytes (A4 portrait)."""
    fig, manifest = briefing_pdf_figure(resolved, options)
    return figure_bytes(
        fig,
        "pdf",
        dpi=200,
        metadata={
            "Title": manifest.title,
            "Subject": resolved.sentence,
            "Creator": f"ISKP Risk Atlas {product_version()}",
        },
    )
