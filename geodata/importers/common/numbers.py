"""Source numbers: counts and coordinates checked as text, digits of other scripts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.common.rows import row_problems
from geodata.numbers import ascii_digits, parse_number, to_numbers, why_not_a_number

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


def number_problems(
    mask: np.ndarray | pd.Series,
    rows: pd.Series,
    ids: pd.Series,
    column: str,
    values: pd.Series,
    hint: str,
) -> list[Problem]:
    """Like :func:`row_problems`, the hint led by why the value is not a number when it
    is not one (underscores, separators, other scripts' digits)."""
    out = []
    for p in row_problems(mask, rows, ids, column, values, hint):
        why = why_not_a_number(p.value) if p.value and parse_number(p.value) is None else ""
        out.append(replace(p, hint=f"{why} — {hint}") if why else p)
    return out


def coordinate_problems(
    latitude: pd.Series,
    longitude: pd.Series,
    rows: pd.Series,
    ids: pd.Series,
    unchecked: pd.Series | None = None,
) -> list[Problem]:
    """The rows whose latitude, then longitude, is not a number (:func:`number_problems`),
    except those in ``unchecked`` (rows excluded for another reason)."""
    out = []
    for column, values in (("latitude", latitude), ("longitude", longitude)):
        bad = not_a_number(values)
        if unchecked is not None:
            bad = bad & ~unchecked
        out += number_problems(
            bad, rows, ids, column, values, f"write {column} in decimal degrees, e.g. 34.5167"
        )
    return out


def ascii_numbers(frame: pd.DataFrame, columns: Iterable[str], notices: list[str]) -> pd.DataFrame:
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
        notices.append(
            f"wrote {n:,} value(s) of '{col}' given in non-ASCII digits with the "
            f"digits 0-9 (e.g. {example!r} as {ascii_digits(example)!r})"
        )
    return out


def count_text(values: pd.Series) -> pd.Series:
    """Whole-number text ('3.0' → '3'); blanks and bad values stay as given."""
    num = pd.to_numeric(values.where(values != ""), errors="coerce")
    whole = num.notna() & (num >= 0) & (num == np.floor(num.fillna(0)))
    out = values.astype(object).copy()
    out[whole] = num[whole].astype("int64").astype(str)
    return out
