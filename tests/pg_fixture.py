"""A throw-away PostgreSQL + PostGIS cluster for the team-store tests.

``initdb`` in a temporary folder, listening on a Unix socket in that folder only (no TCP
port), ``postgis`` created in a template database, one fresh database per test, and
``pg_ctl stop`` of that data folder at the end of the run. As root, the server runs as
the ``postgres`` user (``initdb`` refuses root). Without PostgreSQL, PostGIS or psycopg
the tests that need it are skipped with the reason; with ``ISKP_REQUIRE_POSTGRES=1`` (CI)
that is a failure instead.

The superuser ``postgres`` connects without a password over the socket; every other role
authenticates with SCRAM, so the roles tests use real passwords.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

REQUIRE_ENV = "ISKP_REQUIRE_POSTGRES"
PORT = 5432  # only names the socket file inside our own folder; no TCP listener


def _unavailable(reason: str):
    if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
        pytest.fail(f"PostgreSQL/PostGIS required ({REQUIRE_ENV}=1) but {reason}")
    pytest.skip(reason)


def _bindir() -> Path | None:
    """The newest installed server's binaries (Debian's layout, else PATH)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(re.sub(r"\D", "", p.parts[-3]) or 0),
    )
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Cluster:
    """A running throw-away cluster."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="iskp-pg-"))
        self.data = self.root / "data"
        self.socket = self.root / "sock"
        self.socket.mkdir()
        self.owner = None
        if os.geteuid() == 0:  # initdb refuses root: run the server as 'postgres'
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                _unavailable("running as root and there is no 'postgres' user to run it")
            for path in (self.root, self.socket):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        self._names = itertools.count(1)
        self.started = False

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.owner is not None:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.root)

    def start(self) -> None:
        init = self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-locale",
            "--auth-local=trust",
            "--auth-host=reject",
        )
        if init.returncode != 0:
            _unavailable(f"initdb failed: {init.stderr.strip()[:300]}")
        (self.data / "pg_hba.conf").write_text(
            "local all postgres trust\nlocal all all scram-sha-256\n", encoding="utf-8"
        )
        options = (
            f"-c listen_addresses='' -c unix_socket_directories={self.socket} "
            f"-c port={PORT} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        started = self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )
        if started.returncode != 0:
            log = self.root / "server.log"
            _unavailable(
                "the PostgreSQL server did not start: "
                + (log.read_text()[-300:] if log.exists() else started.stderr)
            )
        self.started = True
        admin = self.admin()
        try:
            admin.execute("CREATE DATABASE atlas_template")
        finally:
            admin.close()
        template = self.admin("atlas_template")
        try:
            template.execute("CREATE EXTENSION postgis")
        except Exception as exc:  # PostGIS not installed
            _unavailable(
                f"PostGIS is not installed ({' '.join(str(exc).split())[:200]}); "
                "apt-get install postgresql-15-postgis-3"
            )
        finally:
            template.close()

    def stop(self) -> None:
        if self.started:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        auth = quote(user) + (f":{quote(password, safe='')}" if password else "")
        return f"postgresql://{auth}@/{dbname}?host={quote(str(self.socket), safe='')}&port={PORT}"

    def admin(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(dbname), autocommit=True)

    def new_database(self) -> str:
        name = f"atlas_test_{os.getpid()}_{next(self._names)}"
        admin = self.admin()
        try:
            admin.execute(f"CREATE DATABASE {name} TEMPLATE atlas_template")
        finally:
            admin.close()
        return name

    def drop_database(self, name: str) -> None:
        admin = self.admin()
        try:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            admin.close()


_CLUSTER: list[Cluster] = []


@pytest.fixture(scope="session")
def pg_cluster():
    """The throw-away cluster (started on first use, stopped at the end of the run)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    bindir = _bindir()
    if bindir is None:
        _unavailable(
            "PostgreSQL is not installed (apt-get install postgresql postgresql-15-postgis-3)"
        )
    cluster = Cluster(bindir)
    _CLUSTER.append(cluster)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        _CLUSTER.remove(cluster)


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a fresh, empty PostGIS database (dropped after the test)."""
    name = pg_cluster.new_database()
    yield pg_cluster.url(name)
    pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_home(request, tmp_path):
    """The store a test runs against, once per engine: a SQLite store folder, or the URL
    of a fresh team store on PostgreSQL/PostGIS."""
    if request.param == "sqlite":
        return tmp_path / "home"
    return request.getfixturevalue("pg_url")
