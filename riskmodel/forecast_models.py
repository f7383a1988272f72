"""The forecast models (GLM, Hawkes, empirical Bayes) and their predictive distributions.

All fitted with maintained libraries, on a unit × month count matrix (a
:class:`riskmodel.forecast_panel.Panel`'s ``counts``):

- ``glm``: negative-binomial (NB2) GLM (statsmodels) of the count
  in the next month (h=1) or the next three months (h=3) on the unit's own lagged counts
  (last month, mean of the last 3 and of the last 12 months) and its neighbours' (libpysal
  queen contiguity, row-standardised: the neighbours' mean last month and last 12 months),
  all as ``log(1 + x)``; a direct model per horizon, trained on the last
  :data:`TRAIN_MONTHS` months. Falls back to the Poisson GLM when the data show no
  over-dispersion or the NB fit fails.
- ``hawkes``: a discrete-time self-exciting model, ``λ_u(t) = μ·m_u + α·E_u(t)`` with
  ``E_u(t) = Σ_k (1−e^{−β}) e^{−β(k−1)} y_u(t−k)`` (an exponential-decay kernel that sums to
  1, so α is the branching ratio) and ``m_u`` the unit's shrunk long-run rate (below);
  μ, α, β maximise the Poisson likelihood (scipy.optimize, bounded Nelder-Mead).
- ``eb``: empirical-Bayes gamma-Poisson shrinkage of each unit's rate over the last
  :data:`EB_WINDOW_MONTHS` months toward the regional prior (the gamma prior's a, b
  maximise the negative-binomial marginal likelihood of all units' counts, scipy.optimize);
  the predictive distribution is the exact gamma-Poisson (negative binomial) one, so one
  event does not swing a sparse unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # scipy is imported where it is used: the CLI starts without it
    from scipy import sparse

MODELS: tuple[str, ...] = ("glm", "hawkes", "eb")
DEFAULT_MODELS: dict[str, str] = {"admin1": "hawkes", "grid": "eb", "segment": "eb", "site": "eb"}
"""The model each level's forecast uses unless told otherwise: the one with the best Brier
score in the back-test on UCDP GED Pakistan 1989-2019 (docs/FORECAST.md); for CPEC segments
and sites, whose counts are sparse, the empirical-Bayes model (a unit with few events
shrinks to the prior of all segments, or all sites)."""
DEFAULT_MODEL = DEFAULT_MODELS["admin1"]
HORIZONS: tuple[int, ...] = (1, 3)
EB_WINDOW_MONTHS = 12
MIN_HISTORY_MONTHS = 13
"""Months of history the GLM's features need before the first training row."""
TRAIN_MONTHS = 120
"""The GLM trains on (at most) the last this many months before the origin."""

_FEATURES = ("own_lag1", "own_mean3", "own_mean12", "nbr_lag1", "nbr_mean12")


# --- features ------------------------------------------------------------------------------


def _trailing_mean(counts: np.ndarray, k: int) -> np.ndarray:
    """Mean of the last ``k`` months up to and including each month (fewer at the start)."""
    c = np.cumsum(counts, axis=1, dtype=float)
    shifted = np.zeros_like(c)
    shifted[:, k:] = c[:, :-k]
    n = np.minimum(np.arange(1, counts.shape[1] + 1), k)
    return (c - shifted) / n


def features(counts: np.ndarray, neighbours: sparse.csr_matrix) -> np.ndarray:
    """Array [units, months, 5] of ``log(1+x)`` of own last month, own 3- and 12-month
    means, neighbours' mean last month and 12-month mean, as known at the end of each
    month (only that month and earlier)."""
    own1 = counts.astype(float)
    own3 = _trailing_mean(counts, 3)
    own12 = _trailing_mean(counts, 12)
    nbr1 = neighbours @ own1
    nbr12 = neighbours @ own12
    return np.log1p(np.stack([own1, own3, own12, nbr1, nbr12], axis=-1))


def _future_sum(counts: np.ndarray, h: int) -> np.ndarray:
    """``out[:, s]`` = count in months s+1..s+h (NaN where not observed)."""
    c = np.concatenate([np.zeros((counts.shape[0], 1)), np.cumsum(counts, axis=1)], axis=1)
    n = counts.shape[1]
    out = np.full(counts.shape, np.nan)
    if n > h:
        out[:, : n - h] = c[:, h + 1 : n + 1] - c[:, 1 : n - h + 1]
    return out


