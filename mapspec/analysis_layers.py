"""The analysis map layers (forecast, hot spots): their legend lines, web-map layers and
briefing drawings, read from the analysis frames of :mod:`mapspec.analysis_frames`.

The map layers (``forecast``, ``hotspots``; off by default) draw the 0.5° grid: the
PRIO-GRID resolution, finer than Pakistan's 7 admin-1 units. The frames' names are
re-exported here for the callers that import them from this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from mapspec import palette
from mapspec.analysis_frames import (
    ANALYSIS_FRAMES,
    AREA_FORECAST_COLUMNS,
    BACKTEST_POINTER,
    FORECAST_FRAMES,
    HOTSPOT_FRAMES,
    LazyFrames,
    analysis_frame,
    area_forecast_columns,
    empty_frame,
    forecast_table,
)

__all__ = [
    "ANALYSIS_FRAMES",
    "AREA_FORECAST_COLUMNS",
    "BACKTEST_POINTER",
    "FLAT_FORECAST",
    "FORECAST_FRAMES",
    "HOTSPOT_FRAMES",
    "LazyFrames",
    "analysis_frame",
    "area_forecast_columns",
    "draw_forecast",
    "draw_hotspots",
    "empty_frame",
    "forecast_layer",
    "forecast_legend",
    "forecast_table",
    "hotspot_layer",
    "hotspot_legend",
]

FLAT_FORECAST = 0.005
"""Below this spread of the cells' probabilities the forecast map is said to be flat."""


# --- legend ------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x * 100:g} %"


