"""Create, check and migrate the store's tables (:mod:`geodata.store.schema`) on either
engine: a SQLite store is migrated in place the first time it is opened; a team store only
by ``iskp-atlas store migrate``; a newer store is refused.
"""

from __future__ import annotations

import sqlite3

from geodata.store import pg as store_pg
from geodata.store.pg import PgConnection, StoreConnectionError, mask_url
from geodata.store.schema import _MIGRATIONS, _SCHEMA, SCHEMA_VERSION


class StoreVersionError(ValueError):
    """The store was written by a newer version of the atlas."""


def _has_table(con: sqlite3.Connection | PgConnection, name: str) -> bool:
    if isinstance(con, PgConnection):
        return con.has_table(name)
    return (
        con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        is not None
    )


def _schema_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def _sqlite_version(con: sqlite3.Connection) -> int:
    return max(_schema_version(con), 1) if _has_table(con, "batches") else 0


def _ensure_schema(con: sqlite3.Connection | PgConnection, migrate: bool = False) -> None:
    """Create or migrate the tables (call inside a write transaction). A SQLite store is
    migrated in place; an older team store only when ``migrate`` (``store migrate``) —
    otherwise it is refused with the command that migrates it."""
    if isinstance(con, PgConnection):
        _ensure_schema_pg(con, migrate)
    else:
        _ensure_schema_sqlite(con)


def _ensure_schema_pg(con: PgConnection, migrate: bool) -> None:
    version = _pg_version_checked(con, allow_older=migrate)
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        if not store_pg.has_postgis(con):
            raise StoreConnectionError(
                f"the database of {mask_url(con.url)} has no PostGIS: run 'CREATE EXTENSION "
                "postgis;' in it as its owner (see docs/TEAM.md), then run this again"
            )
        for statement in store_pg.SCHEMA_V1:
            con.execute(statement)
        version = 1
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in store_pg.MIGRATIONS[step]:
            con.execute(statement)
    con.execute("UPDATE atlas_schema SET version = ?", (SCHEMA_VERSION,))


def _pg_version_checked(con: PgConnection, allow_older: bool = False) -> int:
    """The team store's schema version; a newer one is refused, an older one too unless
    ``allow_older`` (with the command that migrates it)."""
    version = store_pg.schema_version(con)
    where = mask_url(con.url)
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the team store {where} has schema version {version}, newer than this "
            f"iskp-atlas reads ({SCHEMA_VERSION}): upgrade iskp-atlas (pip install -U "
            "iskp-atlas)"
        )
    if 0 < version < SCHEMA_VERSION and not allow_older:
        raise StoreVersionError(
            f"the team store {where} has schema version {version}, older than this "
            f"iskp-atlas uses ({SCHEMA_VERSION}): migrate it with 'iskp-atlas store migrate "
            f"--database-url {where}' (as the role that owns the tables), then run this "
            "again"
        )
    return version


def _ensure_schema_sqlite(con: sqlite3.Connection) -> None:
    has = con.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='batches'"
    ).fetchone()
    version = max(_schema_version(con), 1) if has else 0
    if version > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the store {con.execute('PRAGMA database_list').fetchone()[2]} has schema "
            f"version {version}, newer than this iskp-atlas reads ({SCHEMA_VERSION}): "
            "upgrade iskp-atlas (pip install -U iskp-atlas) or use another --home"
        )
    if version == SCHEMA_VERSION:
        return
    if version == 0:
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        version = 1
    for step in range(version + 1, SCHEMA_VERSION + 1):
        for statement in _MIGRATIONS[step]:
            con.execute(statement)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _migrate_if_needed(con: sqlite3.Connection) -> None:
    """Bring an existing store up to :data:`SCHEMA_VERSION` in one transaction (a newer
    store is refused with :class:`StoreVersionError`)."""
    if _schema_version(con) == SCHEMA_VERSION:
        return
    con.execute("BEGIN IMMEDIATE")
    try:
        _ensure_schema(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
