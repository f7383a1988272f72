"""The rows of each export layer: a view of the resolved frames named in
:mod:`mapspec.layers`, in EPSG:4326, without the raw rows whose licence forbids passing
them on (counted, so the metadata can say how many were left out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.spatial import has_geometry
from mapspec import layers as layer_registry
from mapspec.resolved import ResolvedMap

EXPORT_LAYERS: tuple[str, ...] = layer_registry.export_names(default_only=True)
"""The record and score layers (``--layer all``, the GeoPackage's default), in the order a
GeoPackage lists them: a view of :mod:`mapspec.layers`."""

ALL_EXPORT_LAYERS: tuple[str, ...] = layer_registry.export_names()
"""Every layer a user can export: :data:`EXPORT_LAYERS` and the analysis layers (forecasts
and hot spots, with their method in the metadata), computed only when exported."""

LAYER_SOURCES: dict[str, tuple[str, str | None]] = {
    name: (e.frame, e.country) for name, e in layer_registry.EXPORTS.items()
}
"""Export layer -> (resolved frame, country filter): a view of :mod:`mapspec.layers`."""

ID_COLUMNS: dict[str, str | None] = {
    name: e.id_column for name, e in layer_registry.EXPORTS.items()
}
"""The column that identifies a feature (written as the GeoJSON feature ``id``)."""

LAYER_LABELS: dict[str, str] = {name: e.label for name, e in layer_registry.EXPORTS.items()}
"""Export layer -> label (the Export page's choices)."""


@dataclass(frozen=True)
class LayerExport:
    """One export layer: the rows written, the column that names them, rows withheld."""

    name: str
    frame: gpd.GeoDataFrame
    id_column: str | None
    withheld: int = 0
    method: Mapping[str, Any] | None = None  # analysis layers: how the numbers were made

    @property
    def ids(self) -> list[str]:
        """Feature ids in file order (empty for a layer without an id column)."""
        if self.id_column is None or self.id_column not in self.frame.columns:
            return []
        return [str(v) for v in self.frame[self.id_column]]


def check_layer(name: str) -> None:
    if name not in ALL_EXPORT_LAYERS:
        raise ValueError(
            f"unknown export layer {name!r}; use one of {', '.join(ALL_EXPORT_LAYERS)}"
        )


def restricted_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose ``licence`` forbids passing raw rows on (unknown licence codes too)."""
    if "licence" not in frame.columns or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    from geodata.importers.common import LICENCES

    allowed = {code for code, lic in LICENCES.items() if lic.raw_export_allowed}
    codes = frame["licence"].astype(object)
    missing = codes.isna() | (codes.astype(str).str.strip() == "")
    return (~missing & ~codes.astype(str).isin(allowed)).to_numpy()


def layer_for_export(resolved: ResolvedMap, name: str) -> LayerExport:
    """The rows of export layer ``name`` (a new frame in EPSG:4326; inputs untouched)."""
    check_layer(name)
    source, country = LAYER_SOURCES[name]
    frame = resolved.layer(source)
    method = frame.attrs.get("method") if name not in EXPORT_LAYERS else None
    if country is not None and "country" in frame.columns:
        frame = frame[frame["country"].astype(object) == country]
    restricted = restricted_rows(frame)
    if restricted.any():
        frame = frame[~restricted]
    frame = gpd.GeoDataFrame(frame.copy(), geometry=frame.geometry.name, crs=frame.crs)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame.reset_index(drop=True)
    return LayerExport(
        name, frame, ID_COLUMNS[name], int(restricted.sum()), dict(method) if method else None
    )


def feature_count(resolved: ResolvedMap, name: str) -> int:
    """How many features export layer ``name`` holds."""
    return len(layer_for_export(resolved, name).frame)


POINT_LAYERS: frozenset[str] = frozenset({"incidents", "threats", "sites"})
"""Record layers: points, or no location at all."""


def is_point_layer(export: LayerExport) -> bool:
    """Whether the layer is drawn as points (a record layer, or only Points present)."""
    if export.name in POINT_LAYERS:
        return True
    geoms = export.frame.geometry.to_numpy()
    present = has_geometry(geoms)
    if not present.any():
        return False
    return bool((shapely.get_type_id(geoms[present]) == shapely.GeometryType.POINT).all())
