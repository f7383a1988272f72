"""Analyst overrides: an analyst's value for a record's confidence or attribution, or for
an area's band, with a reason, an author and an expiry date — and the audit log of every
change to them.

- Stored in the store (tables ``overrides`` and ``audit_log``, schema version 3, on SQLite
  and on PostgreSQL alike), keyed by the record's or the unit's id: re-importing the same
  record keeps its override. Rows are never deleted: withdrawing one sets ``withdrawn_at``
  and ``withdrawn_by``. Every set and every withdrawal writes one ``audit_log`` row (when,
  who, what, the subject and a JSON detail with the old and the new value) in the same
  transaction as the change.
- Active = not withdrawn and ``expires_on`` on or after today (UTC): an override ends by
  itself at the end of its expiry day (the CLI and the Data page always set one; a row
  without one, written by other means, would stay in force until withdrawn). When
  several are active for one field of one subject, the newest wins.
- Applied in one place, :func:`apply_overrides`, called by the one loader
  (:func:`geodata.catalog.load_source`) that the app, the CLI and the exports share:

  * record confidence (incidents' ``confidence``; threats' ``credibility``, the same three
    levels): the analyst's value replaces it before filtering and scoring;
    ``confidence_computed`` (``credibility_computed``) keeps the value from the data and
    ``confidence_override`` (``credibility_override``) says who, why and until when;
  * record attribution (the actor, :data:`geodata.actors.ACTORS`): ``actor_canonical``,
    ``actor_family`` and ``actors_all`` become the analyst's actor (the reported text
    ``actor`` is kept as it is); ``actor_computed`` keeps the actor from the data and
    ``actor_override`` the note;
  * an area's band: carried on the admin-1 layer (``analyst_band``, ``analyst_band_note``)
    and applied by :func:`riskmodel.score.score` after scoring: the score stays the computed
    one, ``band`` is the analyst's, ``band_computed`` the band of the score and
    ``band_override`` the note.

  The columns are added only when at least one active override applies to that layer.

Text from users (reason, author) is data: shown escaped in HTML, neutralised in CSV.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.actors import ACTORS, OTHER, actor_family, canonical_actor
from geodata.bundle import Bundle
from geodata.contract import CONFIDENCE_LEVELS
from geodata.store import AUDIT_COLUMNS, OVERRIDE_COLUMNS

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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


# --- The store ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """What :func:`set_override` or :func:`remove_override` did."""

    override_id: int
    subject: str
    field: str
    old: str | None
    new: str | None
    expires_on: str | None
    active: bool


def subject_of(target_kind: str, target_id: str) -> str:
    """'incidents/INC-004', 'area/AF-KAB': the audit log's subject."""
    return f"{target_kind}/{target_id}"


def _active_sql(today: date) -> tuple[str, tuple]:
    return (
        "withdrawn_at IS NULL AND (expires_on IS NULL OR expires_on >= ?)",
        (today.isoformat(),),
    )


def _in_force(
    con, target_kind: str, target_id: str, field: str, today: date, exclude: int | None = None
) -> str | None:
    """The value of the newest active override of one field of one subject (None: the
    computed value is in force)."""
    where, params = _active_sql(today)
    sql = (
        f"SELECT override_id, value FROM overrides WHERE target_kind = ? AND "
        f"target_id = ? AND field = ? AND {where}"
    )
    rows = [
        r
        for r in con.execute(sql, (target_kind, target_id, field, *params)).fetchall()
        if exclude is None or int(r[0]) != exclude
    ]
    return str(max(rows, key=lambda r: int(r[0]))[1]) if rows else None


