"""Rolling-origin back-test of the forecasts, and the metrics it reports.

For each origin month t (train on months up to and including t, nothing later), every model
forecasts the count in month t+1 (horizon 1) and in months t+1..t+3 (horizon 3); the
forecasts are compared with what happened. Two naive baselines:

- ``persistence``: the last period's count as a Poisson mean (last month for horizon 1, the
  last three months for horizon 3): P(any) = 1 − e^{−count};
- ``climatology``: the unit's long-run monthly rate up to t (all months of the panel up to
  t) as a Poisson mean, times the horizon.

Metrics (pure functions below): Brier score, Brier skill score against each baseline, AUC
(scikit-learn ``roc_auc_score``), a reliability table, the hit rate when the top 20 % of
units are flagged and PAI (hit rate / share of the area flagged). A back-test with fewer than
:data:`MIN_EVENTS` events in the evaluated months, or fewer than :data:`MIN_POSITIVES`
unit-periods with an event, is reported as too thin (the figures still come with the
counts, never alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.forecast import HORIZONS, MODELS, Panel, Prediction, apply, fit

BASELINES: tuple[str, ...] = ("persistence", "climatology")
MIN_EVENTS = 200
"""Events in the evaluated months below which a back-test is reported as too thin."""
MIN_POSITIVES = 30
"""Unit-periods with at least one event below which a back-test is too thin."""
FLAG_SHARE = 0.2
"""Share of units flagged for the hit rate and PAI (the top 20 % by probability)."""
RELIABILITY_BINS = 10
REFIT_EVERY = 12
"""Origins between re-estimations of a model's parameters (12: once a year, as ViEWS
retrains); the forecasts themselves use the counts up to each origin."""
THIN_ADVICE = (
    "import a longer event file (UCDP GED or ACLED: iskp-atlas import FILE) "
    "for a back-test that can say something"
)


# --- metrics -------------------------------------------------------------------------------


def brier(p: np.ndarray, outcome: np.ndarray) -> float:
    """Mean squared difference between probability and outcome (0/1)."""
    p, o = np.asarray(p, float), np.asarray(outcome, float)
    return float(np.mean((p - o) ** 2)) if len(p) else float("nan")


def brier_skill(score: float, reference: float) -> float:
    """``1 − score/reference`` (NaN when the reference is 0: nothing to beat)."""
    return float(1.0 - score / reference) if reference > 0 else float("nan")


def auc(p: np.ndarray, outcome: np.ndarray) -> float:
    """Area under the ROC curve (scikit-learn); NaN when only one class occurs."""
    from sklearn.metrics import roc_auc_score

    o = np.asarray(outcome, bool)
    if o.all() or not o.any():
        return float("nan")
    return float(roc_auc_score(o, np.asarray(p, float)))


def reliability_table(
    p: np.ndarray, outcome: np.ndarray, bins: int = RELIABILITY_BINS
) -> pd.DataFrame:
    """Per bin of predicted probability ([0, 1/bins), …, [1−1/bins, 1]): ``bin_from,
    bin_to, mean_predicted, observed_frequency, count`` (empty bins left out)."""
    p, o = np.asarray(p, float), np.asarray(outcome, float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    rows = []
    for b in np.unique(which):
        sel = which == b
        rows.append(
            {
                "bin_from": b / bins,
                "bin_to": (b + 1) / bins,
                "mean_predicted": float(p[sel].mean()),
                "observed_frequency": float(o[sel].mean()),
                "count": int(sel.sum()),
            }
        )
    return pd.DataFrame(
        rows, columns=["bin_from", "bin_to", "mean_predicted", "observed_frequency", "count"]
    )


def flagged_capture(
    p: np.ndarray, events: np.ndarray, area: np.ndarray, share: float = FLAG_SHARE
) -> tuple[float, float, float]:
    """(events captured, area flagged, units flagged) when the top ``share`` of units by
    ``p`` are flagged. Ties at the cut are shared: a unit tied with others at the boundary
    counts for the fraction of the group that fits (the expected value under random
    tie-breaking), so a forecast that cannot rank gets no credit for the order of units."""
    p, ev, ar = (np.asarray(a, float) for a in (p, events, area))
    k = float(np.ceil(share * len(p) - 1e-9))
    captured = flagged_area = 0.0
    room = k
    for value in np.unique(p)[::-1]:
        if room <= 0:
            break
        group = p == value
        n = group.sum()
        take = min(1.0, room / n)
        captured += take * ev[group].sum()
        flagged_area += take * ar[group].sum()
        room -= take * n
    return captured, flagged_area, k


def hit_rate_and_pai(
    captured: float, events: float, flagged_area: float, total_area: float
) -> tuple[float, float]:
    """Hit rate = captured / events; PAI = hit rate / (flagged area / total area)."""
    hit = captured / events if events > 0 else float("nan")
    area_share = flagged_area / total_area if total_area > 0 else float("nan")
    pai = hit / area_share if area_share and area_share > 0 else float("nan")
    return float(hit), float(pai)


# --- baselines -----------------------------------------------------------------------------


def persistence(counts: np.ndarray, h: int) -> Prediction:
    """Poisson with the last ``h`` months' count as its mean."""
    mu = counts[:, -h:].sum(axis=1).astype(float)
    return Prediction(mu, np.zeros(len(mu)))


