"""Shared pieces of the importers: the normalised frame, provenance, licences and parsers.

Every importer turns a source table (text, the source's own columns) into a
:class:`Normalised` result: one text row per accepted source row in the product's own
incident columns (see :func:`geodata.contract.declared_columns`) plus the provenance
columns in :data:`PROVENANCE_COLUMNS`, the row-level problems found while mapping (named
by the *source* column, so a user can find them in their file) and the rows left out on
purpose (:class:`Exclusion`: a valid source row the atlas cannot place, e.g. a UCDP event
located only at country level). Everything here is pure: inputs are never modified.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import country_converter as coco
import numpy as np
import pandas as pd
from country_converter.country_converter import COUNTRY_DATA_FILE

from geodata.contract import Problem
from geodata.importers.formats import DATASET_CITATIONS, REGISTRY
from geodata.numbers import ascii_digits, parse_number, to_numbers, why_not_a_number

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
        Licence("ACLED-terms", "ACLED Terms of Use", "https://acleddata.com/terms-of-use/",
                False, "Do not give others access to ACLED's raw rows; share derived "
                "products (counts, scores, maps) with attribution."),
        Licence("CC-BY-4.0", "Creative Commons Attribution 4.0 (UCDP GED)",
                "https://creativecommons.org/licenses/by/4.0/", True,
                "Cite UCDP GED (Sundberg & Melander 2013; Davies et al.) when sharing."),
        Licence("GTD-terms", "Global Terrorism Database terms of use",
                "https://www.start.umd.edu/gtd/terms-of-use/", False,
                "Do not post GTD data publicly; share derived products with attribution."),
        Licence("user-supplied", "Supplied by the user", "", False,
                "Terms unknown to the atlas: treated like restricted data (derived layers "
                "only) until the user states a licence in a 'licence' column."),
        Licence("atlas-reference", "ISKP Risk Atlas reference data", "", True,
                "Facts from public reporting, summaries in our own words."),
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


# --- Small text helpers ----------------------------------------------------------------------


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text with '' for missing values (an absent column gives '')."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def dataset_rows(code: str, prefix: str, event_id: pd.Series, rows: pd.Series,
                 record: Mapping[str, object], provenance: Mapping[str, object]) -> pd.DataFrame:
    """The output frame every dataset importer returns, built one way.

    ``id`` is ``prefix + event_id`` (blank when the source has no id, which validation then
    names); ``record`` holds the product's columns in contract order; ``provenance`` the
    per-row ``source_citation``, ``date_precision``, ``geo_precision_source`` and
    ``target_derivation``. ``source_dataset``, ``source_id`` and ``licence`` come from the
    format's registry entry, ``row`` is the source row number.
    """
    fmt = REGISTRY[code]
    columns: dict[str, object] = {"id": (prefix + event_id).where(event_id != "", "")}
    columns.update(record)
    columns.update({"source_dataset": code, "source_id": event_id,
                    "source_citation": provenance["source_citation"],
                    "licence": fmt.licence})
    columns.update({k: v for k, v in provenance.items() if k != "source_citation"})
    columns["row"] = rows
    return pd.DataFrame(columns, index=event_id.index)


def blank_to_none(series: pd.Series) -> pd.Series:
    """'' becomes None (missing) in a text series."""
    return series.where(series != "", None)


def join_nonempty(parts: Iterable[pd.Series], sep: str = "; ") -> pd.Series:
    """Row-wise join of text series, skipping empty values (vectorised)."""
    result: pd.Series | None = None
    for part in parts:
        part = part.fillna("").astype(object)
        if result is None:
            result = part
            continue
        result = result.where(part == "", part.where(result == "", result + sep + part))
    if result is None:
        return pd.Series([], dtype=object)
    return result.astype(object)


def wrapped(before: str, series: pd.Series, after: str = "") -> pd.Series:
    """``before + value + after`` where the value is non-empty, else '' (vectorised)."""
    return (before + series.astype(object) + after).where(series != "", "").astype(object)


def labelled(label: str, series: pd.Series) -> pd.Series:
    """'label: value' where value is non-empty, else ''."""
    return (f"{label}: " + series.astype(object)).where(series != "", "").astype(object)


def row_problems(mask: np.ndarray | pd.Series, rows: pd.Series, ids: pd.Series, column: str,
                 values: pd.Series, hint: str) -> list[Problem]:
    """One :class:`Problem` for each True in ``mask``."""
    idx = np.flatnonzero(np.asarray(mask, bool))
    return [
        Problem(int(rows.iat[i]), ids.iat[i] or None, column, values.iat[i], hint) for i in idx
    ]


# --- Dates --------------------------------------------------------------------------------

EARLIEST = pd.Timestamp("1970-01-01")


def parse_dates(values: pd.Series, formats: tuple[str, ...]) -> pd.Series:
    """Parse text dates trying each format in turn; unparseable values give NaT."""
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = values != ""
    for fmt in formats:
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        out.loc[parsed.index] = out.loc[parsed.index].fillna(parsed)
        todo = todo & out.isna()
    return out


_SLASH = r"^\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$"


def slash_day_first(values: pd.Series) -> bool:
    """Whether a file's ``a/b/yyyy`` dates are day-first, decided once per FILE: if any
    value's first part is over 12 they are day/month (``25/3/2020``); otherwise
    month/day, the US Excel default (``5/9/2020`` is 9 May 2020) in which ACLED files
    re-saved by Excel and UCDP's web export write them."""
    parts = values.str.extract(_SLASH, expand=True)
    first = pd.to_numeric(parts[0], errors="coerce")
    return bool((first > 12).any())


