"""The data contract's terms: the vocabularies, the rules on single values (record ids,
country codes, source URLs) and the :class:`Problem` a broken rule becomes (raised together
as :class:`DataContractError`)."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

# --- Vocabularies -------------------------------------------------------------------------

TARGET_CATEGORIES: tuple[str, ...] = (
    "chinese_nationals",
    "chinese_interests",
    "cpec",
    "pakistani_state",
    "security_forces",
    "taliban_government",
    "political",
    "diplomatic",
    "foreign_nationals",
    "shia_hazara",
    "religious_minority",
    "sufi",
    "civilians",
)
"""Target categories used by the reference data (see geodata/data/NOTES_REFERENCE.md)."""

ATTRIBUTIONS: tuple[str, ...] = ("claimed", "attributed", "suspected", "unclaimed")
CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low")
GEO_PRECISIONS: tuple[int, ...] = (1, 2, 3)
THREAT_TYPES: tuple[str, ...] = (
    "intelligence_warning",
    "cooperation_report",
    "propaganda",
    "travel_advisory",
    "stated_threat",
)
ASSET_TYPES: tuple[str, ...] = (
    "embassy",
    "hotel",
    "government building",
    "airport",
    "mine",
    "border_crossing",
    "port",
    "road",
    "dam",
    "energy",
    "education",
)
RECORD_KINDS: tuple[str, ...] = ("incidents", "threats", "sites")


class DataContractError(ValueError):
    """Records break the data contract.

    ``problems`` holds every :class:`Problem` found; the message names the first ones.
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        shown = "; ".join(p.describe(source) for p in problems[:3])
        more = f" (and {len(problems) - 3} more problems)" if len(problems) > 3 else ""
        super().__init__(shown + more)


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (row, column), what (value) and what to change (hint)."""

    row: int | None  # 1-based data row (the header is not counted); None = whole file
    record_id: str | None
    column: str | None
    value: object
    hint: str

    def describe(self, source: str) -> str:
        """One line a user can act on."""
        where = [source]
        if self.row is not None:
            rid = f" (id {self.record_id})" if self.record_id else ""
            where.append(f"row {self.row}{rid}")
        if self.column:
            where.append(f"column '{self.column}'")
        shown = "" if _is_missing(self.value) else f": bad value {str(self.value)[:80]!r}"
        if _is_missing(self.value) and self.row is not None and self.column:
            shown = ": value is missing"
        if self.row is not None and not self.column and self.hint.startswith(f"row {self.row} "):
            # "file.csv, row 5 has 27 fields, the header 26 — …": the hint names the row.
            return f"{source}, {self.hint}"
        return f"{', '.join(where)}{shown} — {self.hint}"


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code (from pycountry), plus XKX (Kosovo, as ACLED and
    UCDP use it)."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | {"XKX"})


_ISO3 = re.compile(r"^[A-Z]{3}$")


def is_country_code(text: str) -> bool:
    """True for a known ISO 3166-1 alpha-3 code (upper case)."""
    return bool(_ISO3.match(text)) and text in iso3_codes()


_INVISIBLE = re.compile(
    r"[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160"
    r"\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8]"
)


def normalise_id(value: object) -> object:
    """A record id as compared and stored: NFKC-normalised, without zero-width, format or
    control characters, stripped. ``"AFG\u200b1"`` and ``"AFG1"`` are the same id (two of
    them in one file are a duplicate). Missing values are returned as given."""
    if not isinstance(value, str):
        return value
    text = unicodedata.normalize("NFKC", value)
    if not text.isascii() or _INVISIBLE.search(text):
        text = "".join(c for c in _INVISIBLE.sub("", text) if unicodedata.category(c) != "Cf")
    return text.strip()


HTTP_URL = re.compile(r"^https?://[^\s/]+\.[^\s]*$", re.I)


def is_http_url(text: object) -> bool:
    """True for an http(s) URL with a host (the only URLs the product links to)."""
    return isinstance(text, str) and bool(HTTP_URL.match(text.strip()))
