"""The declared schema of each record kind (pandera, built on first use): the checks on
the text of each column with the hint each gives, and the column lists they declare."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geodata.contract_terms import (
    ASSET_TYPES,
    ATTRIBUTIONS,
    CONFIDENCE_LEVELS,
    HTTP_URL,
    RECORD_KINDS,
    TARGET_CATEGORIES,
    THREAT_TYPES,
    is_country_code,
    is_http_url,
)
from geodata.numbers import parse_number

if TYPE_CHECKING:  # pandera is imported when a schema is first needed (start-up time)
    import pandera.pandas as pa

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^\S(.*\S)?$")


# --- Element checks on text ---------------------------------------------------------------


def _text_check(
    fn: Callable[[str], bool],
    hint: str,
    vectorised: Callable[[pd.Series], pd.Series] | None = None,
) -> pa.Check:
    """A check on the non-missing text values of a column; ``hint`` says what to change.

    ``fn`` runs once per distinct value (files repeat values a lot); columns whose values
    are all different (ids, URLs, summaries) pass a ``vectorised`` version instead.
    """

    import pandera.pandas as pa

    def one(text: str) -> bool:
        try:
            return bool(fn(text))
        except (ValueError, TypeError):
            return False

    def run(series: pd.Series) -> pd.Series:
        values = series.astype(object)
        present = values.notna().to_numpy()
        out = np.ones(len(series), dtype=bool)
        if present.any():
            text = values[present].astype(str).str.strip()
            if vectorised is not None:
                out[present] = np.asarray(vectorised(text), dtype=bool)
            else:
                inverse, uniq = pd.factorize(text.to_numpy(dtype=object))
                verdicts = np.fromiter((one(str(u)) for u in uniq), dtype=bool, count=len(uniq))
                out[present] = verdicts[inverse]
        return pd.Series(out, index=series.index)

    return pa.Check(run, name=hint, error=hint)


def _non_empty(text: pd.Series) -> pd.Series:
    return text.str.len() > 0


def _matches(pattern: str, case: bool = True) -> Callable[[pd.Series], pd.Series]:
    return lambda text: text.str.match(pattern, case=case).fillna(False)


def _is_iso_date(text: str) -> bool:
    if not _ISO_DATE.match(text):
        return False
    d = date.fromisoformat(text)
    return date(1970, 1, 1) <= d <= date.today()


def _number_in(lo: float, hi: float, integer: bool = False) -> Callable[[str], bool]:
    """In range (a value that is not a number passes: :func:`_is_number` reports it)."""

    def ok(text: str) -> bool:
        x = parse_number(text)
        if x is None:
            return True
        if integer and not x.is_integer():
            return False
        return lo <= x <= hi

    return ok


NOT_A_NUMBER = "not a number"
"""Name of the check that a numeric column holds strictly written numbers; its problems
say why the value is not a number (see :func:`geodata.numbers.why_not_a_number`)."""


def _numeric(lo: float, hi: float, hint: str, integer: bool = False) -> list[pa.Check]:
    """A strictly written number (named ``not a number: <hint>``), then in range."""
    return [
        _text_check(lambda t: parse_number(t) is not None, f"{NOT_A_NUMBER}: {hint}"),
        _text_check(_number_in(lo, hi, integer), hint),
    ]


def _one_of(values: Iterable[object]) -> Callable[[str], bool]:
    allowed = {str(v) for v in values}
    return lambda text: text in allowed


def _categories_ok(text: str) -> bool:
    parts = [p.strip() for p in text.split(";")]
    return bool(parts) and all(p in TARGET_CATEGORIES for p in parts)


DATE_HINT = "write the date as ISO YYYY-MM-DD (a real date, not in the future), e.g. 2024-03-26"
ID_HINT = "give every record a non-empty id without leading or trailing spaces"
COUNTRY_HINT = "not a known country code: use an ISO 3166-1 alpha-3 code such as AFG or PAK"
LAT_HINT = "latitude must be a number between -90 and 90 (decimal degrees, WGS84)"
LON_HINT = "longitude must be a number between -180 and 180 (decimal degrees, WGS84)"
PRECISION_HINT = "geo_precision must be 1 (exact site), 2 (town/city) or 3 (district/region)"
COUNT_HINT = "casualty counts must be whole numbers of 0 or more (leave blank if unknown)"
URL_HINT = "give at least one source URL starting with http:// or https://"
TARGET_HINT = "use target categories from: " + ", ".join(TARGET_CATEGORIES) + " (separate with ;)"


def _column(checks: list[pa.Check], required: bool = True, nullable: bool = False) -> pa.Column:
    import pandera.pandas as pa

    return pa.Column(None, checks=checks, required=required, nullable=nullable, coerce=False)


def _common_columns() -> dict[str, pa.Column]:
    return {
        "id": _column([_text_check(lambda t: bool(_ID.match(t)), ID_HINT, _matches(_ID.pattern))]),
        "country": _column([_text_check(is_country_code, COUNTRY_HINT)]),
        "source_1_url": _column(
            [_text_check(is_http_url, URL_HINT, _matches(HTTP_URL.pattern, case=False))]
        ),
        "latitude": _column(_numeric(-90, 90, LAT_HINT), nullable=True),
        "longitude": _column(_numeric(-180, 180, LON_HINT), nullable=True),
        "geo_precision": _column(
            [_text_check(_one_of(["1", "2", "3", "1.0", "2.0", "3.0"]), PRECISION_HINT)],
            nullable=True,
        ),
    }


def _optional_text(*names: str) -> dict[str, pa.Column]:
    return {n: _column([], required=False, nullable=True) for n in names}


def _incident_schema() -> pa.DataFrameSchema:
    import pandera.pandas as pa

    cols = _common_columns()
    cols["latitude"] = _column(_numeric(-90, 90, LAT_HINT))
    cols["longitude"] = _column(_numeric(-180, 180, LON_HINT))
    cols["geo_precision"] = _column(
        [_text_check(_one_of(["1", "2", "3", "1.0", "2.0", "3.0"]), PRECISION_HINT)]
    )
    cols.update(
        {
            "date": _column([_text_check(_is_iso_date, DATE_HINT)]),
            "province": _column([], nullable=True),
            "actor": _column([_text_check(bool, "name the actor, or write Unknown")]),
            "attribution": _column(
                [_text_check(_one_of(ATTRIBUTIONS), "use one of: " + ", ".join(ATTRIBUTIONS))]
            ),
            "attack_type": _column([], nullable=True),
            "target_category": _column([_text_check(_categories_ok, TARGET_HINT)]),
            "fatalities": _column(_numeric(0, 1e6, COUNT_HINT, integer=True)),
            "fatalities_low": _column(
                _numeric(0, 1e6, COUNT_HINT, integer=True),
                required=False,
                nullable=True,
            ),
            "fatalities_high": _column(
                _numeric(0, 1e6, COUNT_HINT, integer=True),
                required=False,
                nullable=True,
            ),
            "injured": _column(
                _numeric(0, 1e6, COUNT_HINT, integer=True),
                required=False,
                nullable=True,
            ),
            "summary": _column([_text_check(bool, "write a one-sentence summary", _non_empty)]),
            "confidence": _column(
                [
                    _text_check(
                        _one_of(CONFIDENCE_LEVELS), "use one of: " + ", ".join(CONFIDENCE_LEVELS)
                    )
                ]
            ),
        }
    )
    cols.update(
        _optional_text(
            "district",
            "place",
            "target_detail",
            "source_1_title",
            "source_2_title",
            "notes",
        )
    )
    cols["source_2_url"] = _column(
        [
            _text_check(
                is_http_url,
                "source_2_url must be an http(s) URL, or left blank",
                _matches(HTTP_URL.pattern, case=False),
            )
        ],
        required=False,
        nullable=True,
    )
    return pa.DataFrameSchema(cols, strict=False, unique=["id"], report_duplicates="all")


def _threat_schema() -> pa.DataFrameSchema:
    import pandera.pandas as pa

    cols = _common_columns()
    cols.update(
        {
            "date": _column([_text_check(_is_iso_date, DATE_HINT)]),
            "actor": _column([_text_check(bool, "name the actor, or write Unknown")]),
            "threat_type": _column(
                [_text_check(_one_of(THREAT_TYPES), "use one of: " + ", ".join(THREAT_TYPES))]
            ),
            "target_category": _column([_text_check(_categories_ok, TARGET_HINT)]),
            "province": _column([], nullable=True),
            "credibility": _column(
                [
                    _text_check(
                        _one_of(CONFIDENCE_LEVELS), "use one of: " + ", ".join(CONFIDENCE_LEVELS)
                    )
                ]
            ),
            "summary": _column([_text_check(bool, "write a one-sentence summary", _non_empty)]),
        }
    )
    cols.update(_optional_text("reported_by", "target_detail", "place", "source_1_title", "notes"))
    return pa.DataFrameSchema(cols, strict=False, unique=["id"], report_duplicates="all")


def _site_schema() -> pa.DataFrameSchema:
    import pandera.pandas as pa

    cols = _common_columns()
    cols["latitude"] = _column(_numeric(-90, 90, LAT_HINT))
    cols["longitude"] = _column(_numeric(-180, 180, LON_HINT))
    cols.update(
        {
            "name": _column([_text_check(bool, "give the site a name")]),
            "asset_type": _column(
                [_text_check(_one_of(ASSET_TYPES), "use one of: " + ", ".join(ASSET_TYPES))]
            ),
            "province": _column([], nullable=True),
        }
    )
    cols.update(_optional_text("owner_or_link", "place", "notes", "source_1_title"))
    return pa.DataFrameSchema(cols, strict=False, unique=["id"], report_duplicates="all")


@lru_cache(maxsize=1)
def schemas() -> dict[str, pa.DataFrameSchema]:
    """The declared schema of each record kind (built on first use)."""
    return {
        "incidents": _incident_schema(),
        "threats": _threat_schema(),
        "sites": _site_schema(),
    }


INTEGER_COLUMNS = {
    "incidents": ("geo_precision", "fatalities", "fatalities_low", "fatalities_high", "injured"),
    "threats": ("geo_precision",),
    "sites": ("geo_precision",),
}
FLOAT_COLUMNS = ("latitude", "longitude")


def required_columns(kind: str) -> list[str]:
    """Columns a file of this kind must have."""
    return [name for name, col in _schema(kind).columns.items() if col.required]


def declared_columns(kind: str) -> list[str]:
    """Every column the contract knows for this kind, required ones first."""
    cols = _schema(kind).columns
    return [n for n, c in cols.items() if c.required] + [
        n for n, c in cols.items() if not c.required
    ]


def _schema(kind: str) -> pa.DataFrameSchema:
    try:
        return schemas()[kind]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}; use one of {RECORD_KINDS}") from None
