"""The team store on PostgreSQL/PostGIS: what only it does — geometry with a GiST index,
several importers at once, readers that never see half a batch, roles, schema versions
and `store migrate|info|copy`, and a password that never shows. (The store's behaviour
shared with SQLite is tested on both engines in test_store.py, test_import_trust.py and
test_prepared.py.)"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from atlas_cli.main import main
from geodata.catalog import DataSource, load_current
from geodata.store import (
    LOCK_WAIT_ENV,
    PAUSE_ENV,
    SCHEMA_VERSION,
    StoreLockedError,
    StoreVersionError,
    copy_store,
    import_bytes,
    list_batches,
    list_merges,
    load_bundle_with_store,
    migrate,
    plan_import,
    record_counts,
    store_info,
    store_signature,
    unmerge,
)
from geodata.store_pg import URL_ENV, mask_url

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "import"
TEAM_DOC = ROOT / "docs" / "TEAM.md"


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv(URL_ENV, raising=False)


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _acled_rows(n: int, prefix: str = "AFG6", notes: str = "SYNTHETIC ROW") -> bytes:
    reader = csv.DictReader(io.StringIO(_fixture("acled_sample.csv").decode("utf-8")))
    base = next(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow({**base, "event_id_cnty": f"{prefix}{i:05d}", "notes": f"{notes} {i}."})
    return out.getvalue().encode("utf-8")


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def _sql(cluster, dbname: str, sql: str, params: tuple = ()) -> list[tuple]:
    con = cluster.admin(dbname)
    try:
        cur = con.execute(sql, params or None)
        return cur.fetchall() if cur.description else []
    finally:
        con.close()


# --- Geometry in the database -----------------------------------------------------------------


def test_records_are_postgis_points_with_a_gist_index(pg_cluster, pg_url):
    from geodata import store_pg

    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=pg_url)
    dbname = pg_url.split("/")[3].split("?")[0]
    rows = _sql(
        pg_cluster,
        dbname,
        "SELECT id, ST_SRID(geom), ST_X(geom), ST_Y(geom), "
        "longitude, latitude FROM records ORDER BY id",
    )
    assert len(rows) == 4
    for _, srid, x, y, lon, lat in rows:
        assert srid == 4326 and x == pytest.approx(float(lon)) and y == pytest.approx(float(lat))
    index = _sql(
        pg_cluster, dbname, "SELECT indexdef FROM pg_indexes WHERE indexname = 'records_geom'"
    )
    assert "USING gist (geom)" in index[0][0]
    # A bounding box (west, south, east, north) around each record finds just that record.
    con = store_pg.connect(pg_url)
    try:
        for rid, _, x, y, _, _ in rows:
            found = store_pg.records_in(con, bbox=(x - 0.01, y - 0.01, x + 0.01, y + 0.01))
            assert rid in set(found["id"])
        assert store_pg.records_in(con, bbox=(0, 0, 1, 1)).empty  # the Gulf of Guinea
    finally:
        con.close()


# --- Several importers at once -----------------------------------------------------------------


def test_two_importer_processes_at_once_keep_batches_whole_and_store_shared_events_once(
    tmp_path, pg_cluster, pg_url
):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    shared = _acled_rows(300, prefix="AFG5")  # in both files
    reader = list(csv.reader(io.StringIO(shared.decode("utf-8"))))
    header, rows = reader[0], reader[1:]
    own = list(csv.reader(io.StringIO(_acled_rows(200, prefix="PAK5").decode("utf-8"))))[1:]
    for path, extra in ((first, []), (second, own)):
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows, *extra])
        path.write_text(out.getvalue(), encoding="utf-8")
    env = {**os.environ, LOCK_WAIT_ENV: "120"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "atlas_cli", "import", str(p), "--database-url", pg_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in (first, second)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert record_counts(pg_url) == {"incidents": 500}  # 300 shared once + 200 own
    ids = load_bundle_with_store(pg_url).incidents["id"]
    assert ids.is_unique and ids.str.startswith("ACLED-AFG5").sum() == 300
    batches = list_batches(pg_url)
    # first.csv first: two batches (300 + 200); second.csv first: first.csv has nothing new
    # (all 300 already present) and stores no batch
    assert [b.rows_accepted for b in batches] in ([300, 200], [500])
    dbname = pg_url.split("/")[3].split("?")[0]
    for batch in batches:  # every batch whole: its counts are the rows it stored
        stored = _sql(
            pg_cluster,
            dbname,
            "SELECT count(*) FROM records WHERE batch_id = %s",
            (batch.batch_id,),
        )
        assert stored[0][0] == batch.rows_accepted + batch.rows_merged
        assert batch.rows_read == (
            batch.rows_accepted
            + batch.rows_merged
            + batch.rows_already_present
            + batch.rows_updated
        )
    assert [b.rows_already_present for b in batches] in ([0, 300], [0])
    if len(batches) == 1:
        assert "nothing new to store" in outs[0][0]


def test_threads_committing_overlapping_plans_store_the_shared_event_once(pg_url):
    import threading

    plans = [
        plan_import(_acled_rows(3, prefix="AFG4"), "a.csv", home=pg_url),
        plan_import(_acled_rows(5, prefix="AFG4"), "b.csv", home=pg_url),
    ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(plan):
        barrier.wait()
        try:
            from geodata.store import commit_import

            commit_import(plan, pg_url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert record_counts(pg_url) == {"incidents": 5}
    # a first: a stores 3, b 2 more; b first: b stores 5 and a has nothing new (no batch).
    assert sorted(b.rows_accepted for b in list_batches(pg_url)) in ([2, 3], [5])


def test_a_reader_never_sees_a_half_written_batch_and_a_killed_import_leaves_nothing(
    tmp_path, pg_url, monkeypatch
):
    import_bytes(_fixture("points_sample.geojson"), "points.geojson", home=pg_url)
    before_batches, before_sig = list_batches(pg_url), store_signature(pg_url)
    shown = len(load_bundle_with_store(pg_url).incidents)
    big = tmp_path / "big.csv"
    big.write_bytes(_acled_rows(6000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas_cli", "import", str(big), "--database-url", pg_url],
        cwd=ROOT,
        env={**os.environ, PAUSE_ENV: "5000"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # inside its transaction, 5,000 rows written
        assert line.strip() == "PAUSED 5000", proc.stderr.read()
        # Readers: the store as it was, not 5,000 rows of a batch that is not committed.
        assert record_counts(pg_url) == {"incidents": 2}
        assert list_batches(pg_url) == before_batches
        assert len(load_bundle_with_store(pg_url).incidents) == shown
        assert store_signature(pg_url) == before_sig
        # Another writer waits, then is told who holds the store.
        monkeypatch.setenv(LOCK_WAIT_ENV, "0.3")
        with pytest.raises(StoreLockedError) as info:
            import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=pg_url)
        message = str(info.value)
        assert f"iskp-atlas pid {proc.pid}" in message and "waited 0.3 s" in message
        assert "Nothing was changed" in message
    finally:
        proc.kill()  # SIGKILL: the server rolls the transaction back
        proc.wait()
    monkeypatch.setenv(LOCK_WAIT_ENV, "30")
    assert record_counts(pg_url) == {"incidents": 2}
    assert list_batches(pg_url) == before_batches
    import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=pg_url)
    assert [b.file for b in list_batches(pg_url)] == ["points.geojson", "gtd.csv"]


# --- Roles (the GRANTs of docs/TEAM.md) ----------------------------------------------------------


def _doc_block(marker: str) -> str:
    text = TEAM_DOC.read_text(encoding="utf-8")
    hit = re.search(rf"<!-- test:{marker} -->\s*```sql\n(.*?)```", text, re.S)
    assert hit, f"docs/TEAM.md lost its {marker} block"
    return hit.group(1)


def test_the_documented_roles_viewer_reads_importer_imports(pg_cluster, pg_url, tmp_path):
    dbname = pg_url.split("/")[3].split("?")[0]
    roles = _doc_block("create-roles")
    passwords = dict(re.findall(r"CREATE ROLE (\w+) LOGIN PASSWORD '([^']+)'", roles))
    assert set(passwords) == {"atlas_owner", "atlas_importer", "atlas_viewer"}
    for statement in roles.split(";"):
        if statement.strip() and "CREATE DATABASE" not in statement:
            _sql(pg_cluster, "postgres", statement)
    _sql(pg_cluster, "postgres", f"ALTER DATABASE {dbname} OWNER TO atlas_owner")

    def url(role):
        return pg_cluster.url(dbname, role, passwords[role])

    made = _cli("store", "migrate", "--database-url", url("atlas_owner"))
    assert made.returncode == 0, made.stderr
    assert "created the tables" in made.stdout and passwords["atlas_owner"] not in made.stdout
    for statement in _doc_block("grants").replace(" atlas ", f" {dbname} ").split(";"):
        if statement.strip():
            _sql(pg_cluster, dbname, statement)

    imported = _cli(
        "import", str(FIXTURES / "acled_sample.csv"), "--database-url", url("atlas_importer")
    )
    assert imported.returncode == 0, imported.stderr
    assert "stored as batch 1 in postgresql://atlas_importer:***@" in imported.stdout
    assert passwords["atlas_importer"] not in imported.stdout + imported.stderr

    viewer = url("atlas_viewer")
    assert record_counts(viewer) == {"incidents": 4}
    assert "ACLED-AFG90004" in set(load_bundle_with_store(viewer).incidents["id"])
    refused = _cli("import", str(FIXTURES / "gtd_sample.csv"), "--database-url", viewer)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in refused.stderr
    assert "the database role 'atlas_viewer' may not change the team store" in lines[0]
    assert "permission denied" in lines[0] and passwords["atlas_viewer"] not in lines[0]
    assert record_counts(viewer) == {"incidents": 4}  # nothing changed
    assert _cli("rollback", "1", "--database-url", viewer).returncode == 2
    assert len(list_batches(viewer)) == 1


# --- Passwords never shown -------------------------------------------------------------------


def test_mask_url_hides_every_form_of_password():
    assert (
        mask_url("postgresql://ann:s3cr%40t@db:5432/atlas") == "postgresql://ann:***@db:5432/atlas"
    )
    assert (
        mask_url("postgres://ann:pw@/atlas?host=/run/pg")
        == "postgres://ann:***@/atlas?host=/run/pg"
    )
    assert (
        mask_url("postgresql:///atlas?user=ann&password=pw&host=x")
        == "postgresql:///atlas?user=ann&password=***&host=x"
    )
    assert mask_url("postgresql://ann@db/atlas") == "postgresql://ann@db/atlas"
    assert mask_url("failed for pw-hunter2", "postgresql://a:pw-hunter2@h/d") == "failed for ***"


def test_the_password_is_not_in_the_name_other_roles_see_nor_in_reprs(monkeypatch):
    from geodata.catalog import DataSource
    from geodata.store import _application, store_target

    url = "postgresql://ann:Top-Secret-9@db/atlas"
    monkeypatch.setattr(sys, "argv", ["iskp-atlas", "import", "f.csv", "--database-url", url])
    assert "Top-Secret-9" not in _application()  # pg_stat_activity.application_name
    assert "Top-Secret-9" not in repr(store_target(url))
    assert "Top-Secret-9" not in repr(DataSource.from_env(database_url=url))


def test_a_wrong_password_is_one_line_without_the_password(pg_cluster, pg_url, capsys):
    dbname = pg_url.split("/")[3].split("?")[0]
    _sql(
        pg_cluster,
        "postgres",
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE "
        "rolname = 'atlas_probe') THEN CREATE ROLE atlas_probe LOGIN PASSWORD 'right-one'; "
        "END IF; END $$",
    )
    secret = "Wrong-Secret-42"
    url = pg_cluster.url(dbname, "atlas_probe", secret)
    for argv in (
        ["store", "info", "--database-url", url],
        ["batches", "--database-url", url],
        ["scores", "--level", "province", "--database-url", url],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and secret not in err
        assert "atlas_probe:***@" in err and "password authentication failed" in err


# --- Schema versions, store info / migrate / copy ----------------------------------------------


def test_an_older_team_store_is_refused_with_the_command_and_store_migrate_fixes_it(
    pg_cluster, pg_url
):
    from geodata import store_pg

    dbname = pg_url.split("/")[3].split("?")[0]
    for statement in store_pg.SCHEMA_V1:  # a store as schema 1 left it
        _sql(pg_cluster, dbname, statement)
    with pytest.raises(StoreVersionError, match="older than this iskp-atlas uses") as info:
        list_batches(pg_url)
    assert "iskp-atlas store migrate --database-url postgresql://postgres@" in str(info.value)
    refused = _cli("import", str(FIXTURES / "acled_sample.csv"), "--database-url", pg_url)
    assert refused.returncode == 2 and "store migrate" in refused.stderr
    shown = _cli("store", "info", "--database-url", pg_url)
    assert f"schema version: 1 (this iskp-atlas: {SCHEMA_VERSION})" in shown.stdout
    done = _cli("store", "migrate", "--database-url", pg_url)
    assert done.returncode == 0
    assert f"migrated from schema version 1 to {SCHEMA_VERSION}" in done.stdout
    assert migrate(pg_url) == (SCHEMA_VERSION, SCHEMA_VERSION)
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=pg_url)
    assert record_counts(pg_url) == {"incidents": 4}
    _sql(pg_cluster, dbname, "UPDATE atlas_schema SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(StoreVersionError, match="newer than this iskp-atlas reads"):
        record_counts(pg_url)


def test_store_info_names_engine_version_and_counts(pg_url, tmp_path):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=pg_url)
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=pg_url)
    info = store_info(pg_url)
    assert (info["engine"], info["schema_version"], info["batches"]) == (
        "postgresql",
        SCHEMA_VERSION,
        2,
    )
    assert info["records"] == {"incidents": 6} and info["merged_records"] == 1
    assert info["postgis"]
    shown = _cli("store", "info", "--database-url", pg_url)
    assert shown.returncode == 0, shown.stderr
    assert "engine: postgresql" in shown.stdout and "records: incidents 6" in shown.stdout
    local = _cli("store", "info", "--home", str(tmp_path / "none"))
    assert "engine: sqlite" in local.stdout and "no store yet" in local.stdout


def test_store_copy_moves_a_sqlite_store_with_merges_corrections_and_undone_merges(
    tmp_path, pg_url
):
    home = tmp_path / "analyst"
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=home)
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=home)
    rows = list(csv.DictReader(io.StringIO(_fixture("acled_sample.csv").decode("utf-8"))))
    rows[0]["fatalities"] = str(int(rows[0]["fatalities"] or 0) + 5)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    assert import_bytes(out.getvalue().encode(), "fix.csv", home=home).counts()["updated"] == 1
    import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=home)
    unmerge("UCDP-990001", home)
    local = load_bundle_with_store(home).incidents.set_index("id").sort_index()

    copied = _cli("store", "copy", "--from", str(home / "store.sqlite"), "--to", pg_url)
    assert copied.returncode == 0, copied.stderr
    assert "copied 4 batch(es)" in copied.stdout and "1 earlier version(s)" in copied.stdout
    assert list_batches(pg_url) == list_batches(home)
    team = load_bundle_with_store(pg_url).incidents.set_index("id").sort_index()
    columns = ["fatalities", "date", "actor", "source_dataset", "merged_from", "import_batch"]
    pd.testing.assert_frame_equal(team[columns], local[columns])
    assert list_merges(pg_url).equals(list_merges(home))
    # Undone merges stay undone, corrections can still be rolled back, ids go on.
    from geodata.store import rollback

    rollback(3, pg_url)
    assert (
        load_bundle_with_store(pg_url).incidents.set_index("id").loc["ACLED-AFG90001", "fatalities"]
        == int(rows[0]["fatalities"]) - 5
    )
    nxt = import_bytes(_acled_rows(1, prefix="AFG3"), "next.csv", home=pg_url).batch
    assert nxt.batch_id == 5
    with pytest.raises(ValueError, match="copy into an empty store"):
        copy_store(str(home), pg_url)
    refused = _cli("store", "copy", "--from", str(home), "--to", pg_url)
    assert refused.returncode == 2 and "already has 4 batch(es)" in refused.stderr


# --- Choosing the engine ------------------------------------------------------------------------


def test_the_environment_variable_selects_the_team_store_and_home_wins(
    pg_url, tmp_path, monkeypatch
):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=pg_url)
    monkeypatch.setenv(URL_ENV, pg_url)
    assert DataSource.from_env().database_url == pg_url
    assert "ACLED-AFG90004" in set(load_current().incidents["id"])
    assert record_counts() == {"incidents": 4}  # the store functions' default too
    here = tmp_path / "mine"
    assert DataSource.from_env(home=here).database_url is None
    assert "ACLED-AFG90004" not in set(load_current(home=here).incidents["id"])
    shown = _cli("batches", env={URL_ENV: pg_url})
    assert "acled.csv" in shown.stdout
    monkeypatch.setenv(URL_ENV, "mysql://nope")
    with pytest.raises(ValueError, match="must be a postgresql:// URL"):
        record_counts()


# --- Backups (docs/TEAM.md section 4) ----------------------------------------------------------


def test_a_pg_dump_backup_restores_into_a_working_store(pg_cluster, pg_url):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=pg_url)
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=pg_url)
    dump = pg_cluster.root / "atlas.dump"
    done = pg_cluster._run("pg_dump", "--format=custom", f"--file={dump}", pg_url)
    assert done.returncode == 0, done.stderr
    restored = pg_cluster.new_database()  # empty, with PostGIS
    try:
        back = pg_cluster._run(
            "pg_restore", "--no-owner", f"--dbname={pg_cluster.url(restored)}", str(dump)
        )
        assert back.returncode == 0, back.stderr
        url = pg_cluster.url(restored)
        assert list_batches(url) == list_batches(pg_url)
        assert list_merges(url).equals(list_merges(pg_url))
        assert set(load_bundle_with_store(url).incidents["id"]) == set(
            load_bundle_with_store(pg_url).incidents["id"]
        )
        nxt = import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=url).batch
        assert nxt.batch_id == 3  # the batch ids go on after the restored ones
    finally:
        pg_cluster.drop_database(restored)


def test_a_copied_read_gives_the_same_frame_as_a_row_read(pg_url):
    """The team store's large reads come through COPY as CSV (PgConnection.frame_copied):
    the text a user imported comes back exactly — commas, quotes, line breaks, a leading
    zero, an empty string apart from a missing value — and in the same frame as a
    row-by-row read."""
    from geodata import store_pg

    con = store_pg.connect(pg_url)
    try:
        con.execute("CREATE TEMP TABLE t (id TEXT, n BIGINT, note TEXT)")
        rows = [
            ("007", 1, 'He said "stop", then left\nnext line'),
            ("8", 2, ""),
            ("x,y", 3, None),
            ("ناظر", 4, "\\N and NULL"),
        ]
        con.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
        sql, params = "SELECT id, n, note FROM t WHERE n >= ? ORDER BY n", (1,)
        copied = con.frame_copied(sql, params, {"id": "text", "n": "int", "note": "text"})
        pd.testing.assert_frame_equal(copied, con.frame(sql, params))
        notes = copied["note"].tolist()
        assert notes[:2] == [rows[0][2], ""] and pd.isna(notes[2]) and notes[3] == "\\N and NULL"
        assert copied["id"].tolist() == ["007", "8", "x,y", "ناظر"]
        empty = con.frame_copied(
            "SELECT id, n FROM t WHERE n > ?", (99,), {"id": "text", "n": "int"}
        )
        assert empty.empty and list(empty.columns) == ["id", "n"]
    finally:
        con.close()
