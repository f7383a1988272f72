"""Shared pieces of the importers: the normalised frame, provenance, licences and parsers.

Every importer turns a source table (text, the source's own columns) into a
:class:`Normalised` result: one text row per accepted source row in the product's own
incident columns (see :func:`geodata.contract.declared_columns`) plus the provenance
columns in :data:`PROVENANCE_COLUMNS`, the row-level problems found while mapping (named
by the *source* column, so a user can find them in their file) and the rows left out on
purpose (:class:`Exclusion`: a valid source row the atlas cannot place, e.g. a UCDP event
located only at country level). Everything here is pure: inputs are never modified.

The package (one module per concern; this façade re-exports every name, so importers
write ``from geodata.importers.common import …``): :mod:`.provenance` (the normalised
result, provenance columns, licences, exclusions), :mod:`.rows` (text helpers, the output
row builder, row problems), :mod:`.records` (a dataset's rows from its column map),
:mod:`.dates`, :mod:`.numbers`, :mod:`.countries` (country
codes and the region), :mod:`.targets` (targets, attribution, confidence, URLs).
"""

from __future__ import annotations

from geodata.importers.common.countries import (  # noqa: F401
    DEFAULT_REGION,
    REGION_REASON,
    RegionRows,
    country_choices,
    country_codes,
    country_name,
    drop_rows,
    excluded_by_country,
    nothing_in_region,
    region_codes,
    region_first,
    region_split,
    region_summary,
    unknown_country_problems,
)
from geodata.importers.common.dates import (  # noqa: F401
    EARLIEST,
    date_out_of_range,
    iso,
    parse_dates,
    parse_source_dates,
    slash_day_first,
    slash_formats,
)
from geodata.importers.common.numbers import (  # noqa: F401
    ascii_numbers,
    bad_count,
    coordinate_problems,
    count_text,
    not_a_number,
    number_problems,
)
from geodata.importers.common.provenance import (  # noqa: F401
    BUNDLED_DATASET,
    DATASET_URLS,
    DATE_PRECISIONS,
    LICENCES,
    PROVENANCE_COLUMNS,
    Exclusion,
    Licence,
    Normalised,
)
from geodata.importers.common.records import RECORD_ORDER, mapped_rows  # noqa: F401
from geodata.importers.common.rows import (  # noqa: F401
    blank_to_none,
    by_unique,
    dataset_rows,
    join_nonempty,
    labelled,
    row_problems,
    text,
    truncated_last_row,
    wrapped,
)
from geodata.importers.common.targets import (  # noqa: F401
    KEYWORD_TARGETS,
    TALIBAN_TAKEOVER,
    attribution_from_notes,
    confidence_for,
    first_url,
    keyword_targets,
    merge_targets,
    normalise_url,
    state_targets,
)
