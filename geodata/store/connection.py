"""Which store ``home`` means and connections to it: the SQLite file or the team store
(PostgreSQL), read and write transactions, one snapshot for a whole load, and the store's
change state (the cache key of what is loaded from it).
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata import settings
from geodata.settings import LOCK_WAIT_ENV, URL_ENV
from geodata.store import pg as store_pg
from geodata.store.locking import (
    StoreLockedError,
    _Connection,
    _locked,
    _store_state,
    lock_wait_seconds,
    store_header,
    store_locked_error,
)
from geodata.store.migrations import _migrate_if_needed, _pg_version_checked
from geodata.store.pg import (
    PgConnection,
    StoreConnectionError,
    StorePermissionError,
    is_database_url,
    mask_url,
)

STORE_FILE = "store.sqlite"


def default_home() -> Path:
    """``$ISKP_ATLAS_HOME`` or the platform's user data folder for the atlas."""
    env = settings.current().home
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("iskp-atlas", appauthor=False))


def store_path(home: Path | str | None = None) -> Path:
    """Path of the store file (it may not exist yet); only for a SQLite store."""
    if is_database_url(home):
        raise ValueError("a team store (postgresql://…) is not a file")
    return Path(home).expanduser() / STORE_FILE if home is not None else default_home() / STORE_FILE


@dataclass(frozen=True)
class StoreTarget:
    """Which store ``home`` means: a SQLite file (``path``) or a team store (``url``)."""

    path: Path | None = None
    url: str | None = dataclasses.field(default=None, repr=False)

    def __repr__(self) -> str:  # never the password, even in a traceback
        return f"StoreTarget({self.engine}: {self.label})"

    @property
    def engine(self) -> str:
        return "postgresql" if self.url else "sqlite"

    @property
    def label(self) -> str:
        """Where the store is, as shown to users (a URL's password masked)."""
        return mask_url(self.url) if self.url else str(self.path)


def store_target(home: Path | str | None = None) -> StoreTarget:
    """A ``postgresql://`` URL is the team store; a folder is its SQLite file; None is
    ``$ISKP_ATLAS_DATABASE_URL`` when set, else the default folder."""
    if is_database_url(home):
        return StoreTarget(url=str(home).strip())
    if home is None or str(home).strip() == "":
        url = settings.current().database_url
        if url:
            if not is_database_url(url):
                raise ValueError(f"{URL_ENV} must be a postgresql:// URL, not {mask_url(url)!r}")
            return StoreTarget(url=url)
        home = None
    return StoreTarget(path=store_path(home))


def store_label(home: Path | str | None = None) -> str:
    """Where the store is, for messages (the password of a URL masked)."""
    return store_target(home).label


def _application() -> str:
    """How this process names itself to PostgreSQL (shown to a writer that waits)."""
    import socket

    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""
    # other roles see it in pg_stat_activity: never a password from the command line
    return mask_url(f"iskp-atlas pid {os.getpid()} on {socket.gethostname()}: {command}")[:63]


