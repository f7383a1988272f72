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

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from geodata.contract import Problem

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

FORMATS: tuple[str, ...] = ("acled", "ucdp", "gtd", "atlas", "geojson")
"""Import formats (also the ``source_dataset`` values of imported records)."""

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

DATASET_CITATIONS: dict[str, tuple[str, str]] = {
    "acled": ("Armed Conflict Location & Event Data (ACLED)", "https://acleddata.com/"),
    "ucdp": ("UCDP Georeferenced Event Dataset (GED)", "https://ucdp.uu.se/downloads/"),
    "gtd": ("Global Terrorism Database (GTD), START, University of Maryland",
            "https://www.start.umd.edu/gtd/"),
}
"""Dataset-level citation (title, URL) used when a row carries no URL of its own.

These URLs cite the dataset, not the event: de-duplication never matches on them.
"""

DATASET_URLS: frozenset[str] = frozenset(url for _, url in DATASET_CITATIONS.values())


@dataclass(frozen=True)
class Exclusion:
    """A source row left out on purpose (valid in its source, but not placeable here)."""

    row: int
    record_id: str | None
    reason: str

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


# --- Small text helpers ----------------------------------------------------------------------


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text with '' for missing values (an absent column gives '')."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


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


def date_out_of_range(dates: pd.Series) -> pd.Series:
    """True where a parsed date lies before 1970 or in the future."""
    today = pd.Timestamp(date.today())
    return dates.notna() & ((dates < EARLIEST) | (dates > today))


def iso(dates: pd.Series) -> pd.Series:
    """Timestamps as ISO text ('' for NaT)."""
    return dates.dt.strftime("%Y-%m-%d").fillna("").astype(object)


# --- Numbers ------------------------------------------------------------------------------


def bad_count(values: pd.Series) -> pd.Series:
    """True where a non-empty value is not a whole number of 0 or more."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    given = values != ""
    ok = num.notna() & (num >= 0) & (num == np.floor(num.fillna(0)))
    return given & ~ok


def bad_coordinate(values: pd.Series, lo: float, hi: float) -> pd.Series:
    """True where a non-empty value is not a number within [lo, hi]."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    return (values != "") & ~num.between(lo, hi)


def count_text(values: pd.Series) -> pd.Series:
    """Whole-number text ('3.0' → '3'); blanks and bad values stay as given."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    whole = num.notna() & (num >= 0) & (num == np.floor(num.fillna(0)))
    out = values.astype(object).copy()
    out[whole] = num[whole].astype("int64").astype(str)
    return out


# --- Countries ----------------------------------------------------------------------------

_COUNTRIES: dict[str, str] = {
    "afghanistan": "AFG", "pakistan": "PAK", "iran": "IRN",
    "iran (islamic republic of)": "IRN", "islamic republic of iran": "IRN",
    "tajikistan": "TJK", "uzbekistan": "UZB", "turkmenistan": "TKM", "china": "CHN",
    "india": "IND", "kyrgyzstan": "KGZ", "kazakhstan": "KAZ", "bangladesh": "BGD",
    "nepal": "NPL", "sri lanka": "LKA", "russia": "RUS", "russian federation": "RUS",
    "turkey": "TUR", "turkiye": "TUR", "türkiye": "TUR", "qatar": "QAT",
    "united arab emirates": "ARE",
}
_ISO_NUMERIC: dict[str, str] = {
    "4": "AFG", "586": "PAK", "364": "IRN", "762": "TJK", "860": "UZB", "795": "TKM",
    "156": "CHN", "356": "IND", "417": "KGZ", "398": "KAZ", "50": "BGD", "524": "NPL",
    "144": "LKA", "643": "RUS", "792": "TUR", "634": "QAT", "784": "ARE",
}
_ISO3 = set(_COUNTRIES.values())


def country_iso3(names: pd.Series, numeric: pd.Series | None = None) -> pd.Series:
    """ISO 3166-1 alpha-3 codes from country names (or ISO numeric codes); '' if unknown."""
    key = names.str.lower().str.strip()
    out = key.map(_COUNTRIES).fillna("")
    upper = names.str.upper().str.strip()
    out = out.where(out != "", upper.where(upper.isin(_ISO3), ""))
    if numeric is not None:
        num = numeric.str.replace(r"\.0$", "", regex=True).str.lstrip("0")
        out = out.where(out != "", num.map(_ISO_NUMERIC).fillna(""))
    return out.astype(object)


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
