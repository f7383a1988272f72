"""GeoPackage writer: one table per layer, the metadata as dataset metadata."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from mapspec.export.layers import LayerExport
from mapspec.export.metadata import export_metadata
from mapspec.export.values import attribute_columns, plain_value, rfc7946_geometries
from mapspec.resolved import ResolvedMap


def _gpkg_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: lists and mappings as JSON text, mixed objects as text."""
    out = {}
    for column in attribute_columns(frame):
        series = frame[column]
        dtype = series.dtype
        if (
            pd.api.types.is_numeric_dtype(dtype)
            or pd.api.types.is_bool_dtype(dtype)
            or pd.api.types.is_datetime64_any_dtype(dtype)
        ):
            out[column] = (
                series.to_numpy()
                if not series.hasnans or pd.api.types.is_float_dtype(dtype)
                else series.array
            )
            continue
        texts = []
        for value in series.to_numpy(dtype=object):
            plain = plain_value(value)
            if isinstance(plain, list | dict):
                texts.append(json.dumps(plain, ensure_ascii=False, allow_nan=False))
            else:
                texts.append(None if plain is None else str(plain))
        out[column] = pd.Series(texts, dtype=object)
    geoms = rfc7946_geometries(frame.geometry.to_numpy())
    return gpd.GeoDataFrame(
        pd.DataFrame(out, index=range(len(frame))),
        geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").values,
        crs="EPSG:4326",
    )


def write_geopackage(
    resolved: ResolvedMap, exports: Sequence[LayerExport], generated: datetime | None = None
) -> bytes:
    """A GeoPackage (bytes) with one table per export layer.

    Dataset metadata ``ISKP_ATLAS_METADATA`` holds the export metadata as JSON; each
    table's description is the filter sentence.
    """
    metadata = json.dumps(
        plain_value(export_metadata(resolved, exports, generated)),
        ensure_ascii=False,
        allow_nan=False,
    )
    with tempfile.TemporaryDirectory(prefix="iskp-atlas-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for index, export in enumerate(exports):
            frame = _gpkg_frame(export.frame)
            pyogrio.write_dataframe(
                frame,
                path,
                layer=export.name,
                driver="GPKG",
                append=index > 0,
                geometry_type=None if len(frame.geometry.dropna()) else "Unknown",
                dataset_metadata={"ISKP_ATLAS_METADATA": metadata} if index == 0 else None,
                layer_metadata={"DESCRIPTION": resolved.sentence},
            )
        return path.read_bytes()