def forecast_legend(
    frames: Mapping[str, gpd.GeoDataFrame],
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """Legend lines and notices of the forecast layer."""
    from mapspec.resolved import LegendEntry
    from riskmodel.forecast import EB_WINDOW_MONTHS

    frame = frames["forecast_grid"]
    method = frame.attrs.get("method", {})
    months = method.get("target_months", {}).get("1m", "next month")
    title = f"Forecast: P(≥1 relevant attack), {months}, 0.5° cells"
    entries = tuple(
        LegendEntry(
            title, f"{_pct(lo)} to {_pct(hi)}" if hi < 1 else f"{_pct(lo)} or more", colour, "fill"
        )
        for lo, hi, colour in palette.FORECAST_CLASSES
    )
    if "model" not in method:
        return entries, (f"No forecast: {method.get('status', 'no units')}.",)
    notices = [
        f"Forecast ({method['model']} model, data {method['data_from']} to "
        f"{method['data_to']}, {method['n_events']:,} relevant attacks); how good it "
        "is: the back-test on the Forecast page."
    ]
    p = frame["p_any_1m"].to_numpy(dtype=float)
    if len(p) and float(p.max() - p.min()) < FLAT_FORECAST:
        why = (
            f"in the last {EB_WINDOW_MONTHS} months, so each shrinks to the regional rate"
            if method["model"] == "eb"
            else ""
        )
        notices.append(
            f"The forecast does not tell the cells apart on these data (every cell about "
            f"{float(p.mean()) * 100:.1f} %): too few relevant attacks per cell{' ' + why}. "
            "Import UCDP GED or ACLED (Data page) for a forecast that can."
        )
    return entries, tuple(notices)


def hotspot_legend(
    frames: Mapping[str, gpd.GeoDataFrame],
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """Legend lines and notices of the hot-spot layer ("needs enough events" when so)."""
    from mapspec.resolved import LegendEntry
    from riskmodel.hotspots import MIN_EVENTS, MIN_UNITS_WITH_EVENTS, NOT_SIGNIFICANT, TOO_FEW

    frame = frames["hotspots_grid"]
    title = "Hot spots (Gi*, FDR-corrected), 0.5° cells"
    status = str(frame.attrs.get("status", ""))
    too_few = len(frame) == 0 or "status" not in frame or bool((frame["status"] == TOO_FEW).all())
    if too_few:
        return (
            LegendEntry(title, "not computed: too few events", palette.NO_DATA_COLOUR, "fill"),
        ), (f"Hot spots: {status}.",)
    entries = tuple(
        LegendEntry(title, label, colour, "fill")
        for label, colour in palette.HOTSPOT_COLOURS.items()
    )
    shown = int((frame["hotspot"] != NOT_SIGNIFICANT).sum())
    return entries, (
        f"Hot spots: {shown:,} of {len(frame):,} cells significant after the false-discovery "
        f"correction ({status.removeprefix('ok: ')} from {frame.attrs.get('data_from')} to "
        f"{frame.attrs.get('data_to')}; Gi* needs {MIN_EVENTS} relevant attacks in "
        f"{MIN_UNITS_WITH_EVENTS} or more cells).",
    )


# --- folium ------------------------------------------------------------------------------


def _cell_popup(rec: Mapping[str, Any], months: Mapping[str, str]) -> str:
    from mapspec import style

    def p(v: Any) -> str:
        return "" if v is None or v != v else f"{float(v) * 100:.1f} %"

    return style.table_html(
        style.esc(rec.get("name")),
        [
            ("Cell", style.esc(rec.get("id"))),
            (f"P(≥1 attack), {months.get('1m', '1 month')}", p(rec.get("p_any_1m"))),
            (
                "Expected (80 % interval)",
                f"{float(rec['expected_1m']):.2f} ({int(rec['low_1m'])}–{int(rec['high_1m'])})",
            ),
            (f"P(≥1 attack), {months.get('3m', '3 months')}", p(rec.get("p_any_3m"))),
            ("Last 12 months", style.esc(rec.get("last_12_months"))),
            ("Model", style.esc(rec.get("model"))),
        ],
    )


def _significant(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The Gi* cells that are hot or cold spots (the ones the map and the briefing fill)."""
    if "hotspot" not in frame:
        return frame.iloc[:0]
    return frame[frame["hotspot"].notna() & (frame["hotspot"] != "not significant")]


def _grid_layer(
    key: str,
    label: str,
    kind: str,
    frame: gpd.GeoDataFrame,
    props: list[dict[str, Any]],
    outline: Mapping[str, Any],
) -> Any:
    """A grid layer of the web map: each cell filled with its ``fill`` property, the
    ``outline`` (colour, weight, fill opacity) the same for every cell."""
    from mapspec.layer_data import features, round_coords, styled

    return styled(
        key,
        label,
        kind,
        features(round_coords(frame.geometry.to_numpy()), props),
        lambda f: {"fillColor": f["properties"]["fill"], **outline},
    )


def forecast_layer(resolved: Any) -> Any:
    """The forecast grid: every 0.5° cell filled by its next-month probability class."""
    from mapspec.layer_data import records_of

    frame = resolved.layer("forecast_grid")
    months = frame.attrs.get("method", {}).get("target_months", {})
    props = (
        [
            {
                "id": r["id"],
                "fill": palette.forecast_colour(r.get("p_any_1m")),
                "p": r.get("p_any_1m"),
                "popup": _cell_popup(r, months),
                "tip": f"{r['id']}: P(≥1 attack) {float(r.get('p_any_1m', 0)) * 100:.1f} %",
            }
            for r in records_of(frame)
        ]
        if len(frame)
        else []
    )
    return _grid_layer(
        "forecast",
        "Forecast: P(≥1 relevant attack), 0.5° grid",
        "forecast",
        frame,
        props,
        {"color": "#8c8c8c", "weight": 0.25, "fillOpacity": 0.8},
    )


def hotspot_layer(resolved: Any) -> Any:
    """The Gi* grid: significant cells filled hot red / cold blue; the rest left clear."""
    from mapspec import style
    from mapspec.layer_data import records_of

    shown = _significant(resolved.layer("hotspots_grid"))
    props = [
        {
            "id": r["id"],
            "fill": palette.hotspot_colour(r.get("hotspot")),
            "popup": style.table_html(
                style.esc(r.get("name")),
                [
                    ("Cell", style.esc(r.get("id"))),
                    ("Class", style.esc(r.get("hotspot"))),
                    ("Gi* z", f"{float(r['gi_z']):.2f}"),
                    ("q (FDR-corrected p)", f"{float(r['q']):.4f}"),
                    ("Relevant attacks", style.esc(r.get("events"))),
                ],
            ),
            "tip": f"{r['id']}: {r.get('hotspot')}",
        }
        for r in records_of(shown)
    ]
    return _grid_layer(
        "hotspots",
        "Hot spots (Gi*, FDR), 0.5° grid",
        "hotspot",
        shown,
        props,
        {"color": "#1f1f1f", "weight": 1.2, "fillOpacity": 0.85},
    )


# --- briefing ----------------------------------------------------------------------------


def _draw_grid(
    ax: Any, frame: gpd.GeoDataFrame, gid: str, tolerance: float, facecolors: Any, **edge: Any
) -> tuple[str, ...]:
    """A grid layer on the briefing image (``edge``: its edge colour, width and z-order)."""
    from mapspec.briefing.drawing import shape_layer

    return shape_layer(ax, frame, gid=gid, tolerance=tolerance, facecolors=facecolors, **edge)


def draw_forecast(ax: Any, resolved: Any, tolerance: float, drawn: dict[str, Any]) -> None:
    """The forecast grid on the briefing image (under the border and the points)."""
    frame = resolved.layer("forecast_grid")
    colours = [palette.forecast_colour(p) for p in frame.get("p_any_1m", [])]
    drawn["forecast"] = _draw_grid(
        ax, frame, "forecast", tolerance, colours, edgecolors="#9e9e9e", linewidths=0.2, zorder=1.5
    )


def draw_hotspots(ax: Any, resolved: Any, tolerance: float, drawn: dict[str, Any]) -> None:
    """The significant Gi* cells on the briefing image."""
    shown = _significant(resolved.layer("hotspots_grid"))
    colours = [palette.hotspot_colour(h) for h in shown["hotspot"]] if len(shown) else "none"
    drawn["hotspots"] = _draw_grid(
        ax, shown, "hotspots", tolerance, colours, edgecolors="#1f1f1f", linewidths=0.6, zorder=1.6
    )
