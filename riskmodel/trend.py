"""The trend ("surge") flag: how the latest period compares with the recent past.

ACLED Trendfinder's change levels on the count of incidents, over a window that suits the
data density of each area (the first of :data:`WINDOWS` whose baseline holds at least
``min_baseline_events`` events):

1. the latest week against the mean of the 4 weeks before it (dense data);
2. the latest month against the mean of the 3 months before it;
3. the latest month against the mean of the 12 months before it (sparse data).

Change = (latest − baseline mean) / baseline mean. Levels: > +25 % ``large increase``;
+10 % to +25 % ``moderate increase``; −25 % to +10 % ``limited change``; < −25 %
``large decrease``. When no window has a baseline of ``min_baseline_events`` events the
answer is ``too few events to say`` — unless the latest month alone holds that many events,
which is new activity against a thin baseline: ``large increase``. Full method:
docs/METHODOLOGY.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

LARGE_INCREASE = "large increase"
MODERATE_INCREASE = "moderate increase"
LIMITED_CHANGE = "limited change"
LARGE_DECREASE = "large decrease"
TOO_FEW = "too few events to say"
TREND_CATEGORIES: tuple[str, ...] = (
    LARGE_INCREASE,
    MODERATE_INCREASE,
    LIMITED_CHANGE,
    LARGE_DECREASE,
    TOO_FEW,
)
MIN_BASELINE_EVENTS = 6
"""Default of ``RiskSettings.surge_min_baseline_events``."""


@dataclass(frozen=True)
class Window:
    """The latest period (``unit``: week or month) against ``periods`` periods before it."""

    unit: str
    periods: int

    @property
    def label(self) -> str:
        plural = "s" if self.periods > 1 else ""
        return f"{self.unit} vs previous {self.periods} {self.unit}{plural}"

    def edges(self, as_of: date) -> np.ndarray:
        """Period boundaries (oldest first); the last period ends with the as-of day."""
        end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
        step = pd.Timedelta(weeks=1) if self.unit == "week" else pd.DateOffset(months=1)
        return np.array(
            [(end - step * j).to_datetime64() for j in range(self.periods + 1, -1, -1)],
            dtype="datetime64[ns]",
        )


WINDOWS: tuple[Window, ...] = (Window("week", 4), Window("month", 3), Window("month", 12))


def change_level(latest: np.ndarray, baseline_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Trendfinder level and % change of ``latest`` against ``baseline_mean``.

    A zero baseline gives +inf (``large increase``) when the latest period has events and
    NaN (``too few events to say``) when it has none. No small-count rule here: that is
    :func:`trend`'s job.
    """
    latest = np.asarray(latest, dtype=float)
    mean = np.asarray(baseline_mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(
            mean > 0,
            (latest - mean) / np.where(mean > 0, mean, 1) * 100.0,
            np.where(latest > 0, np.inf, np.nan),
        )
    level = np.select(
        [np.isnan(change), change > 25, change >= 10, change >= -25],
        [TOO_FEW, LARGE_INCREASE, MODERATE_INCREASE, LIMITED_CHANGE],
        default=LARGE_DECREASE,
    ).astype(object)
    return level, change


def period_counts(
    area: np.ndarray, when: np.ndarray, n_areas: int, window: Window, as_of: date
) -> np.ndarray:
    """Array [areas, periods + 1] of incident counts per period (last column = latest)."""
    edges = window.edges(as_of)
    period = np.searchsorted(edges, when, side="right") - 1
    inside = (period >= 0) & (period <= window.periods)
    k = window.periods + 1
    return np.bincount(
        np.asarray(area)[inside] * k + period[inside], minlength=n_areas * k
    ).reshape(n_areas, k)


def trend(
    area: np.ndarray,
    when: np.ndarray,
    n_areas: int,
    as_of: date,
    min_baseline_events: int = MIN_BASELINE_EVENTS,
) -> dict[str, np.ndarray]:
    """The trend of each area from incident (area index, date) pairs.

    Returns ``surge`` (the level), ``surge_window`` (the window used, or None),
    ``surge_change_pct``, ``surge_latest`` and ``surge_baseline_mean``.
    """
    level = np.full(n_areas, TOO_FEW, dtype=object)
    window_used = np.full(n_areas, None, dtype=object)
    change = np.full(n_areas, np.nan)
    latest = np.zeros(n_areas, dtype=int)
    mean = np.full(n_areas, np.nan)
    todo = np.ones(n_areas, dtype=bool)
    sparse_latest = None
    for window in WINDOWS:
        counts = period_counts(area, when, n_areas, window, as_of)
        base_total = counts[:, :-1].sum(axis=1)
        pick = todo & (base_total >= min_baseline_events)
        lv, ch = change_level(counts[:, -1], counts[:, :-1].mean(axis=1))
        level[pick], change[pick] = lv[pick], ch[pick]
        latest[pick] = counts[pick, -1]
        mean[pick] = counts[pick, :-1].mean(axis=1)
        window_used[pick] = window.label
        todo &= ~pick
        sparse_latest = counts
    # No window with a baseline: a busy latest month is new activity; else too few.
    busy = todo & (sparse_latest[:, -1] >= min_baseline_events)
    level[busy] = LARGE_INCREASE
    change[busy] = np.inf
    window_used[busy] = WINDOWS[-1].label
    latest[todo] = sparse_latest[todo, -1]
    mean[todo] = sparse_latest[todo, :-1].mean(axis=1)
    return {
        "surge": level,
        "surge_window": window_used,
        "surge_change_pct": np.round(change, 1),
        "surge_latest": latest,
        "surge_baseline_mean": np.round(mean, 2),
    }
