"""The fixed transform of load to a 0–100 score, and five fixed risk bands.

Both are constants, never rescaled to the data on screen: a band means the same thing in
every filter state and every month (DESIGN §6; kepler.gl's lesson on colour scales that
rescale with the filter). See docs/METHODOLOGY.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LOAD_SCALE_L0: float = 20.0
"""L0 of ``score = 100·(1 − e^(−L/L0))``: a load of L0 scores 63.2 (band high).

A load of 20 is, for example, one attack with about 6 deaths and 3 injured
(severity 1 + 3·6 + 0.5·3 = 20.5) today, at full relevance, in the area — or two such
attacks one half-life ago.
"""


@dataclass(frozen=True)
class Band:
    """One risk band: scores in ``[lower, upper)`` (the top band includes 100)."""

    name: str
    lower: float
    upper: float
    colour: str
    meaning: str


BANDS: tuple[Band, ...] = (
    Band(
        "insignificant",
        0.0,
        10.0,
        "#d9d9d9",
        "little or no recent relevant activity (load below 2.1)",
    ),
    Band("low", 10.0, 30.0, "#fee391", "some relevant activity, old or minor (load 2.1 to 7.1)"),
    Band(
        "medium",
        30.0,
        55.0,
        "#fdae61",
        "recent minor attacks or an older serious one (load 7.1 to 16.0)",
    ),
    Band(
        "high",
        55.0,
        80.0,
        "#f46d43",
        "a recent serious attack or several minor ones (load 16.0 to 32.2)",
    ),
    Band(
        "extreme",
        80.0,
        100.0,
        "#a50026",
        "repeated or mass-casualty recent attacks (load 32.2 or more)",
    ),
)
"""Five fixed bands, ordered from lowest to highest, covering 0–100 without overlap."""

BAND_NAMES: tuple[str, ...] = tuple(b.name for b in BANDS)
BAND_COLOURS: dict[str, str] = {b.name: b.colour for b in BANDS}
_LOWERS = np.array([b.lower for b in BANDS])


def score_from_load(load: float | np.ndarray) -> float | np.ndarray:
    """The fixed transform ``100·(1 − e^(−L/L0))`` with ``L0 =`` :data:`LOAD_SCALE_L0`.

    Monotone, 0 at L = 0, approaches 100; works on scalars and arrays. Negative loads
    are not meaningful and raise ValueError.
    """
    arr = np.asarray(load, dtype=float)
    if np.any(arr < 0):
        raise ValueError("load must be 0 or more")
    out = 100.0 * -np.expm1(-arr / LOAD_SCALE_L0)
    return float(out) if np.ndim(out) == 0 else out


def load_for_score(score: float) -> float:
    """The inverse transform: the load that gives ``score`` (0 ≤ score < 100)."""
    if not 0 <= score < 100:
        raise ValueError("score must be in [0, 100)")
    return float(-LOAD_SCALE_L0 * np.log1p(-score / 100.0))


def band_for(score: float) -> Band:
    """The band a score in [0, 100] falls in (lower bound inclusive, upper exclusive)."""
    if score is None or not np.isfinite(score) or not 0 <= score <= 100:
        raise ValueError(f"score must be a number in [0, 100], got {score!r}")
    return BANDS[int(np.searchsorted(_LOWERS, score, side="right")) - 1]


def band_names(scores: np.ndarray) -> np.ndarray:
    """Vectorised :func:`band_for` returning band names (object array)."""
    arr = np.asarray(scores, dtype=float)
    if arr.size and (np.any(~np.isfinite(arr)) or arr.min() < 0 or arr.max() > 100):
        raise ValueError("scores must be numbers in [0, 100]")
    idx = np.searchsorted(_LOWERS, arr, side="right") - 1
    return np.array(BAND_NAMES, dtype=object)[idx]