def climatology(counts: np.ndarray, h: int) -> Prediction:
    """Poisson with the unit's mean monthly count up to the origin, times ``h``."""
    mu = counts.mean(axis=1) * h if counts.shape[1] else np.zeros(counts.shape[0])
    return Prediction(mu, np.zeros(len(mu)))


def forecast_at(panel: Panel, origin: int, h: int, model: str, params: Any = None) -> Prediction:
    """The forecast made at the end of month index ``origin`` from months 0..origin only
    (``params``: the model fitted at or before the origin; None = fit now)."""
    past = panel.counts[:, : origin + 1]
    if model == "persistence":
        return persistence(past, h)
    if model == "climatology":
        return climatology(past, h)
    if params is None:
        params = fit(past, panel.neighbours, h, model)
    return apply(params, past, panel.neighbours, h, model)


# --- the back-test -------------------------------------------------------------------------


def _month_index(months: pd.PeriodIndex, when: str | pd.Period | None, default: int) -> int:
    if when is None or not len(months):
        return default
    p = pd.Period(when, "M")
    if p < months[0]:
        return 0
    if p > months[-1]:
        return len(months)
    return int(months.get_loc(p))


@dataclass
class BacktestResult:
    """Metrics per model and horizon, reliability tables, and what they rest on."""

    level: str
    origins: list[str]
    metrics: pd.DataFrame
    reliability: dict[tuple[str, int], pd.DataFrame]
    n_events: dict[int, int]
    n_positive: dict[int, int]
    data_from: str
    data_to: str
    thin: bool
    message: str
    best_model: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


METRIC_COLUMNS: tuple[str, ...] = (
    "model",
    "horizon_months",
    "brier",
    "bss_vs_persistence",
    "bss_vs_climatology",
    "auc",
    "hit_rate_top20",
    "pai_top20",
    "n_forecasts",
    "n_positive",
    "n_events",
)


