"""The analysis layers: forecasts and hot spots, as frames, map layers and briefing drawings.

Frames (computed by :func:`analysis_frames` for the resolver, only when a map layer, a
popup or an export asks for them, and cached on what they depend on: the data objects and
the filter query):

- ``forecast_admin1`` / ``forecast_grid`` / ``forecast_segments`` / ``forecast_sites``: per
  unit, the probability of at least one relevant attack, the expected count and the 80 %
  interval for the next 1 and the next 3 months (:func:`riskmodel.forecast.forecast`, the
  level's default model), with the method in ``attrs["method"]``;
- ``hotspots_admin1`` / ``hotspots_grid``: Getis-Ord Gi* classes after the false-discovery
  correction (:func:`riskmodel.hotspots.hotspots`), "too few events" when the statistic
  cannot be computed.

:func:`area_forecast_columns` gives the admin-1 forecast the area popups show
(``forecast_p_1m``, ``forecast_expected_1m``, ``forecast_low_1m``, ``forecast_high_1m``,
``forecast_model``): the same numbers as ``iskp-atlas forecast --format json``.

The map layers (``forecast``, ``hotspots``; off by default) draw the 0.5° grid: the
PRIO-GRID resolution, finer than Pakistan's 7 admin-1 units.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from mapspec import palette
from riskmodel.filters import Filters, to_query

FORECAST_FRAMES: dict[str, str] = {
    "forecast_admin1": "admin1",
    "forecast_grid": "grid",
    "forecast_segments": "segment",
    "forecast_sites": "site",
}
HOTSPOT_FRAMES: dict[str, str] = {"hotspots_admin1": "admin1", "hotspots_grid": "grid"}
ANALYSIS_FRAMES: tuple[str, ...] = (*FORECAST_FRAMES, *HOTSPOT_FRAMES)
AREA_FORECAST_COLUMNS: tuple[str, ...] = (
    "forecast_p_1m",
    "forecast_expected_1m",
    "forecast_low_1m",
    "forecast_high_1m",
    "forecast_model",
)
BACKTEST_POINTER = (
    "back-test: `iskp-atlas backtest --level {level}` (same query) and the "
    "figures on real data in docs/FORECAST.md"
)
_CACHE_SIZE = 16
FLAT_FORECAST = 0.005
"""Below this spread of the cells' probabilities the forecast map is said to be flat."""


# --- frames, cached on the data objects and the filters --------------------------------


