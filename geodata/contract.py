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
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geodata.numbers import parse_number, to_numbers, why_not_a_number

if TYPE_CHECKING:  # pandera is imported when a schema is first needed (start-up time)
    import pandera.pandas as pa

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

# Boxes that contain all of Afghanistan and Pakistan (with a margin) — used to detect
# swapped coordinates, which are otherwise in range for WGS84.
AFPAK_LAT = (23.0, 39.0)
AFPAK_LON = (60.0, 78.0)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^\S(.*\S)?$")
_ISO3 = re.compile(r"^[A-Z]{3}$")


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


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code (from pycountry), plus XKX (Kosovo, as ACLED and
    UCDP use it)."""
    import pycountry

    return frozenset({c.alpha_3 for c in pycountry.countries} | {"XKX"})


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


def _categories_ok(text: str) -> bool:
    parts = [p.strip() for p in text.split(";")]
    return bool(parts) and all(p in TARGET_CATEGORIES for p in parts)


HTTP_URL = re.compile(r"^https?://[^\s/]+\.[^\s]*$", re.I)


def is_http_url(text: object) -> bool:
    """True for an http(s) URL with a host (the only URLs the product links to)."""
    return isinstance(text, str) and bool(HTTP_URL.match(text.strip()))


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


# --- Validation ---------------------------------------------------------------------------


def validate_records(raw: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """Check ``raw`` (text columns as read from a file) against the contract for ``kind``.

    Returns a new frame with typed columns (``date`` as datetime64, counts as nullable
    integers, coordinates as floats, missing optional columns added as empty). Raises
    :class:`DataContractError` listing every problem, each with file, row, column, value
    and a hint. ``raw`` is not modified.
    """
    from pandera.errors import SchemaErrors

    schema = _schema(kind)
    frame = raw.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.reset_index(drop=True)
    # Empty strings are missing values, whatever reader produced them.
    frame = frame.apply(_blanks_to_na)
    if "id" in frame.columns:
        # Ids that differ only in invisible characters or Unicode forms are one id.
        frame["id"] = frame["id"].astype(object).map(normalise_id)
        frame["id"] = frame["id"].mask(frame["id"].eq("").fillna(False).astype(bool))
    problems: list[Problem] = []
    if frame.empty:
        problems.append(Problem(None, None, None, None, "the file has no data rows"))
        raise DataContractError(source, problems)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        problems.extend(_problems_from_pandera(exc.failure_cases, frame))
    problems.extend(_cross_column_problems(frame, kind))
    if problems:
        problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.column or ""))
        raise DataContractError(source, problems)
    return _typed(frame, kind)


def _blanks_to_na(series: pd.Series) -> pd.Series:
    """Text column stripped, with empty or whitespace-only cells as missing (NaN).

    Stripping before validation means " INC-001" and "INC-001" are the same id to the
    uniqueness check, as they are after loading."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series)):
        return series
    text = series.astype("string").str.strip()
    blank = text.eq("").fillna(False).astype(bool).to_numpy()
    return text.astype(object).mask(blank | text.isna().to_numpy(), np.nan)


def _record_id(frame: pd.DataFrame, index: int) -> str | None:
    if "id" in frame.columns and 0 <= index < len(frame):
        v = frame.at[index, "id"]
        return None if _is_missing(v) else str(v)
    return None


