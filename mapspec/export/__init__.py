"""Exports of a resolved map: RFC 7946 GeoJSON, CSV and GeoPackage (and the briefings' formats in
the same registry).

Every function here is a pure function of one :class:`~mapspec.resolved.ResolvedMap`
(the same object the folium map and the briefing image are drawn from), returns ``str``
or ``bytes`` and never writes a file the caller can see: only the CLI and the pages
write. The package: :mod:`.formats` (the format registry and :func:`export_file`),
:mod:`.layers` (which rows each layer holds), :mod:`.metadata`, :mod:`.values` (value and
geometry encoding), and one module per writer (:mod:`.geojson`, :mod:`.csvfile`,
:mod:`.gpkg`).

The layers a user can export (:data:`ALL_EXPORT_LAYERS`; :data:`EXPORT_LAYERS` the record
and score ones) are views of the resolved frames, named in :mod:`mapspec.layers`:
``provinces`` and ``pak_admin1`` are the ``areas`` rows of Afghanistan and Pakistan,
``corridors`` the route lines (the map's corridors layer draws the ``segments``), the
forecast and hot-spot layers their analysis frames, whose method (model, horizons, data
span, back-test pointer) goes into the metadata's ``methods``.

Choices, in short:

- GeoJSON follows RFC 7946: WGS 84 longitude/latitude, no ``crs`` member, exterior rings
  counter-clockwise and holes clockwise, coordinates rounded to :data:`COORD_DECIMALS`
  decimals, dates as ISO 8601 strings, lists as arrays, ``null`` for every missing value
  (NaN is never written), ``"geometry": null`` for records without a location, and a
  top-level foreign member ``metadata`` with the spec, the filter sentence, the time of
  generation, the product version and the sources with their licences. ``<``, ``>`` and
  ``&`` are written as ``\\u003c``-style escapes, so the file is also safe to paste into
  a web page; any JSON reader returns the original text.
- CSV: one row per feature, ``lon``/``lat`` columns for point layers, lists joined with
  ``;``, dates as ISO 8601. Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return get a leading single quote (OWASP guidance on CSV injection), so a
  spreadsheet shows the text instead of running it; the first character is judged after
  NFKC normalisation and leading spaces or control characters (a full-width ``＝``, ``" =1"``;
  :func:`geodata.csvcells.formula_like`). Cells of numeric columns are written
  by the number formatter and left alone: a negative number such as ``-12.5`` is a
  number to a spreadsheet, never a formula, and quoting it would turn it into text and
  break sums. Text that merely looks like a number (``-5`` in a text column) is quoted:
  we cannot tell it from the start of a formula.
- GeoPackage: one table per layer, lists and mappings as JSON text, the metadata as
  dataset metadata (``ISKP_ATLAS_METADATA``) and the filter sentence as each layer's
  description.
- Raw rows held under terms that forbid passing them on (an imported record whose
  ``licence`` says so, e.g. ACLED or GTD; see :mod:`geodata.importers.common`) are left
  out of every export and counted in the metadata; derived layers (scores) are always
  exported (DESIGN §5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from mapspec.export.formats import (
    BRIEFING_FORMATS,
    FORMATS,
    MIME_TYPES,
    REGISTRY,
    ExportFile,
    ExportFormat,
    check_layers,
    export_file,
    export_format,
    file_name,
    layer_stem,
)
from mapspec.export.layers import (
    ALL_EXPORT_LAYERS,
    EXPORT_LAYERS,
    ID_COLUMNS,
    LAYER_LABELS,
    LAYER_SOURCES,
    POINT_LAYERS,
    LayerExport,
    feature_count,
    is_point_layer,
    layer_for_export,
)
from mapspec.export.metadata import (
    PRODUCT_NAME,
    SCHEMATIC_NOTE,
    data_sources,
    export_metadata,
    product_version,
    utc_timestamp,
)
from mapspec.export.values import COORD_DECIMALS, column_values, plain_value, rfc7946_geometries
from mapspec.resolved import ResolvedMap


def geojson_bytes(resolved: ResolvedMap, layer: str, generated: datetime | None = None) -> bytes:
    """Export layer ``layer`` as RFC 7946 GeoJSON (UTF-8 bytes)."""
    return export_file(resolved, layer, "geojson", generated).data


def to_geojson(resolved: ResolvedMap, layer: str, generated: datetime | None = None) -> str:
    """Export layer ``layer`` as RFC 7946 GeoJSON text (``<``, ``>``, ``&`` as \\u escapes)."""
    return geojson_bytes(resolved, layer, generated).decode("utf-8")


def to_csv(resolved: ResolvedMap, layer: str) -> str:
    """Export layer ``layer``'s attributes as CSV text."""
    return export_file(resolved, layer, "csv").data.decode("utf-8")


def to_geopackage(
    resolved: ResolvedMap,
    layers: str | Sequence[str] = EXPORT_LAYERS,
    generated: datetime | None = None,
) -> bytes:
    """A GeoPackage (bytes) with one table per export layer in ``layers``."""
    if not layers:
        raise ValueError("choose at least one layer for the GeoPackage")
    return export_file(resolved, layers, "gpkg", generated).data


__all__ = [
    "ALL_EXPORT_LAYERS",
    "BRIEFING_FORMATS",
    "COORD_DECIMALS",
    "EXPORT_LAYERS",
    "FORMATS",
    "ID_COLUMNS",
    "LAYER_LABELS",
    "LAYER_SOURCES",
    "MIME_TYPES",
    "POINT_LAYERS",
    "PRODUCT_NAME",
    "REGISTRY",
    "SCHEMATIC_NOTE",
    "ExportFile",
    "ExportFormat",
    "LayerExport",
    "check_layers",
    "column_values",
    "data_sources",
    "export_file",
    "export_format",
    "export_metadata",
    "feature_count",
    "file_name",
    "geojson_bytes",
    "is_point_layer",
    "layer_for_export",
    "layer_stem",
    "plain_value",
    "product_version",
    "rfc7946_geometries",
    "to_csv",
    "to_geojson",
    "to_geopackage",
    "utc_timestamp",
]
