"""The team store's engine: PostgreSQL with PostGIS (:mod:`geodata.store` holds the logic).

Selected by a ``postgresql://`` URL (``$ISKP_ATLAS_DATABASE_URL`` or the CLI's
``--database-url``); without one the store is the SQLite file of :mod:`geodata.store`.
The same statements run on both engines: :class:`PgConnection` gives a psycopg 3
connection the small part of the ``sqlite3`` interface the store uses (``?`` parameters,
``execute``/``executemany``, query results as frames), and the tables differ only in
their types (``BIGINT`` identities, ``BYTEA``) and in what PostgreSQL adds:

- ``records.geom``: a PostGIS point (SRID 4326) computed by the database from the stored
  latitude and longitude, with a GiST index, for spatial queries (:func:`records_in`);
- ``atlas_schema``: the schema version (SQLite keeps it in ``PRAGMA user_version``);
- ``atlas_state``: the store's id and a counter every write transaction increments, the
  cache key of the loaded data (SQLite uses its file change counter).

Writers serialise on one transaction-level advisory lock (``pg_advisory_xact_lock``), so
the re-check of a plan against the store (:func:`geodata.importers.pipeline.settle`) sees
every batch committed before it, on any machine; readers see committed batches only
(PostgreSQL's MVCC) and load the store inside one ``REPEATABLE READ`` snapshot.

The password of a URL is never shown: :func:`mask_url` replaces it in every message.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import pandas as pd

from geodata.settings import URL_ENV as URL_ENV
from geodata.store.schema import PG_MIGRATIONS, PG_SCHEMA_V1

SCHEMES = ("postgresql://", "postgres://")
SCHEMA_V1 = PG_SCHEMA_V1
"""The team store's tables of schema version 1 (:data:`geodata.store.schema.PG_SCHEMA_V1`)."""
MIGRATIONS = PG_MIGRATIONS
"""The steps to each schema version (:data:`geodata.store.schema.PG_MIGRATIONS`)."""
LOCK_KEY = 7_351_024_113
"""The advisory lock every writer of an atlas store holds for its transaction."""