def _problems_from_pandera(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    out: list[Problem] = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        column = None if _is_missing(case.column) else str(case.column)
        index = None if _is_missing(case.index) else int(case.index)
        if check == "column_in_dataframe":
            missing = str(case.failure_case)
            out.append(Problem(None, None, missing, None, f"add the required column '{missing}'"))
            continue
        if check == "not_nullable":
            hint = f"fill in '{column}' (it is required)"
        elif check in ("field_uniqueness", "multiple_fields_uniqueness") or "unique" in check:
            column = column or "id"
            hint = (
                "ids must be unique within a file (ids that differ only in invisible "
                "characters count as the same); give this record its own id"
            )
        elif check.startswith(f"{NOT_A_NUMBER}: "):
            hint = (
                f"{why_not_a_number(str(case.failure_case))}; "
                f"{check.removeprefix(NOT_A_NUMBER + ': ')}"
            )
        else:
            hint = check
        row = None if index is None else index + 1
        out.append(
            Problem(
                row,
                _record_id(frame, index) if index is not None else None,
                column,
                case.failure_case,
                hint,
            )
        )
    return out


def _as_float(series: pd.Series) -> pd.Series:
    return to_numbers(series)


NUL_HINT = (
    "the text holds a NUL character (\\x00), which is never part of real text — "
    "remove it (the file may be damaged: export it again)"
)


def _cross_column_problems(frame: pd.DataFrame, kind: str) -> list[Problem]:
    out: list[Problem] = []
    cols = set(frame.columns)
    for name in frame.columns:
        values = frame[name]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        nul = values.astype("string").str.contains("\x00", regex=False).fillna(False)
        for i in np.flatnonzero(nul.to_numpy(dtype=bool)):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    name,
                    str(values.iat[i]).replace("\x00", "\\x00"),
                    NUL_HINT,
                )
            )
    if {"latitude", "longitude"} <= cols:
        lat, lon = _as_float(frame["latitude"]), _as_float(frame["longitude"])
        lat_given, lon_given = frame["latitude"].notna(), frame["longitude"].notna()
        # A value given but not a number (or out of range) is reported by its own check.
        lat_bad = (lat_given & ~lat.between(-90, 90)).to_numpy()
        lon_bad = (lon_given & ~lon.between(-180, 180)).to_numpy()
        half = (lat_given != lon_given).to_numpy()
        for i in np.flatnonzero(half):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "longitude" if lat_given.iat[i] else "latitude",
                    None,
                    "give both latitude and longitude, or neither",
                )
            )
        usable = ~half & ~lat_bad & ~lon_bad & lat.notna().to_numpy()
        null_island = usable & (lat == 0).to_numpy() & (lon == 0).to_numpy()
        for i in np.flatnonzero(null_island):
            where = frame.at[i, "country"] if "country" in cols else None
            named = f", not {where}" if isinstance(where, str) else ""
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "latitude",
                    "0, 0",
                    f"latitude 0, longitude 0 is open sea (no country{named}) and usually means "
                    "the place was unknown: "
                    "give the real coordinates, or leave both blank where the record kind "
                    "allows it",
                )
            )
        usable &= ~null_island
        if "country" in cols:
            afpak = frame["country"].isin(["AFG", "PAK"]).to_numpy() & usable
            inside = (lat.between(*AFPAK_LAT) & lon.between(*AFPAK_LON)).to_numpy()
            swapped = afpak & (lon.between(*AFPAK_LAT) & lat.between(*AFPAK_LON)).to_numpy()
            outside = afpak & ~inside & ~swapped
            for i in np.flatnonzero(swapped):
                out.append(
                    Problem(
                        i + 1,
                        _record_id(frame, i),
                        "latitude",
                        frame.at[i, "latitude"],
                        f"latitude and longitude look swapped for {frame.at[i, 'country']} "
                        f"(latitude {lat.iat[i]}, longitude {lon.iat[i]}); put the north-south "
                        "value in 'latitude' and the east-west value in 'longitude'",
                    )
                )
            lat_in = lat.between(*AFPAK_LAT).to_numpy()
            for i in np.flatnonzero(outside):
                out.append(
                    Problem(
                        i + 1,
                        _record_id(frame, i),
                        "longitude" if lat_in[i] else "latitude",
                        f"{lat.iat[i]}, {lon.iat[i]}",
                        f"the point lies outside {frame.at[i, 'country']} (lat {AFPAK_LAT}, lon "
                        f"{AFPAK_LON}); check the coordinates or the country code",
                    )
                )
    if kind == "incidents" and {"fatalities_low", "fatalities", "fatalities_high"} <= cols:
        lo = _as_float(frame["fatalities_low"])
        best = _as_float(frame["fatalities"])
        hi = _as_float(frame["fatalities_high"])
        bad = (lo > best) | (best > hi)
        for i in np.flatnonzero(bad.fillna(False).to_numpy()):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "fatalities",
                    f"low {lo.iat[i]:g}, best {best.iat[i]:g}, high {hi.iat[i]:g}",
                    "fatalities must lie between fatalities_low and fatalities_high",
                )
            )
    return out


def _typed(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    out = frame.copy()
    for name in declared_columns(kind):
        if name not in out.columns:
            out[name] = pd.NA
    for name in FLOAT_COLUMNS:
        out[name] = to_numbers(out[name]).astype("float64")
    for name in INTEGER_COLUMNS[kind]:
        out[name] = to_numbers(out[name]).round().astype("Int64")
    if "date" in out.columns:
        out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
    for name in out.columns:
        if name in FLOAT_COLUMNS or name in INTEGER_COLUMNS[kind] or name == "date":
            continue
        values = out[name].astype(object)
        present = values.notna()
        cleaned = pd.Series(None, index=out.index, dtype=object)
        cleaned[present] = values[present].astype(str).str.strip().astype(object)
        out[name] = cleaned
    return out
