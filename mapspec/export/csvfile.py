"""CSV writer: attributes of one layer, ``lon``/``lat`` for point layers, text cells
neutralised against formula injection (:func:`geodata.csvcells.neutralise_cell`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geodata.csvcells import neutralise_cell
from geodata.spatial import has_geometry
from mapspec.export.layers import LayerExport, is_point_layer
from mapspec.export.values import (
    COORD_DECIMALS,
    attribute_columns,
    column_values,
    datetime_texts,
    per_unique,
    plain_value,
)
from mapspec.resolved import ResolvedMap


def _csv_text(value: Any) -> str:
    plain = plain_value(value)
    if plain is None:
        return ""
    if isinstance(plain, list):
        return ";".join(_csv_text(v) for v in plain)
    if isinstance(plain, dict):
        return json.dumps(plain, ensure_ascii=False, allow_nan=False)
    return str(plain)


def _csv_column(series: pd.Series) -> list[str]:
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ["" if v is None else v for v in datetime_texts(series)]
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        # written by the number formatter: never a formula, so left as numbers
        values = column_values(series)
        if pd.api.types.is_bool_dtype(dtype):
            return ["" if v is None else str(v) for v in values]
        return ["" if v is None else repr(v) if isinstance(v, float) else str(v) for v in values]
    return per_unique(series.to_numpy(dtype=object), lambda v: neutralise_cell(_csv_text(v)), "")


def write_csv(
    resolved: ResolvedMap, exports: Sequence[LayerExport], generated: datetime | None = None
) -> bytes:
    """One export layer's attributes as CSV (UTF-8, RFC 4180, CRLF line ends), with
    ``lon``/``lat`` for point layers and text cells neutralised against formula
    injection. (CSV has no place for the metadata: the page and the CLI say where the
    rows came from.)"""
    (export,) = exports
    frame = export.frame
    columns = attribute_columns(frame)
    data = {c: _csv_column(frame[c]) for c in columns}
    if is_point_layer(export) and "lon" not in data and "lat" not in data:
        geoms = frame.geometry.to_numpy()
        present = has_geometry(geoms)
        lon = np.full(len(frame), "", dtype=object)
        lat = np.full(len(frame), "", dtype=object)
        if present.any():
            for target, coord in ((lon, shapely.get_x), (lat, shapely.get_y)):
                values = np.round(coord(geoms[present]), COORD_DECIMALS).tolist()
                target[present] = list(map(repr, values))
        data["lon"], data["lat"] = lon.tolist(), lat.tolist()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(str(c)) for c in data])
    writer.writerows(zip(*data.values(), strict=True))
    return buffer.getvalue().encode("utf-8")
