"""Forecasts of relevant attacks per unit (admin-1, 0.5° grid cell, CPEC segment, site).

For every unit, the probability of at least one relevant attack and the expected count in
the next 1 or 3 calendar months after the data's last month, with an 80 % interval from the
predictive distribution. Full method and back-test figures: docs/FORECAST.md.

This module makes the forecast table (:func:`forecast`) and keeps every forecast name
importable from here: the monthly counts it reads are built in
:mod:`riskmodel.forecast_panel` (which records count, and where), and the models (``glm``,
``hawkes``, ``eb``) fitted on them live in :mod:`riskmodel.forecast_models`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np

from geodata.spatial import WGS84
from riskmodel.filters import Filters
from riskmodel.forecast_models import (
    DEFAULT_MODEL,
    DEFAULT_MODELS,
    EB_WINDOW_MONTHS,
    FFT_EXCITATION_MAX_CELLS,
    HORIZONS,
    MIN_HISTORY_MONTHS,
    MODELS,
    TRAIN_MONTHS,
    Prediction,
    apply,
    apply_eb,
    apply_glm,
    apply_hawkes,
    eb_prior,
    eb_rates,
    features,
    fit,
    fit_glm,
    fit_hawkes,
    nb_alpha,
    predict,
)
from riskmodel.forecast_panel import (
    AREA_LEVELS,
    FORECAST_LEVELS,
    GRID_DEG,
    MIN_RELEVANCE,
    Panel,
    build_panel,
    contiguity,
    grid_cells,
    relevant_incidents,
)
from riskmodel.settings import RiskSettings

__all__ = [
    "AREA_LEVELS",
    "DEFAULT_MODEL",
    "DEFAULT_MODELS",
    "EB_WINDOW_MONTHS",
    "FFT_EXCITATION_MAX_CELLS",
    "FORECAST_COLUMNS",
    "FORECAST_LEVELS",
    "GRID_DEG",
    "HORIZONS",
    "INTERVAL",
    "MIN_HISTORY_MONTHS",
    "MIN_RELEVANCE",
    "MODELS",
    "TRAIN_MONTHS",
    "Panel",
    "Prediction",
    "apply",
    "apply_eb",
    "apply_glm",
    "apply_hawkes",
    "build_panel",
    "contiguity",
    "eb_prior",
    "eb_rates",
    "features",
    "fit",
    "fit_glm",
    "fit_hawkes",
    "forecast",
    "forecast_metadata",
    "grid_cells",
    "nb_alpha",
    "predict",
    "relevant_incidents",
]

INTERVAL = (0.1, 0.9)
"""Quantiles of the predictive distribution given as the interval (an 80 % interval)."""


# --- the forecast table --------------------------------------------------------------------

FORECAST_COLUMNS: tuple[str, ...] = (
    "id",
    "name",
    "p_any",
    "expected",
    "low",
    "high",
    "last_month",
    "last_12_months",
)


def forecast(
    source: Any,
    filters: Filters | None = None,
    settings: RiskSettings | None = None,
    level: str = "admin1",
    horizon: int = 1,
    model: str | None = None,
    panel: Panel | None = None,
) -> gpd.GeoDataFrame:
    """Forecast table (GeoDataFrame, EPSG:4326) for every unit at ``level``.

    Columns: ``id, name, p_any`` (P of at least one relevant attack in the next
    ``horizon`` months), ``expected`` (count), ``low, high`` (80 % interval),
    ``last_month, last_12_months`` (observed), ``geometry``. ``attrs`` holds the method:
    model, level, horizon, months forecast, data span, event counts, description.
    ``model`` None = the level's :data:`DEFAULT_MODELS` entry.
    """
    panel = panel if panel is not None else build_panel(source, filters, settings, level)
    model = model or DEFAULT_MODELS[panel.level]
    neighbours = panel.neighbours if model == "glm" else None  # only the GLM reads them
    pred = predict(panel.counts, neighbours, horizon, model)
    out = gpd.GeoDataFrame(
        {
            "id": panel.units["id"].to_numpy(dtype=object),
            "name": panel.units["name"].to_numpy(dtype=object),
            "p_any": np.round(pred.p_any(), 4),
            "expected": np.round(pred.mu, 3),
            "low": pred.quantile(INTERVAL[0]).astype(int),
            "high": pred.quantile(INTERVAL[1]).astype(int),
            "last_month": panel.counts[:, -1].astype(int) if panel.counts.shape[1] else 0,
            "last_12_months": panel.counts[:, -12:].sum(axis=1).astype(int),
        },
        geometry=panel.units.geometry.values,
        crs=WGS84,
    )
    last = panel.months[-1]
    out.attrs.update(forecast_metadata(panel, model, horizon))
    out.attrs["target_months"] = f"{last + 1}" if horizon == 1 else f"{last + 1} to {last + 3}"
    return out


def forecast_metadata(panel: Panel, model: str, horizon: int) -> dict[str, Any]:
    """What a forecast table says about itself (for pages, exports and JSON output)."""
    return {
        "model": model,
        "level": panel.level,
        "horizon_months": horizon,
        "interval": f"{round((INTERVAL[1] - INTERVAL[0]) * 100)} % "
        f"(quantiles {INTERVAL[0]:g}-{INTERVAL[1]:g} of the predictive "
        "distribution)",
        "data_from": str(panel.months[0]) if len(panel.months) else None,
        "data_to": str(panel.as_of),
        "n_events": panel.n_events,
        "n_unplaced": panel.n_unplaced,
        "n_units": len(panel.units),
        "description": panel.description,
    }
