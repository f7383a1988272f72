"""One writer at a time: how long a writer waits, the note beside a SQLite store saying who
holds it, the message another writer gets, and reading the store file's header without
ever dropping SQLite's locks.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from geodata import settings
from geodata.settings import LOCK_WAIT_ENV

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


def _store_state(path: Path) -> str:
    """SQLite's file change counter (header bytes 24-27): it goes up with every committed
    write in the store's rollback-journal mode ('empty' before the first commit)."""
    header = store_header(path)
    if header is None or len(header) < 28:
        return "empty"
    return str(int.from_bytes(header[24:28], "big"))