def _audit(con, at: str, author: str, action: str, subject: str, detail: dict) -> None:
    con.execute(
        "INSERT INTO audit_log (at, author, action, subject, detail) VALUES (?, ?, ?, ?, ?)",
        (at, author, action, subject, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
    )


def _write(home):
    """The store's write helpers (imported here: :mod:`geodata.store` imports much)."""
    from geodata import store

    target = store.store_target(home)
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    return store, target


def _clean_text(text: str, what: str, limit: int) -> str:
    value = " ".join(str(text or "").split())
    if not value:
        raise OverrideError(
            f"{what} is empty: say {'why' if what == '--reason' else 'who'} (e.g. {what} '...')"
        )
    if len(value) > limit:
        raise OverrideError(f"{what} is {len(value)} characters long: keep it to {limit}")
    return value


def set_override(
    home: Path | str | None,
    target_kind: str,
    target_id: str,
    field: str,
    value: str,
    *,
    reason: str,
    expires_on: date,
    author: str | None = None,
    computed: str | None = None,
    today: date | None = None,
) -> Change:
    """Store an override (``target_kind`` incidents, threats or area; the value already
    normalised by :func:`normalise_value`) and its audit entry, in one transaction.
    ``computed``: the value from the data, for the audit log's ``old`` when no other
    override is in force."""
    if target_kind not in (*RECORD_KINDS, AREA_KIND):
        raise OverrideError(f"unknown target kind {target_kind!r}")
    if FIELDS.get(field) != ("area" if target_kind == AREA_KIND else "record"):
        raise OverrideError(f"{field!r} cannot be overridden on {target_kind}")
    reason = _clean_text(reason, "--reason", MAX_REASON)
    author = _clean_text(author or default_author(), "--author", 100)
    today = today or today_utc()
    store, target = _write(home)
    at = _now()
    subject = subject_of(target_kind, target_id)
    with store._open(target) as con:
        store._begin_write(con)
        try:
            store._ensure_schema(con)
            old = _in_force(con, target_kind, target_id, field, today)
            pg = isinstance(con, store.PgConnection)
            cur = con.execute(
                "INSERT INTO overrides (target_kind, target_id, field, value, reason, author, "
                "created_at, expires_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                + (" RETURNING override_id" if pg else ""),
                (target_kind, target_id, field, value, reason, author, at, expires_on.isoformat()),
            )
            override_id = int(cur.fetchone()[0] if pg else cur.lastrowid)
            active = expires_on >= today
            _audit(
                con,
                at,
                author,
                "override set",
                subject,
                {
                    "override_id": override_id,
                    "field": field,
                    "old": old if old is not None else computed,
                    "old_source": "override" if old is not None else "computed",
                    "new": value,
                    "reason": reason,
                    "expires_on": expires_on.isoformat(),
                    "in_effect": active,
                },
            )
            store._count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return Change(
        override_id,
        subject,
        field,
        old if old is not None else computed,
        value,
        expires_on.isoformat(),
        active,
    )


def remove_override(
    home: Path | str | None,
    override_id: int,
    *,
    author: str | None = None,
    reason: str | None = None,
    today: date | None = None,
) -> Change:
    """Withdraw override ``override_id`` (the row stays, with ``withdrawn_at``/``_by``) and
    write its audit entry, in one transaction."""
    author = _clean_text(author or default_author(), "--author", 100)
    note = " ".join(str(reason or "").split())[:MAX_REASON] or None
    today = today or today_utc()
    store, target = _write(home)
    at = _now()
    with store._open(target) as con:
        store._begin_write(con)
        try:
            store._ensure_schema(con)
            row = con.execute(
                "SELECT target_kind, target_id, field, value, expires_on, "
                "withdrawn_at FROM overrides WHERE override_id = ?",
                (int(override_id),),
            ).fetchone()
            if row is None:
                known = [
                    str(r[0])
                    for r in con.execute(
                        "SELECT override_id FROM overrides WHERE withdrawn_at IS NULL "
                        "ORDER BY override_id"
                    ).fetchall()
                ]
                raise OverrideError(
                    f"there is no override {override_id} (not withdrawn: "
                    f"{', '.join(known[-8:]) or 'none'}): 'iskp-atlas override list' "
                    "lists them"
                )
            kind, tid, field, value, expires, withdrawn = row
            if withdrawn is not None:
                raise OverrideError(
                    f"override {override_id} was already withdrawn at {withdrawn}: nothing to do"
                )
            subject = subject_of(kind, tid)
            con.execute(
                "UPDATE overrides SET withdrawn_at = ?, withdrawn_by = ? WHERE override_id = ?",
                (at, author, int(override_id)),
            )
            now = _in_force(con, kind, tid, field, today)
            was_active = str(expires) >= today.isoformat()
            detail = {
                "override_id": int(override_id),
                "field": field,
                "old": value,
                "new": now,
                "new_source": "override" if now is not None else "computed",
                "was_in_effect": was_active,
            }
            if note:
                detail["reason"] = note
            _audit(con, at, author, "override remove", subject, detail)
            store._count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return Change(int(override_id), subject, str(field), str(value), now, str(expires), was_active)


def _read_table(home: Path | str | None, sql: str, columns: Sequence[str]) -> pd.DataFrame:
    from geodata import store

    with store._reading(home) as con:
        if con is None or not store._has_table(con, "overrides"):
            return pd.DataFrame(columns=list(columns))
        return store._frame(con, sql)


def list_overrides(home: Path | str | None = None, today: date | None = None) -> pd.DataFrame:
    """Every override ever set, oldest first, with its ``status``: active, expired or
    withdrawn (as of ``today``)."""
    frame = _read_table(
        home,
        f"SELECT {', '.join(OVERRIDE_COLUMNS)} FROM overrides ORDER BY override_id",
        OVERRIDE_COLUMNS,
    )
    day = (today or today_utc()).isoformat()
    status = pd.Series("active", index=frame.index, dtype=object)
    expires = frame["expires_on"]
    status[(expires.notna() & (expires.astype(str) < day)).to_numpy()] = "expired"
    status[frame["withdrawn_at"].notna()] = "withdrawn"
    out = frame.assign(status=status)
    if len(out):
        out["override_id"] = out["override_id"].astype(int)
    return out


LIST_COLUMNS: tuple[str, ...] = (
    "override_id",
    "status",
    "target_kind",
    "target_id",
    "field",
    "value",
    "expires_on",
    "author",
    "reason",
    "created_at",
    "withdrawn_at",
    "withdrawn_by",
)
"""The columns a list of overrides shows (``iskp-atlas override list``)."""
IN_FORCE_COLUMNS: tuple[str, ...] = tuple(
    c for c in LIST_COLUMNS if c not in ("status", "created_at", "withdrawn_at", "withdrawn_by")
)
"""The columns of the overrides in force on the Data page (no status: all are active)."""


def active_overrides(home: Path | str | None = None, today: date | None = None) -> pd.DataFrame:
    """The overrides in force on ``today``: the newest one per subject and field."""
    frame = list_overrides(home, today)
    frame = frame[frame["status"] == "active"]
    return (
        frame.sort_values("override_id")
        .drop_duplicates(["target_kind", "target_id", "field"], keep="last")
        .reset_index(drop=True)
    )


def audit_log(home: Path | str | None = None) -> pd.DataFrame:
    """Every audit entry, oldest first (``detail`` as JSON text)."""
    frame = _read_table(
        home, f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log ORDER BY entry_id", AUDIT_COLUMNS
    )
    if len(frame):
        frame["entry_id"] = frame["entry_id"].astype(int)
    return frame


# --- Applying them --------------------------------------------------------------------------


def note(row: pd.Series | dict) -> str:
    """'analyst alice, until 2027-03-31: <reason>' — who, until when, why (plain text)."""
    r = dict(row)
    return f"analyst {r['author']}, until {r['expires_on']}: {r['reason']}"


def _apply_records(frame: gpd.GeoDataFrame, kind: str, active: pd.DataFrame) -> gpd.GeoDataFrame:
    mine = active[active["target_kind"] == kind]
    if mine.empty or frame.empty:
        return frame
    ids = frame["id"].astype(str)
    mine = mine[mine["target_id"].astype(str).isin(set(ids))]
    if mine.empty:
        return frame
    out = frame.copy()
    for field, rows in mine.groupby("field", sort=True):
        values = dict(zip(rows["target_id"].astype(str), rows["value"], strict=True))
        notes = dict(
            zip(rows["target_id"].astype(str), [note(r) for _, r in rows.iterrows()], strict=True)
        )
        hit = ids.isin(set(values)).to_numpy()
        new = ids[hit].map(values)
        if field == "confidence":
            column = CONFIDENCE_COLUMN[kind]
            out[f"{column}_computed"] = out[column].astype(object)
            out[f"{column}_override"] = ids.map(notes).astype(object).where(hit, None)
            col = out[column].astype(object)
            col[hit] = new.to_numpy()
            out[column] = col
        elif field == "attribution" and "actor_canonical" in out.columns:
            out["actor_computed"] = out["actor_canonical"].astype(object)
            out["actor_override"] = ids.map(notes).astype(object).where(hit, None)
            positions = np.flatnonzero(hit)
            for column, make in (
                ("actor_canonical", str),
                ("actor_family", actor_family),
                ("actors_all", lambda a: (a,)),
            ):
                if column not in out.columns:
                    continue
                arr = out[column].to_numpy(dtype=object).copy()
                for p, actor in zip(positions, new.to_numpy(), strict=True):
                    arr[p] = make(actor)
                out[column] = pd.Series(arr, index=out.index, dtype=object)
    return out


def _apply_areas(admin1: gpd.GeoDataFrame, active: pd.DataFrame) -> gpd.GeoDataFrame:
    mine = active[(active["target_kind"] == AREA_KIND) & (active["field"] == "band")]
    codes = admin1["iso_3166_2"].astype(str)
    mine = mine[mine["target_id"].astype(str).isin(set(codes))]
    if mine.empty:
        return admin1
    values = dict(zip(mine["target_id"].astype(str), mine["value"], strict=True))
    notes = dict(
        zip(mine["target_id"].astype(str), [note(r) for _, r in mine.iterrows()], strict=True)
    )
    out = admin1.copy()
    out["analyst_band"] = codes.map(values).astype(object).where(codes.isin(set(values)), None)
    out["analyst_band_note"] = codes.map(notes).astype(object).where(codes.isin(set(notes)), None)
    return out


def apply_overrides(bundle: Bundle, active: pd.DataFrame) -> Bundle:
    """``bundle`` with the ``active`` overrides (:func:`active_overrides`) applied — a new
    bundle; ``bundle`` is not changed. See the module docstring for the columns."""
    if active is None or active.empty:
        return bundle
    updates = {kind: _apply_records(getattr(bundle, kind), kind, active) for kind in RECORD_KINDS}
    updates["admin1"] = _apply_areas(bundle.admin1, active)
    return replace(bundle, **updates)


def load_with_overrides(
    bundle: Bundle, home: Path | str | None, today: date | None = None
) -> Bundle:
    """The overrides in force on ``today`` in the store ``home``, applied to ``bundle``."""
    return apply_overrides(bundle, active_overrides(home, today))


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells with the CSV formula guard applied (:mod:`geodata.csvcells`)."""
    from geodata.csvcells import neutralise_cell

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    return out