def _quiet_rollback(con: PgConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except Exception:
        return


def _denied(con: PgConnection, url: str, exc: Exception) -> str:
    from urllib.parse import urlsplit

    try:
        role = urlsplit(url).username or con.execute("SELECT current_user").fetchone()[0]
    except Exception:
        role = "this"
    reason = mask_url(" ".join(str(exc).split()).removeprefix("ERROR: "), url)
    return (
        f"the database role '{role}' may not change the team store {mask_url(url)} "
        f"({reason}): import with a role that has the importer GRANTs (docs/TEAM.md). "
        "Nothing was changed"
    )


@contextmanager
def _connect_pg(url: str) -> Iterator[PgConnection]:
    """A team-store connection; a held write lock, a refused privilege or a lost server
    become one-line errors without the password."""
    psycopg = store_pg.require_psycopg()
    wait = lock_wait_seconds()
    con = store_pg.connect(url, _application())
    try:
        yield con
    except psycopg.errors.LockNotAvailable:
        _quiet_rollback(con)
        raise StoreLockedError(
            f"{store_pg.holder(con)} is writing the team store {mask_url(url)} — waited "
            f"{wait:g} s; wait for it to finish and run this again (or wait longer: "
            f"{LOCK_WAIT_ENV}=60). Nothing was changed"
        ) from None
    except psycopg.errors.InsufficientPrivilege as exc:
        _quiet_rollback(con)
        raise StorePermissionError(_denied(con, url, exc)) from None
    except psycopg.OperationalError as exc:
        raise StoreConnectionError(
            f"the team store {mask_url(url)} failed: {mask_url(' '.join(str(exc).split()), url)}"
        ) from None
    finally:
        con.close()


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that waits up to :func:`lock_wait_seconds` for another writer, then
    raises :class:`StoreLockedError` (an uncommitted write is rolled back by SQLite)."""
    wait = lock_wait_seconds()
    con = sqlite3.connect(path, isolation_level=None, timeout=wait, factory=_Connection)
    con.store = Path(path)
    try:
        con.execute("PRAGMA cache_spill = OFF")
        con.execute("PRAGMA foreign_keys = ON")
        yield con
    except sqlite3.OperationalError as exc:
        if _locked(exc):
            raise store_locked_error(Path(path), wait) from None
        raise
    finally:
        con.drop_writer_file()
        con.close()


@contextmanager
def _open(target: StoreTarget) -> Iterator[sqlite3.Connection | PgConnection]:
    """A connection to either engine."""
    if target.url:
        with _connect_pg(target.url) as con:
            yield con
    else:
        with _connect(target.path) as con:
            yield con


def _begin_write(con: sqlite3.Connection | PgConnection) -> None:
    """Open the write transaction: ``BEGIN IMMEDIATE`` on SQLite; on PostgreSQL a
    transaction holding the atlas's advisory lock (both wait :func:`lock_wait_seconds`)."""
    if isinstance(con, PgConnection):
        store_pg.begin_write(con, lock_wait_seconds())
    else:
        con.execute("BEGIN IMMEDIATE")


def _count_write(con: sqlite3.Connection | PgConnection) -> None:
    """A team store counts its writes (its cache key); SQLite's file counter does it."""
    if isinstance(con, PgConnection):
        store_pg.bump_state(con)


class _Discard(Exception):
    """Raised inside :func:`_writing` to end its transaction without writing anything."""


@contextmanager
def _writing(
    home: Path | str | None, create: bool = False
) -> Iterator[sqlite3.Connection | PgConnection]:
    """A write transaction (:func:`_begin_write`) on the store of ``home`` (with ``create``,
    a SQLite store's folder is made first): committed, and counted (:func:`_count_write`),
    when the block ends; rolled back when it raises (:class:`_Discard` ends it quietly)."""
    target = store_target(home)
    if create and target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    with _open(target) as con:
        _begin_write(con)
        try:
            yield con
            _count_write(con)
            con.execute("COMMIT")
        except _Discard:
            con.execute("ROLLBACK")
        except BaseException:
            con.execute("ROLLBACK")
            raise


def _frame(con: sqlite3.Connection | PgConnection, sql: str, params: tuple = ()) -> pd.DataFrame:
    """A query's result as a frame, on either engine."""
    if isinstance(con, PgConnection):
        return con.frame(sql, params)
    return pd.read_sql_query(sql, con, params=params)


_SESSION: ContextVar[tuple[str, PgConnection] | None] = ContextVar(
    "iskp_atlas_pg_snapshot", default=None
)
"""The team-store connection of an open :func:`_snapshot` (its reads share one snapshot)."""


@contextmanager
def _snapshot(home: Path | str | None) -> Iterator[None]:
    """On a team store, every read inside runs in one ``REPEATABLE READ`` snapshot, so a
    batch committed half-way through loading is either wholly seen or not at all. (On
    SQLite a no-op: its readers already see committed batches only.)"""
    target = store_target(home)
    session = _SESSION.get()
    if not target.url or (session is not None and session[0] == target.url):
        yield
        return
    with _connect_pg(target.url) as con:
        con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        token = _SESSION.set((target.url, con))
        try:
            yield
        finally:
            _SESSION.reset(token)
            _quiet_rollback(con)


@contextmanager
def _reading(home: Path | str | None) -> Iterator[sqlite3.Connection | PgConnection | None]:
    """A connection to read an existing store (None when there is none; nothing is
    created); inside :func:`_snapshot` the snapshot's connection."""
    target = store_target(home)
    if target.url:
        session = _SESSION.get()
        if session is not None and session[0] == target.url:
            yield session[1] if _pg_version_checked(session[1]) else None
            return
        with _connect_pg(target.url) as con:
            yield con if _pg_version_checked(con) else None
        return
    path = target.path
    if not path.exists():
        yield None
        return
    with _connect(path) as con:
        has = con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='batches'"
        ).fetchone()
        if not has:
            yield None
            return
        _migrate_if_needed(con)
        yield con


def _read(home: Path | str | None, sql: str, params: tuple = ()) -> pd.DataFrame | None:
    """Run a query on an existing store; None when there is no store (nothing is created)."""
    with _reading(home) as con:
        return None if con is None else _frame(con, sql, params)


def prepared_dir(home: Path | str | None = None) -> Path:
    """The folder of the store's prepared batches (:mod:`geodata.prepared`): the store's
    folder; for a team store, a folder per store in the local cache."""
    target = store_target(home)
    if target.path is not None:
        return target.path.parent
    from geodata.bundle import cache_dir

    with _reading(home) as con:
        state = "empty" if con is None else store_pg.state(con)
    return cache_dir() / "team-stores" / state.split("-")[0]


def _state_of(con: sqlite3.Connection | PgConnection | None, home: Path | str | None) -> str:
    """The store's change state as a plan records it (:attr:`ImportPlan.store_state`)."""
    if isinstance(con, PgConnection):
        return store_pg.state(con)
    target = store_target(home)
    return "empty" if target.url else _store_state(target.path)


def store_signature(home: Path | str | None = None) -> str:
    """Changes whenever a batch is committed or rolled back (SQLite's change counter,
    size and mtime of the store file; a team store's id and write counter): a cache key
    for the loaded bundle."""
    target = store_target(home)
    if target.url:
        with _reading(home) as con:
            state = "empty" if con is None else store_pg.state(con)
        return "no-store" if state == "empty" else f"pg-{state}"
    path = target.path
    if not path.exists():
        return "no-store"
    stat = path.stat()
    header = store_header(path) or b""
    # SQLite's file change counter (header bytes 24-27) goes up with every committed
    # write in the store's rollback-journal mode, even when size and mtime do not move.
    counter = int.from_bytes(header[24:28], "big") if len(header) >= 28 else 0
    return f"{counter}-{stat.st_size}-{stat.st_mtime_ns}"
