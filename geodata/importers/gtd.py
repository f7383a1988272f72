"""Global Terrorism Database (CSV in Windows-1252/latin-1, or the xlsx workbook).

Mapping (see docs/IMPORTING.md):

- ``id`` = ``GTD-`` + ``eventid``; ``date`` from ``iyear``/``imonth``/``iday``, where 0
  means unknown: day 0 → the 1st of the month with ``date_precision`` ``month``; month 0
  → 1 January with ``year``.
- ``geo_precision`` from ``specificity``: 1 (the city's coordinates) → 2; 2 (city not
  geocoded: centroid of the smallest region), 3 (not in a city: region centroid), 4
  (province centroid) → 3; 5 (country-level or unknown) and rows without coordinates are
  left out (listed as excluded): the atlas never invents coordinates.
- ``country`` from ``country_txt`` via country_converter; rows outside the region are
  excluded, counted per country. A truncated last row (a cut download) is a row problem:
  the rest imports with ``--skip-bad``.
- ``actor`` = ``gname``; attribution: ``claimed`` = 1 → claimed; ``guncertain1`` = 1 →
  suspected; "Unknown" → unclaimed; otherwise attributed.
- Targets from ``targtype1_txt`` (Military/Police → security forces; Government
  (General) → Pakistani state, Taliban government after 15 Aug 2021 in Afghanistan, else
  political; Government (Diplomatic) → diplomatic; Tourists → foreign nationals; …),
  ``natlty1_txt``–``natlty3_txt`` (China → Chinese nationals, plus Chinese interests for
  a business target; another foreign nationality → foreign nationals) and keywords in
  ``summary``/``target1``/``corp1``.
- ``fatalities`` = ``nkill``, ``injured`` = ``nwound``. GTD leaves ``nkill`` blank when
  unknown; the contract needs a figure, so such rows get 0 (a lower bound), confidence
  ``low`` and a note saying so.
- Source: the first URL in ``scite1``–``scite3`` if any, else the dataset's citation URL.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common import (
    TALIBAN_TAKEOVER,
    Exclusion,
    Normalised,
    ascii_numbers,
    bad_count,
    blank_to_none,
    by_unique,
    coordinate_problems,
    country_codes,
    drop_rows,
    first_url,
    keyword_targets,
    mapped_rows,
    merge_targets,
    number_problems,
    region_first,
    row_problems,
    text,
    truncated_last_row,
    wrapped,
)
from geodata.importers.reading import SourceTable

GEO_PRECISION = {"1": "2", "2": "3", "3": "3", "4": "3"}
_NON_NATIONAL = {"", "unknown", "international", "multinational"}
_CIVILIAN_TYPES = {
    "private citizens & property",
    "educational institution",
    "journalists & media",
    "transportation",
    "utilities",
    "telecommunication",
    "food or water supply",
    "airports & aircraft",
    "maritime",
    "business",
    "ngo",
    "religious figures/institutions",
}

NUMBER_COLUMNS = (
    "iyear",
    "imonth",
    "iday",
    "latitude",
    "longitude",
    "specificity",
    "nkill",
    "nwound",
    "claimed",
    "guncertain1",
    "eventid",
)

COLUMN_MAP = {
    "id": "eventid",
    "date": "iyear",
    "country": "country_txt",
    "province": "provstate",
    "place": "city",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "specificity",
    "actor": "gname",
    "attack_type": "attacktype1_txt",
    "fatalities": "nkill",
    "injured": "nwound",
    "summary": "summary",
    "source_1_url": "scite1",
}


def _int(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.where(series != ""), errors="coerce")


def _dates(
    src: pd.DataFrame, rows: pd.Series, ids: pd.Series
) -> tuple[pd.Series, pd.Series, list[Problem]]:
    year, month, day = (_int(text(src, c)) for c in ("iyear", "imonth", "iday"))
    problems: list[Problem] = []
    this_year = date.today().year
    bad_year = year.isna() | (year < 1970) | (year > this_year) | (year % 1 != 0)
    bad_month = ~bad_year & (month.isna() | ~month.between(0, 12) | (month % 1 != 0))
    bad_day = ~bad_year & ~bad_month & (day.isna() | ~day.between(0, 31) | (day % 1 != 0))
    problems += row_problems(
        bad_year,
        rows,
        ids,
        "iyear",
        text(src, "iyear"),
        f"iyear must be a year from 1970 to {this_year}",
    )
    problems += row_problems(
        bad_month,
        rows,
        ids,
        "imonth",
        text(src, "imonth"),
        "imonth must be 1–12, or 0 when the month is unknown",
    )
    problems += row_problems(
        bad_day,
        rows,
        ids,
        "iday",
        text(src, "iday"),
        "iday must be 1–31, or 0 when the day is unknown",
    )
    ok = ~(bad_year | bad_month | bad_day)
    m = month.where(month > 0, 1).fillna(1).astype(int)
    d = day.where((day > 0) & (month > 0), 1).fillna(1).astype(int)
    y = year.fillna(1970).astype(int)
    stamp = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": d}), errors="coerce")
    stamp = stamp.where(ok)
    impossible = ok & stamp.isna()
    problems += row_problems(
        impossible,
        rows,
        ids,
        "iday",
        text(src, "iday"),
        "iday is not a day of that month; use 0 when the day is unknown",
    )
    future = stamp > pd.Timestamp(date.today())
    problems += row_problems(
        future,
        rows,
        ids,
        "iday",
        text(src, "iday"),
        "the date lies in the future; check iyear, imonth and iday",
    )
    precision = np.select([month == 0, day == 0], ["year", "month"], "day")
    return stamp, pd.Series(precision, index=src.index, dtype=object), problems


def _type_targets(targtype: pd.Series, country: pd.Series, dates: pd.Series) -> pd.Series:
    late = (dates >= TALIBAN_TAKEOVER).astype(str)

    def derive(types: list[str], countries: list[str], lates: list[str]) -> list[list[str]]:
        out = []
        for t, c, after in zip(types, countries, lates, strict=True):
            taliban = c == "AFG" and after == "True"
            cats: list[str] = []
            if t in ("military", "police"):
                cats.append("security_forces")
                if taliban:
                    cats.append("taliban_government")
            elif t == "government (general)":
                if c == "PAK":
                    cats.append("pakistani_state")
                elif taliban:
                    cats.append("taliban_government")
                else:
                    cats.append("political")
            elif t == "government (diplomatic)":
                cats.append("diplomatic")
            elif t == "tourists":
                cats.append("foreign_nationals")
            elif t == "violent political party":
                cats.append("political")
            elif t in _CIVILIAN_TYPES:
                cats.append("civilians")
            out.append(cats)
        return out

    return by_unique([targtype.str.lower(), country, late], derive)


def _nationality_targets(
    src: pd.DataFrame, country_name: pd.Series, targtype: pd.Series
) -> pd.Series:
    nats = [text(src, f"natlty{i}_txt").str.lower() for i in (1, 2, 3)]
    business = (targtype.str.lower() == "business").astype(str)

    def derive(
        n1: list[str], n2: list[str], n3: list[str], homes: list[str], businesses: list[str]
    ) -> list[list[str]]:
        out = []
        for *trio, home, biz in zip(n1, n2, n3, homes, businesses, strict=True):
            cats: list[str] = []
            for n in trio:
                if n in ("china", "hong kong", "taiwan") and "chinese_nationals" not in cats:
                    cats.append("chinese_nationals")
                    if biz == "True":
                        cats.append("chinese_interests")
                elif (
                    n not in _NON_NATIONAL
                    and n != home
                    and "foreign_nationals" not in cats
                    and n not in ("china",)
                ):
                    cats.append("foreign_nationals")
            out.append(cats)
        return out

    return by_unique([*nats, country_name.str.lower(), business], derive)


def normalise(table: SourceTable, countries: Collection[str] | None = None) -> Normalised:
    """Map a GTD file to incident rows (text) with provenance.

    ``countries`` is the region (ISO alpha-3 codes; ``None``: the default region): rows
    of other countries are excluded, counted per country.
    """
    notices: list[str] = []
    src = table.frame
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    event_id = text(src, "eventid").str.replace(r"\.0$", "", regex=True)
    problems = truncated_last_row(table.frame, event_id)

    country_name = text(src, "country_txt")
    country = country_codes(country_name)
    src, rows, event_id, country, country_name, country_problems, region_excluded = region_first(
        src,
        rows,
        event_id,
        country,
        country_name,
        countries,
        prefix="GTD-",
        dataset="GTD",
        column="country_txt",
        area="region_txt",
    )
    problems += country_problems
    src = ascii_numbers(src, NUMBER_COLUMNS, notices)
    dates, date_precision, date_problems = _dates(src, rows, event_id)
    problems += date_problems

    spec = text(src, "specificity").str.replace(r"\.0$", "", regex=True)
    lat, lon = text(src, "latitude"), text(src, "longitude")
    no_point = (lat == "") & (lon == "")
    excluded_mask = (spec == "5") | no_point
    geo_precision = spec.map(GEO_PRECISION)
    problems += row_problems(
        geo_precision.isna() & ~excluded_mask & (spec != ""),
        rows,
        event_id,
        "specificity",
        spec,
        "specificity must be a GTD code from 1 to 5",
    )
    geo_precision = geo_precision.fillna("3").where(spec != "", "3")

    nkill, nwound = text(src, "nkill"), text(src, "nwound")
    problems += number_problems(
        bad_count(nkill),
        rows,
        event_id,
        "nkill",
        nkill,
        "nkill must be a whole number of deaths, 0 or more (blank if unknown)",
    )
    problems += number_problems(
        bad_count(nwound),
        rows,
        event_id,
        "nwound",
        nwound,
        "nwound must be a whole number, 0 or more (blank if unknown)",
    )
    problems += coordinate_problems(lat, lon, rows, event_id)

    gname = text(src, "gname")
    claimed = text(src, "claimed").str.replace(r"\.0$", "", regex=True) == "1"
    uncertain = text(src, "guncertain1").str.replace(r"\.0$", "", regex=True) == "1"
    unknown = gname.str.lower().isin(["unknown", ""])
    attribution = pd.Series(
        np.select(
            [unknown, claimed, uncertain], ["unclaimed", "claimed", "suspected"], "attributed"
        ),
        index=src.index,
        dtype=object,
    )

    targtype = text(src, "targtype1_txt")
    summary_text = text(src, "summary")
    free_text = summary_text + " " + text(src, "target1") + " " + text(src, "corp1")
    targets, derivation = merge_targets(
        (_nationality_targets(src, country_name, targtype), "natlty_txt"),
        (keyword_targets(free_text), "summary/target1"),
        (_type_targets(targtype, country, dates), "targtype1_txt"),
    )
    unknown_toll = nkill == ""
    cites = [text(src, f"scite{i}") for i in (1, 2, 3)]
    attack = text(src, "attacktype1_txt")
    summary = summary_text.where(
        summary_text != "",
        attack + " on " + targtype.str.lower() + " target in " + text(src, "city"),
    )
    notes = np.where(
        unknown_toll, "nkill blank in GTD: fatalities unknown, recorded as 0 (a lower bound)", ""
    )
    out = mapped_rows(
        "gtd",
        "GTD-",
        src,
        COLUMN_MAP,
        event_id,
        rows,
        dates=dates,
        date_precision=date_precision,
        country=country,
        geo=(geo_precision, spec),
        attribution=attribution,
        targets=(targets, derivation),
        citation="incident " + event_id + wrapped("; ", cites[0]),
        source_url=first_url(cites[0] + " " + cites[1] + " " + cites[2]),
        low_confidence=unknown_toll,
        record={
            "actor": gname.where(gname != "", "Unknown"),
            "target_detail": blank_to_none(
                (targtype + "; " + text(src, "target1")).str.strip("; ")
            ),
            "fatalities": nkill.where(~unknown_toll, "0"),
            "summary": summary,
            "source_1_title": "GTD incident "
            + event_id
            + wrapped(" (", cites[0].str.slice(0, 200), ")"),
            "source_2_title": blank_to_none(cites[1].str.slice(0, 200)),
            "notes": blank_to_none(pd.Series(notes, index=src.index, dtype=object)),
        },
    )
    unplaced = excluded_mask.to_numpy()
    excluded = region_excluded + [
        Exclusion(
            int(rows.iat[i]),
            out["id"].iat[i] or None,
            "GTD gives no coordinates for this event; the atlas never invents them"
            if no_point.iat[i]
            else "GTD locates this event only at country level (specificity 5)",
        )
        for i in np.flatnonzero(unplaced)
    ]
    excluded.sort(key=lambda e: e.row)
    problems = drop_rows(problems, excluded)
    return Normalised(out[~unplaced], problems, excluded, COLUMN_MAP, notices)
