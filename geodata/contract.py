"""The data contract: one declared schema per record kind (incidents, threats, sites).

Every record that enters the product — the bundled reference files, the synthetic files
of ``iskp-atlas synth`` and every importer's output — goes through :func:`validate_records`.
The schemas are declared with pandera; the checks that span two columns (coordinates that
look swapped, casualty ranges, latitude without longitude) are declared here as well, so
one function reports every problem with the file, the row, the column, the bad value and
what to change.

Values are validated as *text* (the way they arrive from a CSV) and converted to their
types only after they passed, so a non-numeric casualty figure is reported as such instead
of surfacing later as a NaN.

The contract, one module per responsibility (this module re-exports what callers use):

- :mod:`geodata.contract_terms`: the vocabularies, the rules on single values and the
  :class:`Problem` / :class:`DataContractError` a broken rule becomes;
- :mod:`geodata.contract_schemas`: the declared schema of each kind, its checks and hints;
- :mod:`geodata.contract_validation`: :func:`validate_records` (the problems, then types).
"""

from __future__ import annotations

from geodata.contract_schemas import COUNT_HINT as COUNT_HINT
from geodata.contract_schemas import COUNTRY_HINT as COUNTRY_HINT
from geodata.contract_schemas import DATE_HINT as DATE_HINT
from geodata.contract_schemas import FLOAT_COLUMNS as FLOAT_COLUMNS
from geodata.contract_schemas import ID_HINT as ID_HINT
from geodata.contract_schemas import INTEGER_COLUMNS as INTEGER_COLUMNS
from geodata.contract_schemas import LAT_HINT as LAT_HINT
from geodata.contract_schemas import LON_HINT as LON_HINT
from geodata.contract_schemas import NOT_A_NUMBER as NOT_A_NUMBER
from geodata.contract_schemas import PRECISION_HINT as PRECISION_HINT
from geodata.contract_schemas import TARGET_HINT as TARGET_HINT
from geodata.contract_schemas import URL_HINT as URL_HINT
from geodata.contract_schemas import declared_columns as declared_columns
from geodata.contract_schemas import required_columns as required_columns
from geodata.contract_schemas import schemas as schemas
from geodata.contract_terms import ASSET_TYPES as ASSET_TYPES
from geodata.contract_terms import ATTRIBUTIONS as ATTRIBUTIONS
from geodata.contract_terms import CONFIDENCE_LEVELS as CONFIDENCE_LEVELS
from geodata.contract_terms import GEO_PRECISIONS as GEO_PRECISIONS
from geodata.contract_terms import HTTP_URL as HTTP_URL
from geodata.contract_terms import RECORD_KINDS as RECORD_KINDS
from geodata.contract_terms import TARGET_CATEGORIES as TARGET_CATEGORIES
from geodata.contract_terms import THREAT_TYPES as THREAT_TYPES
from geodata.contract_terms import DataContractError as DataContractError
from geodata.contract_terms import Problem as Problem
from geodata.contract_terms import is_country_code as is_country_code
from geodata.contract_terms import is_http_url as is_http_url
from geodata.contract_terms import iso3_codes as iso3_codes
from geodata.contract_terms import normalise_id as normalise_id
from geodata.contract_validation import AFPAK_LAT as AFPAK_LAT
from geodata.contract_validation import AFPAK_LON as AFPAK_LON
from geodata.contract_validation import NUL_HINT as NUL_HINT
from geodata.contract_validation import validate_records as validate_records
