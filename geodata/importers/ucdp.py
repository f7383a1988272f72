"""UCDP GED CSV (global or HDX country files, whose HXL hashtag row is skipped on reading).

Layouts: GED and GED Candidate (the same columns), HDX country files, and UCDP's web
download (``gedevents-*.csv``: ``best_est``/``high_est``/``low_est`` for
``best``/``high``/``low``, dates like ``03/27/1990 00:00:00``, month-first).

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
- ``fatalities``/``fatalities_low``/``fatalities_high`` = ``best``/``low``/``high``. Real
  GED files do not always order them (about 3 % of events have ``high < best`` or ``low >
  best``): the bounds are widened to min/max(low, best, high), the record's notes say so
  and the report counts them.
- ``country`` from ``country`` (or the Gleditsch & Ward ``country_id``) via
  country_converter; rows outside the region are excluded, counted per country.
- ``province`` = ``adm_1`` (e.g. "Nangarhar province"), ``district`` = ``adm_2``,
  ``place`` = ``where_coordinates``; source: the first URL in ``source_article`` if
  any, else the dataset's citation URL.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common import (
    Exclusion,
    Normalised,
    ascii_numbers,
    bad_count,
    blank_to_none,
    coordinate_problems,
    country_codes,
    date_out_of_range,
    drop_rows,
    first_url,
    join_nonempty,
    keyword_targets,
    labelled,
    mapped_rows,
    merge_targets,
    number_problems,
    parse_source_dates,
    region_first,
    row_problems,
    state_targets,
    text,
    truncated_last_row,
    wrapped,
)
from geodata.importers.reading import SourceTable, file_error

DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
"""GED's ISO dates; slash dates (the web export's ``03/27/1990 00:00:00``) are added per
file by :func:`geodata.importers.common.parse_source_dates`."""
WEB_EXPORT_NAMES = {"best_est": "best", "high_est": "high", "low_est": "low"}
"""UCDP's web download names the fatality estimates differently."""
NUMBER_COLUMNS = (
    "latitude",
    "longitude",
    "best",
    "low",
    "high",
    "where_prec",
    "date_prec",
    "country_id",
    "type_of_violence",
    "id",
)
GEO_PRECISION = {"1": "1", "2": "2", "3": "3", "4": "3", "5": "3"}
EXCLUDED_WHERE_PREC = {
    "6": "UCDP locates this event only at country level (where_prec 6)",
    "7": "UCDP locates this event in international waters or airspace (where_prec 7)",
}
DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "year"}
VIOLENCE_TYPES = {"1": "state-based", "2": "non-state", "3": "one-sided"}

COLUMN_MAP = {
    "id": "id",
    "date": "date_start",
    "country": "country",
    "province": "adm_1",
    "district": "adm_2",
    "place": "where_coordinates",
    "latitude": "latitude",
    "longitude": "longitude",
    "geo_precision": "where_prec",
    "actor": "side_a",
    "fatalities": "best",
    "fatalities_low": "low",
    "fatalities_high": "high",
    "summary": "source_headline",
    "source_1_url": "source_article",
}


def _code(series: pd.Series) -> pd.Series:
    return series.str.replace(r"\.0$", "", regex=True)


def _span_precision(start: pd.Series, end: pd.Series) -> pd.Series:
    days = (end - start).dt.days
    out = np.select(
        [days.isna() | (days <= 0), days <= 7, days <= 31], ["day", "week", "month"], "year"
    )
    return pd.Series(out, index=start.index, dtype=object)


def _side_targets(
    side: pd.Series, country: pd.Series, dates: pd.Series, violence: pd.Series
) -> pd.Series:
    state = state_targets(country, dates)
    out = []
    for i, (name, vtype) in enumerate(
        zip(side.str.lower().to_numpy(), violence.to_numpy(), strict=True)
    ):
        cats: list[str] = []
        if vtype == "1" or name.startswith("government of"):
            cats.extend(state.iat[i])
            if "pakistan" in name:
                cats.append("pakistani_state")
        elif vtype == "3" or name == "civilians":
            cats.append("civilians")
        elif (
            ("taleban" in name or "taliban" in name)
            and "pakistan" not in name
            and dates.iat[i] >= pd.Timestamp("2021-08-15")
        ):
            cats.append("taliban_government")
        out.append(cats)
    return pd.Series(out, index=side.index, dtype=object)


