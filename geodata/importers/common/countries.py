"""Country names and codes (country_converter) and the atlas's region."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import country_converter as coco
import numpy as np
import pandas as pd
from country_converter.country_converter import COUNTRY_DATA_FILE

from geodata.contract import Problem
from geodata.importers.common.provenance import Exclusion, Normalised
from geodata.importers.common.rows import by_unique, row_problems, text

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
    data = pd.read_csv(
        COUNTRY_DATA_FILE, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8"
    )
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
        code = (
            cc.convert(v, src=src, to="ISO3", not_found="")
            if src
            else cc.convert(v, to="ISO3", not_found="")
        )
        # country_converter passes through a 3-letter value it does not know (e.g. 'XXX')
        out.append(code if isinstance(code, str) and code in known else "")
    return out


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(c for c in _converter().data["ISO3"].dropna() if isinstance(c, str))


def _numeric_code(series: pd.Series) -> pd.Series:
    """'4.0' / '004' → '4' (codes read from CSV or Excel as text)."""
    return (
        series.fillna("")
        .astype(str)
        .str.strip()
        .str.replace(r"\.0+$", "", regex=True)
        .str.lstrip("0")
    )


def country_codes(
    names: pd.Series,
    *,
    iso_numeric: pd.Series | None = None,
    gw: pd.Series | None = None,
    iso3: pd.Series | None = None,
) -> pd.Series:
    """ISO 3166-1 alpha-3 codes for source rows; '' where no column names a known country.

    Tried in order: the country's name (English names and variants as the datasets spell
    them: "Democratic Republic of Congo", "West Bank and Gaza Strip", "Yemen (North
    Yemen)" …, or an alpha-2/alpha-3 code), then an ISO alpha-3 column, an ISO numeric
    column (ACLED ``iso``), then a Gleditsch & Ward code (UCDP ``country_id``, old ACLED
    ``GWNO``). All from country_converter; each distinct value is looked up once.
    """
    out = by_unique([names.fillna("").astype(str).str.strip()], lambda v: _convert(v, None)).astype(
        object
    )
    for series, src in ((iso3, "ISO3"), (iso_numeric, "ISOnumeric"), (gw, "GWcode")):
        if series is None:
            continue
        todo = out == ""
        if not todo.any():
            break
        key = (
            _numeric_code(series[todo])
            if src != "ISO3"
            else series[todo].fillna("").astype(str).str.strip().str.upper()
        )
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
    codes = [
        c
        for c in _converter().data["ISO3"].dropna().unique().tolist()
        if isinstance(c, str) and len(c) == 3
    ]
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
        raise ValueError(
            f"{bad[0]!r} is not a country the atlas knows — use ISO 3166-1 "
            "alpha-3 codes such as AFG,PAK,IRN or English country names"
        )
    if not codes:
        raise ValueError("the region is empty — name at least one country, e.g. AFG")
    return frozenset(codes)


def region_split(
    country: pd.Series,
    rows: pd.Series,
    ids: pd.Series,
    countries: Iterable[str] | None,
    *,
    names: pd.Series | None = None,
    area: pd.Series | None = None,
) -> tuple[np.ndarray, list[Exclusion]]:
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
    reasons = {
        c: f"{REGION_REASON} ({shown[c]})"
        if c.startswith("\x00")
        else f"{REGION_REASON} ({shown[c]}, {c})"
        for c in shown
    }
    excluded = [
        Exclusion(int(r), i or None, reasons[c], country=shown[c])
        for r, i, c in zip(
            rows.to_numpy()[idx].tolist(), ids.to_numpy()[idx].tolist(), codes, strict=True
        )
    ]
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
    more = f", and {len(by_country) - shown} other countries" if len(by_country) > shown else ""
    return f"excluded {n:,} row{'s' if n != 1 else ''} outside the region: {named}{more}"


def nothing_in_region(norm: Normalised, countries: Iterable[str] | None) -> Problem | None:
    """A file-level problem when every row lies outside the region (nothing to import),
    naming the countries found and how to include them; else None."""
    if len(norm.frame) or norm.problems or not region_summary(norm.excluded):
        return None
    if any(not e.country for e in norm.excluded):
        return None
    region = ",".join(sorted(region_codes(countries)))
    return Problem(
        None,
        None,
        None,
        None,
        f"no row of the file lies in the region ({region}): "
        f"{region_summary(norm.excluded, 5)} — to import them, add their "
        "countries to the region (--countries, or the Region picker on the Data "
        "page)",
    )


def unknown_country_problems(
    country: pd.Series,
    rows: pd.Series,
    ids: pd.Series,
    column: str,
    values: pd.Series,
    example: str,
) -> list[Problem]:
    """One problem per row whose country no column identifies."""
    return row_problems(
        (country == "").to_numpy(),
        rows,
        ids,
        column,
        values,
        f"not a country name or code the atlas knows — write the English country name as "
        f"{example} spells it (e.g. Afghanistan, Pakistan) or its ISO 3166-1 alpha-3 code "
        "(e.g. AFG)",
    )


class RegionRows(NamedTuple):
    """A dataset's rows inside the region (see :func:`region_first`)."""

    src: pd.DataFrame
    rows: pd.Series
    event_id: pd.Series
    country: pd.Series
    country_name: pd.Series
    problems: list[Problem]
    excluded: list[Exclusion]


def region_first(
    src: pd.DataFrame,
    rows: pd.Series,
    event_id: pd.Series,
    country: pd.Series,
    country_name: pd.Series,
    countries: Iterable[str] | None,
    *,
    prefix: str,
    dataset: str,
    column: str = "country",
    area: str = "region",
) -> RegionRows:
    """The first step of every dataset importer: the region. Rows of other countries are
    excluded (counted per country) and not mapped further (a world export is mostly such
    rows); the rows whose country no column identifies are problems (named by the file's
    ``column``, the spelling of ``dataset`` as the example). The excluded rows' ids are
    ``prefix + event_id``; ``area`` is the dataset's own world-region column, if the file
    has it (:func:`region_split`). Returns the kept rows of the frame and its series, the
    problems and the exclusions."""
    problems = unknown_country_problems(country, rows, event_id, column, country_name, dataset)
    outside, excluded = region_split(
        country,
        rows,
        (prefix + event_id).where(event_id != "", ""),
        countries,
        names=country_name,
        area=text(src, area) if area in src else None,
    )
    if outside.any():
        keep = ~outside
        src, rows, event_id = src[keep], rows[keep], event_id[keep]
        country, country_name = country[keep], country_name[keep]
    return RegionRows(src, rows, event_id, country, country_name, problems, excluded)


def drop_rows(problems: list[Problem], excluded: list[Exclusion]) -> list[Problem]:
    """``problems`` without those of excluded rows (each row is counted once: a row left
    out on purpose is not also a rejected row)."""
    gone = {e.row for e in excluded}
    return [p for p in problems if p.row not in gone] if gone else problems
