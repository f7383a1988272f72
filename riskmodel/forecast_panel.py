"""The monthly count panels forecasts read: the units of each level and their counts.

The counts use exactly the records :func:`riskmodel.score.score` uses: the rows that pass
the :class:`~riskmodel.filters.Filters` (``filter_mask``), up to the as-of date
(``resolve_as_of``), whose relevance under the perspective (``records.relevance``) is at least
:data:`MIN_RELEVANCE`. An incident counts in the admin-1 unit of its point, or in the one
province it names when it has no point; records spread over several provinces are left out
of the unit counts (``Panel.n_unplaced`` says how many). On the grid only records with a
point count. Threat records are statements, not attacks: they never count. The units'
neighbours (queen contiguity, row-standardised) are what the GLM's neighbour features read.
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
MIN_RELEVANCE = 0.5
"""An attack is *relevant* when its relevance under the perspective is at least this."""
GRID_DEG = 0.5
"""Grid resolution in degrees (the PRIO-GRID resolution; cells aligned to PRIO-GRID)."""

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
    from riskmodel.records import relevance

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

    ``source`` is a Bundle, a mapping of layers or :class:`riskmodel.score_inputs.Layers`. With a
    country filter only that country's units (cells) are forecast. The months run from
    ``start`` (default: the filter's from-date, else the first counted event) to the as-of
    month.
    """
    from riskmodel.filters import describe
    from riskmodel.score_inputs import layers_from, resolve_as_of

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
