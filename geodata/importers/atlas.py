"""The product's own records: CSV in the bundled columns (what ``synth`` writes) and
GeoJSON FeatureCollections of Points whose properties use the same columns.

Values are kept as given; the data contract checks them. Provenance columns present in
the file (e.g. a re-imported export) are kept; otherwise ``source_dataset`` is ``atlas``
or ``geojson``, ``licence`` ``user-supplied`` (or the file's ``licence`` column),
``date_precision`` ``day``. For GeoJSON the Point geometry gives latitude/longitude
(properties named latitude/longitude are ignored: the geometry is what GIS tools show).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common import (
    DATE_PRECISIONS,
    FORMATS,
    LICENCES,
    Normalised,
    row_problems,
    text,
)
from geodata.importers.reading import SourceTable


def normalise(table: SourceTable) -> Normalised:
    """Map a product-format CSV or GeoJSON to rows (text) with provenance."""
    src = table.frame
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    ids = text(src, "id")
    problems: list[Problem] = []
    out = src.drop(columns=[c for c in src.columns if c.startswith("__")]).copy()
    if table.format == "geojson":
        gtype = text(src, "__geometry_type")
        not_point = (gtype != "Point") & ((gtype != "") | (table.kind != "threats"))
        problems += row_problems(
            not_point.to_numpy(), rows, ids, "geometry", gtype.where(gtype != "", None),
            "each feature needs a Point geometry [longitude, latitude]; lines and polygons "
            "are not records")
        out["longitude"] = text(src, "__lon")
        out["latitude"] = text(src, "__lat")
    given = {c: text(src, c) for c in ("source_dataset", "licence", "date_precision",
                                       "source_citation", "target_derivation", "source_id")}
    dataset = given["source_dataset"].where(given["source_dataset"].isin(FORMATS),
                                            table.format)
    out["source_dataset"] = dataset
    out["source_id"] = given["source_id"].where(given["source_id"] != "", ids)
    licence = given["licence"]
    problems += row_problems(
        (licence != "") & ~licence.isin(list(LICENCES)), rows, ids, "licence", licence,
        "use one of the licence codes: " + ", ".join(LICENCES))
    out["licence"] = licence.where(licence != "", "user-supplied")
    precision = given["date_precision"]
    problems += row_problems(
        (precision != "") & ~precision.isin(DATE_PRECISIONS), rows, ids, "date_precision",
        precision, "date_precision must be one of: " + ", ".join(DATE_PRECISIONS))
    out["date_precision"] = precision.where(precision != "", "day")
    out["source_citation"] = given["source_citation"].where(
        given["source_citation"] != "", text(src, "source_1_title"))
    out["geo_precision_source"] = "as given"
    out["target_derivation"] = given["target_derivation"].where(
        given["target_derivation"] != "", "as given")
    out["row"] = rows
    mapping = {c: c for c in out.columns}
    if table.format == "geojson":
        mapping.update({"latitude": "geometry", "longitude": "geometry"})
    return Normalised(out, problems, [], mapping)
