"""UCDP GED CSV (global or HDX country files, whose HXL hashtag row is skipped on reading).

Mapping (see docs/IMPORTING.md):

- ``id`` = ``UCDP-`` + ``id``; ``date`` = ``date_start``; ``date_precision`` from
  ``date_prec`` (1 day; 2–3 week; 4 month; 5 year) or, when that column is absent, from
  the span ``date_end − date_start`` (0 days: day; ≤ 7: week; ≤ 31: month; else year).
- ``geo_precision`` from ``where_prec``: 1 (exact place) → 1; 2 (within 25 km of a
  place) → 2; 3 (district), 4 (province), 5 (a line, e.g. a road, or between places) → 3.
  6 (country only) and 7 (international waters/airspace) are left out (listed as
  excluded): their coordinates are a country centroid, which would put the event in the
  wrong province.
- Actor and target by ``type_of_violence``: 1 (state-based; side_a is the government) →
  actor ``side_b``, target the state forces; 2 (non-state) → actor ``side_a``, target from
  ``side_b``; 3 (one-sided) → actor ``side_a``, target civilians. Keywords in
  ``source_headline`` add categories. UCDP codes the actor its sources name:
  attribution ``attributed``.
- ``fatalities``/``fatalities_low``/``fatalities_high`` = ``best``/``low``/``high``.
- ``province`` = ``adm_1`` (e.g. "Nangarhar province"), ``district`` = ``adm_2``,
  ``place`` = ``where_coordinates``; source: the first URL in ``source_article`` if
  any, else the dataset's citation URL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common import (
    DATASET_CITATIONS,
    Exclusion,
    Normalised,
    bad_count,
    blank_to_none,
    confidence_for,
    country_iso3,
    date_out_of_range,
    first_url,
    iso,
    join_nonempty,
    keyword_targets,
    labelled,
    merge_targets,
    parse_dates,
    row_problems,
    state_targets,
    text,
)
from geodata.importers.reading import SourceTable

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y")
GEO_PRECISION = {"1": "1", "2": "2", "3": "3", "4": "3", "5": "3"}
EXCLUDED_WHERE_PREC = {"6": "UCDP locates this event only at country level (where_prec 6)",
                       "7": "UCDP locates this event in international waters or airspace "
                            "(where_prec 7)"}
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
VIOLENCE_TYPES = {"1": "state-based", "2": "non-state", "3": "one-sided"}
_GW_CODES = {"700": "AFG", "770": "PAK", "630": "IRN", "702": "TJK", "704": "UZB",
             "701": "TKM", "710": "CHN", "750": "IND"}

COLUMN_MAP = {
    "id": "id", "date": "date_start", "country": "country", "province": "adm_1",
    "district": "adm_2", "place": "where_coordinates", "latitude": "latitude",
    "longitude": "longitude", "geo_precision": "where_prec", "actor": "side_a",
    "fatalities": "best", "fatalities_low": "low", "fatalities_high": "high",
    "summary": "source_headline", "source_1_url": "source_article",
}


def _code(series: pd.Series) -> pd.Series:
    return series.str.replace(r"\.0$", "", regex=True)


def _span_precision(start: pd.Series, end: pd.Series) -> pd.Series:
    days = (end - start).dt.days
    out = np.select([days.isna() | (days <= 0), days <= 7, days <= 31],
                    ["day", "week", "month"], "year")
    return pd.Series(out, index=start.index, dtype=object)


def _side_targets(side: pd.Series, country: pd.Series, dates: pd.Series,
                  violence: pd.Series) -> pd.Series:
    state = state_targets(country, dates)
    out = []
    for i, (name, vtype) in enumerate(zip(side.str.lower().to_numpy(), violence.to_numpy(),
                                          strict=True)):
        cats: list[str] = []
        if vtype == "1" or name.startswith("government of"):
            cats.extend(state.iat[i])
            if "pakistan" in name:
                cats.append("pakistani_state")
        elif vtype == "3" or name == "civilians":
            cats.append("civilians")
        elif ("taleban" in name or "taliban" in name) and "pakistan" not in name and \
                dates.iat[i] >= pd.Timestamp("2021-08-15"):
            cats.append("taliban_government")
        out.append(cats)
    return pd.Series(out, index=side.index, dtype=object)


def normalise(table: SourceTable) -> Normalised:
    """Map a UCDP GED file to incident rows (text) with provenance."""
    src = table.frame
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    event_id = _code(text(src, "id"))
    problems: list[Problem] = []

    raw_start = text(src, "date_start")
    start = parse_dates(raw_start, DATE_FORMATS)
    problems += row_problems(start.isna(), rows, event_id, "date_start", raw_start,
                             "write date_start as YYYY-MM-DD, e.g. 2021-08-26")
    problems += row_problems(date_out_of_range(start), rows, event_id, "date_start", raw_start,
                             "the date must lie between 1970-01-01 and today")
    end = parse_dates(text(src, "date_end"), DATE_FORMATS)
    dp = _code(text(src, "date_prec"))
    date_precision = dp.map(DATE_PRECISION)
    date_precision = date_precision.fillna(_span_precision(start, end))

    wp = _code(text(src, "where_prec"))
    geo_precision = wp.map(GEO_PRECISION)
    excluded_mask = wp.isin(list(EXCLUDED_WHERE_PREC))
    problems += row_problems(
        geo_precision.isna() & ~excluded_mask, rows, event_id, "where_prec", wp,
        "where_prec must be a UCDP code from 1 to 7")

    for col in ("best", "low", "high"):
        values = text(src, col)
        missing = values == "" if col == "best" else pd.Series(False, index=src.index)
        problems += row_problems(bad_count(values) | missing, rows, event_id, col, values,
                                 f"{col} must be a whole number of deaths, 0 or more")

    country_name = text(src, "country")
    country = country_iso3(country_name)
    country = country.where(country != "", _code(text(src, "country_id")).map(_GW_CODES)
                            .fillna(""))
    problems += row_problems(country == "", rows, event_id, "country", country_name,
                             "write the country name as UCDP spells it (e.g. Afghanistan)")

    violence = _code(text(src, "type_of_violence"))
    side_a, side_b = text(src, "side_a"), text(src, "side_b")
    state_based = violence == "1"
    actor = side_b.where(state_based, side_a)
    target_side = side_a.where(state_based, side_b)
    headline = text(src, "source_headline")
    targets, derivation = merge_targets(
        (_side_targets(target_side, country, start, violence), "side_a/side_b"),
        (keyword_targets(headline), "source_headline"),
    )
    attribution = pd.Series("attributed", index=src.index, dtype=object)
    confidence = confidence_for(geo_precision.fillna(""), date_precision, attribution)
    confidence = confidence.where(_code(text(src, "event_clarity")) != "2", "low")

    article = text(src, "source_article")
    url = first_url(article)
    title, dataset_url = DATASET_CITATIONS["ucdp"]
    dyad = text(src, "dyad_name")
    place = text(src, "where_coordinates")
    vname = violence.map(VIOLENCE_TYPES).fillna("violence")
    summary = headline.where(headline != "", vname + " violence, " + dyad + " at " + place)
    deaths = join_nonempty(
        [labelled("deaths_" + k, text(src, "deaths_" + k))
         for k in ("a", "b", "civilians", "unknown")], sep=", ")
    notes = join_nonempty([labelled("conflict", text(src, "conflict_name")),
                           labelled("type_of_violence", vname), deaths])
    out = pd.DataFrame(
        {
            "id": ("UCDP-" + event_id).where(event_id != "", ""),
            "date": iso(start),
            "country": country,
            "province": blank_to_none(text(src, "adm_1")),
            "district": blank_to_none(text(src, "adm_2")),
            "place": blank_to_none(place),
            "latitude": text(src, "latitude"),
            "longitude": text(src, "longitude"),
            "geo_precision": geo_precision.fillna(""),
            "actor": actor,
            "attribution": attribution,
            "attack_type": blank_to_none(vname),
            "target_category": targets,
            "target_detail": blank_to_none(target_side),
            "fatalities": text(src, "best"),
            "fatalities_low": blank_to_none(text(src, "low")),
            "fatalities_high": blank_to_none(text(src, "high")),
            "summary": summary,
            "source_1_title": "UCDP GED event " + event_id + article.map(
                lambda s: f" ({s[:200]})" if s else ""),
            "source_1_url": url.where(url != "", dataset_url),
            "confidence": confidence,
            "notes": blank_to_none(notes),
            "source_dataset": "ucdp",
            "source_id": event_id,
            "source_citation": f"{title}, event " + event_id + article.map(
                lambda s: f"; source_article: {s}" if s else ""),
            "licence": "CC-BY-4.0",
            "date_precision": date_precision,
            "geo_precision_source": "ucdp where_prec=" + wp,
            "target_derivation": derivation,
            "row": rows,
        },
        index=src.index,
    )
    excluded = [Exclusion(int(rows.iat[i]), out["id"].iat[i], EXCLUDED_WHERE_PREC[wp.iat[i]])
                for i in np.flatnonzero(excluded_mask.to_numpy())]
    return Normalised(out[~excluded_mask.to_numpy()], problems, excluded, COLUMN_MAP)
