"""Forecasts of relevant attacks per admin-1 unit and per 0.5° grid cell.

For every unit, the probability of at least one relevant attack and the expected count in
the next 1 or 3 calendar months after the data's last month, with an 80 % interval from the
predictive distribution. Full method and back-test figures: docs/FORECAST.md.

The counts use exactly the records :func:`riskmodel.score.score` uses: the rows that pass
the :class:`~riskmodel.filters.Filters` (``filter_mask``), up to the as-of date
(``resolve_as_of``), whose relevance under the perspective (``score.relevance``) is at least
:data:`MIN_RELEVANCE`. An incident counts in the admin-1 unit of its point, or in the one
province it names when it has no point; records spread over several provinces are left out
of the unit counts (``Panel.n_unplaced`` says how many). On the grid only records with a
point count. Threat records are statements, not attacks: they never count.

Models (all fitted with maintained libraries):

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
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.spatial import METRIC_CRS, WGS84
from riskmodel.filters import Filters, filter_mask, scoring_units
from riskmodel.settings import RiskSettings, settings_from_filters

if TYPE_CHECKING:  # scipy is imported where it is used: the CLI starts without it
    from scipy import sparse

FORECAST_LEVELS: tuple[str, ...] = ("admin1", "grid", "segment", "site")
AREA_LEVELS: tuple[str, ...] = ("admin1", "grid")
"""Levels whose units tile the map (neighbours, hot spots); segments and sites do not."""
MODELS: tuple[str, ...] = ("glm", "hawkes", "eb")
DEFAULT_MODELS: dict[str, str] = {"admin1": "hawkes", "grid": "eb", "segment": "eb", "site": "eb"}
"""The model each level's forecast uses unless told otherwise: the one with the best Brier
score in the back-test on UCDP GED Pakistan 1989-2019 (docs/FORECAST.md); for CPEC segments
and sites, whose counts are sparse, the empirical-Bayes model (a unit with few events
shrinks to the prior of all segments, or all sites)."""
DEFAULT_MODEL = DEFAULT_MODELS["admin1"]
HORIZONS: tuple[int, ...] = (1, 3)
MIN_RELEVANCE = 0.5
"""An attack is *relevant* when its relevance under the perspective is at least this."""
GRID_DEG = 0.5
"""Grid resolution in degrees (the PRIO-GRID resolution; cells aligned to PRIO-GRID)."""
EB_WINDOW_MONTHS = 12
INTERVAL = (0.1, 0.9)
"""Quantiles of the predictive distribution given as the interval (an 80 % interval)."""
MIN_HISTORY_MONTHS = 13
"""Months of history the GLM's features need before the first training row."""
TRAIN_MONTHS = 120
"""The GLM trains on (at most) the last this many months before the origin."""

_COLUMNS = (
    "id",
    "date",
    "country",
    "admin1",
    "admin1_for_scoring",
    "target_categories",
    "target_category",
    "geometry",
)
_FEATURES = ("own_lag1", "own_mean3", "own_mean12", "nbr_lag1", "nbr_mean12")


