"""Strict parsing of the numbers users type: coordinates and counts.

Python's ``float()`` accepts far more than a number a person means: ``"3_4.0151"`` (an
underscore is a digit separator for Python, so that is 34.0151), ``"inf"``, ``"nan"``,
``"1e400"`` and digits of any script (``float("٣٤")`` is 34). None of these may reach the
store as a coordinate, so every user number goes through :func:`parse_number`:

- :func:`ascii_digits` maps Unicode decimal digits (Arabic-Indic ``٠–٩``, Extended
  Arabic-Indic/Persian ``۰–۹``, Devanagari, full-width …) to ``0–9`` and the Arabic
  decimal separator ``٫`` to ``.`` — callers say so to the user (or refuse with the fix);
- :data:`NUMBER` is the only accepted shape: an optional sign, ASCII digits, at most one
  ``.`` and an optional exponent; no underscores, spaces inside, thousands separators,
  ``inf`` or ``nan``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?$", re.ASCII)
"""A plain decimal number in ASCII (what :func:`parse_number` accepts)."""

_SEPARATORS = {"\u066b": ".", "\u2212": "-"}  # Arabic decimal separator, minus sign


@lru_cache(maxsize=1)
def _digit_table() -> dict[int, str]:
    table = {ord(k): v for k, v in _SEPARATORS.items()}
    for code in range(0x80, 0x110000):
        ch = chr(code)
        if unicodedata.category(ch) == "Nd":
            table[code] = str(unicodedata.decimal(ch))
    return table


def has_non_ascii_digits(text: str) -> bool:
    """True when ``text`` holds a decimal digit (or Arabic separator) outside ASCII."""
    return not text.isascii() and any(ord(c) in _digit_table() for c in text)


def ascii_digits(text: str) -> str:
    """``text`` with every Unicode decimal digit as its ASCII digit (and ``٫`` as ``.``,
    ``−`` as ``-``); other characters unchanged."""
    return text if text.isascii() else text.translate(_digit_table())


def parse_number(text: object, *, unicode_digits: bool = False) -> float | None:
    """The value of a strictly written number, else None (never raises).

    ``unicode_digits`` accepts digits of other scripts (they are mapped with
    :func:`ascii_digits` first); otherwise they make the value not a number.
    """
    if not isinstance(text, str):
        return None
    value = text.strip()
    if unicode_digits:
        value = ascii_digits(value)
    if not NUMBER.match(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def why_not_a_number(text: str) -> str:
    """A short reason a value failed :func:`parse_number`, naming the fix."""
    value = text.strip()
    if has_non_ascii_digits(value):
        shown = ascii_digits(value)
        tail = f" ({value!r} is {shown!r})" if NUMBER.match(shown) else ""
        return f"not a number: write it with the digits 0-9{tail}"
    if "_" in value:
        return "not a number: remove the underscore(s) (write e.g. 34.0151)"
    if "," in value:
        return "not a number: use '.' as the decimal point and no thousands separators"
    return "not a number: write it with the digits 0-9 and at most one '.'"


def to_numbers(values: pd.Series) -> pd.Series:
    """:func:`parse_number` over a series of text (missing or bad values give NaN), with
    each distinct value parsed once."""
    text = values.astype(object)
    present = text.notna().to_numpy()
    out = np.full(len(values), np.nan)
    if present.any():
        inverse, uniq = pd.factorize(text[present].astype(str).to_numpy(dtype=object))
        parsed = np.array(
            [np.nan if (x := parse_number(u)) is None else x for u in uniq], dtype=float
        )
        out[present] = parsed[inverse]
    return pd.Series(out, index=values.index, dtype="float64")
