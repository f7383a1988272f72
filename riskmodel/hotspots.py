"""Hot and cold spots: Getis-Ord Gi* of incident counts, with a false-discovery correction.

For each unit (admin-1 unit or 0.5° grid cell) the count of relevant attacks over the
filtered period (the same records as the forecast: :func:`riskmodel.forecast.build_panel`)
is tested with the Getis-Ord Gi* statistic (``esda.G_Local`` with ``star=True``, binary
queen-contiguity weights from libpysal, the unit itself included). The z-scores give
two-sided normal p-values, corrected for testing every unit at once with the
Benjamini-Hochberg false-discovery rate (statsmodels ``multipletests``, ``fdr_bh``).
Classes: ``hot 99 %``/``hot 95 %``/``hot 90 %`` where the corrected p-value (q) is below
0.01/0.05/0.10 and z > 0, ``cold …`` likewise with z < 0, else ``not significant``.

The statistic needs events spread over several units: with fewer than
:data:`MIN_EVENTS` events or fewer than :data:`MIN_UNITS_WITH_EVENTS` units with an event,
no numbers are returned — every row has status ``too few events`` and the frame's
``attrs["status"]`` says how many there were.
"""

from __future__ import annotations

import warnings
from typing import Any

import geopandas as gpd
import numpy as np
from scipy import stats

from geodata.spatial import WGS84
from riskmodel.filters import Filters
from riskmodel.forecast import Panel, build_panel
from riskmodel.settings import RiskSettings

MIN_EVENTS = 30
"""Events (in all units together) below which Gi* is not computed."""
MIN_UNITS_WITH_EVENTS = 3
"""Units with at least one event below which Gi* is not computed."""
LEVELS_Q: tuple[tuple[float, str], ...] = ((0.01, "99 %"), (0.05, "95 %"), (0.10, "90 %"))
NOT_SIGNIFICANT = "not significant"
TOO_FEW = "too few events"
HOTSPOT_COLUMNS: tuple[str, ...] = ("id", "name", "events", "gi_z", "p", "q", "hotspot", "status")
METHOD = (
    "Getis-Ord Gi* (esda.G_Local, star=True, binary queen contiguity) of relevant-"
    "attack counts; two-sided normal p-values; Benjamini-Hochberg FDR (q); hot/cold "
    "at q < 0.10/0.05/0.01"
)


def classify(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``hot 99 %`` … ``cold 90 %`` or ``not significant`` from z-scores and q-values."""
    z, q = np.asarray(z, float), np.asarray(q, float)
    out = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for limit, label in reversed(LEVELS_Q):  # weakest first, strongest overwrites
        sig = q < limit
        out[sig & (z > 0)] = f"hot {label}"
        out[sig & (z < 0)] = f"cold {label}"
    return out


def gi_star(counts: np.ndarray, units: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(z-scores, two-sided p-values) of Gi* for ``counts`` over ``units``."""
    from esda import G_Local
    from libpysal.weights import Queen

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands, and the library's own notices
        w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
        g = G_Local(np.asarray(counts, float), w, transform="B", permutations=0, star=True)
    z = np.asarray(g.Zs, float)
    p = 2.0 * stats.norm.sf(np.abs(z))
    return z, p


def hotspots(
    source: Any = None,
    filters: Filters | None = None,
    settings: RiskSettings | None = None,
    level: str = "admin1",
    panel: Panel | None = None,
) -> gpd.GeoDataFrame:
    """Gi* hot/cold spots per unit at ``level`` (admin1 or grid), EPSG:4326.

    Columns :data:`HOTSPOT_COLUMNS` + geometry; ``attrs``: ``status`` (ok / too few
    events, with the counts), ``method``, ``n_events``, ``data_from``, ``data_to``.
    """
    from statsmodels.stats.multitest import multipletests

    panel = panel if panel is not None else build_panel(source, filters, settings, level)
    events = panel.counts.sum(axis=1)
    n_events, n_units = int(events.sum()), int((events > 0).sum())
    out = gpd.GeoDataFrame(
        {
            "id": panel.units["id"].to_numpy(dtype=object),
            "name": panel.units["name"].to_numpy(dtype=object),
            "events": events.astype(int),
        },
        geometry=panel.units.geometry.values,
        crs=WGS84,
    )
    enough = n_events >= MIN_EVENTS and n_units >= MIN_UNITS_WITH_EVENTS
    if enough:
        z, p = gi_star(events, panel.units)
        q = multipletests(p, method="fdr_bh")[1]
        out["gi_z"], out["p"], out["q"] = np.round(z, 3), p, q
        out["hotspot"] = classify(z, q)
        out["status"] = "ok"
        status = f"ok: {n_events} events in {n_units} units"
    else:
        out["gi_z"] = out["p"] = out["q"] = np.nan
        out["hotspot"] = None
        out["status"] = TOO_FEW
        status = (
            f"too few events for Gi*: {n_events} events in {n_units} units (needs "
            f"{MIN_EVENTS} events in {MIN_UNITS_WITH_EVENTS} or more units)"
        )
    out = out[[*HOTSPOT_COLUMNS, "geometry"]]
    out.attrs.update(
        {
            "status": status,
            "method": METHOD,
            "level": panel.level,
            "n_events": n_events,
            "data_from": str(panel.months[0]) if len(panel.months) else None,
            "data_to": str(panel.as_of),
            "description": panel.description,
        }
    )
    return out
