"""Row predicates of the filters: which incident or threat rows each filter value keeps.

A predicate takes the records, the filter's value and the record kind (``incidents`` or
``threats``) and returns a boolean array, or None when the filter keeps every row (a
setting carried in the query that selects no rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from riskmodel.aoi import Aoi, aoi_mask
from riskmodel.filter_values import frame_end
from riskmodel.vocab import attack_type_classes


def _column(gdf: pd.DataFrame, name: str, key: str) -> pd.Series:
    if name not in gdf.columns:
        raise ValueError(
            f"filter '{key}' needs the column '{name}'; enrich the records with "
            "geodata.enrich_records first"
        )
    return gdf[name]


def _per_unique(series: pd.Series, test: Callable[[object], bool]) -> np.ndarray:
    """Evaluate ``test`` once per distinct value (hashable or list) and spread it."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # lists are not hashable
        codes, uniques = pd.factorize(
            series.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v),
            use_na_sentinel=True,
        )
    verdict = np.array([bool(test(u)) for u in uniques] + [False], dtype=bool)
    return verdict[codes]


def target_category_codes(gdf: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Codes (−1 for missing) and the distinct category tuples of ``target_categories``.

    ``target_categories`` is hashed directly when it holds tuples. When it holds lists (as
    geodata.enrich_records makes them) the text column ``target_category`` it was derived
    from is factorised instead and split the same way (';'-separated, stripped): the same
    result, without converting a million lists.
    """
    cats = _column(gdf, "target_categories", "target")
    try:
        codes, uniques = pd.factorize(cats, use_na_sentinel=True)
        return codes, [tuple(u) for u in uniques]
    except TypeError:
        pass
    if "target_category" in gdf.columns:
        codes, uniques = pd.factorize(gdf["target_category"], use_na_sentinel=True)
        return codes, [tuple(p.strip() for p in str(u).split(";") if p.strip()) for u in uniques]
    codes, uniques = pd.factorize(
        cats.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v),
        use_na_sentinel=True,
    )
    return codes, [tuple(u) for u in uniques]


def _dates(gdf: pd.DataFrame, key: str) -> np.ndarray:
    return pd.to_datetime(_column(gdf, "date", key)).to_numpy("datetime64[ns]")


def _pred_from(gdf, value: date, kind: str) -> np.ndarray:
    return _dates(gdf, "from") >= np.datetime64(value, "ns")


def _pred_to(gdf, value: date, kind: str) -> np.ndarray:
    # 'to' is inclusive of the whole day.
    return _dates(gdf, "to") < np.datetime64(value, "ns") + np.timedelta64(1, "D")


def _pred_actor(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    wanted = set(value)
    return _per_unique(
        _column(gdf, "actors_all", "actor"), lambda names: bool(wanted.intersection(names or ()))
    )


def _pred_target(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    wanted = set(value)
    codes, uniques = target_category_codes(gdf)
    verdict = np.array([bool(wanted.intersection(u)) for u in uniques] + [False], dtype=bool)
    return verdict[codes]


def _incidents_only(test: Callable[[pd.DataFrame, object], np.ndarray]):
    def predicate(gdf, value, kind: str) -> np.ndarray:
        if kind == "threats":
            return np.zeros(len(gdf), dtype=bool)
        return test(gdf, value)

    return predicate


def _attack(gdf, value) -> np.ndarray:
    classes = attack_type_classes(_column(gdf, "attack_type", "attack_type"))
    return np.isin(classes, list(value))


def _attribution(gdf, value) -> np.ndarray:
    return _column(gdf, "attribution", "attribution").isin(value).to_numpy()


def _fatalities(gdf, value) -> np.ndarray:
    deaths = pd.to_numeric(_column(gdf, "fatalities", "min_fatalities"), errors="coerce")
    return deaths.to_numpy(dtype=float, na_value=np.nan) >= value


def _pred_confidence(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    name = "credibility" if kind == "threats" else "confidence"
    return _column(gdf, name, "confidence").isin(value).to_numpy()


def _pred_country(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    return _column(gdf, "country", "country").isin(value).to_numpy()


def scoring_units(gdf: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, unit number, units) from ``admin1_for_scoring``, vectorised.

    ``units[unit number]`` is the ISO 3166-2 code. Rows with a point use their ``admin1``
    (identical to ``admin1_for_scoring`` by construction in geodata.enrich_records), which
    is factorised; only rows without one are exploded.
    """
    units = _column(gdf, "admin1_for_scoring", "admin1")
    n = len(gdf)
    if "admin1" in gdf.columns:
        point_codes, point_units = pd.factorize(gdf["admin1"], use_na_sentinel=True)
        point_units = np.asarray(point_units, dtype=object)
    else:
        point_codes, point_units = np.full(n, -1), np.array([], dtype=object)
    rows_a = np.flatnonzero(point_codes >= 0)
    rest = np.flatnonzero(point_codes < 0)
    exploded = (
        pd.Series(units.to_numpy(dtype=object)[rest], index=rest)
        .map(lambda v: tuple(v) if isinstance(v, list | tuple | np.ndarray) else ())
        .explode()
        .dropna()
    )
    extra_codes, extra_units = pd.factorize(exploded.to_numpy(dtype=object))
    rows = np.concatenate([rows_a, exploded.index.to_numpy(dtype=np.int64)])
    numbers = np.concatenate([point_codes[rows_a], extra_codes + len(point_units)])
    all_units = np.concatenate([point_units, np.asarray(extra_units, dtype=object)])
    return rows.astype(np.int64), numbers.astype(np.int64), all_units


def _pred_admin1(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    rows, numbers, units = scoring_units(gdf)
    keep = np.zeros(len(gdf), dtype=bool)
    keep[rows[np.isin(units, list(value))[numbers]]] = True
    return keep


def _pred_aoi(gdf, value: Aoi, kind: str) -> np.ndarray:
    return aoi_mask(gdf, value)


def _pred_frame(gdf, value: str, kind: str) -> np.ndarray:
    return _dates(gdf, "frame") < np.datetime64(frame_end(value), "ns") + np.timedelta64(1, "D")


def _no_rows(gdf, value, kind: str) -> None:
    return None
