"""The import-format registry: one entry per format a user can import.

Everything the rest of the product needs to know about a format is here — its name in
messages, the columns that identify a CSV of it, the columns an import cannot do without,
the licence its records are held under, the dataset citation and the module that maps its
rows to the product's columns. The reader (:mod:`~geodata.importers.reading`), the
pipeline (:mod:`~geodata.importers.pipeline`), the importers, the Data page and the CLI
read these tables; none of them lists formats of its own.

Adding a format is this entry plus one module with ``normalise(table, countries=...) ->
Normalised`` (see docs/CONTRIBUTING.md). This module imports nothing from the package, so
every other module of it can read the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ImportFormat:
    """One import format.

    ``signature``: columns that identify a CSV/xlsx of this format (the best match with at
    least half of them wins detection; empty = never detected from a header).
    ``required``: columns an import cannot do without (None = the data contract's own, for
    the product's formats). ``licence``: the code in
    :data:`geodata.importers.common.LICENCES` its records carry (None = given per row).
    ``citation``: the dataset-level (title, URL), used when a row has no URL of its own.
    ``module``: the module whose ``normalise`` maps the rows.
    """

    code: str
    label: str
    module: str
    signature: tuple[str, ...] = ()
    required: tuple[str, ...] | None = None
    licence: str | None = None
    citation: tuple[str, str] | None = None

    def normaliser(self) -> Callable[..., Any]:
        """The format's ``normalise(table, countries=...)`` function."""
        return importlib.import_module(self.module).normalise


REGISTRY: dict[str, ImportFormat] = {
    f.code: f
    for f in (
        ImportFormat(
            "acled",
            "ACLED export",
            "geodata.importers.acled",
            signature=(
                "event_id_cnty",
                "event_date",
                "time_precision",
                "event_type",
                "sub_event_type",
                "actor1",
                "actor2",
                "inter1",
                "interaction",
                "admin1",
                "geo_precision",
                "source_scale",
                "fatalities",
                "notes",
            ),
            required=(
                "event_id_cnty",
                "event_date",
                "actor1",
                "country",
                "latitude",
                "longitude",
                "geo_precision",
                "fatalities",
            ),
            licence="ACLED-terms",
            citation=("Armed Conflict Location & Event Data (ACLED)", "https://acleddata.com/"),
        ),
        ImportFormat(
            "ucdp",
            "UCDP GED file",
            "geodata.importers.ucdp",
            signature=(
                "id",
                "type_of_violence",
                "conflict_name",
                "dyad_name",
                "side_a",
                "side_b",
                "where_prec",
                "adm_1",
                "date_start",
                "date_end",
                "best",
                "high",
                "low",
                "source_article",
            ),
            # 'best' (or the web export's 'best_est') is checked by ucdp.py
            required=(
                "id",
                "date_start",
                "side_a",
                "side_b",
                "country",
                "latitude",
                "longitude",
                "where_prec",
            ),
            licence="CC-BY-4.0",
            citation=("UCDP Georeferenced Event Dataset (GED)", "https://ucdp.uu.se/downloads/"),
        ),
        ImportFormat(
            "gtd",
            "GTD file",
            "geodata.importers.gtd",
            signature=(
                "eventid",
                "iyear",
                "imonth",
                "iday",
                "country_txt",
                "provstate",
                "city",
                "specificity",
                "attacktype1_txt",
                "targtype1_txt",
                "natlty1_txt",
                "gname",
                "nkill",
                "nwound",
                "scite1",
            ),
            required=(
                "eventid",
                "iyear",
                "imonth",
                "iday",
                "country_txt",
                "latitude",
                "longitude",
                "gname",
            ),
            licence="GTD-terms",
            citation=(
                "Global Terrorism Database (GTD), START, University of Maryland",
                "https://www.start.umd.edu/gtd/",
            ),
        ),
        ImportFormat(
            "atlas",
            "ISKP Risk Atlas CSV",
            "geodata.importers.atlas",
            signature=(
                "id",
                "date",
                "country",
                "province",
                "latitude",
                "longitude",
                "geo_precision",
                "actor",
                "attribution",
                "target_category",
                "fatalities",
                "summary",
                "confidence",
                "source_1_url",
            ),
        ),
        ImportFormat("geojson", "GeoJSON FeatureCollection", "geodata.importers.atlas"),
    )
}
"""Import formats by code (the code is also the ``source_dataset`` of imported records)."""

FORMATS: tuple[str, ...] = tuple(REGISTRY)
FILE_TYPES: tuple[str, ...] = ("csv", "txt", "xlsx", "zip", "geojson", "json")
"""File name extensions the reader takes for any format (a zip holding one table of them)."""
UPLOAD_PROMPT = "ACLED, UCDP GED, GTD (CSV, xlsx or a zip of one), atlas CSV or GeoJSON"
"""What the Data page's upload box asks for (the formats above in users' words)."""
FORMAT_LABELS: dict[str, str] = {code: f.label for code, f in REGISTRY.items()}
SIGNATURES: dict[str, tuple[str, ...]] = {
    code: f.signature for code, f in REGISTRY.items() if f.signature
}
"""Columns that identify each CSV format; the best match with at least half wins."""
REQUIRED: dict[str, tuple[str, ...]] = {
    code: f.required for code, f in REGISTRY.items() if f.required is not None
}
"""Columns an import cannot do without, per dataset format (atlas: the data contract's)."""
DATASET_CITATIONS: dict[str, tuple[str, str]] = {
    code: f.citation for code, f in REGISTRY.items() if f.citation is not None
}
"""Dataset-level citation (title, URL) used when a row carries no URL of its own.

These URLs cite the dataset, not the event: de-duplication never matches on them.
"""


def detect_format(columns: Iterable[object]) -> str | None:
    """The CSV format whose signature columns best match ``columns`` (at least half)."""
    present = {str(c).strip().lower() for c in columns}
    scores = {fmt: sum(c in present for c in sig) / len(sig) for fmt, sig in SIGNATURES.items()}
    best = max(scores, key=lambda f: scores[f])
    return best if scores[best] >= 0.5 else None
