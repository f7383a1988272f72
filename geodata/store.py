"""The local store of imported records: one SQLite file under ``ISKP_ATLAS_HOME``.

- Home: ``$ISKP_ATLAS_HOME``, else the platform's user data folder
  (``platformdirs.user_data_dir("iskp-atlas")``); the file is ``store.sqlite``.
- One transaction per import batch (``BEGIN IMMEDIATE`` … ``COMMIT``): a batch goes in
  whole or not at all. Reading, mapping, validation and the joins happen *before* the
  transaction opens (inside it: the re-check against the store, below, and the writes);
  the connection runs with
  ``cache_spill = OFF`` so no page reaches the database file before ``COMMIT``, and
  SQLite's rollback journal undoes a commit cut short. A process killed half-way leaves
  the database file byte-identical.
- Rows are stored as the normalised text (the product's columns + provenance, values as
  given, one Arrow stream per batch), beside the keys de-duplication needs. The import
  keeps its validated, joined frame of each batch beside the store
  (:mod:`geodata.prepared`); loading reads it, or validates and joins the stored text again
  when it is missing or outdated (:func:`load_imported`).
- The write transaction (``BEGIN IMMEDIATE``) checks the plan against the store again
  (:func:`geodata.importers.pipeline.settle`): rows another import stored meanwhile are
  already present or corrections, and de-duplication runs against them, so two imports at
  once (or a Data-page preview committed after another import) store one event once.
- A row whose identity ``(source_dataset, source_id)`` is stored with other content
  *updates* the record: the previous version is kept in ``record_versions`` keyed by the
  updating batch, and rolling that batch back restores it.
- :func:`rollback` removes a batch; records of later batches that had been merged into
  its records become records of their own again.
- :func:`unmerge` ("import as new") makes a merged record a record of its own and keeps
  the pair in ``unmerged``, so a later import does not merge it again.
- Schema: ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`. An older store is migrated in
  place, in one transaction, the first time it is opened; a newer one is refused.
- Two engines, one interface: every function takes ``home``, a store folder (the SQLite
  file above) or a ``postgresql://`` URL (the team store on PostgreSQL/PostGIS,
  :mod:`geodata.store_pg`); ``home=None`` is ``$ISKP_ATLAS_DATABASE_URL`` when it is set,
  else the default folder. The same statements, transactions and checks run on both; on
  PostgreSQL writers serialise on an advisory lock instead of ``BEGIN IMMEDIATE``, an
  older schema is refused with the command that migrates it (``iskp-atlas store
  migrate``), and prepared batches are kept in the local cache folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import sqlite3
import sys
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geodata import (
    prepared,
    settings,
    store_pg,
    store_query,
)
from geodata.actors import actor_family, canonical_actor
from geodata.bundle import Bundle, Geography, enrich_records, load_bundle, load_geography
from geodata.importers.common import BUNDLED_DATASET, DATASET_URLS, PROVENANCE_COLUMNS
from geodata.importers.dedup import DEDUP_DAYS, DEDUP_KM
from geodata.importers.pipeline import (
    ImportPlan,
    Progress,
    check_contract,
    existing_keys,
    prepare_import,
    settle,
    with_admin1_code,
)
from geodata.importers.reading import check_size, max_import_bytes
from geodata.settings import HOME_ENV as HOME_ENV
from geodata.settings import LOCK_WAIT_ENV as LOCK_WAIT_ENV
from geodata.settings import PAUSE_ENV as PAUSE_ENV
from geodata.store_pg import (
    URL_ENV,
    PgConnection,
    StoreConnectionError,
    StorePermissionError,
    is_database_url,
    mask_url,
)
from geodata.store_query import StoreQuery

STORE_FILE = "store.sqlite"
SCHEMA_VERSION = 3
"""Version of the store's tables (``PRAGMA user_version``); see :data:`_MIGRATIONS`."""
"""Test hook: pause inside the import transaction after this many rows (see tests)."""
_CHUNK = 5000

KEY_COLUMNS: tuple[str, ...] = (
    "source_dataset",
    "source_id",
    "date",
    "latitude",
    "longitude",
    "source_1_url",
    "source_2_url",
    "source_citation",
)
"""Columns kept per record for de-duplication and listings (the full rows of a batch are
one Arrow IPC stream of text columns in ``batch_rows``)."""

