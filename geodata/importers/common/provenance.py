"""The importer's result (:class:`Normalised`), provenance columns, licences and exclusions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from geodata.contract import Problem
from geodata.importers.formats import DATASET_CITATIONS

# --- Provenance and licences -----------------------------------------------------------------

PROVENANCE_COLUMNS: tuple[str, ...] = (
    "source_dataset",
    "source_id",
    "source_citation",
    "licence",
    "date_precision",
    "geo_precision_source",
    "target_derivation",
)
"""Columns every imported record carries beside the product's own columns."""

DATE_PRECISIONS: tuple[str, ...] = ("day", "week", "month", "year")


BUNDLED_DATASET = "atlas-reference"
"""``source_dataset`` of the bundled, curated records."""


@dataclass(frozen=True)
class Licence:
    """The terms an imported record is held under."""

    code: str
    name: str
    url: str
    raw_export_allowed: bool
    note: str


LICENCES: dict[str, Licence] = {
    lic.code: lic
    for lic in (
        Licence(
            "ACLED-terms",
            "ACLED Terms of Use",
            "https://acleddata.com/terms-of-use/",
            False,
            "Do not give others access to ACLED's raw rows; share derived "
            "products (counts, scores, maps) with attribution.",
        ),
        Licence(
            "CC-BY-4.0",
            "Creative Commons Attribution 4.0 (UCDP GED)",
            "https://creativecommons.org/licenses/by/4.0/",
            True,
            "Cite UCDP GED (Sundberg & Melander 2013; Davies et al.) when sharing.",
        ),
        Licence(
            "GTD-terms",
            "Global Terrorism Database terms of use",
            "https://www.start.umd.edu/gtd/terms-of-use/",
            False,
            "Do not post GTD data publicly; share derived products with attribution.",
        ),
        Licence(
            "user-supplied",
            "Supplied by the user",
            "",
            False,
            "Terms unknown to the atlas: treated like restricted data (derived layers "
            "only) until the user states a licence in a 'licence' column.",
        ),
        Licence(
            "atlas-reference",
            "ISKP Risk Atlas reference data",
            "",
            True,
            "Facts from public reporting, summaries in our own words.",
        ),
    )
}

DATASET_URLS: frozenset[str] = frozenset(url for _, url in DATASET_CITATIONS.values())


@dataclass(frozen=True)
class Exclusion:
    """A source row left out on purpose (valid in its source, but not placeable here)."""

    row: int
    record_id: str | None
    reason: str
    country: str | None = None
    """Set for a row outside the region: the country's name (counted in the report)."""

    def describe(self, source: str) -> str:
        """One line for the user."""
        rid = f" (id {self.record_id})" if self.record_id else ""
        return f"{source}, row {self.row}{rid}: left out — {self.reason}"


@dataclass(frozen=True)
class Normalised:
    """An importer's result.

    ``frame`` holds text in the product's columns plus provenance and an int column
    ``row`` (the 1-based data row of the source file). ``column_map`` names, for each
    product column, the source column it came from (used to word contract problems in
    the user's terms).
    """

    frame: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    excluded: list[Exclusion] = field(default_factory=list)
    column_map: Mapping[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    """Source quirks normalised, one line each with a count (e.g. fatality bounds widened)."""
