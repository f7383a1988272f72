"""A store locked by another writer: the import waits a bounded time, then says in one line
who holds the store and what to do (exit 2), and the store is left exactly as it was."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from atlas_cli.main import main
from geodata.store import (
    LOCK_WAIT_ENV,
    PAUSE_ENV,
    WRITER_FILE_SUFFIX,
    StoreLockedError,
    import_bytes,
    list_batches,
    record_counts,
    store_path,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "import"


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(LOCK_WAIT_ENV, "0.3")


def _store_with_one_batch(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    import_bytes((FIXTURES / "points_sample.geojson").read_bytes(), "points.geojson", home=home)
    return home


def _digest(home: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.iterdir())
        if p.is_file()
    }


def _acled_rows(n: int) -> bytes:
    reader = csv.DictReader(io.StringIO((FIXTURES / "acled_sample.csv").read_text("utf-8")))
    base = next(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow({**base, "event_id_cnty": f"AFG7{i:05d}", "notes": f"SYNTHETIC ROW {i}."})
    return out.getvalue().encode("utf-8")


def test_locked_store_one_line_exit_2_and_nothing_changed(tmp_path, capsys):
    home = _store_with_one_batch(tmp_path)
    before = _digest(home)
    other = sqlite3.connect(store_path(home), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program (no atlas writer file) holds it
    try:
        status = main(["import", str(FIXTURES / "acled_sample.csv"), "--home", str(home)])
    finally:
        other.execute("ROLLBACK")
        other.close()
    err = capsys.readouterr().err
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "another program is writing the store" in lines[0]
    assert "waited 0.3 s" in lines[0] and "run this again" in lines[0]
    assert _digest(home) == before
    # Once the other writer is gone, the same import goes through.
    assert main(["import", str(FIXTURES / "acled_sample.csv"), "--home", str(home)]) == 0
    assert [b.file for b in list_batches(home)] == ["points.geojson", "acled_sample.csv"]


def test_an_import_holding_the_store_is_named_with_its_pid(tmp_path):
    home = _store_with_one_batch(tmp_path)
    db = store_path(home)
    before = db.read_bytes()
    big = tmp_path / "big.csv"
    big.write_bytes(_acled_rows(6000))
    env = {**os.environ, PAUSE_ENV: "5000"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas_cli", "import", str(big), "--home", str(home)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()  # it says when it is inside its write transaction
        assert line.strip() == "PAUSED 5000", proc.stderr.read()
        assert (home / f"store.sqlite{WRITER_FILE_SUFFIX}").exists()
        with pytest.raises(StoreLockedError) as info:
            import_bytes((FIXTURES / "gtd_sample.csv").read_bytes(), "gtd.csv", home=home)
        message = str(info.value)
        assert f"another import (pid {proc.pid}, started " in message
        assert "big.csv" in message and "wait for it to finish" in message
    finally:
        proc.kill()
        proc.wait()
    assert db.read_bytes() == before  # neither the killed import nor the refused one wrote
    assert record_counts(home) == {"incidents": 2}
    # The killed importer's note is stale (its pid is gone): not reported as a holder.
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match="another program is writing"):
            import_bytes((FIXTURES / "gtd_sample.csv").read_bytes(), "gtd.csv", home=home)
    finally:
        other.execute("ROLLBACK")
        other.close()
    import_bytes((FIXTURES / "gtd_sample.csv").read_bytes(), "gtd.csv", home=home)
    assert [b.file for b in list_batches(home)] == ["points.geojson", "gtd.csv"]
    assert not (home / f"store.sqlite{WRITER_FILE_SUFFIX}").exists()


def test_bad_lock_wait_setting_is_one_line(tmp_path, monkeypatch, capsys):
    home = _store_with_one_batch(tmp_path)
    monkeypatch.setenv(LOCK_WAIT_ENV, "soon")
    status = main(["import", str(FIXTURES / "acled_sample.csv"), "--home", str(home)])
    err = capsys.readouterr().err
    assert status == 2 and f"{LOCK_WAIT_ENV}='soon' is not a number of seconds" in err