# --- the panel of monthly counts -------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """Monthly counts of relevant attacks per unit.

    ``counts[u, m]`` is the count of unit ``units.iloc[u]`` in month ``months[m]``;
    ``neighbours`` is the row-standardised contiguity matrix (a unit without neighbours has
    an empty row), computed on first use (only the GLM needs it, and libpysal is slow to
    import): pass the matrix or a function returning it.
    """

    level: str
    units: gpd.GeoDataFrame  # id, name, area_km2, geometry
    months: pd.PeriodIndex
    counts: np.ndarray
    _neighbours: Any
    n_events: int
    n_unplaced: int
    as_of: date
    description: str

    @property
    def neighbours(self) -> sparse.csr_matrix:
        """The row-standardised contiguity matrix of the units."""
        if callable(self._neighbours):
            object.__setattr__(self, "_neighbours", self._neighbours())
        return self._neighbours

    def upto(self, month: pd.Period | str) -> Panel:
        """The panel cut after ``month`` (inclusive): what a forecaster knew then."""
        end = self.months.get_loc(pd.Period(month, "M")) + 1
        return Panel(
            self.level,
            self.units,
            self.months[:end],
            self.counts[:, :end].copy(),
            self._neighbours,
            int(self.counts[:, :end].sum()),
            self.n_unplaced,
            self.months[end - 1].end_time.date(),
            self.description,
        )


def grid_cells(admin1: gpd.GeoDataFrame, deg: float = GRID_DEG) -> gpd.GeoDataFrame:
    """The ``deg``° cells (aligned to PRIO-GRID) that intersect the admin-1 units.

    ``id`` is ``PG-<gid>`` with PRIO-GRID's numbering ``gid = row·720 + col + 1`` (row 0 at
    90° S, col 0 at 180° W) for 0.5° cells. Cached per admin-1 geometry (a copy is
    returned).
    """
    wkb = tuple(shapely.to_wkb(admin1.to_crs(WGS84).geometry.values))
    return _grid_cells(wkb, float(deg)).copy()


@lru_cache(maxsize=4)
def _grid_cells(wkb: tuple[bytes, ...], deg: float) -> gpd.GeoDataFrame:
    admin1 = gpd.GeoDataFrame(geometry=shapely.from_wkb(list(wkb)), crs=WGS84)
    minx, miny, maxx, maxy = admin1.total_bounds
    cols = np.arange(np.floor((minx + 180) / deg), np.ceil((maxx + 180) / deg), dtype=int)
    rows = np.arange(np.floor((miny + 90) / deg), np.ceil((maxy + 90) / deg), dtype=int)
    cc, rr = np.meshgrid(cols, rows)
    cc, rr = cc.ravel(), rr.ravel()
    boxes = shapely.box(cc * deg - 180, rr * deg - 90, (cc + 1) * deg - 180, (rr + 1) * deg - 90)
    union = shapely.union_all(admin1.geometry.values)
    keep = shapely.intersects(boxes, union)
    per_row = round(360 / deg)
    gid = rr[keep] * per_row + cc[keep] + 1
    cells = gpd.GeoDataFrame(
        {
            "id": [f"PG-{g}" for g in gid],
            "name": [
                f"{(r * deg - 90) + deg / 2:.2f}N {(c * deg - 180) + deg / 2:.2f}E"
                for r, c in zip(rr[keep], cc[keep], strict=True)
            ],
            "row": rr[keep],
            "col": cc[keep],
        },
        geometry=boxes[keep],
        crs=WGS84,
    )
    return cells.reset_index(drop=True)


def contiguity(units: gpd.GeoDataFrame) -> sparse.csr_matrix:
    """Row-standardised queen contiguity (libpysal) of ``units``, as a sparse matrix
    (cached per set of unit geometries; treat as read-only)."""
    wkb = tuple(shapely.to_wkb(units.to_crs(WGS84).geometry.values))
    return _contiguity(wkb)


@lru_cache(maxsize=8)
def _contiguity(wkb: tuple[bytes, ...]) -> sparse.csr_matrix:
    import warnings

    from libpysal.weights import Queen

    units = gpd.GeoDataFrame(geometry=shapely.from_wkb(list(wkb)), crs=WGS84)
    with warnings.catch_warnings():  # islands are expected (e.g. a unit of its own)
        warnings.simplefilter("ignore")
        w = Queen.from_dataframe(units, use_index=False, silence_warnings=True)
    from scipy import sparse

    matrix = w.sparse.tocsr().astype(float)
    deg = np.asarray(matrix.sum(axis=1)).ravel()
    scale = sparse.diags(np.where(deg > 0, 1.0 / np.where(deg > 0, deg, 1.0), 0.0))
    return (scale @ matrix).tocsr()


def _area_km2(geoms: gpd.GeoSeries) -> np.ndarray:
    return geoms.to_crs(METRIC_CRS).area.to_numpy() / 1e6


def relevant_incidents(
    incidents: gpd.GeoDataFrame, filters: Filters, settings: RiskSettings, as_of: date
) -> pd.DataFrame:
    """The filtered incidents up to ``as_of`` whose relevance is ≥ :data:`MIN_RELEVANCE`."""
    from riskmodel.score import relevance

    mask = filter_mask(incidents, filters, "incidents")
    frame = incidents[[c for c in _COLUMNS if c in incidents.columns]]  # not all 40-odd
    frame = frame if mask.all() else frame.iloc[np.flatnonzero(mask)]
    dates = pd.to_datetime(frame["date"])
    keep = (dates < pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_numpy()
    frame = frame.iloc[np.flatnonzero(keep)]
    rel = relevance(frame, settings.weights)
    return frame.iloc[np.flatnonzero(rel >= MIN_RELEVANCE)]


def build_panel(
    source: Any,
    filters: Filters | None = None,
    settings: RiskSettings | None = None,
    level: str = "admin1",
    start: pd.Period | str | None = None,
) -> Panel:
    """Monthly counts per unit at ``level`` for the current filters: admin1, grid, or CPEC
    ``segment`` / sensitive ``site`` (an attack counts for every segment or site within the
    score's cut-off distance of its point, so one attack may count for several).

    ``source`` is a Bundle, a mapping of layers or :class:`riskmodel.score.Layers`. With a
    country filter only that country's units (cells) are forecast. The months run from
    ``start`` (default: the filter's from-date, else the first counted event) to the as-of
    month.
    """
    from riskmodel.filters import describe
    from riskmodel.score import layers_from, resolve_as_of

    if level not in FORECAST_LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of: {', '.join(FORECAST_LEVELS)}")
    filters = filters if filters is not None else Filters()
    settings = settings if settings is not None else settings_from_filters(filters)
    layers = layers_from(source)
    as_of = resolve_as_of(layers, filters, settings.replace(include_threats=False))
    frame = relevant_incidents(layers.incidents, filters, settings, as_of)
    admin1 = layers.admin1
    if filters.countries and "country" in admin1.columns:  # only the filtered countries' units
        admin1 = admin1[admin1["country"].isin(filters.countries).to_numpy()]
        if not len(admin1):
            raise ValueError(
                "no admin-1 unit lies in the filtered countries; forecasts "
                "cover Afghanistan (AFG) and Pakistan (PAK)"
            )
    if level in ("segment", "site"):
        units, ev_rows, ev_unit = _near_units(
            layers, frame, level, admin1 if filters.countries else None, settings
        )
        n_unplaced = int(len(frame) - len(np.unique(ev_rows)))
    elif level == "admin1":
        units = gpd.GeoDataFrame(
            {
                "id": admin1["iso_3166_2"].to_numpy(dtype=object),
                "name": admin1["name"].to_numpy(dtype=object),
            },
            geometry=admin1.to_crs(WGS84).geometry.values,
            crs=WGS84,
        )
        rows, numbers, seen = scoring_units(frame)
        per_row = np.bincount(rows, minlength=len(frame))
        single = per_row[rows] == 1
        index = pd.Index(units["id"]).get_indexer(np.asarray(seen, dtype=object)[numbers])
        ok = single & (index >= 0)
        ev_rows, ev_unit = rows[ok], index[ok]
        n_unplaced = int(len(frame) - ok.sum())  # a row with one unit appears once
    else:
        units = grid_cells(admin1)
        geoms = np.asarray(frame.geometry.values, dtype=object)
        lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
        has = ~(np.isnan(lon) | np.isnan(lat)) if len(geoms) else np.zeros(0, bool)
        col = np.floor((lon[has] + 180) / GRID_DEG).astype(int)
        row = np.floor((lat[has] + 90) / GRID_DEG).astype(int)
        per_row = round(360 / GRID_DEG)
        gid_index = pd.Index(units["row"].to_numpy() * per_row + units["col"].to_numpy())
        index = gid_index.get_indexer(row * per_row + col)
        ok = index >= 0
        ev_rows, ev_unit = np.flatnonzero(has)[ok], index[ok]
        n_unplaced = int(len(frame) - ok.sum())
        units = units.drop(columns=["row", "col"])
    units["area_km2"] = _area_km2(units.geometry)
    dates = pd.to_datetime(frame["date"]).to_numpy("datetime64[ns]")[ev_rows]
    last = pd.Period(as_of, "M")
    if start is not None:
        first = pd.Period(start, "M")
    elif filters.date_from is not None:
        first = pd.Period(filters.date_from, "M")
    elif len(dates):
        first = pd.Period(pd.Timestamp(dates.min()), "M")
    else:
        first = last
    first = min(first, last)
    months = pd.period_range(first, last, freq="M")
    m_index = (
        pd.PeriodIndex(pd.to_datetime(dates), freq="M").asi8 - first.ordinal
        if len(dates)
        else np.zeros(0, np.int64)
    )
    inside = (m_index >= 0) & (m_index < len(months))
    counts = np.zeros((len(units), len(months)), dtype=np.int64)
    np.add.at(counts, (ev_unit[inside], m_index[inside]), 1)
    if level in AREA_LEVELS:

        def neighbours() -> sparse.csr_matrix:
            return contiguity(units)

        counted = ""
    else:
        from scipy import sparse

        neighbours = sparse.csr_matrix((len(units), len(units)))
        counted = (
            f"; an attack counts for every {level} within {settings.cutoff_km:g} km "
            "of its point (the score's distance cut-off)"
        )
    n_events = int(counts.sum()) if level in AREA_LEVELS else len(np.unique(ev_rows))
    return Panel(
        level,
        units,
        months,
        counts,
        neighbours,
        n_events,
        n_unplaced,
        as_of,
        f"{describe(filters)}; relevant = relevance ≥ {MIN_RELEVANCE:g} under "
        f"{settings.describe()}{counted}",
    )


def _near_units(
    layers: Any,
    frame: pd.DataFrame,
    level: str,
    admin1: gpd.GeoDataFrame | None,
    settings: RiskSettings,
) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """CPEC segments or sensitive sites as units, and the (event row, unit) pairs of the
    attacks with a point within the score's cut-off distance (``settings.cutoff_km``, the
    distance beyond which a record does not count for a segment's or site's score). With a
    country filter (``admin1`` = the filtered countries' units) only the segments crossing
    them, or the sites of those countries, are kept."""
    targets = layers.segments if level == "segment" else layers.sites
    targets = targets.to_crs(WGS84)
    if admin1 is not None and "country" in targets.columns:
        targets = targets[targets["country"].isin(set(admin1["country"])).to_numpy()]
    elif admin1 is not None and len(targets):
        union = shapely.union_all(admin1.to_crs(WGS84).geometry.values)
        targets = targets[shapely.intersects(targets.geometry.values, union)]
    names = targets["name"] if "name" in targets.columns else targets["id"]
    units = gpd.GeoDataFrame(
        {"id": targets["id"].to_numpy(dtype=object), "name": names.to_numpy(dtype=object)},
        geometry=targets.geometry.values,
        crs=WGS84,
    ).reset_index(drop=True)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    has = (
        ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, bool)
    )
    if not has.any() or not len(units):
        empty = np.zeros(0, np.int64)
        return units, empty, empty
    metric_pts = gpd.GeoSeries(geoms[has], crs=WGS84).to_crs(METRIC_CRS).values
    metric_units = units.to_crs(METRIC_CRS).geometry.values
    tree = shapely.STRtree(metric_units)
    pts, unit = tree.query(metric_pts, predicate="dwithin", distance=settings.cutoff_km * 1000.0)
    return units, np.flatnonzero(has)[pts], unit.astype(np.int64)


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