def slash_formats(values: pd.Series) -> tuple[str, ...]:
    """The strptime formats for a file's slash dates (see :func:`slash_day_first`)."""
    if not values.str.contains("/", regex=False).any():
        return ()
    dm = "%d/%m" if slash_day_first(values) else "%m/%d"
    return tuple(f"{dm}/{y}{t}" for y in ("%Y", "%y")
                 for t in ("", " %H:%M:%S", " %H:%M"))


def parse_source_dates(values: pd.Series, formats: tuple[str, ...],
                       whole: pd.Series | None = None) -> pd.Series:
    """:func:`parse_dates` with ``formats`` plus the file's slash-date formats (decided on
    ``whole``, the file's full column, when ``values`` are only some of its rows);
    distinct values are parsed once (exports repeat each day many times)."""
    fmts = formats + slash_formats(values if whole is None else whole)
    codes, uniques = pd.factorize(values)
    parsed = parse_dates(pd.Series(uniques, dtype=object), fmts).to_numpy()
    return pd.Series(parsed[codes], index=values.index, dtype="datetime64[ns]")


def date_out_of_range(dates: pd.Series) -> pd.Series:
    """True where a parsed date lies before 1970 or in the future."""
    today = pd.Timestamp(date.today())
    return dates.notna() & ((dates < EARLIEST) | (dates > today))


def iso(dates: pd.Series) -> pd.Series:
    """Timestamps as ISO text ('' for NaT)."""
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype(object)


# --- Numbers ------------------------------------------------------------------------------


_PLAIN_COUNT = r"[0-9]+(?:\.0*)?"
_PLAIN_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"


def _not_plain(values: pd.Series, plain: str) -> pd.Series:
    """Non-empty values that do not match ``plain`` (a vectorised first pass: the few
    others go through :func:`geodata.numbers.to_numbers`)."""
    text = values.fillna("").astype(str)
    return (text != "") & ~text.str.fullmatch(plain).fillna(False).astype(bool)


def bad_count(values: pd.Series) -> pd.Series:
    """True where a non-empty value is not a whole number of 0 or more, written strictly
    (:func:`geodata.numbers.parse_number`: no ``1_000``, ``1,000``, ``inf``)."""
    out = _not_plain(values, _PLAIN_COUNT)
    if out.any():
        num = to_numbers(values[out])
        ok = num.notna() & (num >= 0) & (num == np.floor(num.fillna(0)))
        out[out] = ~ok.to_numpy()
    return out


def not_a_number(values: pd.Series) -> pd.Series:
    """True where a non-empty value is not a strictly written number (the range is the
    data contract's to check)."""
    out = _not_plain(values, _PLAIN_NUMBER)
    if out.any():
        out[out] = to_numbers(values[out]).isna().to_numpy()
    return out


