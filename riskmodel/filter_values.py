"""Value parsers and formatters of the filter query keys, and the error they raise.

Each parser takes the text of one value (``actor=ISKP`` → ``"ISKP"``) and returns the
normalised value, or raises :class:`QueryError` naming the key, the value and the valid
choices; the formatters write a value back as query text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date

import pandas as pd

from geodata.actors import ACTORS, canonical_actors
from geodata.places import admin1_code, crosswalk
from riskmodel.aoi import Aoi, AoiError, parse_aoi
from riskmodel.vocab import COUNTRY_NAMES


class QueryError(ValueError):
    """A filter query the user must fix; the message names the key, the value and the
    valid choices."""


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


def _error(key: str, value: str, valid: str) -> QueryError:
    return QueryError(f"bad value {value!r} for '{key}'; valid: {valid}")


def _parse_date(key: str) -> Callable[[str], date]:
    def parse(text: str) -> date:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise _error(key, text, "a date written YYYY-MM-DD, e.g. 2024-01-31") from None

    return parse


def _parse_choice(
    key: str, allowed: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Callable[[str], str]:
    allowed = tuple(allowed)
    lookup = {a.lower(): a for a in allowed}
    lookup.update({k.lower(): v for k, v in (aliases or {}).items()})

    def parse(text: str) -> str:
        found = lookup.get(text.lower())
        if found is None:
            raise _error(key, text, _choices(allowed))
        return found

    return parse


def _parse_actor(text: str) -> str:
    exact = {name.lower(): name for name in ACTORS}
    if text.lower() in exact:
        return exact[text.lower()]
    named = canonical_actors(text)
    if len(named) == 1 and named[0] not in ("Other", "Unknown"):
        return named[0]  # an alias such as ISIS-K or "Islamic State Khorasan Province"
    raise _error("actor", text, _choices(ACTORS) + " (or an alias such as ISIS-K)")


def _admin1_table() -> dict[str, str]:
    table = crosswalk()
    return dict(zip(table["iso_3166_2"], table["name"], strict=True))


def _parse_admin1(text: str) -> str:
    codes = _admin1_table()
    upper = text.upper()
    if upper in codes:
        return upper
    code = admin1_code(text)
    if code in codes:
        return code
    raise _error(
        "admin1", text, "an ISO 3166-2 code or name of the 41 units: " + _choices(sorted(codes))
    )


def _parse_country(text: str) -> str:
    upper = text.upper()
    if re.fullmatch(r"[A-Z]{3}", upper):
        return upper
    by_name = {n.lower(): c for c, n in COUNTRY_NAMES.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    raise _error("country", text, "an ISO 3166-1 alpha-3 code such as " + _choices(COUNTRY_NAMES))


def _parse_min_fatalities(text: str) -> int:
    if not re.fullmatch(r"\d{1,7}", text):
        raise _error("min_fatalities", text, "a whole number of deaths, 0 or more")
    return int(text)


def _parse_half_life(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 3650:
        raise _error("half_life", text, "a number of days from 1 to 3650, e.g. 180")
    return value


def _parse_aoi(text: str) -> Aoi:
    try:
        return parse_aoi(text)
    except AoiError as exc:
        raise QueryError(str(exc)) from None


def _parse_frame(text: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1900 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise _error("frame", text, "a month written YYYY-MM, e.g. 2025-06")
    return text


def frame_end(frame: str) -> date:
    """The last day of a ``frame`` month (``2025-06`` → 2025-06-30)."""
    return (pd.Period(frame, "M").end_time).date()


def _date_text(value: object) -> str:
    return str(value)[:10]  # date, datetime or Timestamp → YYYY-MM-DD


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