def _widen_bounds(src: pd.DataFrame, ok: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """Bounds that do not enclose ``best`` widened to min/max(low, best, high); returns
    the frame and the per-row note ('' where nothing changed)."""
    best, low, high = (
        pd.to_numeric(text(src, c).where(text(src, c) != ""), errors="coerce")
        for c in ("best", "low", "high")
    )
    wrong = ok & best.notna() & ((low.notna() & (low > best)) | (high.notna() & (high < best)))
    note = pd.Series("", index=src.index, dtype=object)
    if not wrong.any():
        return src, note
    out = src.copy()
    trio = pd.concat([low, best, high], axis=1)[wrong]
    new_low = trio.min(axis=1).astype("int64").astype(str)
    new_high = trio.max(axis=1).astype("int64").astype(str)
    note[wrong] = (
        "UCDP bounds low="
        + text(src, "low")[wrong]
        + ", high="
        + text(src, "high")[wrong]
        + " did not enclose best="
        + text(src, "best")[wrong]
        + ": widened to "
        + new_low
        + "–"
        + new_high
    )
    out.loc[wrong, "low"] = new_low
    out.loc[wrong, "high"] = new_high
    return out, note


def normalise(table: SourceTable, countries: Collection[str] | None = None) -> Normalised:
    """Map a UCDP GED file to incident rows (text) with provenance.

    ``countries`` is the region (ISO alpha-3 codes; ``None``: the default region): rows
    of other countries are excluded, counted per country.
    """
    notices: list[str] = []
    src = table.frame
    renames = {k: v for k, v in WEB_EXPORT_NAMES.items() if k in src and v not in src}
    src = src.rename(columns=renames)
    back = {v: k for k, v in renames.items()}  # problems are named in the file's own terms
    if "best" not in src.columns:
        raise file_error(
            table.source,
            "add the required column 'best' (or 'best_est', as in "
            "UCDP's web download): the best estimate of deaths",
            column="best",
        )
    rows = pd.Series(np.arange(1, len(src) + 1), index=src.index)
    event_id = _code(text(src, "id"))
    problems: list[Problem] = truncated_last_row(table.frame, event_id)

    country_name = text(src, "country")
    country = country_codes(
        country_name, gw=text(src, "country_id") if "country_id" in src else None
    )
    whole_start, whole_end = text(src, "date_start"), text(src, "date_end")
    src, rows, event_id, country, country_name, country_problems, excluded = region_first(
        src, rows, event_id, country, country_name, countries, prefix="UCDP-", dataset="UCDP"
    )
    problems += country_problems
    src = ascii_numbers(src, NUMBER_COLUMNS, notices)

    raw_start = text(src, "date_start")
    start = parse_source_dates(raw_start, DATE_FORMATS, whole=whole_start)
    problems += row_problems(
        start.isna(),
        rows,
        event_id,
        "date_start",
        raw_start,
        "write date_start as YYYY-MM-DD, e.g. 2021-08-26",
    )
    problems += row_problems(
        date_out_of_range(start),
        rows,
        event_id,
        "date_start",
        raw_start,
        "the date must lie between 1970-01-01 and today",
    )
    end = parse_source_dates(text(src, "date_end"), DATE_FORMATS, whole=whole_end)
    dp = _code(text(src, "date_prec"))
    date_precision = dp.map(DATE_PRECISION)
    date_precision = date_precision.fillna(_span_precision(start, end))

    wp = _code(text(src, "where_prec"))
    geo_precision = wp.map(GEO_PRECISION)
    place_excluded = wp.isin(list(EXCLUDED_WHERE_PREC))
    problems += row_problems(
        geo_precision.isna() & ~place_excluded,
        rows,
        event_id,
        "where_prec",
        wp,
        "where_prec must be a UCDP code from 1 to 7",
    )

    counts_ok = pd.Series(True, index=src.index)
    for col in ("best", "low", "high"):
        values = text(src, col)
        missing = values == "" if col == "best" else pd.Series(False, index=src.index)
        bad = bad_count(values) | missing
        counts_ok &= ~bad
        name = back.get(col, col)
        problems += number_problems(
            bad, rows, event_id, name, values, f"{name} must be a whole number of deaths, 0 or more"
        )
    problems += coordinate_problems(
        text(src, "latitude"), text(src, "longitude"), rows, event_id, place_excluded
    )
    src, bounds_note = _widen_bounds(src, counts_ok)

    ids = ("UCDP-" + event_id).where(event_id != "", "")
    unplaced = place_excluded.to_numpy()
    excluded += [
        Exclusion(int(rows.iat[i]), ids.iat[i] or None, EXCLUDED_WHERE_PREC[wp.iat[i]])
        for i in np.flatnonzero(unplaced)
    ]
    excluded.sort(key=lambda e: e.row)
    problems = drop_rows(problems, excluded)
    kept = ~unplaced
    widened = int((bounds_note[kept] != "").sum())
    if widened:
        notices.append(
            f"widened the fatality bounds of {widened:,} event(s) where UCDP's "
            "low/high did not enclose best (to min/max of low, best, high; noted "
            "on each record)"
        )

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
    article = text(src, "source_article")
    dyad = text(src, "dyad_name")
    place = text(src, "where_coordinates")
    vname = violence.map(VIOLENCE_TYPES).fillna("violence")
    summary = headline.where(headline != "", vname + " violence, " + dyad + " at " + place)
    deaths = join_nonempty(
        [
            labelled("deaths_" + k, text(src, "deaths_" + k))
            for k in ("a", "b", "civilians", "unknown")
        ],
        sep=", ",
    )
    notes = join_nonempty(
        [
            labelled("conflict", text(src, "conflict_name")),
            labelled("type_of_violence", vname),
            deaths,
            bounds_note,
        ]
    )
    out = mapped_rows(
        "ucdp",
        "UCDP-",
        src,
        COLUMN_MAP,
        event_id,
        rows,
        dates=start,
        date_precision=date_precision,
        country=country,
        geo=(geo_precision.fillna(""), wp),
        attribution=attribution,
        targets=(targets, derivation),
        citation="event " + event_id + wrapped("; source_article: ", article),
        source_url=first_url(article),
        low_confidence=_code(text(src, "event_clarity")) == "2",
        record={
            "actor": actor,
            "attack_type": blank_to_none(vname),
            "target_detail": blank_to_none(target_side),
            "summary": summary,
            "source_1_title": "UCDP GED event "
            + event_id
            + wrapped(" (", article.str.slice(0, 200), ")"),
            "notes": blank_to_none(notes),
        },
    )
    column_map = {k: back.get(v, v) for k, v in COLUMN_MAP.items()}
    return Normalised(out[kept], problems, excluded, column_map, notices)