def is_database_url(value: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(value, str) and value.strip().lower().startswith(SCHEMES)


_PASSWORD_IN_URL = re.compile(r"(?i)(postgres(?:ql)?://[^:/?#@\s]*:)([^@/?#\s]*)(@)")
_PASSWORD_PARAM = re.compile(r"(?i)(\bpassword\s*=\s*)('[^']*'|[^\s&]+)")


def mask_url(text: str, url: str | None = None) -> str:
    """``text`` with every password of a database URL (``user:secret@``, ``password=``)
    replaced by ``***``; with ``url`` also every occurrence of that URL's password."""
    out = _PASSWORD_IN_URL.sub(r"\1***\3", str(text))
    out = _PASSWORD_PARAM.sub(r"\1***", out)
    if url:
        secret = password_of(url)
        if secret:
            out = out.replace(secret, "***")
    return out


def password_of(url: str) -> str | None:
    """The password in ``url`` (None when there is none)."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        password = None
    if not password:
        hit = _PASSWORD_PARAM.search(url)
        password = hit.group(2).strip("'") if hit else None
    if password:
        from urllib.parse import unquote

        return unquote(password)
    return None


class StoreConnectionError(ValueError):
    """The team store could not be reached (the message never holds the password)."""


class StorePermissionError(ValueError):
    """The database role may not do this (e.g. a viewer role importing)."""


def require_psycopg():
    """The psycopg module, or a one-line error saying how to install it."""
    try:
        import psycopg
    except ImportError:  # pragma: no cover - depends on the installation
        raise StoreConnectionError(
            "the team store needs psycopg 3: pip install 'iskp-risk-atlas[postgres]'"
        ) from None
    return psycopg


@lru_cache(maxsize=256)
def _pg_sql(sql: str) -> str:
    """A statement with SQLite's ``?`` parameters as psycopg's ``%s``."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """A psycopg connection (autocommit; the store issues ``BEGIN``/``COMMIT``) that takes
    the store's statements with ``?`` parameters."""

    engine = "postgresql"

    def __init__(self, raw, url: str) -> None:
        self.raw = raw
        self.url = url

    def execute(self, sql: str, params: tuple | list | None = None):
        if params is None:
            return self.raw.execute(sql)
        params = tuple(params)
        if any(isinstance(v, bytes | bytearray | memoryview) for v in params):
            # bytes as a binary parameter (%b): text-escaped bytea is several times slower
            pieces = sql.replace("%", "%%").split("?")
            marks = [
                "%b" if isinstance(v, bytes | bytearray | memoryview) else "%s" for v in params
            ]
            query = pieces[0] + "".join(m + rest for m, rest in zip(marks, pieces[1:], strict=True))
            return self.raw.execute(query, params)
        return self.raw.execute(_pg_sql(sql), params)

    def blob(self, batch_id: int) -> bytes | None:
        """Batch ``batch_id``'s stored rows, fetched in binary (the text form of a bytea
        doubles it, and PostgreSQL refuses a result value over 1 GB: a 1M-row batch)."""
        row = self.raw.execute(
            "SELECT data FROM batch_rows WHERE batch_id = %s", (int(batch_id),), binary=True
        ).fetchone()
        return None if row is None else bytes(row[0])

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        with self.raw.cursor() as cur:
            cur.executemany(_pg_sql(sql), rows)

    def copy_rows(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Insert ``rows`` with ``COPY`` (much faster than single inserts)."""
        if not rows:
            return
        with (
            self.raw.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    def frame(self, sql: str, params: tuple | list = (), binary: bool = False) -> pd.DataFrame:
        """The query's rows as a frame; ``binary``: the results in PostgreSQL's binary form
        (no text parameters that are bytes; the same values, integers and points parsed
        faster: ~20% of the fetch of 150,000 rows)."""
        if binary:
            cur = self.raw.execute(_pg_sql(sql), tuple(params), binary=True)
        else:
            cur = self.execute(sql, tuple(params))
        columns = [d.name for d in cur.description]
        rows = cur.fetchall()
        for i, d in enumerate(cur.description):  # bytea comes back as bytes or memoryview
            if d.type_code == 17 and rows and isinstance(rows[0][i], memoryview):
                rows = [(*r[:i], bytes(r[i]), *r[i + 1 :]) for r in rows]
        return pd.DataFrame.from_records(rows, columns=columns)

    def frame_copied(self, sql: str, params: tuple | list, columns: dict[str, str]) -> pd.DataFrame:
        """The rows of ``sql`` (``?`` parameters) as a frame with ``columns`` (name →
        ``"text"`` or ``"int"``, in the query's order), fetched with ``COPY … TO STDOUT``
        as CSV and parsed by Arrow's CSV reader, in C rather than a Python tuple per row
        (with the sort moved out of the query, records_in at 193k rows of 1M went from
        0.94 to 0.72 s: docs/PERFORMANCE.md). The same frame as :meth:`frame`
        gives: text as pandas strings with NULL missing (an empty string stays empty: CSV
        quotes it, a NULL is left bare), integers as int64."""
        import io

        import pyarrow as pa
        from pyarrow import csv as pa_csv

        types = {"text": pa.string(), "int": pa.int64()}
        with (
            self.raw.cursor() as cur,
            cur.copy(f"COPY ({_pg_sql(sql)}) TO STDOUT (FORMAT csv)", tuple(params)) as copy,
        ):
            data = b"".join(bytes(chunk) for chunk in copy)
        if not data:  # no rows: the column types :meth:`frame` gives
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        table = pa_csv.read_csv(
            io.BytesIO(data),
            read_options=pa_csv.ReadOptions(column_names=list(columns)),
            convert_options=pa_csv.ConvertOptions(
                column_types={c: types[t] for c, t in columns.items()},
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
            ),
        )
        return table.to_pandas()

    def has_table(self, name: str) -> bool:
        row = self.raw.execute("SELECT to_regclass(%s)", (name,)).fetchone()
        return row is not None and row[0] is not None

    def close(self) -> None:
        self.raw.close()


def connect(url: str, application: str = "iskp-atlas") -> PgConnection:
    """A connection to the team store at ``url``; a failure is a one-line
    :class:`StoreConnectionError` without the password."""
    psycopg = require_psycopg()
    try:
        raw = psycopg.connect(
            url, autocommit=True, application_name=application[:60], connect_timeout=10
        )
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or exc.__class__.__name__
        raise StoreConnectionError(
            f"cannot open the team store {mask_url(url)}: {mask_url(reason, url)}"
        ) from None
    return PgConnection(raw, url)


def label(url: str) -> str:
    """The URL as shown to users: the password masked."""
    return mask_url(url)


ATLAS_TABLES = (
    "batches",
    "records",
    "batch_rows",
    "merges",
    "record_versions",
    "unmerged",
    "watch_zones",
    "overrides",
    "audit_log",
    "atlas_schema",
    "atlas_state",
)


def schema_version(con: PgConnection) -> int:
    """The store's schema version (0: no atlas tables yet)."""
    if not con.has_table("atlas_schema"):
        return 0
    row = con.execute("SELECT max(version) FROM atlas_schema").fetchone()
    return int(row[0] or 0)


def has_postgis(con: PgConnection) -> bool:
    row = con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
    return row is not None


def begin_write(con: PgConnection, wait_s: float) -> None:
    """Open a write transaction holding the atlas's advisory lock (waiting up to
    ``wait_s``; ``lock_not_available`` after that)."""
    con.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
    con.execute(f"SET LOCAL lock_timeout = '{max(int(wait_s * 1000), 1)}ms'")
    con.execute("SELECT pg_advisory_xact_lock(?)", (LOCK_KEY,))
    con.execute("SET LOCAL lock_timeout = 0")


def holder(con: PgConnection) -> str:
    """Who holds the atlas's write lock, from ``pg_stat_activity`` (best effort)."""
    try:
        row = con.execute(
            "SELECT a.application_name, a.client_addr::text, a.xact_start::text FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND "
            "l.granted AND l.database = (SELECT oid FROM pg_database "
            "WHERE datname = current_database()) AND "
            "((l.classid::bigint << 32) | l.objid::bigint) = ? LIMIT 1",
            (LOCK_KEY,),
        ).fetchone()
    except Exception:
        return "another program"
    if row is None:
        return "another program"
    name, addr, started = row
    where = f" from {addr}" if addr else ""
    when = f", started {str(started)[11:19]}" if started else ""
    return f"another writer ({name or 'unnamed'}{where}{when})"


def state(con: PgConnection) -> str:
    """The store's id and change counter ('empty' before the tables exist)."""
    if not con.has_table("atlas_state"):
        return "empty"
    row = con.execute("SELECT store_id, changes FROM atlas_state").fetchone()
    return "empty" if row is None else f"{row[0]}-{row[1]}"


def bump_state(con: PgConnection) -> None:
    """Count one more write (inside the write transaction)."""
    con.execute("UPDATE atlas_state SET changes = changes + 1")


def records_in(
    con: PgConnection,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    start: str | None = None,
    end: str | None = None,
    families: tuple[str, ...] | None = None,
    kind: str = "incidents",
) -> pd.DataFrame:
    """Ids, batches and rows of the stored records (not merged into another) inside
    ``bbox`` (west, south, east, north, degrees), between ``start`` and ``end``
    (ISO dates, inclusive) and of the actor ``families`` — answered by the GiST and
    date indexes."""
    where = ["kind = ?", "merged_into IS NULL"]
    params: list[object] = [kind]
    if bbox is not None:
        where.append("geom && ST_MakeEnvelope(?, ?, ?, ?, 4326)")
        params.extend(float(v) for v in bbox)
    if start:
        where.append("date >= ?")
        params.append(str(start))
    if end:
        where.append("date < ?")
        params.append(str((pd.Timestamp(end) + pd.Timedelta(days=1)).date()))
    if families:
        where.append("actor_family = ANY(?)")
        params.append(list(families))
    # ordered here, not by the database: at 150,000 rows its sort spilled to disk and was
    # half of the query
    found = con.frame_copied(
        "SELECT id, batch_id, batch_row, date, actor_family FROM records WHERE "
        + " AND ".join(where),
        tuple(params),
        {
            "id": "text",
            "batch_id": "int",
            "batch_row": "int",
            "date": "text",
            "actor_family": "text",
        },
    )
    return found.sort_values(["batch_id", "batch_row"], kind="stable", ignore_index=True)