# --- predictive distributions ------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    """Predictive distribution per unit: mean ``mu`` and NB dispersion ``alpha`` (0 =
    Poisson; variance = mu + alpha·mu²)."""

    mu: np.ndarray
    alpha: np.ndarray

    def _dist(self):
        mu = np.maximum(self.mu, 0.0)
        alpha = np.maximum(self.alpha, 0.0)
        r = np.where(alpha > 1e-9, 1.0 / np.maximum(alpha, 1e-9), np.inf)
        return mu, alpha, r

    def p_any(self) -> np.ndarray:
        """P(count ≥ 1)."""
        mu, alpha, _ = self._dist()
        p0 = np.where(
            alpha > 1e-9, (1.0 + alpha * mu) ** (-1.0 / np.maximum(alpha, 1e-9)), np.exp(-mu)
        )
        return 1.0 - p0

    def quantile(self, q: float) -> np.ndarray:
        """The ``q`` quantile of the count."""
        from scipy import stats

        mu, alpha, r = self._dist()
        nb = alpha > 1e-9
        out = np.empty(len(mu))
        out[~nb] = stats.poisson.ppf(q, mu[~nb])
        rr = r[nb]
        out[nb] = stats.nbinom.ppf(q, rr, rr / (rr + mu[nb]))
        return out


def _nb_pred(mu: np.ndarray, alpha: float) -> Prediction:
    return Prediction(np.asarray(mu, float), np.full(len(mu), float(alpha)))


# --- models --------------------------------------------------------------------------------


def _compress(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows with all-zero features and a zero outcome (most unit-months of sparse data)
    merged into one row with a frequency weight: the same likelihood, far fewer rows."""
    empty = ~x.any(axis=1) & (y == 0)
    keep = np.flatnonzero(~empty)
    weights = np.ones(len(keep) + 1)
    weights[-1] = empty.sum()
    xs = np.vstack([x[keep], np.zeros((1, x.shape[1]))])
    ys = np.append(y[keep], 0.0)
    if weights[-1] == 0:
        xs, ys, weights = xs[:-1], ys[:-1], weights[:-1]
    return xs, ys, weights


def nb_alpha(y: np.ndarray, mu: np.ndarray, weights: np.ndarray) -> float:
    """NB2 dispersion by the Cameron-Trivedi auxiliary regression (no intercept) of
    ``((y−μ)² − y)/μ`` on ``μ``: ``α = Σ w((y−μ)² − y) / Σ w μ²``, at least 0."""
    denom = float((weights * mu**2).sum())
    if denom <= 0:
        return 0.0
    return max(0.0, float((weights * ((y - mu) ** 2 - y)).sum()) / denom)


