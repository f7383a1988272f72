"""RFC 7946 GeoJSON writer (one layer per file, the metadata as a foreign member)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from mapspec.export.layers import LayerExport
from mapspec.export.metadata import export_metadata
from mapspec.export.values import (
    attribute_columns,
    datetime_texts,
    geometry_texts,
    json_text,
    per_unique,
    unique_codes,
)
from mapspec.resolved import ResolvedMap


def _arrow_fragments(series: pd.Series, prefix: str) -> pa.Array:
    """A column as an Arrow string array of ``prefix`` + JSON text (vectorised)."""
    dtype = series.dtype
    numeric = (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
    ) and not pd.api.types.is_object_dtype(dtype)
    if numeric:
        missing = series.isna().to_numpy()
        if pd.api.types.is_bool_dtype(dtype):
            values = series.to_numpy(dtype=bool, na_value=False)
        elif pd.api.types.is_integer_dtype(dtype):
            values = series.to_numpy(dtype="int64", na_value=0)
        else:
            values = series.to_numpy(dtype=float, na_value=np.nan)
            missing = missing | ~np.isfinite(values)
        texts = pc.cast(pa.array(values, mask=missing), pa.string())  # shortest round-trip
        texts = pc.fill_null(texts, "null")
        return pc.binary_join_element_wise(prefix, texts, "")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = np.array(datetime_texts(series), dtype=object)
    else:
        values = series.to_numpy(dtype=object)
    coded = (
        unique_codes(values, lambda v: prefix + json_text(v), prefix + "null")
        if len(values)
        else None
    )
    if coded is None:
        return pa.array(
            per_unique(values, lambda v: prefix + json_text(v), prefix + "null"), type=pa.string()
        )
    codes, table = coded
    return pc.take(pa.array(table, type=pa.string()), pa.array(codes))


def _concatenated(texts: pa.Array) -> bytes:
    """The UTF-8 bytes of every string of an Arrow string array, back to back."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if len(texts) == 0:
        return b""
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)
    start, end = int(offsets[texts.offset]), int(offsets[texts.offset + len(texts)])
    return memoryview(texts.buffers()[2])[start:end].tobytes()


def write_geojson(
    resolved: ResolvedMap, exports: Sequence[LayerExport], generated: datetime | None = None
) -> bytes:
    """One export layer as RFC 7946 GeoJSON (UTF-8 bytes).

    UTF-8 characters are kept as they are; ``<``, ``>``, ``&`` are written as
    ``\\u003c``-style escapes, so the text is also safe inside an HTML page. Built column
    by column with Arrow string kernels (each distinct text value is encoded once), which
    keeps 100k incidents under the 2 s budget.
    """
    (export,) = exports
    layer = export.name
    frame = export.frame
    n = len(frame)
    id_texts = None
    if export.id_column in frame.columns:  # encoded once: a property and the feature id
        id_texts = _arrow_fragments(frame[export.id_column], "")
    parts = [
        pc.binary_join_element_wise(json_text(str(c)) + ":", id_texts, "")
        if c == export.id_column and id_texts is not None
        else _arrow_fragments(frame[c], json_text(str(c)) + ":")
        for c in attribute_columns(frame)
    ]
    properties = (
        pc.binary_join_element_wise(*parts, ",") if parts else pa.array([""] * n, type=pa.string())
    )
    geometries = pa.array(geometry_texts(frame.geometry.to_numpy()), type=pa.string())
    if id_texts is not None:
        ids = pc.if_else(
            pc.equal(id_texts, "null"), "", pc.binary_join_element_wise('"id":', id_texts, ",", "")
        )
    else:
        ids = pa.array([""] * n, type=pa.string())
    features = pc.binary_join_element_wise(
        '{"type":"Feature",',
        ids,
        '"geometry":',
        geometries,
        ',"properties":{',
        properties,
        "}},\n",
        "",
    )
    head = (
        f'{{"type":"FeatureCollection","name":{json_text(layer)},'
        f'"metadata":{json_text(export_metadata(resolved, [export], generated))},'
        '"features":[\n'
    ).encode()
    body = _concatenated(features)[:-2]  # no comma after the last feature
    return b"".join([head, body, b"\n]}\n"])
