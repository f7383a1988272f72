"""ACLED exports → the product's incident columns.

Mapping (see docs/IMPORTING.md for the reasoning):

- Layouts: the current export (``disorder_type``, ``civilian_targeting``, ``tags``), the
  2020 31-column layout (``data_id, iso, event_id_cnty, …, iso3``) and the old upper-case
  one (``GWNO``, ``EVENT_ID_CNTY``, ``ALLY_ACTOR_1``; headers are lower-cased on reading,
  ``ally_actor_*`` are read as ``assoc_actor_*``), as CSV or xlsx.
- ``id`` = ``ACLED-`` + ``event_id_cnty``; ``date`` from ``event_date`` (ISO, "12 March
  2024", "01-January-2015", "12 Mar 2024", Excel's "9-May-20", or "5/9/2020": slash dates
  are day-first for the whole file only if one has a first part over 12, else month-first
  — see :func:`geodata.importers.common.slash_day_first`); ``date_precision`` from
  ``time_precision`` (1 day, 2 week, 3 month).
- ``country`` from ``country`` (or ``iso3``, ``iso`` numeric, ``gwno``) via
  country_converter; rows outside the region are excluded, counted per country;
  ``province``/``district``/``place`` from ``admin1``/``admin2``/``location``.
- ``geo_precision``: ACLED 1 (the named town) → 2; ACLED 2 (near a town, part of a region)
  → 3; ACLED 3 (only the region) → 3. ACLED coordinates are settlement or area centroids,
  never exact sites, so nothing maps to 1.
- ``actor`` = ``actor1`` as given (the canonical name is derived later);
  ``attribution`` from the notes (ACLED codes no claim field): see
  :func:`geodata.importers.common.attribution_from_notes`.
- ``target_category`` from ``actor2``/``assoc_actor_2`` and ``inter2`` (state forces,
  civilians and their nationality, Hazara/Shia/Sikh… identity groups), ``civilian_targeting``
  and keywords in ``notes``; each row's ``target_derivation`` says which.
- ``fatalities`` as given (ACLED gives one figure: no low/high, no injured).
- Source: ACLED names its sources but gives no URL; ``source_1_url`` is the dataset's
  citation URL and ``source_1_title`` names the event and ACLED's sources.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geodata.actors import UNKNOWN, canonical_actor
from geodata.contract import Problem
from geodata.importers.common import (
    TALIBAN_TAKEOVER,
    Normalised,
    ascii_numbers,
    attribution_from_notes,
    bad_count,
    blank_to_none,
    by_unique,
    coordinate_problems,
    country_codes,
    date_out_of_range,
    drop_rows,
    join_nonempty,
    keyword_targets,
    labelled,
    mapped_rows,
    merge_targets,
    number_problems,
    parse_source_dates,
    region_first,
    row_problems,
    text,
    truncated_last_row,
    wrapped,
)
from geodata.importers.reading import SourceTable

DATE_FORMATS = (
    "%Y-%m-%d",
    "%d %B %Y",
    "%d-%B-%Y",
    "%d %b %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%d %b %y",
    "%d-%B-%y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)
"""ACLED's date spellings (and Excel's re-saved ones); slash dates are added per file."""
_OLD_NAMES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}
NUMBER_COLUMNS = (
    "latitude",
    "longitude",
    "fatalities",
    "geo_precision",
    "time_precision",
    "iso",
    "gwno",
)
GEO_PRECISION = {"1": "2", "2": "3", "3": "3"}
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
_INTER_STATE_FORCES = {"1", "state forces"}
_STATE_NAMES = ("military forces of", "police forces of")
_INTER_CIVILIANS = {"7", "civilians"}

COLUMN_MAP = {
    "id": "event_id_cnty",
    "date": "event_date",
    "country": "country",
    "province": "admin1",
    "district": "admin2",
    "place": "location",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "geo_precision",
    "actor": "actor1",
    "attack_type": "sub_event_type",
    "fatalities": "fatalities",
    "summary": "notes",
    "source_1_title": "source",
}


def _code(series: pd.Series) -> pd.Series:
    return series.str.replace(r"\.0$", "", regex=True).str.lower()


def _actor2_targets(
    actor2: pd.Series, inter2: pd.Series, country: pd.Series, dates: pd.Series
) -> pd.Series:
    """Categories from the second actor (ACLED's actors are not directional, but in
    attacks and remote violence by armed groups actor2 is the side attacked)."""
    after = (dates >= TALIBAN_TAKEOVER).astype(str)

    def derive(
        names: list[str], inters: list[str], countries: list[str], afters: list[str]
    ) -> list[list[str]]:
        out = []
        for raw, inter, ctry, late in zip(names, inters, countries, afters, strict=True):
            name = raw.lower()
            cats: list[str] = []
            if inter in _INTER_STATE_FORCES or name.startswith(_STATE_NAMES):
                cats.append("security_forces")
                if ctry == "AFG" and late == "True":
                    cats.append("taliban_government")
            if (
                "taliban" in name
                and "pakistan" not in name
                and late == "True"
                and "taliban_government" not in cats
            ):
                cats.append("taliban_government")
            if "hazara" in name or "shia" in name or "ismaili" in name:
                cats.append("shia_hazara")
            if any(w in name for w in ("sikh", "hindu", "christian", "ahmadi")):
                cats.append("religious_minority")
            if "sufi" in name:
                cats.append("sufi")
            if "government of pakistan" in name:
                cats.append("pakistani_state")
            if "civilians (china)" in name or "chinese" in name:
                cats.append("chinese_nationals")
            elif name.startswith("civilians (") and not name.startswith(
                ("civilians (afghanistan)", "civilians (pakistan)")
            ):
                cats.append("foreign_nationals")
            elif inter in _INTER_CIVILIANS or name.startswith("civilians"):
                cats.append("civilians")
            out.append(cats)
        return out

    return by_unique([actor2, inter2, country, after], derive)


def normalise(table: SourceTable, countries: Collection[str] | None = None) -> Normalised:
    """Map an ACLED export to incident rows (text) with provenance.

    ``countries`` is the region (ISO alpha-3 codes; ``None``: the default region): rows
    of other countries are excluded, counted per country.
    """
    notices: list[str] = []
    src = table.frame.rename(
        columns={
            k: v
            for k, v in _OLD_NAMES.items()
            if k in table.frame.columns and v not in table.frame.columns
        }
    )
    src = ascii_numbers(src, NUMBER_COLUMNS, notices)
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    event_id = text(src, "event_id_cnty")
    problems: list[Problem] = truncated_last_row(table.frame, event_id)

    country_name = text(src, "country")
    country = country_codes(
        country_name,
        iso3=text(src, "iso3") if "iso3" in src else None,
        iso_numeric=text(src, "iso") if "iso" in src else None,
        gw=text(src, "gwno") if "gwno" in src else None,
    )
    whole_dates = text(src, "event_date")  # the slash-date rule is decided per file
    src, rows, event_id, country, country_name, country_problems, excluded = region_first(
        src, rows, event_id, country, country_name, countries, prefix="ACLED-", dataset="ACLED"
    )
    problems = drop_rows(problems + country_problems, excluded)

    raw_date = text(src, "event_date")
    dates = parse_source_dates(raw_date, DATE_FORMATS, whole=whole_dates)
    problems += row_problems(
        dates.isna(),
        rows,
        event_id,
        "event_date",
        raw_date,
        "write event_date as YYYY-MM-DD or like '12 March 2024'",
    )
    problems += row_problems(
        date_out_of_range(dates),
        rows,
        event_id,
        "event_date",
        raw_date,
        "the date must lie between 1970-01-01 and today; check the day and year",
    )

    tp = _code(text(src, "time_precision"))
    date_precision = tp.map(TIME_PRECISION)
    problems += row_problems(
        date_precision.isna() & (tp != ""),
        rows,
        event_id,
        "time_precision",
        tp,
        "time_precision must be 1 (day), 2 (week) or 3 (month), as in ACLED's codebook",
    )
    date_precision = date_precision.fillna("day")

    gp = _code(text(src, "geo_precision"))
    geo_precision = gp.map(GEO_PRECISION)
    problems += row_problems(
        geo_precision.isna(),
        rows,
        event_id,
        "geo_precision",
        gp,
        "geo_precision must be 1, 2 or 3, as in ACLED's codebook",
    )

    values = text(src, "fatalities")
    problems += number_problems(
        bad_count(values) | (values == ""),
        rows,
        event_id,
        "fatalities",
        values,
        "fatalities must be a whole number of 0 or more (ACLED writes 0 when none)",
    )
    problems += coordinate_problems(text(src, "latitude"), text(src, "longitude"), rows, event_id)

    actor1 = text(src, "actor1")
    actor2 = text(src, "actor2")
    notes = text(src, "notes")
    unknown = actor1.map(canonical_actor) == UNKNOWN
    attribution = attribution_from_notes(notes, unknown)
    inter2 = _code(text(src, "inter2"))
    civ = text(src, "civilian_targeting").str.lower().str.contains("civilian", na=False)
    civ_list = pd.Series([["civilians"] if c else [] for c in civ], index=src.index, dtype=object)
    targets, derivation = merge_targets(
        (
            _actor2_targets(actor2 + " " + text(src, "assoc_actor_2"), inter2, country, dates),
            "actor2",
        ),
        (keyword_targets(notes), "notes"),
        (civ_list, "civilian_targeting"),
    )

    event_type = text(src, "event_type")
    sub_event = text(src, "sub_event_type")
    sub_event = sub_event.where(sub_event != "", event_type)  # the old layout has no sub type
    location = text(src, "location")
    summary = notes.where(notes != "", event_type + ": " + sub_event + " at " + location)
    sources = text(src, "source")
    out = mapped_rows(
        "acled",
        "ACLED-",
        src,
        COLUMN_MAP,
        event_id,
        rows,
        dates=dates,
        date_precision=date_precision,
        country=country,
        geo=(geo_precision.fillna(""), gp),
        attribution=attribution,
        targets=(targets, derivation),
        citation="event " + event_id + wrapped("; sources: ", sources),
        record={
            "attack_type": blank_to_none(sub_event),
            "target_detail": blank_to_none(
                (actor2 + "; " + text(src, "assoc_actor_2")).str.strip("; ")
            ),
            "summary": summary,
            "source_1_title": "ACLED event " + event_id + wrapped(" (sources: ", sources, ")"),
            "notes": blank_to_none(
                join_nonempty(
                    [
                        labelled("event_type", event_type),
                        labelled("assoc_actor_1", text(src, "assoc_actor_1")),
                        labelled("tags", text(src, "tags")),
                    ]
                )
            ),
        },
    )
    return Normalised(out, problems, excluded, COLUMN_MAP, notices)