def number_problems(mask: np.ndarray | pd.Series, rows: pd.Series, ids: pd.Series,
                    column: str, values: pd.Series, hint: str) -> list[Problem]:
    """Like :func:`row_problems`, the hint led by why the value is not a number when it
    is not one (underscores, separators, other scripts' digits)."""
    idx = np.flatnonzero(np.asarray(mask, bool))
    out = []
    for i in idx:
        value = values.iat[i]
        why = why_not_a_number(value) if value and parse_number(value) is None else ""
        out.append(Problem(int(rows.iat[i]), ids.iat[i] or None, column, value,
                           f"{why} — {hint}" if why else hint))
    return out


def ascii_numbers(frame: pd.DataFrame, columns: Iterable[str], notices: list[str]
                  ) -> pd.DataFrame:
    """A copy of ``frame`` with Unicode decimal digits (Arabic-Indic ``٣٤``, Persian …) in
    ``columns`` written as ASCII ``0-9`` (:func:`geodata.numbers.ascii_digits`), and one
    notice per column saying how many values were rewritten (never a silent change)."""
    out = frame
    for col in columns:
        if col not in frame.columns:
            continue
        values = frame[col].fillna("").astype(str)
        if not values.str.contains(r"[^\x00-\x7f]", regex=True).any():
            continue
        codes, uniques = pd.factorize(values)
        fixed = np.array([ascii_digits(u) for u in uniques], dtype=object)
        changed = fixed != np.asarray(uniques, dtype=object)
        if not changed.any():
            continue
        if out is frame:
            out = frame.copy()
        out[col] = fixed[codes] if len(codes) else values
        n = int(changed[codes].sum())
        example = str(np.asarray(uniques, dtype=object)[changed][0])
        notices.append(f"wrote {n:,} value(s) of '{col}' given in non-ASCII digits with the "
                       f"digits 0-9 (e.g. {example!r} as {ascii_digits(example)!r})")
    return out


def count_text(values: pd.Series) -> pd.Series:
    """Whole-number text ('3.0' → '3'); blanks and bad values stay as given."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    whole = num.notna() & (num >= 0) & (num == np.floor(num.fillna(0)))
    out = values.astype(object).copy()
    out[whole] = num[whole].astype("int64").astype(str)
    return out


# --- Countries and the region ------------------------------------------------------------

DEFAULT_REGION: tuple[str, ...] = ("AFG", "PAK", "IRN", "TJK", "UZB", "TKM", "CHN")
"""The countries the atlas covers by default (ISO 3166-1 alpha-3): Afghanistan, Pakistan
and the neighbours where the threat reaches Chinese interests. Imports keep the rows of
these countries (or of the ``countries`` passed to the import) and *exclude* the others,
counted per country in the report — never errors."""

REGION_REASON = "outside the atlas's region"
"""Start of the reason of an :class:`Exclusion` for a row in another country."""


@lru_cache(maxsize=1)
def _converter() -> coco.CountryConverter:
    """country_converter over its own maintained table (names as regexes, ISO alpha-2/3,
    ISO numeric, Gleditsch & Ward codes …).

    The table is read here as text (every cell a string, '' missing): the package's own
    loader lets pandas ≥ 3 read Namibia's alpha-2 code "NA" as missing, which breaks its
    start-up; the data are the package's, unchanged.
    """
    data = pd.read_csv(COUNTRY_DATA_FILE, sep="\t", dtype=str, keep_default_na=False,
                       encoding="utf-8")
    logging.getLogger("country_converter").setLevel(logging.ERROR)
    return coco.CountryConverter(country_data=data.replace("", None))


def _convert(values: list[str], src: str | None) -> list[str]:
    """ISO alpha-3 codes of distinct ``values`` ('' where unknown or blank)."""
    cc = _converter()
    known = _known_codes()
    out = []
    for v in values:
        if not v:
            out.append("")
            continue
        code = cc.convert(v, src=src, to="ISO3", not_found="") if src else \
            cc.convert(v, to="ISO3", not_found="")
        # country_converter passes through a 3-letter value it does not know (e.g. 'XXX')
        out.append(code if isinstance(code, str) and code in known else "")
    return out


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(c for c in _converter().data["ISO3"].dropna() if isinstance(c, str))


def _numeric_code(series: pd.Series) -> pd.Series:
    """'4.0' / '004' → '4' (codes read from CSV or Excel as text)."""
    return series.fillna("").astype(str).str.strip().str.replace(r"\.0+$", "", regex=True) \
        .str.lstrip("0")


def country_codes(names: pd.Series, *, iso_numeric: pd.Series | None = None,
                  gw: pd.Series | None = None, iso3: pd.Series | None = None) -> pd.Series:
    """ISO 3166-1 alpha-3 codes for source rows; '' where no column names a known country.

    Tried in order: the country's name (English names and variants as the datasets spell
    them: "Democratic Republic of Congo", "West Bank and Gaza Strip", "Yemen (North
    Yemen)" …, or an alpha-2/alpha-3 code), then an ISO alpha-3 column, an ISO numeric
    column (ACLED ``iso``), then a Gleditsch & Ward code (UCDP ``country_id``, old ACLED
    ``GWNO``). All from country_converter; each distinct value is looked up once.
    """
    out = by_unique([names.fillna("").astype(str).str.strip()],
                    lambda v: _convert(v, None)).astype(object)
    for series, src in ((iso3, "ISO3"), (iso_numeric, "ISOnumeric"), (gw, "GWcode")):
        if series is None:
            continue
        todo = out == ""
        if not todo.any():
            break
        key = _numeric_code(series[todo]) if src != "ISO3" else \
            series[todo].fillna("").astype(str).str.strip().str.upper()
        out.loc[todo] = by_unique([key], lambda v, s=src: _convert(v, s)).to_numpy()
    return out.astype(object)


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The short English name of an ISO alpha-3 code (the code itself if unknown)."""
    name = _converter().convert(code, src="ISO3", to="name_short", not_found=None)
    return name if isinstance(name, str) and name else code


