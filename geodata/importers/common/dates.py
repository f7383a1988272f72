"""Source dates: formats, day-first slash dates, range checks, ISO text."""

from __future__ import annotations

from datetime import date

import pandas as pd

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
    return tuple(f"{dm}/{y}{t}" for y in ("%Y", "%y") for t in ("", " %H:%M:%S", " %H:%M"))


def parse_source_dates(
    values: pd.Series, formats: tuple[str, ...], whole: pd.Series | None = None
) -> pd.Series:
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
