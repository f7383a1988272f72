"""The export-format registry: one entry per file format the Export page and the CLI offer.

An entry names the format, its label on the Export page, the file extension, the MIME
type, whether one file holds several layers, whether it can go to standard output, and
its writer (``"module:function"``, imported when first used, so listing the formats costs
nothing). Layer writers take ``(resolved, exports, generated)`` and return bytes;
briefing writers take ``(resolved, options)``. Adding a format is an entry here and a
writer module (docs/CONTRIBUTING.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mapspec.export.layers import LayerExport, check_layer, layer_for_export
from mapspec.resolved import ResolvedMap


@dataclass(frozen=True)
class ExportFormat:
    """One file format."""

    name: str
    label: str
    extension: str
    mime: str
    writer: str  # "module:function"
    multi_layer: bool = False
    stdout: bool = True
    kind: str = "layers"  # "layers" (records and scores) or "briefing" (the drawn map)

    def write(self) -> Callable:
        """The writer function."""
        module, _, function = self.writer.partition(":")
        return getattr(importlib.import_module(module), function)


_ENTRIES = (
    ExportFormat(
        "geojson",
        "GeoJSON (RFC 7946, for QGIS, ArcGIS, kepler.gl)",
        "geojson",
        "application/geo+json",
        "mapspec.export.geojson:write_geojson",
    ),
    ExportFormat(
        "csv",
        "CSV (attributes; lon/lat for points)",
        "csv",
        "text/csv",
        "mapspec.export.csvfile:write_csv",
    ),
    ExportFormat(
        "gpkg",
        "GeoPackage (several layers in one file)",
        "gpkg",
        "application/geopackage+sqlite3",
        "mapspec.export.gpkg:write_geopackage",
        multi_layer=True,
        stdout=False,
    ),
    ExportFormat(
        "png",
        "Briefing image (PNG, 16:9)",
        "png",
        "image/png",
        "mapspec.briefing:briefing_png",
        kind="briefing",
    ),
    ExportFormat(
        "pdf",
        "Briefing page (PDF, A4)",
        "pdf",
        "application/pdf",
        "mapspec.briefing:briefing_pdf",
        kind="briefing",
    ),
)
REGISTRY: Mapping[str, ExportFormat] = {f.name: f for f in _ENTRIES}
"""Format name -> entry, in the order the Export page lists them."""

FORMATS: tuple[str, ...] = tuple(f.name for f in _ENTRIES if f.kind == "layers")
"""The layer formats (``iskp-atlas export``)."""

BRIEFING_FORMATS: tuple[str, ...] = tuple(f.name for f in _ENTRIES if f.kind == "briefing")
"""The briefing formats (``iskp-atlas brief``)."""

MIME_TYPES: dict[str, str] = {f.name: f.mime for f in _ENTRIES}


def export_format(name: str, kind: str = "layers") -> ExportFormat:
    """The entry of format ``name`` of ``kind``; a ValueError naming the choices otherwise."""
    entry = REGISTRY.get(name)
    if entry is None or entry.kind != kind:
        choices = FORMATS if kind == "layers" else BRIEFING_FORMATS
        raise ValueError(f"unknown export format {name!r}; use one of {', '.join(choices)}")
    return entry


def file_name(resolved: ResolvedMap, stem: str, fmt: str) -> str:
    """The name an export is offered under: ``iskp-atlas_<stem>_<as-of date>.<ext>``."""
    return f"iskp-atlas_{stem}_{resolved.as_of.isoformat()}.{REGISTRY[fmt].extension}"


def layer_stem(names: Sequence[str]) -> str:
    """The file-name stem of a layer export: the layer's name, or ``layers`` for several."""
    return names[0] if len(names) == 1 else "layers"


def check_layers(names: Sequence[str], fmt: str) -> list[str]:
    """The distinct layer names, checked against the layers and the format's rule."""
    entry = export_format(fmt)
    names = list(dict.fromkeys(names))
    if not names:
        raise ValueError("choose at least one layer to export")
    for name in names:
        check_layer(name)
    if not entry.multi_layer and len(names) != 1:
        several = [f.name for f in _ENTRIES if f.multi_layer]
        raise ValueError(
            f"{fmt} holds one layer; choose one, or use {' or '.join(several)} for several"
        )
    return names


@dataclass(frozen=True)
class ExportFile:
    """An export ready to save or download."""

    data: bytes
    file_name: str
    mime: str
    feature_counts: Mapping[str, int]
    withheld: Mapping[str, int]


def export_file(
    resolved: ResolvedMap, layers: str | Sequence[str], fmt: str, generated: datetime | None = None
) -> ExportFile:
    """Export ``layers`` in ``fmt``: each layer is built once and handed to the writer."""
    entry = export_format(fmt)
    names = check_layers([layers] if isinstance(layers, str) else list(layers), fmt)
    selected: list[LayerExport] = [layer_for_export(resolved, name) for name in names]
    return ExportFile(
        data=entry.write()(resolved, selected, generated),
        file_name=file_name(resolved, layer_stem(names), fmt),
        mime=entry.mime,
        feature_counts={e.name: len(e.frame) for e in selected},
        withheld={e.name: e.withheld for e in selected if e.withheld},
    )
