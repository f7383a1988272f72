"""The briefing's legend panel: the resolved map's legend lines plus the briefing-only ones,
grouped, in one or two columns, with their swatches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from mapspec import style
from mapspec.briefing.options import NEUTRAL_BAND
from mapspec.briefing.textfit import TextMeasure, wrap_text
from mapspec.briefing.titles import draw_text
from mapspec.folium_map import AGGREGATE_CELL_DEG
from mapspec.resolved import LegendEntry, ResolvedMap


def _extra_legend(resolved: ResolvedMap, drawn: Mapping[str, Any]) -> list[LegendEntry]:
    """Briefing-only legend lines: how sites, segments and grid cells are drawn."""
    extra = []
    if "segments" in drawn:
        extra.append(
            LegendEntry(
                "Other markers", "CPEC segment (colour = band; schematic)", NEUTRAL_BAND, "line"
            )
        )
    if "sites" in drawn:
        extra.append(
            LegendEntry("Other markers", "Sensitive site (fill = band)", NEUTRAL_BAND, "square")
        )
    if "incident_cells" in drawn:
        extra.append(
            LegendEntry(
                "Other markers",
                f"Incidents per {AGGREGATE_CELL_DEG}° cell (size = count, colour = top actor)",
                style.FALLBACK_COLOUR,
                "circle",
            )
        )
    return extra


def legend_entries(resolved: ResolvedMap, drawn: Mapping[str, Any]) -> list[LegendEntry]:
    return list(resolved.legend) + _extra_legend(resolved, drawn)


def draw_legend(
    ax: Any, entries: Sequence[LegendEntry], top: float, fontsize: float
) -> tuple[float, list[str]]:
    """Legend lines grouped by ``entry.layer`` in a panel axes (0–1 coordinates); long
    groups of short labels run in two columns, a label too long for the panel wraps
    (measured). Returns the y below the legend and the labels drawn."""
    fig_h_pt = ax.bbox.height / ax.figure.dpi * 72
    inch = ax.figure.dpi / ax.bbox.width  # one inch in axes-width units
    panel_pt = ax.bbox.width / ax.figure.dpi * 72
    step = fontsize * 1.55 / fig_h_pt
    label_size = fontsize * 0.92
    extra_line = label_size * 1.2 / fig_h_pt
    swatch_pt = 0.45 * 72
    measure = TextMeasure(ax.figure, label_size)
    heading_measure = TextMeasure(ax.figure, fontsize, bold=True)
    y = top
    labels: list[str] = []
    groups: dict[str, list[LegendEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.layer, []).append(entry)
    for heading, items in groups.items():
        heading_text = wrap_text(heading, panel_pt, heading_measure)
        draw_text(
            ax,
            0.0,
            y,
            heading_text,
            fontsize=fontsize,
            fontweight="bold",
            va="top",
            gid="legend_heading",
            linespacing=1.2,
        )
        y -= step + heading_text.count("\n") * fontsize * 1.2 / fig_h_pt
        column_w = min(0.5, 2.4 * inch)
        column_pt = column_w / inch * 72 - swatch_pt - 4
        two = len(items) > 5 and all(measure(e.label) <= column_pt for e in items)
        rows = -(-len(items) // 2) if two else len(items)
        row_y = y
        for i, entry in enumerate(items):
            col, row = divmod(i, rows) if two else (0, i)
            x = column_w * col
            if two and row == 0:
                row_y = y
            text = entry.label if two else wrap_text(entry.label, panel_pt - swatch_pt - 2, measure)
            _legend_swatch(ax, x, row_y - step * 0.35, entry, step, inch)
            draw_text(
                ax,
                x + 0.45 * inch,
                row_y,
                text,
                fontsize=label_size,
                va="top",
                gid="legend_label",
                linespacing=1.2,
            )
            labels.append(entry.label)
            row_y -= step + text.count("\n") * extra_line
        y = (y - rows * step if two else row_y) - step * 0.35
    return y, labels


_SWATCH_MARKERS = {"circle": "o", "square": "s", "diamond": "D"}
"""Legend marker of each point symbol (the shapes of mapspec.palette.SYMBOLS)."""


def _legend_swatch(
    ax: Any, x: float, y: float, entry: LegendEntry, step: float, inch: float
) -> None:
    colour = entry.colour
    if entry.shape == "line":
        ax.add_line(
            Line2D(
                [x + 0.02 * inch, x + 0.34 * inch],
                [y, y],
                color=colour,
                lw=3,
                linestyle="--" if "border" in entry.label.lower() else "-",
                transform=ax.transAxes,
                gid="legend_swatch",
            )
        )
    elif entry.shape in _SWATCH_MARKERS:
        ax.add_line(
            Line2D(
                [x + 0.18 * inch],
                [y],
                marker=_SWATCH_MARKERS[entry.shape],
                markersize=8 if entry.shape == "diamond" else 9,
                markerfacecolor=colour,
                markeredgecolor="#444444",
                linestyle="none",
                transform=ax.transAxes,
                gid="legend_swatch",
            )
        )
    else:
        ax.add_patch(
            Rectangle(
                (x + 0.02 * inch, y - step * 0.3),
                0.32 * inch,
                step * 0.6,
                facecolor=colour,
                edgecolor="#777777",
                lw=0.6,
                transform=ax.transAxes,
                gid="legend_swatch",
            )
        )
