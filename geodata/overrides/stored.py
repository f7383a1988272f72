"""Overrides in the store: setting or withdrawing one with its audit entry in one write
transaction (the store's :func:`~geodata.store.connection._writing`, on either engine), and
listing them and the audit log (with its text guarded for a CSV download)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from geodata.overrides.values import (
    AREA_KIND,
    FIELDS,
    MAX_REASON,
    RECORD_KINDS,
    OverrideError,
    default_author,
    today_utc,
)
from geodata.store import (
    AUDIT_COLUMNS,
    OVERRIDE_COLUMNS,
    PgConnection,
    _ensure_schema,
    _frame,
    _has_table,
    _reading,
    _writing,
)


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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    normalised by :func:`~geodata.overrides.values.normalise_value`) and its audit entry,
    in one transaction. ``computed``: the value from the data, for the audit log's ``old``
    when no other override is in force."""
    if target_kind not in (*RECORD_KINDS, AREA_KIND):
        raise OverrideError(f"unknown target kind {target_kind!r}")
    if FIELDS.get(field) != ("area" if target_kind == AREA_KIND else "record"):
        raise OverrideError(f"{field!r} cannot be overridden on {target_kind}")
    reason = _clean_text(reason, "--reason", MAX_REASON)
    author = _clean_text(author or default_author(), "--author", 100)
    today = today or today_utc()
    at = _now()
    subject = subject_of(target_kind, target_id)
    with _writing(home, create=True) as con:
        _ensure_schema(con)
        old = _in_force(con, target_kind, target_id, field, today)
        pg = isinstance(con, PgConnection)
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
    at = _now()
    with _writing(home, create=True) as con:
        _ensure_schema(con)
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
    return Change(int(override_id), subject, str(field), str(value), now, str(expires), was_active)


def _read_table(home: Path | str | None, sql: str, columns: Sequence[str]) -> pd.DataFrame:
    with _reading(home) as con:
        if con is None or not _has_table(con, "overrides"):
            return pd.DataFrame(columns=list(columns))
        return _frame(con, sql)


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


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells with the CSV formula guard applied (:mod:`geodata.csvcells`)."""
    from geodata.csvcells import neutralise_cell

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
    return out