class _Memo:
    """A small LRU cache keyed on the identity of the data frames and a text key. The
    frames are held by weak reference, so a reloaded bundle never hits a stale entry."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[tuple, tuple[tuple, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, frames: tuple[Any, ...], key: tuple, compute: Callable[[], Any]) -> Any:
        full = (*(id(f) for f in frames), *key)
        with self._lock:
            hit = self._items.get(full)
            if hit is not None and all(r() is f for r, f in zip(hit[0], frames, strict=True)):
                self._items.move_to_end(full)
                return hit[1]
        value = compute()
        with self._lock:
            self._items[full] = (tuple(weakref.ref(f) for f in frames), value)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


_MEMO = _Memo(_CACHE_SIZE)


def _data_frames(data: Any) -> tuple[Any, ...]:
    return tuple(getattr(data, name) for name in ("incidents", "admin1", "corridors", "sites"))


def _panel(data: Any, filters: Filters, level: str):
    from riskmodel.forecast import build_panel
    from riskmodel.settings import settings_from_filters

    return _MEMO.get(
        _data_frames(data),
        ("panel", to_query(filters), level),
        lambda: build_panel(data, filters, settings_from_filters(filters), level),
    )


def forecast_table(data: Any, filters: Filters, level: str, horizon: int) -> gpd.GeoDataFrame:
    """:func:`riskmodel.forecast.forecast` for the level's default model, as the CLI's
    ``forecast`` computes it (cached; treat as read-only)."""
    from riskmodel.forecast import forecast

    return _MEMO.get(
        _data_frames(data),
        ("forecast", to_query(filters), level, horizon),
        lambda: forecast(None, level=level, horizon=horizon, panel=_panel(data, filters, level)),
    )


def _forecast_frame(data: Any, filters: Filters, level: str) -> gpd.GeoDataFrame:
    one, three = (forecast_table(data, filters, level, h) for h in (1, 3))
    frame = gpd.GeoDataFrame(
        {
            "id": one["id"].to_numpy(dtype=object),
            "name": one["name"].to_numpy(dtype=object),
            "p_any_1m": one["p_any"].to_numpy(),
            "expected_1m": one["expected"].to_numpy(),
            "low_1m": one["low"].to_numpy(),
            "high_1m": one["high"].to_numpy(),
            "p_any_3m": three["p_any"].to_numpy(),
            "expected_3m": three["expected"].to_numpy(),
            "low_3m": three["low"].to_numpy(),
            "high_3m": three["high"].to_numpy(),
            "last_month": one["last_month"].to_numpy(),
            "last_12_months": one["last_12_months"].to_numpy(),
            "model": one.attrs["model"],
        },
        geometry=one.geometry.values,
        crs=one.crs,
    )
    method = {k: v for k, v in one.attrs.items() if k not in ("horizon_months", "target_months")}
    method.update(
        {
            "horizons_months": [1, 3],
            "target_months": {"1m": one.attrs["target_months"], "3m": three.attrs["target_months"]},
            "quantity": "P(at least one relevant attack), expected count and interval per unit",
            "backtest": BACKTEST_POINTER.format(
                level=level if level in ("admin1", "grid") else "admin1"
            ),
            "documentation": "docs/FORECAST.md",
        }
    )
    frame.attrs["method"] = method
    return frame


def _hotspot_frame(data: Any, filters: Filters, level: str) -> gpd.GeoDataFrame:
    from riskmodel.hotspots import MIN_EVENTS, MIN_UNITS_WITH_EVENTS, hotspots

    frame = hotspots(panel=_panel(data, filters, level))
    frame.attrs["method"] = {
        **frame.attrs,
        "needs": f"at least {MIN_EVENTS} relevant attacks in {MIN_UNITS_WITH_EVENTS} or more units",
        "documentation": "docs/FORECAST.md",
    }
    return frame


def analysis_frame(data: Any, filters: Filters, name: str) -> gpd.GeoDataFrame:
    """One analysis frame (see the module doc), cached; treat as read-only."""
    if name in FORECAST_FRAMES:
        build, level = _forecast_frame, FORECAST_FRAMES[name]
    elif name in HOTSPOT_FRAMES:
        build, level = _hotspot_frame, HOTSPOT_FRAMES[name]
    else:
        raise ValueError(
            f"unknown analysis frame {name!r}; use one of " + ", ".join(ANALYSIS_FRAMES)
        )
    return _MEMO.get(
        _data_frames(data), ("frame", to_query(filters), name), lambda: build(data, filters, level)
    )


def empty_frame(name: str, message: str) -> gpd.GeoDataFrame:
    """An analysis frame with no rows, saying why (e.g. no unit in the filtered countries)."""
    frame = gpd.GeoDataFrame(
        {"id": pd.Series(dtype=object), "name": pd.Series(dtype=object)},
        geometry=gpd.GeoSeries([], crs="EPSG:4326").values,
        crs="EPSG:4326",
    )
    frame.attrs["method"] = {"status": message}
    frame.attrs["status"] = message
    return frame


class LazyFrames(Mapping):
    """The resolved map's frames: the eager ones, plus the analysis frames computed on first
    use (then kept). Thread-safe; iterating lists every name."""

    def __init__(self, eager: Mapping[str, gpd.GeoDataFrame], data: Any, filters: Filters) -> None:
        self._frames = dict(eager)
        self._data, self._filters = data, filters
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> gpd.GeoDataFrame:
        from mapspec.layers import FRAME_BUILDERS, function

        if name in self._frames:
            return self._frames[name]
        if name in FRAME_BUILDERS:  # a layer with its own data (mapspec.layers)
            frame = function(FRAME_BUILDERS[name])(self._data, self._filters)
        elif name not in ANALYSIS_FRAMES:
            raise KeyError(name)
        else:
            try:
                frame = analysis_frame(self._data, self._filters, name)
            except ValueError as exc:  # e.g. a country filter with no admin-1 unit
                frame = empty_frame(name, str(exc))
        with self._lock:
            return self._frames.setdefault(name, frame)

    def _names(self) -> tuple[str, ...]:
        from mapspec.layers import FRAME_BUILDERS

        return tuple(dict.fromkeys((*self._frames, *ANALYSIS_FRAMES, *FRAME_BUILDERS)))

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def area_forecast_columns(data: Any, filters: Filters, ids: pd.Series) -> pd.DataFrame:
    """The popup's forecast columns for the admin-1 units ``ids`` (next month, the admin-1
    default model; missing where a unit is not forecast, e.g. outside a country filter)."""
    try:
        table = forecast_table(data, filters, "admin1", 1)
    except ValueError:
        table = None
    out = pd.DataFrame(index=ids.index)
    if table is None:
        for column in AREA_FORECAST_COLUMNS:
            out[column] = np.nan if column != "forecast_model" else None
        return out
    by_id = pd.DataFrame(table.drop(columns="geometry")).set_index("id")
    keys = ids.astype(object).to_numpy()
    out["forecast_p_1m"] = by_id["p_any"].reindex(keys).to_numpy(dtype=float)
    out["forecast_expected_1m"] = by_id["expected"].reindex(keys).to_numpy(dtype=float)
    out["forecast_low_1m"] = by_id["low"].reindex(keys).astype("Int64").to_numpy()
    out["forecast_high_1m"] = by_id["high"].reindex(keys).astype("Int64").to_numpy()
    known = pd.Index(by_id.index).get_indexer(keys) >= 0
    out["forecast_model"] = np.where(known, table.attrs["model"], None).astype(object)
    return out


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
