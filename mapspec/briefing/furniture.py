"""Map furniture: the north arrow. The slide's other furniture lives in its own modules and is
importable from here: the names (:mod:`~mapspec.briefing.labels`), the legend
(:mod:`~mapspec.briefing.legend_panel`), the text, titles and banner
(:mod:`~mapspec.briefing.titles`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mapspec.briefing.labels import place_labels
from mapspec.briefing.legend_panel import draw_legend, legend_entries
from mapspec.briefing.options import TO_METRIC
from mapspec.briefing.titles import default_title, draw_banner, draw_text, route_name

__all__ = [
    "default_title",
    "draw_banner",
    "draw_legend",
    "draw_north_arrow",
    "draw_text",
    "legend_entries",
    "place_labels",
    "route_name",
]


def draw_north_arrow(ax: Any, centre_lonlat: tuple[float, float]) -> tuple[Any, Any]:
    lon, lat = centre_lonlat
    (x0, x1), (y0, y1) = TO_METRIC.transform([lon, lon], [lat, lat + 0.5])
    dx, dy = x1 - x0, y1 - y0
    norm = float(np.hypot(dx, dy)) or 1.0
    ux, uy = 0.07 * dx / norm, 0.07 * dy / norm
    tip = (0.95, 0.95)
    arrow = ax.annotate(
        "",
        xy=tip,
        xytext=(tip[0] - ux, tip[1] - uy),
        xycoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.5,head_length=0.9",
            "color": "black",
            "lw": 2.5,
        },
        zorder=20,
        gid="north_arrow",
    )
    label = draw_text(
        ax,
        tip[0] - ux * 1.0,
        tip[1] - uy * 1.0 - 0.035,
        "N",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=14,
        fontweight="bold",
        zorder=20,
        gid="north_arrow_label",
    )
    return arrow, label
