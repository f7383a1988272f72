"""Importers: ACLED, UCDP GED, GTD, the product's own CSV and GeoJSON → contract records.

One module per format (:mod:`~geodata.importers.acled`, :mod:`~geodata.importers.ucdp`,
:mod:`~geodata.importers.gtd`, :mod:`~geodata.importers.atlas` for CSV and GeoJSON), plus
reading and detection (:mod:`~geodata.importers.reading`, with its limits, decoding,
delimited, geojson and workbook modules), shared normalisation
(:mod:`~geodata.importers.common`), de-duplication (:mod:`~geodata.importers.dedup`) and
the pipeline (:func:`prepare_import`; its plan in :mod:`~geodata.importers.plan`, the
recognition of known records in :mod:`~geodata.importers.known`). Nothing here writes
files: the local store (:mod:`geodata.store`) commits an :class:`ImportPlan` in one
transaction.

Typical use::

    from geodata.importers import prepare_import
    plan = prepare_import(path.read_bytes(), path.name)   # raises DataContractError
    plan.counts(), plan.reasons(), plan.enriched           # what would be imported
"""

from geodata.importers.common import (
    BUNDLED_DATASET,
    LICENCES,
    PROVENANCE_COLUMNS,
    Exclusion,
    Licence,
)
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM, find_duplicates
from geodata.importers.formats import DATASET_CITATIONS, FORMATS, REGISTRY, ImportFormat
from geodata.importers.pipeline import ImportPlan, existing_keys, prepare_import
from geodata.importers.reading import (
    DEFAULT_MAX_MB,
    MAX_MB_ENV,
    ImportFileError,
    SourceTable,
    detect_format,
    max_import_bytes,
    read_path,
    read_source,
)

__all__ = [
    "BUNDLED_DATASET",
    "DATASET_CITATIONS",
    "DEDUP_DAYS",
    "DEDUP_KM",
    "DEFAULT_MAX_MB",
    "FORMATS",
    "LICENCES",
    "MAX_MB_ENV",
    "PROVENANCE_COLUMNS",
    "REGISTRY",
    "Exclusion",
    "ImportFileError",
    "ImportFormat",
    "ImportPlan",
    "Licence",
    "SourceTable",
    "detect_format",
    "existing_keys",
    "find_duplicates",
    "max_import_bytes",
    "prepare_import",
    "read_path",
    "read_source",
]
