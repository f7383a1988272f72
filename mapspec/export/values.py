"""Value encoding shared by the export writers: JSON-ready values, ISO dates, JSON text with
``<``, ``>``, ``&`` escaped, per-distinct-value encoding of large columns, and RFC 7946
geometry (rounded coordinates, counter-clockwise exteriors)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.spatial import has_geometry

COORD_DECIMALS = 6
"""Decimals kept in exported coordinates (about 0.1 m): RFC 7946 §11.2 advises no more."""

_encode_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""JSON string literal of a str, as ``json.dumps(ensure_ascii=False)`` writes it (C)."""
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def plain_value(value: Any) -> Any:
    """A JSON-ready Python value: None for every kind of missing, ISO text for dates,
    lists for tuples/arrays, Python numbers for NumPy ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp | datetime):
        return _iso_moment(pd.Timestamp(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _iso_moment(pd.Timestamp(value))
    if isinstance(value, list | tuple | np.ndarray | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [plain_value(v) for v in items]
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, shapely.Geometry):
        return value.wkt
    return str(value)


def _iso_moment(stamp: pd.Timestamp) -> str:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if stamp == stamp.normalize():
        return stamp.date().isoformat()
    return stamp.isoformat(timespec="seconds")


def datetime_texts(series: pd.Series) -> list[str | None]:
    values = series
    if getattr(series.dtype, "tz", None) is not None:
        values = series.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = values.to_numpy(dtype="datetime64[s]")
    missing = np.isnat(arr)
    days = arr.astype("datetime64[D]")
    if bool((days[~missing] == arr[~missing]).all()):
        text = np.datetime_as_string(days)
    else:
        text = np.datetime_as_string(arr, unit="s")
        if getattr(series.dtype, "tz", None) is not None:
            text = np.char.add(text.astype(str), "Z")
    out = text.astype(object)
    out[missing] = None
    return out.tolist()


def _hashable(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return tuple(value)  # nested lists stay unhashable: the caller then goes row by row
    if kind is np.ndarray:
        return tuple(value.tolist())
    return value


def unique_codes(
    values: np.ndarray, encode: Callable[[Any], str], missing: str
) -> tuple[np.ndarray, list[str]] | None:
    """(codes, table): ``encode`` applied once per distinct value, ``missing`` (the last
    table entry) for None/NaN/NA; None when the values cannot be hashed."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # lists: factorize their tuple form
        try:
            keys = np.empty(len(values), dtype=object)
            keys[:] = [_hashable(v) for v in values]
            codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        except TypeError:  # unhashable values (e.g. mappings)
            return None
    table = [encode(u) for u in uniques] + [missing]
    return np.where(codes < 0, len(table) - 1, codes), table


def per_unique(values: np.ndarray, encode: Callable[[Any], str], missing: str) -> list[str]:
    """``encode`` applied once per distinct value (``missing`` for None/NaN/NA): columns of
    a large layer repeat few values, so this is where the export time goes."""
    if len(values) == 0:
        return []
    coded = unique_codes(values, encode, missing)
    if coded is None:
        return [missing if plain_value(v) is None else encode(v) for v in values]
    codes, table = coded
    return np.array(table, dtype=object)[codes].tolist()


def column_values(series: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (None for missing)."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return datetime_texts(series)
    if pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
        return [bool(v) for v in series.to_numpy()]
    if pd.api.types.is_integer_dtype(dtype):
        return (
            series.to_numpy(dtype=object, na_value=None).tolist()
            if series.hasnans
            else series.astype("int64").tolist()
        )
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        out = arr.astype(object)
        out[~np.isfinite(arr)] = None
        return out.tolist()
    return [plain_value(v) for v in series.to_numpy(dtype=object)]


def json_text(value: Any) -> str:
    """JSON text of one value; ``<``, ``>``, ``&`` written as \\u escapes."""
    if type(value) is str:
        text = _encode_string(value)
    else:
        text = json.dumps(plain_value(value), ensure_ascii=False, allow_nan=False)
    if "<" in text or ">" in text or "&" in text:
        for char, escape in _HTML_ESCAPES.items():
            text = text.replace(char, escape)
    return text


def attribute_columns(frame: gpd.GeoDataFrame) -> list[str]:
    """Columns written as attributes: everything except geometry-typed columns."""
    return [
        c
        for c in frame.columns
        if c != frame.geometry.name and not isinstance(frame[c].dtype, gpd.array.GeometryDtype)
    ]


def rfc7946_geometries(geoms: np.ndarray) -> np.ndarray:
    """Rounded geometries with RFC 7946 winding (exterior CCW, holes CW); empty -> None."""
    arr = np.asarray(geoms, dtype=object)
    present = has_geometry(arr)
    out = np.full(len(arr), None, dtype=object)
    if present.any():
        kept = shapely.transform(arr[present], lambda c: np.round(c, COORD_DECIMALS))
        kept = shapely.orient_polygons(kept, exterior_cw=False)
        kept[shapely.is_empty(kept)] = None
        out[present] = kept
    return out


def geometry_texts(geoms: np.ndarray) -> list[str]:
    """RFC 7946 geometry objects as JSON text ('null' without a location)."""
    arr = np.asarray(geoms, dtype=object)
    present = has_geometry(arr)
    out = np.full(len(arr), "null", dtype=object)
    if not present.any():
        return out.tolist()
    kept = arr[present]
    if bool((shapely.get_type_id(kept) == shapely.GeometryType.POINT).all()):
        xs = np.round(shapely.get_x(kept), COORD_DECIMALS).tolist()
        ys = np.round(shapely.get_y(kept), COORD_DECIMALS).tolist()
        out[present] = [
            f'{{"type":"Point","coordinates":[{x!r},{y!r}]}}' for x, y in zip(xs, ys, strict=True)
        ]
    else:
        out[present] = [
            json.dumps(g.__geo_interface__, allow_nan=False, separators=(",", ":"))
            for g in rfc7946_geometries(kept)
        ]
    return out.tolist()