@lru_cache(maxsize=1)
def country_choices() -> tuple[str, ...]:
    """Every ISO alpha-3 code country_converter knows, the default region first, the rest
    by name (for a picker)."""
    codes = [c for c in _converter().data["ISO3"].dropna().unique().tolist()
             if isinstance(c, str) and len(c) == 3]
    rest = sorted((c for c in codes if c not in DEFAULT_REGION), key=country_name)
    return (*DEFAULT_REGION, *rest)


def region_codes(countries: Iterable[str] | None) -> frozenset[str]:
    """The region as a set of ISO alpha-3 codes (``None``: :data:`DEFAULT_REGION`).

    Each entry may be a code or a name ("Iran", "IRN"); raises ``ValueError`` naming an
    entry that is not a country.
    """
    if countries is None:
        return frozenset(DEFAULT_REGION)
    given = [str(c).strip() for c in countries if str(c).strip()]
    codes = _convert(given, None)
    bad = [g for g, c in zip(given, codes, strict=True) if not c]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a country the atlas knows — use ISO 3166-1 "
                         "alpha-3 codes such as AFG,PAK,IRN or English country names")
    if not codes:
        raise ValueError("the region is empty — name at least one country, e.g. AFG")
    return frozenset(codes)


def region_split(country: pd.Series, rows: pd.Series, ids: pd.Series,
                 countries: Iterable[str] | None, *, names: pd.Series | None = None,
                 area: pd.Series | None = None) -> tuple[np.ndarray, list[Exclusion]]:
    """Rows outside the region: a mask and one :class:`Exclusion` per row (with its
    country, so the report can count them per country).

    Unknown countries ('') are row problems, with one exception that needs no table: a
    dataset's own world-region column (``area``: ACLED ``region``, UCDP ``region``, GTD
    ``region_txt``). A row whose country the library does not know (a former state such as
    GTD's "West Germany (FRG)" or "Yugoslavia") but whose ``area`` holds none of the
    file's rows in the region is outside it too, counted under its name as written
    (``names``).
    """
    region = region_codes(countries)
    known = (country != "").to_numpy()
    outside = known & ~country.isin(region).to_numpy()
    labels = country.to_numpy().astype(object).copy()
    if area is not None and names is not None and (~known).any():
        zone = area.fillna("").astype(str).str.strip().to_numpy()
        inside_zones = set(zone[known & ~outside].tolist())
        foreign = ~known & (zone != "") & ~np.isin(zone, list(inside_zones))
        outside = outside | foreign
        written = names.fillna("").astype(str).str.strip().replace("", "country not named")
        labels[foreign] = "\x00" + written.to_numpy()[foreign].astype(object)
    idx = np.flatnonzero(outside)
    codes = labels[idx].tolist()
    shown = {c: (c[1:] if c.startswith("\x00") else country_name(c)) for c in set(codes)}
    reasons = {c: f"{REGION_REASON} ({shown[c]})" if c.startswith("\x00") else
               f"{REGION_REASON} ({shown[c]}, {c})" for c in shown}
    excluded = [Exclusion(int(r), i or None, reasons[c], country=shown[c])
                for r, i, c in zip(rows.to_numpy()[idx].tolist(),
                                   ids.to_numpy()[idx].tolist(), codes, strict=True)]
    return outside, excluded


