"""What an override may name and say: its fields, subjects, values and expiry, checked
against the current data (one-line :class:`OverrideError` otherwise)."""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, date, datetime

from geodata.actors import ACTORS, OTHER, canonical_actor
from geodata.bundle import Bundle
from geodata.contract import CONFIDENCE_LEVELS

RECORD_KINDS: tuple[str, ...] = ("incidents", "threats")
AREA_KIND = "area"
FIELDS: dict[str, str] = {"confidence": "record", "attribution": "record", "band": "area"}
"""Field → what it belongs to."""

CONFIDENCE_COLUMN = {"incidents": "confidence", "threats": "credibility"}
"""Which column an override of a record's confidence sets, per kind."""

MAX_REASON = 500


class OverrideError(ValueError):
    """A user error (one line naming the value and the fix)."""


def today_utc() -> date:
    """Today's date in UTC (what "expired" is judged against unless a test gives one)."""
    return datetime.now(UTC).date()


def default_author() -> str:
    """The OS user name ('unknown' when it cannot be found)."""
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no user name in the environment or the password database
        return "unknown"


def parse_expiry(text: str) -> date:
    """``YYYY-MM-DD`` as a date (a one-line error otherwise)."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise OverrideError(
            f"--expires {text!r} is not a date: write it as YYYY-MM-DD, e.g. 2027-03-31"
        ) from None


def normalise_value(field: str, value: str, bands: Sequence[str] = ()) -> str:
    """The stored spelling of ``value`` for ``field``: a confidence level, a canonical
    actor (aliases such as ISIS-K accepted) or one of ``bands``."""
    text = str(value).strip()
    if field == "confidence":
        if text.lower() in CONFIDENCE_LEVELS:
            return text.lower()
        raise OverrideError(
            f"confidence {text!r} is not a level: use one of {', '.join(CONFIDENCE_LEVELS)}"
        )
    if field == "attribution":
        by_lower = {name.lower(): name for name in ACTORS}
        if text.lower() in by_lower:
            return by_lower[text.lower()]
        named = canonical_actor(text) if text else OTHER
        if named != OTHER:
            return named
        raise OverrideError(
            f"attribution {text!r} is not an actor the atlas knows: use one of {', '.join(ACTORS)}"
        )
    if field == "band":
        if text.lower() in bands:
            return text.lower()
        raise OverrideError(f"band {text!r} is not a risk band: use one of {', '.join(bands)}")
    raise OverrideError(f"cannot override {field!r}: use one of {', '.join(FIELDS)}")


def find_record(bundle: Bundle, record_id: str) -> tuple[str, str]:
    """(kind, id) of an incident or threat record of the current data."""
    text = str(record_id).strip()
    for kind in RECORD_KINDS:
        ids = getattr(bundle, kind)["id"].astype(str)
        if (ids == text).any():
            return kind, text
    for kind in RECORD_KINDS:  # a different case
        ids = getattr(bundle, kind)["id"].astype(str)
        hit = ids[ids.str.upper() == text.upper()]
        if len(hit):
            return kind, str(hit.iloc[0])
    examples = ", ".join(
        bundle.incidents["id"].astype(str).head(2).tolist()
        + bundle.threats["id"].astype(str).head(1).tolist()
    )
    raise OverrideError(
        f"there is no record {text!r} in the current data (ids look like "
        f"{examples}): 'iskp-atlas export --layer incidents --format csv' "
        "lists them"
    )


def computed_value(bundle: Bundle, kind: str, record_id: str, field: str) -> str | None:
    """The value the data gives a record's ``field`` (before any override in force)."""
    frame = getattr(bundle, kind)
    rows = frame[frame["id"].astype(str) == str(record_id)]
    if rows.empty:
        return None
    column = CONFIDENCE_COLUMN[kind] if field == "confidence" else "actor_canonical"
    before = f"{column}_computed" if field == "confidence" else "actor_computed"
    value = rows.iloc[0][before if before in rows.columns else column]
    return None if value is None or value != value else str(value)


def find_unit(bundle: Bundle, unit: str) -> str:
    """The ISO 3166-2 code of a province or Pakistani unit (its name works too)."""
    from geodata.places import admin1_code

    text = str(unit).strip()
    codes = bundle.admin1["iso_3166_2"].astype(str)
    hit = codes[codes.str.upper() == text.upper()]
    if len(hit):
        return str(hit.iloc[0])
    code = admin1_code(text)
    if code is not None and (codes == code).any():
        return code
    raise OverrideError(
        f"there is no unit {text!r} (units are ISO 3166-2 codes such as "
        f"{', '.join(codes.head(3))}, or province names): 'iskp-atlas scores' "
        "lists them"
    )
