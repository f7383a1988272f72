"""Forecasts and back-test on 100k synthetic events (geodata.synth).

``forecast_all_units_s``: monthly panel + default-model forecast (1 month) of every admin-1
unit and every 0.5° grid cell, on 100k events (target < 1 s). ``backtest_120_origins_s``:
the rolling-origin back-test at admin-1 level over 120 monthly origins, three models and two
baselines, both horizons, models re-estimated every 12 origins (the default; target < 60 s).
The synthetic events span 2021-2025; for the back-test their dates are stretched over
2011-2025 (three times as long) so that 120 origins fit.
"""

from __future__ import annotations

import time

SEED = 11
N = 100_000


def _layers(events):
    from geodata import load_bundle

    bundle = load_bundle()
    return {
        "incidents": events,
        "threats": None,
        "admin1": bundle.admin1,
        "corridors": bundle.corridors,
        "sites": bundle.sites,
    }


def run() -> dict[str, object]:
    import numpy as np
    import pandas as pd

    from bench.bench_b_risk import enriched_events
    from riskmodel.backtest import backtest
    from riskmodel.forecast import build_panel, forecast

    events, _ = enriched_events(N)
    layers = _layers(events)
    for level in ("admin1", "grid"):  # warm: imports, grid cells and contiguity (cached)
        forecast(layers, level=level, panel=build_panel(_layers(events.iloc[:1000]), level=level))
    start = time.perf_counter()
    for level in ("admin1", "grid"):
        forecast(layers, level=level, horizon=1)
    forecast_s = time.perf_counter() - start

    stretched = events.copy()
    origin = np.datetime64("2021-01-01", "ns")
    dates = pd.to_datetime(stretched["date"]).to_numpy("datetime64[ns]")
    stretched["date"] = np.datetime64("2011-01-01", "ns") + (dates - origin) * 3
    panel = build_panel(_layers(stretched), level="admin1")
    first = panel.months[len(panel.months) - 3 - 120]
    start = time.perf_counter()
    result = backtest(panel, start=str(first))
    backtest_s = time.perf_counter() - start
    return {
        "forecast_all_units_s": round(forecast_s, 3),
        "backtest_120_origins_s": round(backtest_s, 2),
        "backtest_origins": len(result.origins),
        "forecast_events": len(events),
    }