def backtest(
    panel: Panel,
    start: str | pd.Period | None = None,
    end: str | pd.Period | None = None,
    models: tuple[str, ...] = MODELS,
    horizons: tuple[int, ...] = HORIZONS,
    refit_every: int = REFIT_EVERY,
) -> BacktestResult:
    """Rolling-origin back-test over origins from ``start`` to ``end`` (months, inclusive;
    defaults: the first month with 12 months of history, the last month with 3 months of
    outcomes after it). Every model and both baselines forecast at each origin, from the
    data up to that origin only; a model's parameters are re-estimated every
    ``refit_every`` origins (from the data up to the origin where they are re-estimated)."""
    if refit_every < 1:
        raise ValueError(f"refit_every must be 1 or more, got {refit_every!r}")
    months = panel.months
    n = len(months)
    first = max(_month_index(months, start, 12), 1)
    last = min(n - 1 - max(horizons), _month_index(months, end, n))
    origins = list(range(first, last + 1))
    all_models = tuple(models) + BASELINES
    area = panel.units["area_km2"].to_numpy(float)
    store: dict[tuple[str, int], list[np.ndarray]] = {
        (m, h): [] for m in all_models for h in horizons
    }
    outcomes: dict[int, list[np.ndarray]] = {h: [] for h in horizons}
    capture: dict[tuple[str, int], list[float]] = {
        (m, h): [0.0, 0.0, 0.0] for m in all_models for h in horizons
    }
    fitted: dict[tuple[str, int], Any] = {}
    for i, t in enumerate(origins):
        for h in horizons:
            actual = panel.counts[:, t + 1 : t + 1 + h].sum(axis=1)
            outcomes[h].append(actual)
            for m in all_models:
                if m in models and i % refit_every == 0:
                    fitted[(m, h)] = fit(panel.counts[:, : t + 1], panel.neighbours, h, m)
                p = forecast_at(panel, t, h, m, fitted.get((m, h))).p_any()
                store[(m, h)].append(p)
                got, flagged, _ = flagged_capture(p, actual, area)
                c = capture[(m, h)]
                c[0] += got
                c[1] += actual.sum()
                c[2] += flagged
    rows, reliability = [], {}
    n_events, n_pos = {}, {}
    for h in horizons:
        y = np.concatenate(outcomes[h]) if outcomes[h] else np.zeros(0)
        o = y > 0
        # Events in the evaluated months (horizon 1 counts each month once).
        n_events[h] = (
            int(sum(a.sum() for a in outcomes[h]))
            if h == 1
            else int(panel.counts[:, origins[0] + 1 : origins[-1] + 1 + h].sum())
            if origins
            else 0
        )
        n_pos[h] = int(o.sum())
        ref = {
            b: brier(np.concatenate(store[(b, h)]) if origins else np.zeros(0), o)
            for b in BASELINES
        }
        for m in all_models:
            p = np.concatenate(store[(m, h)]) if origins else np.zeros(0)
            b = brier(p, o)
            got, total, flagged = capture[(m, h)]
            hit, pai = hit_rate_and_pai(got, total, flagged, area.sum() * len(origins))
            rows.append(
                {
                    "model": m,
                    "horizon_months": h,
                    "brier": b,
                    "bss_vs_persistence": brier_skill(b, ref["persistence"]),
                    "bss_vs_climatology": brier_skill(b, ref["climatology"]),
                    "auc": auc(p, o),
                    "hit_rate_top20": hit,
                    "pai_top20": pai,
                    "n_forecasts": len(p),
                    "n_positive": int(o.sum()),
                    "n_events": n_events[h],
                }
            )
            reliability[(m, h)] = reliability_table(p, o)
    metrics = pd.DataFrame(rows, columns=list(METRIC_COLUMNS))
    events_1 = n_events.get(1, next(iter(n_events.values()), 0)) if n_events else 0
    positives = min(n_pos.values()) if n_pos else 0
    thin = events_1 < MIN_EVENTS or positives < MIN_POSITIVES or not origins
    origin_labels = [str(months[t]) for t in origins]
    span = f"origins {origin_labels[0]} to {origin_labels[-1]}" if origins else "no origins"
    if thin:
        message = (
            f"Too thin to judge skill: {events_1} events and {positives} unit-periods "
            f"with an event in the evaluated months ({span}; the minimum is "
            f"{MIN_EVENTS} events and {MIN_POSITIVES} unit-periods) — {THIN_ADVICE}."
        )
    else:
        message = (
            f"Back-test on {events_1} events, {len(origins)} origins ({span}), "
            f"{len(panel.units)} units."
        )
    best = None
    if not thin and len(metrics):
        h1 = metrics[(metrics["horizon_months"] == min(horizons)) & metrics["model"].isin(models)]
        best = str(h1.sort_values("brier").iloc[0]["model"]) if len(h1) else None
    return BacktestResult(
        panel.level,
        origin_labels,
        metrics,
        reliability,
        n_events,
        n_pos,
        str(months[0]) if n else "",
        str(panel.as_of),
        thin,
        message,
        best,
    )


def result_dict(result: BacktestResult) -> dict[str, Any]:
    """The result as plain JSON-ready data (NaN → None)."""

    def clean(v: Any) -> Any:
        if isinstance(v, float | np.floating):
            return None if not np.isfinite(v) else round(float(v), 4)
        if isinstance(v, np.integer):
            return int(v)
        return v

    return {
        "level": result.level,
        "data_from": result.data_from,
        "data_to": result.data_to,
        "origins": len(result.origins),
        "first_origin": result.origins[0] if result.origins else None,
        "last_origin": result.origins[-1] if result.origins else None,
        "n_events": {str(k): v for k, v in result.n_events.items()},
        "n_positive": {str(k): v for k, v in result.n_positive.items()},
        "thin": result.thin,
        "message": result.message,
        "best_model": result.best_model,
        "metrics": [
            {k: clean(v) for k, v in row.items()} for row in result.metrics.to_dict("records")
        ],
        "reliability": [
            {
                "model": m,
                "horizon_months": h,
                "bins": [{k: clean(v) for k, v in r.items()} for r in table.to_dict("records")],
            }
            for (m, h), table in result.reliability.items()
        ],
    }
