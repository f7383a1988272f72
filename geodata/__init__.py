"""Bundled geography, cited records, the data contract and the joins between them.

Public façade::

    from geodata import load_current
    data = load_current()  # bundled + imported (store) + extra records: what the app shows
    data.incidents  # GeoDataFrame, EPSG:4326, joined to provinces, border, corridors

(``load_bundle()`` is the bundled records alone.)

No streamlit here (see tests/test_architecture.py).
"""

from geodata.actors import ACTORS, actor_family, canonical_actor, canonical_actors
from geodata.bundle import (
    Bundle,
    Geography,
    data_path,
    enrich_records,
    load_bundle,
    load_geography,
    load_records,
    read_record_csv,
)
from geodata.catalog import load_current
from geodata.contract import (
    ATTRIBUTIONS,
    CONFIDENCE_LEVELS,
    TARGET_CATEGORIES,
    DataContractError,
    declared_columns,
    required_columns,
    validate_records,
)
from geodata.places import admin1_code, admin1_codes
from geodata.spatial import METRIC_CRS, WGS84

__all__ = [
    "ACTORS",
    "ATTRIBUTIONS",
    "CONFIDENCE_LEVELS",
    "METRIC_CRS",
    "TARGET_CATEGORIES",
    "WGS84",
    "Bundle",
    "DataContractError",
    "Geography",
    "actor_family",
    "admin1_code",
    "admin1_codes",
    "canonical_actor",
    "canonical_actors",
    "data_path",
    "declared_columns",
    "enrich_records",
    "load_bundle",
    "load_current",
    "load_geography",
    "load_records",
    "read_record_csv",
    "required_columns",
    "validate_records",
]
