"""The product's own records: CSV in the bundled columns (what ``synth`` writes) and
GeoJSON FeatureCollections of Points whose properties use the same columns.

Values are kept as given; the data contract checks them. Provenance columns present in
the file (e.g. a re-imported export: ``source_dataset`` of an import format or
``atlas-reference``, ``source_id``, ``geo_precision_source`` …) are kept; otherwise
``source_dataset`` is ``atlas`` or ``geojson``, ``licence`` ``user-supplied`` (or the
file's ``licence`` column), ``date_precision`` ``day``. In a CSV, the ``'`` the product's
CSV export puts before a cell starting with ``= + - @`` (formula neutralisation,
:mod:`geodata.csvcells`) is removed again, so an export imports back exactly. For GeoJSON
the Point geometry gives latitude/longitude (properties named latitude/longitude are
ignored: the geometry is what GIS tools show).
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.csvcells import restore_cell
from geodata.importers.common import (
    BUNDLED_DATASET,
    DATE_PRECISIONS,
    LICENCES,
    Normalised,
    row_problems,
    text,
)
from geodata.importers.formats import FORMATS
from geodata.importers.reading import SourceTable


def normalise(table: SourceTable, countries: Collection[str] | None = None) -> Normalised:
    """Map a product-format CSV or GeoJSON to rows (text) with provenance.

    ``countries`` (the import region) is not applied here: a file in the product's own
    columns holds records an analyst chose (the contract checks their country codes).
    """
    src = table.frame if table.format == "geojson" else _restored(table.frame)
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    ids = text(src, "id")
    problems: list[Problem] = []
    out = src.drop(columns=[c for c in src.columns if c.startswith("__")]).copy()
    if table.format == "geojson":
        gtype = text(src, "__geometry_type")
        not_point = (gtype != "Point") & ((gtype != "") | (table.kind != "threats"))
        problems += row_problems(
            not_point.to_numpy(),
            rows,
            ids,
            "geometry",
            gtype.where(gtype != "", None),
            "each feature needs a Point geometry [longitude, latitude]; lines and polygons "
            "are not records",
        )
        out["longitude"] = text(src, "__lon")
        out["latitude"] = text(src, "__lat")
    given = {
        c: text(src, c)
        for c in (
            "source_dataset",
            "licence",
            "date_precision",
            "source_citation",
            "target_derivation",
            "source_id",
            "geo_precision_source",
        )
    }
    dataset = given["source_dataset"].where(
        given["source_dataset"].isin([*FORMATS, BUNDLED_DATASET]), table.format
    )
    out["source_dataset"] = dataset
    out["source_id"] = given["source_id"].where(given["source_id"] != "", ids)
    for column, codes, hint, default in (
        ("licence", list(LICENCES), "use one of the licence codes: ", "user-supplied"),
        ("date_precision", list(DATE_PRECISIONS), "date_precision must be one of: ", "day"),
    ):
        values = given[column]
        problems += row_problems(
            (values != "") & ~values.isin(codes), rows, ids, column, values, hint + ", ".join(codes)
        )
        out[column] = values.where(values != "", default)
    out["source_citation"] = given["source_citation"].where(
        given["source_citation"] != "", text(src, "source_1_title")
    )
    out["geo_precision_source"] = given["geo_precision_source"].where(
        given["geo_precision_source"] != "", "as given"
    )
    out["target_derivation"] = given["target_derivation"].where(
        given["target_derivation"] != "", "as given"
    )
    out["row"] = rows
    mapping = {c: c for c in out.columns}
    if table.format == "geojson":
        mapping.update({"latitude": "geometry", "longitude": "geometry"})
    return Normalised(out, problems, [], mapping)


def _restored(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the export's formula neutralisation undone in headers and text cells
    (:func:`geodata.csvcells.restore_cell`; only cells starting with ``'`` are touched)."""
    out = frame.rename(columns=lambda c: restore_cell(c) if isinstance(c, str) else c)
    for col in out.columns:
        values = out[col]
        if not pd.api.types.is_string_dtype(values.dtype):
            continue
        quoted = values.str.startswith("'", na=False).astype(bool)
        if quoted.any():
            out[col] = values.where(~quoted, values[quoted].map(restore_cell))
    return out