_SCHEMA_TEMPLATE = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id INTEGER PRIMARY KEY AUTOINCREMENT,
    file TEXT NOT NULL, format TEXT NOT NULL, kind TEXT NOT NULL,
    imported_at TEXT NOT NULL, sha256 TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    rows_read INTEGER NOT NULL, rows_accepted INTEGER NOT NULL, rows_merged INTEGER NOT NULL,
    rows_rejected INTEGER NOT NULL, rows_excluded INTEGER NOT NULL,
    rows_already_present INTEGER NOT NULL, skip_bad INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, id TEXT NOT NULL,
    batch_id INTEGER NOT NULL REFERENCES batches(batch_id),
    merged_into TEXT, actor_family TEXT, source_dataset TEXT, source_id TEXT,
    date TEXT, latitude TEXT, longitude TEXT, source_1_url TEXT, source_2_url TEXT,
    source_citation TEXT, batch_row INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS batch_rows (
    batch_id INTEGER PRIMARY KEY REFERENCES batches(batch_id),
    encoding TEXT NOT NULL, data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_batch ON records(batch_id);
CREATE TABLE IF NOT EXISTS merges (
    batch_id INTEGER NOT NULL, kind TEXT NOT NULL, merged_id TEXT NOT NULL,
    kept_id TEXT NOT NULL, rule TEXT NOT NULL, days_apart INTEGER, distance_km REAL
);
"""
_SCHEMA = _SCHEMA_TEMPLATE
_RECORD_COLUMNS = (
    "kind",
    "id",
    "batch_id",
    "merged_into",
    "actor_family",
    *KEY_COLUMNS,
    "batch_row",
)
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    2: (
        "ALTER TABLE batches ADD COLUMN rows_updated INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE merges ADD COLUMN reason TEXT",
        "CREATE TABLE record_versions (updated_by INTEGER NOT NULL, "
        + ", ".join(
            f"{c} {'INTEGER' if c in ('batch_id', 'batch_row') else 'TEXT'}"
            for c in _RECORD_COLUMNS
        )
        + ")",
        "CREATE INDEX record_versions_batch ON record_versions(updated_by)",
        "CREATE TABLE unmerged (kind TEXT NOT NULL, merged_id TEXT NOT NULL, "
        "kept_id TEXT NOT NULL, unmerged_at TEXT NOT NULL, "
        "PRIMARY KEY (kind, merged_id, kept_id))",
    ),
    3: (
        "CREATE TABLE watch_zones (name TEXT PRIMARY KEY, zone_kind TEXT NOT NULL, "
        "ref TEXT, distance_km REAL, aoi TEXT, geometry TEXT NOT NULL, owner TEXT NOT NULL, "
        "created_at TEXT NOT NULL, reviewed_at TEXT NOT NULL, "
        "reviewed_batch INTEGER NOT NULL DEFAULT 0, reviewed_score REAL)",
        "CREATE TABLE overrides (override_id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "target_kind TEXT NOT NULL, target_id TEXT NOT NULL, field TEXT NOT NULL, "
        "value TEXT NOT NULL, reason TEXT NOT NULL, author TEXT NOT NULL, "
        "created_at TEXT NOT NULL, expires_on TEXT, withdrawn_at TEXT, withdrawn_by TEXT)",
        "CREATE INDEX overrides_target ON overrides(target_kind, target_id)",
        "CREATE TABLE audit_log (entry_id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "at TEXT NOT NULL, author TEXT NOT NULL, action TEXT NOT NULL, "
        "subject TEXT NOT NULL, detail TEXT NOT NULL)",
    ),
}
"""Steps from the previous version to each version (run in one transaction, in order).
Version 2: ``batches.rows_updated``, ``merges.reason``, ``record_versions`` (the previous
version of each record a batch updated, keyed by that batch) and ``unmerged`` (merges a
user undid). Version 3: ``watch_zones`` (named zones: kind, reference, distance, the zone's
geometry as WKT in EPSG:4326, owner, creation and last review), ``overrides`` (an analyst's
value for a record's or an area's field, with reason, author, expiry and withdrawal) and
``audit_log`` (every change to those, append-only)."""


class StoreVersionError(ValueError):
    """The store was written by a newer version of the atlas."""


def _schema_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


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


@dataclass(frozen=True)
class Batch:
    """One import batch as listed by ``iskp-atlas batches``."""

    batch_id: int
    file: str
    format: str
    kind: str
    imported_at: str
    sha256: str
    size_bytes: int
    rows_read: int
    rows_accepted: int
    rows_merged: int
    rows_rejected: int
    rows_excluded: int
    rows_already_present: int
    skip_bad: bool
    rows_updated: int = 0


@dataclass(frozen=True)
class ImportResult:
    """The plan (as settled inside the write transaction when committed) and the batch it
    became (None for a dry run or when nothing was new)."""

    plan: ImportPlan
    batch: Batch | None

    def counts(self) -> dict[str, int]:
        """:meth:`ImportPlan.counts`: read = accepted + merged + updated + rejected +
        excluded + already present."""
        return self.plan.counts()


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


DEFAULT_LOCK_WAIT_S = 10.0
"""How long a write (or a read during another's commit) waits for a store locked by
another writer before it gives up with :class:`StoreLockedError`."""
WRITER_FILE_SUFFIX = ".writer.json"
"""Beside the store while a write transaction is open: who holds the store (pid, host,
command, start time), for the message another writer gets."""


class StoreLockedError(ValueError):
    """Another writer held the store for longer than the wait; the message says who (when
    it can be known) and what to do. Nothing was written."""


def lock_wait_seconds() -> float:
    """$ISKP_ATLAS_LOCK_WAIT_S, else :data:`DEFAULT_LOCK_WAIT_S`."""
    env = settings.current().lock_wait_s
    if not env:
        return DEFAULT_LOCK_WAIT_S
    try:
        value = float(env)
    except ValueError:
        raise ValueError(f"{LOCK_WAIT_ENV}={env!r} is not a number of seconds") from None
    if not 0 <= value <= 3600:
        raise ValueError(f"{LOCK_WAIT_ENV} must be between 0 and 3600 seconds")
    return value


def _writer_file(path: Path) -> Path:
    return path.with_name(path.name + WRITER_FILE_SUFFIX)


class _Connection(sqlite3.Connection):
    """A connection that, while it holds a write transaction (``BEGIN …`` to ``COMMIT`` /
    ``ROLLBACK``), keeps a small file beside the store saying who holds it."""

    store: Path | None = None
    holds_writer_file = False

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
        cursor = super().execute(sql, *args)
        word = sql.lstrip()[:8].upper()
        if word.startswith("BEGIN") and self.store is not None:
            self._write_writer_file()
        elif word.startswith(("COMMIT", "ROLLBACK", "END")):
            self.drop_writer_file()
        return cursor

    def _write_writer_file(self) -> None:
        import json
        import socket

        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])[:200] if sys.argv else "",
            "started": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        target = _writer_file(self.store)
        tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, target)
            self.holds_writer_file = True
        except OSError:  # a read-only folder: the lock still works, only the name is lost
            tmp.unlink(missing_ok=True)

    def drop_writer_file(self) -> None:
        if self.holds_writer_file and self.store is not None:
            self.holds_writer_file = False
            try:
                _writer_file(self.store).unlink(missing_ok=True)
            except OSError:
                return


_HEADER_FDS: dict[str, tuple[int, int, int]] = {}
_HEADER_LOCK = threading.Lock()  # the app's sessions are threads of one process


def store_header(path: Path) -> bytes | None:
    """The first 100 bytes of the store file (None when there is none), read without ever
    closing a descriptor of it: on POSIX, closing *any* descriptor of a database file
    drops every lock this process holds on it, SQLite's own included, so opening and
    closing the store while one of our connections is inside a write transaction lets
    another writer in and can corrupt it (https://www.sqlite.org/howtocorrupt.html, 2.2).
    One read-only descriptor per store file is kept open for the life of the process."""
    if os.name == "nt":  # Windows locks are per handle: an ordinary read is safe
        try:
            with path.open("rb") as handle:
                return handle.read(100)
        except FileNotFoundError:
            return None
    with _HEADER_LOCK:
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return None
        key = os.path.abspath(path)
        cached = _HEADER_FDS.get(key)
        if cached is None or cached[1:] != (stat.st_dev, stat.st_ino):
            if cached is not None:  # the file was replaced: a descriptor of a dead file
                os.close(cached[0])
                del _HEADER_FDS[key]
            _forget_dead_header_fds()
            fd = os.open(path, os.O_RDONLY)
            _HEADER_FDS[key] = (fd, stat.st_dev, stat.st_ino)
            cached = _HEADER_FDS[key]
        return os.pread(cached[0], 100, 0)


def _forget_dead_header_fds() -> None:
    """Close descriptors of store files that were deleted or replaced (temporary stores)."""
    for key, (fd, dev, ino) in list(_HEADER_FDS.items()):
        try:
            stat = os.stat(key)
            alive = (stat.st_dev, stat.st_ino) == (dev, ino)
        except OSError:
            alive = False
        if not alive:
            os.close(fd)
            del _HEADER_FDS[key]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _holder(path: Path) -> str:
    """Who holds the store, from the writer file (when it is there and not stale)."""
    import json
    import socket

    try:
        info = json.loads(_writer_file(path).read_text(encoding="utf-8"))
        pid, host = int(info["pid"]), str(info["host"])
        started = str(info.get("started", ""))
        command = str(info.get("command", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return "another program"
    if host == socket.gethostname() and not _pid_alive(pid):
        return "another program"
    clock = started[11:19] + " UTC" if len(started) >= 19 else "an unknown time"
    where = "" if host == socket.gethostname() else f" on {host}"
    what = f": {command}" if command else ""
    return f"another import (pid {pid}{where}, started {clock}{what})"


def _locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text or "locked" in text


def store_locked_error(path: Path, waited: float) -> StoreLockedError:
    """The one-line message for a store another writer holds."""
    return StoreLockedError(
        f"{_holder(path)} is writing the store {path} — waited {waited:g} s; wait for it to "
        f"finish and run this again (or wait longer: {LOCK_WAIT_ENV}=60). Nothing was "
        "changed"
    )


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


def _frame(con: sqlite3.Connection | PgConnection, sql: str, params: tuple = ()) -> pd.DataFrame:
    """A query's result as a frame, on either engine."""
    if isinstance(con, PgConnection):
        return con.frame(sql, params)
    return pd.read_sql_query(sql, con, params=params)


def _has_table(con: sqlite3.Connection | PgConnection, name: str) -> bool:
    if isinstance(con, PgConnection):
        return con.has_table(name)
    return (
        con.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name=?", (name,)
        ).fetchone()
        is not None
    )


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


def _read(home: Path | str | None, sql: str, params: tuple = ()) -> pd.DataFrame | None:
    """Run a query on an existing store; None when there is no store (nothing is created)."""
    with _reading(home) as con:
        return None if con is None else _frame(con, sql, params)


# --- Reading -------------------------------------------------------------------------------


def list_batches(home: Path | str | None = None) -> list[Batch]:
    """Every batch in the store, oldest first."""
    frame = _read(home, "SELECT * FROM batches ORDER BY batch_id")
    if frame is None:
        return []
    return [
        Batch(**{**row, "skip_bad": bool(row["skip_bad"])})
        for row in frame.to_dict(orient="records")
    ]


def batches_frame(home: Path | str | None = None) -> pd.DataFrame:
    """:func:`list_batches` as a table."""
    fields = [f.name for f in dataclasses.fields(Batch)]
    return pd.DataFrame([dataclasses.asdict(b) for b in list_batches(home)], columns=fields)


MERGE_LIST_COLUMNS = (
    "batch_id",
    "kind",
    "merged_id",
    "kept_id",
    "rule",
    "days_apart",
    "distance_km",
    "reason",
    "merged_dataset",
    "merged_source_id",
)


def list_merges(home: Path | str | None = None) -> pd.DataFrame:
    """Every merge in force: which imported record (merged_id) was folded into which
    (kept_id), by which rule and why (``reason``, e.g. 'same family Islamic State, 0 days,
    2.1 km, same article'). Undone merges (:func:`unmerge`) are not listed."""
    frame = _read(
        home,
        "SELECT m.batch_id, m.kind, m.merged_id, m.kept_id, "
        "m.rule, m.days_apart, m.distance_km, m.reason, "
        "r.source_dataset AS merged_dataset, r.source_id AS merged_source_id "
        "FROM merges m LEFT JOIN records r ON r.kind = m.kind AND r.id = m.merged_id "
        "ORDER BY m.batch_id, m.merged_id",
    )
    if frame is None:
        return pd.DataFrame(columns=list(MERGE_LIST_COLUMNS))
    missing = frame["reason"].isna()
    if missing.any():  # merges recorded before reasons were kept (schema 1)
        frame.loc[missing, "reason"] = [
            f"{r.rule}, {r.days_apart} day(s), {r.distance_km} km"
            for r in frame[missing].itertuples(index=False)
        ]
    return frame[list(MERGE_LIST_COLUMNS)]


def merge_line(merge: pd.Series | dict) -> str:
    """'INC-004 ← ucdp:12345: same family Islamic State, 0 days, 2.1 km, same article'."""
    m = dict(merge)
    source = m.get("merged_dataset")
    sid = m.get("merged_source_id")
    shown = f"{source}:{sid}" if source and sid else str(m["merged_id"])
    return f"{m['kept_id']} ← {shown}: {m['reason']}"


_KEYS_SQL = (
    "SELECT kind, id, source_dataset, source_id, merged_into, date, latitude, "
    "longitude, actor_family, source_1_url, source_2_url FROM records"
)


def _stored_keys(home: Path | str | None) -> pd.DataFrame | None:
    return _read(home, _KEYS_SQL)


def existing_records(
    home: Path | str | None = None, bundle: Bundle | None = None
) -> dict[str, pd.DataFrame]:
    """Per kind: the identity and de-duplication keys of the bundled and stored records
    (``stored`` says which are the store's)."""
    return _existing(_stored_keys(home), bundle or load_bundle())


def _existing(stored: pd.DataFrame | None, bundle: Bundle) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for kind in ("incidents", "threats", "sites"):
        base = getattr(bundle, kind)
        if kind == "sites":
            keys = pd.DataFrame(
                {"id": base["id"], "source_dataset": BUNDLED_DATASET, "source_id": base["id"]}
            )
        else:
            keys = existing_keys(base, BUNDLED_DATASET)
        keys["merged_into"] = None
        keys["stored"] = False
        if stored is not None and len(stored):
            mine = stored[stored["kind"] == kind].drop(columns="kind")
            mine = mine.assign(
                date=pd.to_datetime(mine["date"]),
                stored=True,
                latitude=pd.to_numeric(mine["latitude"], errors="coerce"),
                longitude=pd.to_numeric(mine["longitude"], errors="coerce"),
            )
            keys = pd.concat([keys, mine], ignore_index=True) if len(mine) else keys
        out[kind] = keys
    return out


def load_imported(
    home: Path | str | None = None,
    geo: Geography | None = None,
    rows: pd.DataFrame | None = None,
    hidden_rows: pd.DataFrame | None = None,
    partial: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    """Imported records per kind, validated and enriched like the bundled ones.

    Records merged into another record are left out (the kept record lists them in
    ``merged_from``); extra columns: the provenance columns, ``import_batch``, and
    ``merged_from``/``merged_sources``/``merged_citations``. Kinds without imported
    records are absent from the dict. ``rows`` (:func:`_stored_index`) and ``hidden_rows``
    (:func:`_merged_rows`): what the caller has already read of the store. Each batch's
    validated, joined frame comes from its prepared file (:mod:`geodata.prepared`, written
    by the import) or is rebuilt from the stored text.
    """
    with _snapshot(home):
        return _load_imported(home, geo, rows, hidden_rows, partial)


def _load_imported(
    home: Path | str | None,
    geo: Geography | None,
    rows: pd.DataFrame | None,
    hidden_rows: pd.DataFrame | None,
    partial: bool = False,
) -> dict[str, gpd.GeoDataFrame]:
    rows = _stored_index(home) if rows is None else rows
    if rows is None or rows.empty:
        return {}
    geo = geo or load_geography()
    hidden = rows["merged_into"].notna()
    if hidden.any() and hidden_rows is None:
        hidden_rows = _merged_rows(home)
    merges = _merged_info(hidden_rows) if hidden.any() else {}
    batches = {b.batch_id: b for b in list_batches(home)}
    out: dict[str, gpd.GeoDataFrame] = {}
    for kind, group in rows[~hidden].groupby("kind", sort=False):
        parts = [
            _batch_part(
                home, batches[int(batch_id)], kind, geo, part["batch_row"].to_numpy(), partial
            )
            for batch_id, part in group.groupby("batch_id", sort=False)
        ]
        enriched = (
            pd.concat(parts, ignore_index=True)
            if len(parts) > 1
            else parts[0].reset_index(drop=True)
        )
        enriched = gpd.GeoDataFrame(enriched, geometry="geometry", crs=parts[0].crs)
        enriched["import_batch"] = pd.array(group["batch_id"].to_numpy(), dtype="Int64")
        out[kind] = annotate_merges(enriched, merges.get(kind))
    return out


def _stored_index(home: Path | str | None) -> pd.DataFrame | None:
    """Where each stored record's row is, and what it is merged into (all records)."""
    return _read(
        home,
        "SELECT kind, id, batch_id, batch_row, merged_into "
        "FROM records ORDER BY batch_id, batch_row",
    )


def _merged_rows(home: Path | str | None) -> pd.DataFrame | None:
    """The stored records merged into another record, with every stored column."""
    return _read(
        home,
        f"SELECT {', '.join(_RECORD_COLUMNS)} FROM records WHERE "
        "merged_into IS NOT NULL "
        "ORDER BY batch_id, batch_row",
    )


_PREPARED_MEMO: dict[Path, tuple[int, gpd.GeoDataFrame]] = {}
"""The prepared frames this process has read, with their file's modification time (a file's
rows never change: its name carries the batch's hash and the code's), so a filtered read
does not unpickle a large batch again; a removed or rewritten file is read again."""
_PREPARED_MEMO_ROWS = 2_000_000
"""At most this many rows are kept in :data:`_PREPARED_MEMO` (the oldest read go first)."""


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _remembered(path: Path) -> gpd.GeoDataFrame | None:
    kept = _PREPARED_MEMO.get(path)
    if kept is None or kept[0] != _mtime(path):
        _PREPARED_MEMO.pop(path, None)
        return None
    return kept[1]


def _remember_prepared(path: Path, frame: gpd.GeoDataFrame) -> None:
    mtime = _mtime(path)
    if mtime is None:  # not written (a read-only folder): nothing to check it against
        return
    _PREPARED_MEMO[path] = (mtime, frame)
    while (
        len(_PREPARED_MEMO) > 1
        and sum(len(f) for _, f in _PREPARED_MEMO.values()) > _PREPARED_MEMO_ROWS
    ):
        _PREPARED_MEMO.pop(next(iter(_PREPARED_MEMO)))


PARTIAL_SHARE = 0.25
"""A filtered read that needs less than this share of a batch's rows validates and joins
just those rows from the stored text instead of reading the batch's whole prepared frame
(unpickling a million-row frame costs more than joining tens of thousands of rows)."""


def _batch_part(
    home: Path | str | None,
    batch: Batch,
    kind: str,
    geo: Geography,
    positions: np.ndarray,
    partial: bool,
) -> gpd.GeoDataFrame:
    """The rows at ``positions`` of one batch, validated and joined (from the prepared frame,
    or with ``partial`` and few rows wanted, from just those stored text rows)."""
    size = batch.rows_accepted + batch.rows_merged + batch.rows_updated
    if partial and len(positions) < PARTIAL_SHARE * size:
        path = prepared.path_for(
            prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at
        )
        if _remembered(path) is None:
            with _reading(home) as con:
                blob = _batch_blob(con, batch.batch_id)
            return _enrich_text(_decode_rows(blob, positions), kind, geo)
    return _prepared_batch(home, batch, kind, geo).iloc[positions]


def _prepared_batch(
    home: Path | str | None, batch: Batch, kind: str, geo: Geography
) -> gpd.GeoDataFrame:
    """Every row of one batch, validated and joined, in ``batch_row`` order: read from the
    batch's prepared file, else rebuilt from its stored text rows (and the file written)."""
    path = prepared.path_for(prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at)
    frame = _remembered(path)
    if frame is not None:
        return frame
    frame = prepared.load(path)
    if frame is not None:
        _remember_prepared(path, frame)
        return frame
    with _reading(home) as con:
        blob = _batch_blob(con, batch.batch_id)
    frame = _enrich_text(_decode_rows(blob), kind, geo)
    prepared.save(path, frame)
    _remember_prepared(path, frame)
    return frame


def _batch_blob(con: sqlite3.Connection | PgConnection, batch_id: int) -> bytes:
    """The stored text rows of batch ``batch_id`` (one Arrow stream)."""
    if isinstance(con, PgConnection):
        return con.blob(batch_id)
    return bytes(
        con.execute("SELECT data FROM batch_rows WHERE batch_id = ?", (int(batch_id),)).fetchone()[
            0
        ]
    )


def _enrich_text(text: pd.DataFrame, kind: str, geo: Geography) -> gpd.GeoDataFrame:
    """Stored text rows validated against the contract and joined to the geography."""
    typed = check_contract(text, kind, f"store ({kind})")
    return with_admin1_code(enrich_records(typed, kind, geo))


def _encode_rows(records: pd.DataFrame) -> bytes:
    """A batch's text rows as one Arrow IPC stream (every column a nullable string)."""
    table = pa.Table.from_pandas(records.astype(pd.StringDtype("pyarrow")), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode_rows(blob: bytes, positions: np.ndarray | None = None) -> pd.DataFrame:
    table = pa.ipc.open_stream(blob).read_all()
    if positions is not None:
        table = table.take(pa.array(positions, type=pa.int64()))
    frame = table.to_pandas().astype(object)
    return frame.where(frame.notna(), None)


def _merged_info(hidden: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per kind: kept_id, merged_id, merged dataset and citation of each merged record."""
    out: dict[str, pd.DataFrame] = {}
    for kind, group in hidden.groupby("kind"):
        out[kind] = pd.DataFrame(
            {
                "kept_id": group["merged_into"].to_numpy(),
                "merged_id": group["id"].to_numpy(),
                "dataset": group["source_dataset"].fillna("").to_numpy(),
                "citation": [_citation(r) for r in group.to_dict(orient="records")],
            }
        )
    return out


def _citation(row: dict) -> str:
    """The record's own URL, or its dataset citation when it has only the dataset's URL."""
    url = row.get("source_1_url") or ""
    if not url or url in DATASET_URLS:
        return row.get("source_citation") or url
    return url


def annotate_merges(frame: gpd.GeoDataFrame, merged: pd.DataFrame | None) -> gpd.GeoDataFrame:
    """A copy of ``frame`` with ``merged_from``, ``merged_sources`` and ``merged_citations``
    (';'-joined; None where nothing was merged)."""
    out = frame.copy()
    for col in ("merged_from", "merged_sources", "merged_citations"):
        out[col] = None
    if merged is None or merged.empty:
        return out
    grouped = merged.groupby("kept_id").agg(
        merged_from=("merged_id", "; ".join),
        merged_sources=("dataset", "; ".join),
        merged_citations=("citation", " | ".join),
    )
    hit = out["id"].isin(grouped.index).to_numpy()
    for col in grouped.columns:
        values = out[col].to_numpy(dtype=object, copy=True)
        values[hit] = grouped.loc[out.loc[hit, "id"], col].to_numpy()
        out[col] = values
    return out


def _bundled_with_provenance(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    defaults = {
        "source_dataset": BUNDLED_DATASET,
        "licence": "atlas-reference",
        "date_precision": "day",
        "geo_precision_source": "as given",
        "target_derivation": "curated",
    }
    for col in PROVENANCE_COLUMNS:
        if col not in out.columns:
            out[col] = defaults.get(col)
    out["source_id"] = out["source_id"].fillna(out["id"])
    out["import_batch"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if out["source_citation"].isna().all():
        out["source_citation"] = out.get("source_1_title")
    return out


def load_bundle_with_store(
    home: Path | str | None = None, query: StoreQuery | None = None
) -> Bundle:
    """The bundle with the imported records added (every layer, score and export sees them).

    Bundled records carry the same provenance columns (``source_dataset`` =
    ``atlas-reference``) and show the imported records merged into them.

    The result is cached on disk per store state (:func:`store_signature`), bundled data
    and code (see :func:`geodata.bundle.cache_key`): validating and joining 100,000 stored
    records takes seconds, so it is done once per import, not at every start.

    ``query`` (team store only; ignored on SQLite): only the stored records the database
    selects for it (:mod:`geodata.store_query`: a superset of the filter's records, so the
    filter applied afterwards gives the same rows as on everything); not cached on disk.
    """
    if query is not None and store_target(home).url:
        with _snapshot(home):
            return _build_bundle_in_snapshot(home, query)
    from geodata.bundle import (
        cache_dir,
        cache_disabled,
        cache_key,
        read_cached_bundle,
        write_cached_bundle,
    )

    signature = store_signature(home)
    if signature == "no-store" or cache_disabled():
        return _build_bundle_with_store(home)
    digest = hashlib.sha256(
        "|".join(
            (
                cache_key(),
                _cache_label(home),
                signature,
                hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
            )
        ).encode()
    ).hexdigest()[:24]
    path = cache_dir() / f"store-{digest}.pickle"
    cached = read_cached_bundle(path)
    if cached is not None:
        return cached
    bundle = _build_bundle_with_store(home)
    write_cached_bundle(path, bundle)
    return bundle


def _cache_label(home: Path | str | None) -> str:
    target = store_target(home)
    return target.label if target.url else str(target.path.resolve())


def _build_bundle_with_store(home: Path | str | None) -> Bundle:
    with _snapshot(home):
        return _build_bundle_in_snapshot(home)


def _build_bundle_in_snapshot(home: Path | str | None, query: StoreQuery | None = None) -> Bundle:
    bundle = load_bundle()
    if query is None:
        rows = _stored_index(home)
    else:
        with _reading(home) as con:
            rows = None if con is None else store_query.selected_index(con, query)
    hidden = None
    if rows is not None and rows["merged_into"].notna().any():
        hidden = _merged_rows(home)
    imported = load_imported(home, bundle.geography, rows, hidden, partial=query is not None)
    merges: dict[str, pd.DataFrame] = {}
    if hidden is not None and len(hidden):
        # merged into a bundled record: the record it points at is not a stored one
        stored = set(
            zip(
                rows["kind"].to_numpy(dtype=object).tolist(),
                rows["id"].to_numpy(dtype=object).tolist(),
                strict=True,
            )
        )
        into_bundle = np.array(
            [
                (k, m) not in stored
                for k, m in zip(
                    hidden["kind"].tolist(), hidden["merged_into"].tolist(), strict=True
                )
            ],
            dtype=bool,
        )
        merges = _merged_info(hidden[into_bundle])
    updates: dict[str, gpd.GeoDataFrame] = {}
    for kind in ("incidents", "threats", "sites"):
        base = annotate_merges(_bundled_with_provenance(getattr(bundle, kind)), merges.get(kind))
        updates[kind] = base
    combined = dataclasses.replace(bundle, **updates)
    return combined.with_records(**imported) if imported else combined


# --- Writing -------------------------------------------------------------------------------


def _rows_of(con: sqlite3.Connection | PgConnection, kind: str, ids: list[str]) -> pd.DataFrame:
    """The stored text rows of records ``ids`` of ``kind`` (current versions)."""
    index = _frame(con, "SELECT id, batch_id, batch_row FROM records WHERE kind = ?", (kind,))
    index = index[index["id"].isin(set(ids))]
    parts = []
    for batch_id, rows in index.groupby("batch_id", sort=False):
        blob = _batch_blob(con, batch_id)
        text = _decode_rows(blob).iloc[rows["batch_row"].to_numpy()]
        parts.append(text.assign(id=rows["id"].to_numpy()))
    return pd.concat(parts, ignore_index=True)


def _never(con: sqlite3.Connection | PgConnection) -> set[tuple[str, str]]:
    """(merged_id, kept_id) pairs a user has undone."""
    if not _has_table(con, "unmerged"):
        return set()
    return {(m, k) for m, k in con.execute("SELECT merged_id, kept_id FROM unmerged")}


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


def plan_import(
    data: bytes,
    source: str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    max_mb: float | None = None,
    home: Path | str | None = None,
    dedup_days: int = DEDUP_DAYS,
    dedup_km: float = DEDUP_KM,
    progress: Progress | None = None,
    countries: Collection[str] | None = None,
) -> ImportPlan:
    """What importing ``data`` would do against the bundle and this store (writes nothing).

    A preview: :func:`commit_import` checks it again inside the write transaction."""
    bundle = load_bundle()
    with _reading(home) as con:
        state = _state_of(con, home)  # before reading: a later commit shows
        stored = None if con is None else _frame(con, _KEYS_SQL)
        never = set() if con is None else _never(con)
        plan = prepare_import(
            data,
            source,
            fmt=fmt,
            encoding=encoding,
            skip_bad=skip_bad,
            max_bytes=max_import_bytes(max_mb),
            geo=bundle.geography,
            existing=_existing(stored, bundle),
            stored_rows=None if con is None else (lambda kind, ids: _rows_of(con, kind, ids)),
            never=never,
            dedup_days=dedup_days,
            dedup_km=dedup_km,
            progress=progress,
            countries=countries,
        )
    return dataclasses.replace(plan, store_state=state)


def _state_of(con: sqlite3.Connection | PgConnection | None, home: Path | str | None) -> str:
    """The store's change state as a plan records it (:attr:`ImportPlan.store_state`)."""
    if isinstance(con, PgConnection):
        return store_pg.state(con)
    target = store_target(home)
    return "empty" if target.url else _store_state(target.path)


def _store_state(path: Path) -> str:
    """SQLite's file change counter (header bytes 24-27): it goes up with every committed
    write in the store's rollback-journal mode ('empty' before the first commit)."""
    header = store_header(path)
    if header is None or len(header) < 28:
        return "empty"
    return str(int.from_bytes(header[24:28], "big"))


def _pause_at() -> int | None:
    value = settings.current().test_pause_at_row
    return int(value) if value else None


def _pause_here(done: int) -> None:
    """Test hook: say so on stdout and wait for a signal (the test sends SIGKILL)."""
    sys.stdout.write(f"PAUSED {done}\n")
    sys.stdout.flush()
    while True:  # pragma: no cover - ends by SIGKILL
        signal.pause()


def _record_rows(plan: ImportPlan, batch_id: int) -> list[tuple]:
    """The rows to write, in the column order of :data:`_RECORD_COLUMNS`."""
    wanted = [c for c in ("id", "actor", *KEY_COLUMNS) if c in plan.records.columns]
    records = plan.records[wanted].reset_index(drop=True).astype(object)
    records = records.where(records.notna(), None)
    n = len(records)
    merged_into = dict(zip(plan.merges["merged_id"], plan.merges["kept_id"], strict=True))

    def column(name: str) -> list:
        return records[name].tolist() if name in records.columns else [None] * n

    ids = column("id")
    families = [None if a is None else actor_family(canonical_actor(a)) for a in column("actor")]
    return list(
        zip(
            [plan.kind] * n,
            ids,
            [batch_id] * n,
            [merged_into.get(i) for i in ids],
            families,
            *[column(c) for c in KEY_COLUMNS],
            range(n),
            strict=True,
        )
    )


def _insert_records(con: sqlite3.Connection | PgConnection, insert: str, rows: list[tuple]) -> None:
    if isinstance(con, PgConnection):
        con.copy_rows("records", _RECORD_COLUMNS, rows)
    else:
        con.executemany(insert, rows)


def _count_write(con: sqlite3.Connection | PgConnection) -> None:
    """A team store counts its writes (its cache key); SQLite's file counter does it."""
    if isinstance(con, PgConnection):
        store_pg.bump_state(con)


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


def _insert_sql() -> str:
    names = _RECORD_COLUMNS
    return f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def _write_updates(con: sqlite3.Connection, kind: str, batch_id: int, rows: list[tuple]) -> None:
    """Keep the current version of each updated record in ``record_versions`` (keyed by
    this batch), then point the record at its new version (its merge state is kept)."""
    names = ", ".join(_RECORD_COLUMNS)
    changed = [c for c in _RECORD_COLUMNS if c not in ("kind", "id", "merged_into")]
    setter = ", ".join(f"{c} = ?" for c in changed)
    position = {c: i for i, c in enumerate(_RECORD_COLUMNS)}
    for row in rows:
        con.execute(
            f"INSERT INTO record_versions (updated_by, {names}) SELECT ?, {names} "
            "FROM records WHERE kind = ? AND id = ?",
            (batch_id, kind, row[1]),
        )
        con.execute(
            f"UPDATE records SET {setter} WHERE kind = ? AND id = ?",
            (*[row[position[c]] for c in changed], kind, row[1]),
        )


def commit_import(
    plan: ImportPlan,
    home: Path | str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Write ``plan`` as one batch, in one transaction (all rows or none).

    Inside the transaction the plan is checked again against the store as it is now
    (:func:`geodata.importers.pipeline.settle`) unless the store has not changed since
    the plan was made (:attr:`ImportPlan.store_state`): records another import stored
    meanwhile are already present (or updates), and de-duplication runs against them.
    Returns the settled plan and the batch (None when nothing was left to store).
    """
    target = store_target(home)
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    report = progress or (lambda fraction, message: None)
    pause_at = _pause_at()
    imported_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    bundle = load_bundle()
    with _open(target) as con:
        _begin_write(con)
        try:
            unchanged = plan.store_state is not None and _state_of(con, home) == plan.store_state
            _ensure_schema(con)
            if not unchanged:
                plan = settle(
                    plan,
                    _existing(_frame(con, _KEYS_SQL), bundle),
                    lambda kind, ids: _rows_of(con, kind, ids),
                    _never(con),
                )
            plan = dataclasses.replace(plan, store_state=None)
            if plan.records.empty:
                con.execute("ROLLBACK")
                return ImportResult(plan, None)
            pg = isinstance(con, PgConnection)
            cur = con.execute(
                "INSERT INTO batches (file, format, kind, imported_at, sha256, size_bytes, "
                "rows_read, rows_accepted, rows_merged, rows_rejected, rows_excluded, "
                "rows_already_present, skip_bad, rows_updated) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)" + (" RETURNING batch_id" if pg else ""),
                (
                    plan.source,
                    plan.format,
                    plan.kind,
                    imported_at,
                    plan.sha256,
                    plan.size_bytes,
                    plan.rows_read,
                    plan.rows_accepted,
                    plan.rows_merged,
                    plan.rows_rejected,
                    len(plan.excluded),
                    len(plan.already_present),
                    int(skip_bad),
                    plan.rows_updated,
                ),
            )
            batch_id = int(cur.fetchone()[0] if pg else cur.lastrowid)
            con.execute(
                "INSERT INTO batch_rows (batch_id, encoding, data) VALUES (?, ?, ?)",
                (batch_id, "arrow-ipc-stream", _encode_rows(plan.records)),
            )
            all_rows = _record_rows(plan, batch_id)
            updated = set(plan.updates["id"])
            _write_updates(con, plan.kind, batch_id, [r for r in all_rows if r[1] in updated])
            rows = [r for r in all_rows if r[1] not in updated]
            total = max(len(rows), 1)
            insert = _insert_sql()
            for start in range(0, len(rows), _CHUNK):
                stop = min(start + _CHUNK, len(rows))
                if pause_at is not None and start < pause_at <= stop:
                    _insert_records(con, insert, rows[start:pause_at])
                    _pause_here(pause_at)
                _insert_records(con, insert, rows[start:stop])
                report(stop / total, f"stored {stop:,} of {total:,} rows")
            con.executemany(
                "INSERT INTO merges (batch_id, kind, merged_id, kept_id, rule, days_apart, "
                "distance_km, reason) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        batch_id,
                        plan.kind,
                        str(m.merged_id),
                        str(m.kept_id),
                        str(m.rule),
                        None if pd.isna(m.days_apart) else int(m.days_apart),
                        None if pd.isna(m.distance_km) else float(m.distance_km),
                        str(m.reason),
                    )
                    for m in plan.merges.itertuples(index=False)
                ],
            )
            _count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    batch = next(b for b in list_batches(home) if b.batch_id == batch_id)
    _keep_prepared(home, batch, plan)
    report(1.0, "done")
    return ImportResult(plan, batch)


def _keep_prepared(home: Path | str | None, batch: Batch, plan: ImportPlan) -> None:
    """Keep the plan's validated, joined rows as the batch's prepared frame (row ``i`` of
    the batch is row ``i`` of ``plan.records``), so loading the store does not do it again.
    Skipped when the two do not line up (the frame is then rebuilt when loading)."""
    enriched = plan.enriched
    if len(enriched) != len(plan.records) or not np.array_equal(
        enriched["id"].astype(str).to_numpy(), plan.records["id"].astype(str).to_numpy()
    ):
        return
    prepared.save(
        prepared.path_for(prepared_dir(home), batch.batch_id, batch.sha256, batch.imported_at),
        enriched.reset_index(drop=True),
    )


def commit_plan(
    plan: ImportPlan,
    home: Path | str | None = None,
    skip_bad: bool = False,
    progress: Progress | None = None,
) -> Batch | None:
    """:func:`commit_import`, returning only the batch (None when nothing was stored)."""
    return commit_import(plan, home, skip_bad=skip_bad, progress=progress).batch


def import_bytes(
    data: bytes,
    source: str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
    max_mb: float | None = None,
    home: Path | str | None = None,
    progress: Progress | None = None,
    countries: Collection[str] | None = None,
) -> ImportResult:
    """Plan and (unless ``dry_run``) commit the import of ``data`` named ``source``
    (``countries``: the region, see :func:`geodata.importers.prepare_import`)."""
    plan = plan_import(
        data,
        source,
        fmt=fmt,
        encoding=encoding,
        skip_bad=skip_bad,
        max_mb=max_mb,
        home=home,
        countries=countries,
        progress=(lambda f, m: progress(f * 0.7, m)) if progress else None,
    )
    if dry_run or plan.records.empty:
        return ImportResult(plan, None)
    return commit_import(
        plan,
        home,
        skip_bad=skip_bad,
        progress=(lambda f, m: progress(0.7 + 0.3 * f, m)) if progress else None,
    )


def import_file(
    path: Path | str,
    *,
    fmt: str | None = None,
    encoding: str | None = None,
    skip_bad: bool = False,
    dry_run: bool = False,
    max_mb: float | None = None,
    home: Path | str | None = None,
    progress: Progress | None = None,
    countries: Collection[str] | None = None,
) -> ImportResult:
    """:func:`import_bytes` for a file on disk (its size is checked before reading)."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    check_size(p.stat().st_size, p.name, max_import_bytes(max_mb))
    return import_bytes(
        p.read_bytes(),
        p.name,
        fmt=fmt,
        encoding=encoding,
        skip_bad=skip_bad,
        dry_run=dry_run,
        max_mb=max_mb,
        home=home,
        progress=progress,
        countries=countries,
    )


def _restore_versions(con: sqlite3.Connection, batch_id: int) -> None:
    """Undo the updates of batch ``batch_id``: each record it updated gets its previous
    version back (or, when a later batch updated it again, that batch's saved version
    becomes the one before ``batch_id``); saved versions that live in this batch's rows
    (records it stored that a later batch updated) are dropped with them."""
    names = [c for c in _RECORD_COLUMNS if c not in ("kind", "id")]
    versions = con.execute(
        f"SELECT rowid, kind, id, {', '.join(names)} FROM record_versions WHERE updated_by = ?",
        (batch_id,),
    ).fetchall()
    setter = ", ".join(f"{c} = ?" for c in names)
    for rowid, kind, rid, *prior in versions:
        current = con.execute(
            "SELECT batch_id FROM records WHERE kind = ? AND id = ?", (kind, rid)
        ).fetchone()
        if current is not None and int(current[0]) == batch_id:
            con.execute(
                f"UPDATE records SET {setter} WHERE kind = ? AND id = ?", (*prior, kind, rid)
            )
        else:
            con.execute(
                f"UPDATE record_versions SET {setter} WHERE kind = ? AND id = ? AND "
                "batch_id = ? AND updated_by != ?",
                (*prior, kind, rid, batch_id, batch_id),
            )
        con.execute("DELETE FROM record_versions WHERE rowid = ?", (rowid,))
    con.execute("DELETE FROM record_versions WHERE batch_id = ?", (batch_id,))


def rollback(batch_id: int, home: Path | str | None = None) -> Batch:
    """Remove batch ``batch_id`` and its records, in one transaction; returns what it was.

    Records it updated get their previous version back; records of other batches merged
    into the removed records become records of their own again.
    """
    batch = next((b for b in list_batches(home) if b.batch_id == int(batch_id)), None)
    if batch is None:
        known = ", ".join(str(b.batch_id) for b in list_batches(home)) or "none"
        raise ValueError(
            f"there is no batch {batch_id} (batches: {known}); 'iskp-atlas batches' lists them"
        )
    folder = prepared_dir(home)
    with _open(store_target(home)) as con:
        _begin_write(con)
        try:
            _ensure_schema(con)
            _restore_versions(con, batch.batch_id)
            gone = "SELECT id FROM records WHERE batch_id = ?"
            con.execute(
                f"UPDATE records SET merged_into = NULL WHERE batch_id != ? AND "
                f"merged_into IN ({gone})",
                (batch.batch_id, batch.batch_id),
            )
            con.execute(
                f"DELETE FROM merges WHERE batch_id = ? OR kept_id IN ({gone})",
                (batch.batch_id, batch.batch_id),
            )
            con.execute("DELETE FROM records WHERE batch_id = ?", (batch.batch_id,))
            con.execute("DELETE FROM batch_rows WHERE batch_id = ?", (batch.batch_id,))
            con.execute("DELETE FROM batches WHERE batch_id = ?", (batch.batch_id,))
            _count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    prepared.drop_batch(folder, batch.batch_id)
    return batch


def unmerge(
    record_id: str, home: Path | str | None = None, kind: str = "incidents"
) -> dict[str, object]:
    """ "Import as new": the merged record ``record_id`` becomes a record of its own.

    The pair is kept in ``unmerged`` so a later import (e.g. after a rollback and a
    re-import) does not merge it again. Returns the merge that was undone (as listed by
    :func:`list_merges`). Raises ValueError when ``record_id`` is not a merged record.
    """
    merges = list_merges(home)
    hit = merges[(merges["merged_id"] == record_id) & (merges["kind"] == kind)]
    if hit.empty:
        shown = ", ".join(merges["merged_id"].head(5)) or "none"
        raise ValueError(
            f"{record_id} is not a merged record (merged records: {shown}); "
            "'iskp-atlas merges' lists them"
        )
    merge = hit.iloc[0].to_dict()
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _open(store_target(home)) as con:
        _begin_write(con)
        try:
            _ensure_schema(con)
            con.execute(
                "UPDATE records SET merged_into = NULL WHERE kind = ? AND id = ?", (kind, record_id)
            )
            con.execute("DELETE FROM merges WHERE kind = ? AND merged_id = ?", (kind, record_id))
            con.execute(
                "INSERT INTO unmerged (kind, merged_id, kept_id, unmerged_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (kind, merged_id, kept_id) "
                "DO UPDATE SET unmerged_at = excluded.unmerged_at",
                (kind, record_id, str(merge["kept_id"]), at),
            )
            _count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return merge


def record_counts(home: Path | str | None = None) -> dict[str, int]:
    """Imported records per kind that show as records of their own (merged ones not
    counted)."""
    frame = _read(
        home, "SELECT kind, COUNT(*) AS n FROM records WHERE merged_into IS NULL GROUP BY kind"
    )
    return {} if frame is None else dict(zip(frame["kind"], frame["n"].astype(int), strict=True))


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


# --- Store administration: info, migrate, copy ----------------------------------------------


def _sqlite_version(con: sqlite3.Connection) -> int:
    return max(_schema_version(con), 1) if _has_table(con, "batches") else 0


def store_info(home: Path | str | None = None) -> dict[str, object]:
    """What ``iskp-atlas store info`` shows: the engine, where the store is (a URL's
    password masked), its schema version against this atlas's, and its counts."""
    target = store_target(home)
    info: dict[str, object] = {
        "engine": target.engine,
        "store": target.label,
        "schema_version": 0,
        "atlas_schema_version": SCHEMA_VERSION,
    }
    if target.path is not None and not target.path.exists():
        info["status"] = "no store yet (the first import creates it)"
        return info
    with _open(target) as con:
        if isinstance(con, PgConnection):
            version = store_pg.schema_version(con)
            row = con.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
            ).fetchone()
            info["postgis"] = row[0] if row else None
            info["server"] = con.execute("SHOW server_version").fetchone()[0]
        else:
            version = _sqlite_version(con)
        info["schema_version"] = version
        if version == 0:
            info["status"] = (
                "no atlas tables yet (the first import or 'store migrate' creates them)"
            )
            return info
        if version < SCHEMA_VERSION:
            info["status"] = (
                f"older than this iskp-atlas ({SCHEMA_VERSION}): run 'iskp-atlas store migrate'"
            )
        elif version > SCHEMA_VERSION:
            info["status"] = "newer than this iskp-atlas: upgrade iskp-atlas"
        else:
            info["status"] = "up to date"
        info["batches"] = int(con.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
        per_kind = con.execute(
            "SELECT kind, SUM(CASE WHEN merged_into IS NULL THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN merged_into IS NULL THEN 0 ELSE 1 END) FROM records "
            "GROUP BY kind ORDER BY kind"
        ).fetchall()
        info["records"] = {str(k): int(n) for k, n, _ in per_kind}
        info["merged_records"] = sum(int(m) for _, _, m in per_kind)
    return info


def migrate(home: Path | str | None = None) -> tuple[int, int]:
    """Create or migrate the store's tables to :data:`SCHEMA_VERSION`, in one transaction
    (``iskp-atlas store migrate``); returns (version before, version after). A newer
    store is refused with :class:`StoreVersionError`."""
    target = store_target(home)
    if target.path is not None:
        target.path.parent.mkdir(parents=True, exist_ok=True)
    with _open(target) as con:
        _begin_write(con)
        try:
            if isinstance(con, PgConnection):
                before = store_pg.schema_version(con)
                _ensure_schema_pg(con, migrate=True)
                _count_write(con)
            else:
                before = _sqlite_version(con)
                _ensure_schema_sqlite(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return before, SCHEMA_VERSION


_BATCH_COLUMNS = tuple(f.name for f in dataclasses.fields(Batch))
ZONE_COLUMNS = (
    "name",
    "zone_kind",
    "ref",
    "distance_km",
    "aoi",
    "geometry",
    "owner",
    "created_at",
    "reviewed_at",
    "reviewed_batch",
    "reviewed_score",
)
"""The columns of ``watch_zones`` (schema 3), read and written by :mod:`geodata.watch`."""
OVERRIDE_COLUMNS = (
    "override_id",
    "target_kind",
    "target_id",
    "field",
    "value",
    "reason",
    "author",
    "created_at",
    "expires_on",
    "withdrawn_at",
    "withdrawn_by",
)
"""The columns of ``overrides`` (schema 3), read and written by :mod:`geodata.overrides`."""
AUDIT_COLUMNS = ("entry_id", "at", "author", "action", "subject", "detail")
"""The columns of ``audit_log`` (schema 3)."""

_COPIED_TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("batches", ("batch_id", *(c for c in _BATCH_COLUMNS if c != "batch_id")), "batch_id"),
    ("batch_rows", ("batch_id", "encoding", "data"), "batch_id"),
    ("records", _RECORD_COLUMNS, "batch_id, batch_row"),
    (
        "merges",
        ("batch_id", "kind", "merged_id", "kept_id", "rule", "days_apart", "distance_km", "reason"),
        "batch_id, merged_id",
    ),
    ("record_versions", ("updated_by", *_RECORD_COLUMNS), "updated_by, id"),
    ("unmerged", ("kind", "merged_id", "kept_id", "unmerged_at"), "kind, merged_id"),
    ("watch_zones", ZONE_COLUMNS, "name"),
    ("overrides", OVERRIDE_COLUMNS, "override_id"),
    ("audit_log", AUDIT_COLUMNS, "entry_id"),
)
"""What ``store copy`` moves, table by table, in a fixed order (batches first)."""


def copy_store(
    source: Path | str, dest: Path | str, progress: Progress | None = None
) -> dict[str, int]:
    """Copy every batch of the store ``source`` into the empty store ``dest`` (e.g. one
    analyst's SQLite store into the team store), in one write transaction on ``dest``:
    batches keep their ids, records their merges, corrections their previous versions,
    undone merges stay undone, analysts' overrides and their audit log are kept (with their
    ids); prepared batches are copied too. Returns the counts."""
    report = progress or (lambda fraction, message: None)
    src, dst = store_target(source), store_target(dest)
    if src == dst:
        raise ValueError("the source and the destination are the same store")
    if src.path is not None and not src.path.exists():
        raise FileNotFoundError(f"there is no store at {src.label}")
    tables: dict[str, list[tuple]] = {}
    with _snapshot(source), _reading(source) as con:
        if con is None:
            raise ValueError(f"the store {src.label} has no atlas tables: nothing to copy")
        if not isinstance(con, PgConnection):
            # one read transaction (a consistent copy), not a write: no writer note
            sqlite3.Connection.execute(con, "BEGIN")
        try:
            for table, columns, order in _COPIED_TABLES:
                tables[table] = [
                    tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in con.execute(
                        f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}"
                    ).fetchall()
                ]
        finally:
            if not isinstance(con, PgConnection):
                sqlite3.Connection.execute(con, "ROLLBACK")
    report(0.4, f"read {len(tables['batches'])} batch(es) from {src.label}")
    migrate(dest)
    if dst.path is not None:
        dst.path.parent.mkdir(parents=True, exist_ok=True)
    with _open(dst) as con:
        _begin_write(con)
        try:
            present = int(con.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
            if present:
                raise ValueError(
                    f"the store {dst.label} already has {present} batch(es): "
                    "copy into an empty store (batch ids and merges are kept)"
                )
            kept = int(con.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0])
            if kept:
                raise ValueError(
                    f"the store {dst.label} already has {kept} audit log "
                    "entr(ies) of overrides: copy into an empty store"
                )
            zones = int(con.execute("SELECT COUNT(*) FROM watch_zones").fetchone()[0])
            if zones:
                raise ValueError(
                    f"the store {dst.label} already has {zones} watch zone(s): "
                    "copy into an empty store"
                )
            for table, columns, _ in _COPIED_TABLES:
                rows = tables[table]
                if table == "records":
                    _insert_records(con, _insert_sql(), rows)
                else:
                    con.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                        f"({', '.join('?' * len(columns))})",
                        rows,
                    )
            if isinstance(con, PgConnection) and tables["batches"]:
                con.execute(
                    "SELECT setval(pg_get_serial_sequence('batches', 'batch_id'), "
                    "(SELECT max(batch_id) FROM batches))"
                )
            for table, key in (("overrides", "override_id"), ("audit_log", "entry_id")):
                if isinstance(con, PgConnection) and tables[table]:  # ids kept: go on after
                    con.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                        f"(SELECT max({key}) FROM {table}))"
                    )
            _count_write(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    report(0.9, f"wrote them to {dst.label}")
    src_dir, dst_dir = prepared_dir(source), prepared_dir(dest)
    for batch in list_batches(dest):
        old = prepared.path_for(src_dir, batch.batch_id, batch.sha256, batch.imported_at)
        if old.is_file():
            new = prepared.path_for(dst_dir, batch.batch_id, batch.sha256, batch.imported_at)
            frame = prepared.load(old)
            if frame is not None:
                prepared.save(new, frame)
    report(1.0, "done")
    records = tables["records"]
    merged = sum(1 for r in records if r[_RECORD_COLUMNS.index("merged_into")] is not None)
    return {
        "batches": len(tables["batches"]),
        "records": len(records) - merged,
        "merged_records": merged,
        "merges": len(tables["merges"]),
        "record_versions": len(tables["record_versions"]),
        "unmerged": len(tables["unmerged"]),
        "overrides": len(tables["overrides"]),
        "audit_log": len(tables["audit_log"]),
        "watch_zones": len(tables["watch_zones"]),
    }