def fit_glm(
    counts: np.ndarray, neighbours: sparse.csr_matrix, h: int
) -> tuple[np.ndarray, float] | float:
    """Negative-binomial (NB2) GLM of the next-``h``-month count on lagged features (see
    the module doc), trained on the last :data:`TRAIN_MONTHS` months whose outcome lies
    within ``counts``. Returns (coefficients, α), or a plain monthly rate when there is
    nothing to fit.

    Fitting (statsmodels GLM, IRLS): a Poisson GLM, the dispersion α from its fit
    (:func:`nb_alpha`), then the NB GLM with that α (Poisson when α = 0).
    """
    import warnings

    import statsmodels.api as sm

    feats = features(counts, neighbours)
    target = _future_sum(counts, h)
    n_months = counts.shape[1]
    lo = max(min(MIN_HISTORY_MONTHS - 1, n_months - h - 1), n_months - h - TRAIN_MONTHS, 0)
    train_months = np.arange(lo, n_months - h)
    if len(train_months) == 0 or np.nansum(target[:, train_months]) == 0:
        recent = counts[:, -TRAIN_MONTHS:]
        return float(recent.sum() / max(recent.size, 1))
    x, y, w = _compress(
        feats[:, train_months, :].reshape(-1, feats.shape[-1]), target[:, train_months].reshape(-1)
    )
    x = sm.add_constant(x, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence/rank warnings: the fallback below
        poisson = sm.GLM(y, x, family=sm.families.Poisson(), freq_weights=w).fit()
        params, alpha = poisson.params, nb_alpha(y, poisson.fittedvalues, w)
        if alpha > 1e-6:
            try:
                nb = sm.GLM(
                    y, x, family=sm.families.NegativeBinomial(alpha=alpha), freq_weights=w
                ).fit(start_params=poisson.params)
                if np.all(np.isfinite(nb.params)):
                    params = nb.params
            except (ValueError, np.linalg.LinAlgError):
                pass
    return np.asarray(params, float), float(alpha)


def apply_glm(
    fit: tuple[np.ndarray, float] | float, counts: np.ndarray, neighbours: sparse.csr_matrix, h: int
) -> Prediction:
    """The GLM's predictive distribution from the features of the last month."""
    if isinstance(fit, float):
        return _nb_pred(np.full(counts.shape[0], fit * h), 0.0)
    params, alpha = fit
    x_now = np.column_stack(
        [np.ones(counts.shape[0]), features(counts[:, -12:], neighbours)[:, -1, :]]
    )
    eta = np.clip(x_now @ params, -30, 15)
    return _nb_pred(np.exp(eta), alpha)


def eb_prior(sums: np.ndarray, exposure: float) -> tuple[float, float]:
    """Gamma(a, b) prior of unit monthly rates from their event counts over ``exposure``
    months: a, b maximise the negative-binomial marginal likelihood (scipy.optimize)."""
    from scipy import optimize
    from scipy.special import gammaln

    sums = np.asarray(sums, float)
    mean = sums.mean() / exposure if len(sums) else 0.0
    if mean <= 0:
        return 1.0, 1e6  # no events anywhere: rates shrink to ~0
    t = float(exposure)

    def nll(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        ll = gammaln(sums + a) - gammaln(a) + a * np.log(b / (b + t)) + sums * np.log(t / (b + t))
        return -float(ll.sum())

    start = np.log([1.0, 1.0 / mean])
    res = optimize.minimize(
        nll,
        start,
        method="Nelder-Mead",
        bounds=[(-9, 9), (-12, 15)],
        options={"xatol": 1e-4, "fatol": 1e-6},
    )
    a, b = np.exp(res.x)
    return float(a), float(b)


def eb_rates(counts: np.ndarray, window: int = EB_WINDOW_MONTHS) -> tuple[np.ndarray, float, float]:
    """Shrunk monthly rate per unit over the last ``window`` months, and the prior (a, b)."""
    span = counts[:, -window:]
    t = span.shape[1]
    sums = span.sum(axis=1)
    a, b = eb_prior(sums, t)
    return (a + sums) / (b + t), a, b


def apply_eb(counts: np.ndarray, h: int) -> Prediction:
    """Gamma-Poisson posterior predictive of the next ``h`` months' count (exact NB:
    size r = a + S, mean h·(a+S)/(b+T), over the last :data:`EB_WINDOW_MONTHS` months)."""
    span = counts[:, -EB_WINDOW_MONTHS:]
    t = span.shape[1]
    sums = span.sum(axis=1)
    a, b = eb_prior(sums, t)
    r = a + sums
    mu = h * r / (b + t)
    return Prediction(mu, 1.0 / r)  # NB with size r and mean mu: variance mu + mu²/r


def _excitation(counts: np.ndarray, beta: float) -> np.ndarray:
    """E[:, s] = Σ_k (1−e^{−β}) e^{−β(k−1)} y[:, s−k+1] — the kernel-weighted past up to and
    including month s (what drives month s+1).

    Small panels (the app's admin-1 forecast: tens of units) take the causal convolution
    with the kernel by FFT (numpy), since importing scipy.signal costs about 2.5 s, which
    the app's first map paid (the popups carry the forecast); large panels (the grid, the
    back-test) take ``scipy.signal.lfilter`` of the recursion
    ``E[:, s] = (1−d)·y[:, s] + d·E[:, s−1]``, faster there. Both agree to rounding
    (tested)."""
    d = np.exp(-beta)
    y = counts.astype(float)
    months = y.shape[1]
    if months == 0:
        return np.zeros(y.shape)
    if y.size > FFT_EXCITATION_MAX_CELLS:
        from scipy.signal import lfilter

        return lfilter([1.0 - d], [1.0, -d], y, axis=1)
    n = 1 << (2 * months - 1).bit_length()  # no wrap-around: n ≥ 2·months − 1
    kernel = (1.0 - d) * d ** np.arange(months, dtype=float)
    spectrum = np.fft.rfft(y, n, axis=1) * np.fft.rfft(kernel, n)
    return np.fft.irfft(spectrum, n, axis=1)[:, :months]


FFT_EXCITATION_MAX_CELLS = 50_000
"""Above this many unit-months :func:`_excitation` uses scipy's lfilter (see there)."""


def _background(counts: np.ndarray) -> np.ndarray:
    return np.maximum(eb_rates(counts, counts.shape[1])[0], 1e-6)


def fit_hawkes(counts: np.ndarray) -> tuple[float, float, float]:
    """(μ, α, β) of the discrete self-exciting model, by maximum Poisson likelihood over
    the last :data:`TRAIN_MONTHS` months (scipy.optimize, bounded Nelder-Mead); the
    excitation uses the whole history."""
    from scipy import optimize

    background = _background(counts)
    lo = max(counts.shape[1] - TRAIN_MONTHS, 1)
    y = counts[:, lo:].astype(float)
    if y.sum() == 0:
        return 1.0, 0.0, 1.0

    def nll(theta: np.ndarray) -> float:
        mu, alpha, beta = theta
        lam = mu * background[:, None] + alpha * _excitation(counts, beta)[:, lo - 1 : -1]
        lam = np.maximum(lam, 1e-12)
        return float((lam - y * np.log(lam)).sum())

    res = optimize.minimize(
        nll,
        np.array([0.5, 0.5, 0.7]),
        method="Nelder-Mead",
        bounds=[(1e-4, 20.0), (0.0, 0.999), (0.01, 5.0)],
        options={"xatol": 1e-4, "fatol": 1e-6},
    )
    mu, alpha, beta = (float(v) for v in res.x)
    return mu, alpha, beta


def apply_hawkes(fit: tuple[float, float, float], counts: np.ndarray, h: int) -> Prediction:
    """Expected count of the next ``h`` months (the self-exciting mean, iterated month by
    month); the predictive distribution is taken as Poisson with that mean."""
    mu, alpha, beta = fit
    background = _background(counts)
    d = np.exp(-beta)
    excitation = _excitation(counts, beta)[:, -1]
    total = np.zeros(counts.shape[0])
    for _ in range(h):
        lam = mu * background + alpha * excitation
        total += lam
        excitation = d * excitation + (1.0 - d) * lam
    return _nb_pred(total, 0.0)


def fit(counts: np.ndarray, neighbours: sparse.csr_matrix, h: int, model: str) -> Any:
    """The fitted parameters of ``model`` from ``counts`` (None for ``eb``, whose prior is
    re-estimated at every forecast: it is cheap)."""
    if h not in HORIZONS:
        raise ValueError(f"horizon must be one of {HORIZONS} months, got {h!r}")
    if model == "glm":
        return fit_glm(counts, neighbours, h)
    if model == "hawkes":
        return fit_hawkes(counts)
    if model == "eb":
        return None
    raise ValueError(f"unknown model {model!r}; use one of: {', '.join(MODELS)}")


def apply(
    params: Any, counts: np.ndarray, neighbours: sparse.csr_matrix, h: int, model: str
) -> Prediction:
    """The predictive distribution of the next ``h`` months from fitted ``params`` and the
    counts up to the origin (the last column)."""
    if model == "glm":
        return apply_glm(params, counts, neighbours, h)
    if model == "hawkes":
        return apply_hawkes(params, counts, h)
    return apply_eb(counts, h)


def predict(
    panel_counts: np.ndarray, neighbours: sparse.csr_matrix, h: int, model: str = DEFAULT_MODEL
) -> Prediction:
    """The predictive distribution of each unit's count in the ``h`` months after the last
    column of ``panel_counts``, fitted and applied on ``panel_counts`` alone."""
    return apply(fit(panel_counts, neighbours, h, model), panel_counts, neighbours, h, model)