def excluded_by_country(excluded: Iterable[Exclusion]) -> dict[str, int]:
    """Rows excluded for lying outside the region, per country (most first)."""
    counts: dict[str, int] = {}
    for e in excluded:
        if e.country:
            counts[e.country] = counts.get(e.country, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def region_summary(excluded: Iterable[Exclusion], shown: int = 8) -> str | None:
    """'excluded 4,659 rows outside the region: Iraq 812, Syria 640, …' (the ``shown``
    largest countries named), or None when no row lies outside."""
    by_country = excluded_by_country(excluded)
    if not by_country:
        return None
    n = sum(by_country.values())
    named = ", ".join(f"{c} {k:,}" for c, k in list(by_country.items())[:shown])
    more = f", and {len(by_country) - shown} other countries" if len(by_country) > shown \
        else ""
    return f"excluded {n:,} row{'s' if n != 1 else ''} outside the region: {named}{more}"


def nothing_in_region(norm: Normalised, countries: Iterable[str] | None) -> Problem | None:
    """A file-level problem when every row lies outside the region (nothing to import),
    naming the countries found and how to include them; else None."""
    if len(norm.frame) or norm.problems or not region_summary(norm.excluded):
        return None
    if any(not e.country for e in norm.excluded):
        return None
    region = ",".join(sorted(region_codes(countries)))
    return Problem(None, None, None, None,
                   f"no row of the file lies in the region ({region}): "
                   f"{region_summary(norm.excluded, 5)} — to import them, add their "
                   "countries to the region (--countries, or the Region picker on the Data "
                   "page)")


def unknown_country_problems(country: pd.Series, rows: pd.Series, ids: pd.Series, column: str,
                             values: pd.Series, example: str) -> list[Problem]:
    """One problem per row whose country no column identifies."""
    return row_problems(
        (country == "").to_numpy(), rows, ids, column, values,
        f"not a country name or code the atlas knows — write the English country name as "
        f"{example} spells it (e.g. Afghanistan, Pakistan) or its ISO 3166-1 alpha-3 code "
        "(e.g. AFG)")


def drop_rows(problems: list[Problem], excluded: list[Exclusion]) -> list[Problem]:
    """``problems`` without those of excluded rows (each row is counted once: a row left
    out on purpose is not also a rejected row)."""
    gone = {e.row for e in excluded}
    return [p for p in problems if p.row not in gone] if gone else problems


# --- Targets, attribution, confidence -----------------------------------------------------

KEYWORD_TARGETS: tuple[tuple[str, str], ...] = (
    ("cpec", r"\bcpec\b|china[ \-–]+pakistan economic corridor"),
    ("chinese_nationals",
     r"\bchinese (?:nationals?|citizens?|engineers?|workers?|teachers?|employees?|staff|"
     r"guests?|tourists?|businessm[ae]n|convoy|instructors?|man|woman|men|women)\b"
     r"|\bcivilians \(china\)"),
    ("chinese_interests",
     r"\bchinese (?:embassy|consulate|company|companies|firm|project|hotel|restaurant|"
     r"investors?|interests?)\b"),
    ("diplomatic", r"\bembass(?:y|ies)\b|\bconsulate\b|\bdiplomat"),
    ("shia_hazara", r"\bshia\b|\bshi'?ites?\b|\bhazaras?\b|imam ?bargah|\bismailis?\b"),
    ("sufi", r"\bsufis?\b|\bshrine\b|\bdargah\b"),
    ("religious_minority", r"\bsikhs?\b|\bhindus?\b|\bchristians?\b|\bahmadis?\b|gurdwara"),
    ("political",
     r"\bpolitical (?:party|parties|rally|gathering|leader|worker)s?\b|\belection|"
     r"\bjui[ \-–]?f\b|\bcandidate"),
    ("foreign_nationals", r"\bforeign (?:nationals?|tourists?|workers?)\b|\bforeigners?\b|"
     r"\baid workers?\b"),
)
# Patterns are applied to lower-cased text as plain strings, so pandas hands them to the
# (much faster) pyarrow/RE2 engine.
TALIBAN_TAKEOVER = pd.Timestamp("2021-08-15")
"""From this date the Afghan state forces are the Taliban's."""


def keyword_targets(texts: pd.Series) -> pd.Series:
    """Target categories named by keywords in free text (a list per row, table order)."""
    lower = texts.fillna("").astype(str).str.lower()
    cats = [cat for cat, _ in KEYWORD_TARGETS]
    if not len(texts):
        return pd.Series([], index=texts.index, dtype=object)
    matrix = np.column_stack([lower.str.contains(p, regex=True).to_numpy(bool)
                              for _, p in KEYWORD_TARGETS])
    keys = pd.Series(np.packbits(matrix, axis=1, bitorder="little")
                     .astype(np.uint32).dot(1 << (8 * np.arange((len(cats) + 7) // 8))),
                     index=texts.index)
    return by_unique([keys], lambda codes: [
        [c for j, c in enumerate(cats) if (int(code) >> j) & 1] for code in codes])


def by_unique(keys: list[pd.Series], fn: Callable[..., list]) -> pd.Series:
    """``fn`` applied once per distinct combination of ``keys`` (rows repeat a lot in
    real exports: the same actor names, codes and countries), spread back to every row.

    ``fn`` receives one list per key (the distinct combinations) and returns a list.
    """
    index = keys[0].index
    joined = keys[0].astype(str)
    for k in keys[1:]:
        joined = joined + "\x1f" + k.astype(str)
    codes, _ = pd.factorize(joined)
    first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy() \
        if len(codes) else np.array([], dtype=int)
    uniques = [k.to_numpy()[first].tolist() for k in keys]
    results = fn(*uniques)
    out = np.empty(len(results), dtype=object)
    out[:] = results
    return pd.Series(out[codes] if len(codes) else [], index=index, dtype=object)


def merge_targets(*parts: tuple[pd.Series, str]) -> tuple[pd.Series, pd.Series]:
    """Combine per-row category lists from several derivations.

    Each part is (series of lists, label of how they were derived). Returns the
    ';'-joined categories and the derivation text ('label:cat,cat; label2:cat'). Rows
    that no rule gives a category get ``civilians`` with derivation
    ``default:civilians (no target identified)``.
    """
    labels = [label for _, label in parts]
    keys = [s.map(",".join) for s, _ in parts]

    def combine(*columns: list[str]) -> list[tuple[str, str]]:
        out = []
        for values in zip(*columns, strict=True):
            cats: list[str] = []
            how: list[str] = []
            for joined, label in zip(values, labels, strict=True):
                found = [c for c in joined.split(",") if c and c not in cats]
                if found:
                    cats.extend(found)
                    how.append(f"{label}:{','.join(found)}")
            if not cats:
                cats, how = ["civilians"], ["default:civilians (no target identified)"]
            out.append((";".join(cats), "; ".join(how)))
        return out

    both = by_unique(keys, combine)
    return (both.map(lambda t: t[0]).astype(object), both.map(lambda t: t[1]).astype(object))


def state_targets(country: pd.Series, dates: pd.Series) -> pd.Series:
    """Categories for attacks on state forces: Afghan forces after 15 Aug 2021 are the
    Taliban government's; otherwise security forces."""
    taliban = (country == "AFG") & (dates >= TALIBAN_TAKEOVER)
    return pd.Series(
        [["security_forces", "taliban_government"] if t else ["security_forces"]
         for t in taliban.to_numpy()],
        index=country.index, dtype=object)


_CLAIM = (r"claim(?:ed|s|ing)?\b[^.]{0,40}\bresponsibility|responsibility was claimed|"
          r"\bclaimed (?:the|an|this) (?:attack|bombing|killing)")
_NO_CLAIM = (r"\bno (?:group|one|organi[sz]ation)\b[^.]{0,30}claim|"
             r"\b(?:did not|has not|have not|not yet) claim|\bunclaimed\b|denied")
_SUSPECT = r"\bsuspected\b|\bbelieved to\b|\ballegedly\b|\bblamed\b|\bpresumed\b"


def attribution_from_notes(notes: pd.Series, actor_unknown: pd.Series) -> pd.Series:
    """ACLED-style attribution, which the source does not code.

    - a named actor and the notes report a claim of responsibility → ``claimed``;
    - a named actor and the notes say suspected/believed/allegedly/blamed → ``suspected``;
    - a named actor otherwise → ``attributed`` (the dataset names it);
    - no named actor (Unknown/Unidentified) → ``unclaimed``.
    """
    lower = notes.fillna("").astype(str).str.lower()
    claimed = lower.str.contains(_CLAIM, regex=True) & ~lower.str.contains(_NO_CLAIM, regex=True)
    suspected = lower.str.contains(_SUSPECT, regex=True)
    out = np.where(np.asarray(actor_unknown, bool), "unclaimed",
                   np.where(claimed, "claimed", np.where(suspected, "suspected", "attributed")))
    return pd.Series(out, index=notes.index, dtype=object)


def confidence_for(geo_precision: pd.Series, date_precision: pd.Series,
                   attribution: pd.Series) -> pd.Series:
    """``medium`` for a dataset record located to a town and dated to the day; ``low`` when
    the place or the date is coarse or the perpetrator only suspected. ``high`` is left to
    analysts (the bundled records and the product's own files)."""
    low = (geo_precision == "3") | (date_precision != "day") | (attribution == "suspected")
    return pd.Series(np.where(low, "low", "medium"), index=geo_precision.index, dtype=object)


_URL = re.compile(r"https?://[^\s,;<>\"')\]]+", re.I)


def first_url(texts: pd.Series) -> pd.Series:
    """The first http(s) URL in each text, or ''."""
    found = texts.str.extract(f"({_URL.pattern})", flags=re.I, expand=False)
    return found.fillna("").astype(object)


def normalise_url(url: str) -> str:
    """A URL reduced for comparison: no scheme, 'www.', fragment, tracking query or '/'."""
    text = url.strip().lower()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = text.split("#", 1)[0]
    if "?" in text:
        base, query = text.split("?", 1)
        kept = [q for q in query.split("&") if q and not q.startswith(("utm_", "fbclid"))]
        text = base + ("?" + "&".join(kept) if kept else "")
    return text.rstrip("/")


def finish(frame: pd.DataFrame, dataset: str, licence: str) -> pd.DataFrame:
    """Fill provenance defaults shared by every dataset importer (returns a new frame)."""
    out = frame.copy()
    out["source_dataset"] = dataset
    out["licence"] = licence
    return out


def truncated_last_row(frame: pd.DataFrame, ids: pd.Series) -> list[Problem]:
    """A problem for the file's last row when it looks cut short (a truncated download):
    every column from some point on is empty although that column is filled in every
    other row. The rest of the file can still be imported with ``--skip-bad``."""
    if len(frame) < 3:
        return []
    last = frame.iloc[-1].fillna("").astype(str).str.strip().to_numpy()
    filled = np.flatnonzero(last != "")
    start = int(filled[-1]) + 1 if len(filled) else 0
    tail = list(frame.columns[start:])
    if not tail:
        return []
    rest = frame.iloc[:-1][tail].fillna("").astype(str)
    always = [c for c in tail if (rest[c].str.strip() != "").all()]
    if not always:
        return []
    return [Problem(len(frame), ids.iat[-1] or None, always[0], "",
                    f"the last row stops before column '{always[0]}' (filled in every other "
                    "row): the file looks truncated — download it again, or pass --skip-bad "
                    "to import the complete rows")]
