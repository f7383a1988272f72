"""The analysis frames: forecasts and hot spots per unit, computed on first use and cached.

Computed by :func:`analysis_frame` for the resolver (through :class:`LazyFrames`), only
when a map layer, a popup or an export asks for them, and cached on what they depend on:
the data objects and the filter query:

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
