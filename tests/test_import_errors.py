"""Bad input: each case gives one clear line naming row, column and fix, and leaves the
store byte-identical; ``--skip-bad`` imports the valid rows and lists the skipped ones."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from geodata.contract import DataContractError
from geodata.store import import_bytes, list_batches, record_counts, store_path

FIXTURES = Path(__file__).parent / "fixtures" / "import"
ACLED = FIXTURES / "acled_sample.csv"


def acled_rows(*changes: dict[str, str], drop: str | None = None) -> bytes:
    """The first ACLED fixture row once per ``changes`` dict, with those fields replaced."""
    reader = csv.DictReader(io.StringIO(ACLED.read_text(encoding="utf-8")))
    base = next(reader)
    fields = [f for f in reader.fieldnames if f != drop]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for i, change in enumerate(changes):
        writer.writerow({**base, "event_id_cnty": f"AFG9{i:04d}", **change})
    return out.getvalue().encode("utf-8")


def _header_only() -> bytes:
    return ACLED.read_bytes().split(b"\n", 1)[0] + b"\n"


def _bad_byte() -> bytes:
    """UTF-8 (a valid 'Kabul\u2013' elsewhere) with one Windows-1252 byte: a damaged or mixed
    file, not a Windows export (a file with no UTF-8 sequence at all is read as cp1252)."""
    return acled_rows({"notes": "SYNTHETIC caf\u00e9", "source": "Kabul\u2013Times"}).replace(
        b"caf\xc3\xa9", b"caf\xe9"
    )


FEATURE = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [69.1, 34.5]},
    "properties": {"id": "X"},
}

BAD_CASES = [
    # label, file name, content, max_mb, fragments the one-line message must contain
    ("empty file", "empty.csv", b"", None, ["empty.csv", "the file is empty"]),
    ("header only", "head.csv", _header_only(), None, ["header but no data rows"]),
    (
        "unknown format",
        "other.csv",
        b"name,colour\nx,red\n",
        None,
        ["match no known format", "--format"],
    ),
    (
        "wrong encoding",
        "latin.csv",
        _bad_byte(),
        None,
        ["row 1", "column 'notes'", "byte 0xE9", "UTF-8", "--encoding cp1252"],
    ),
    (
        "missing required column",
        "nolat.csv",
        acled_rows({}, drop="latitude"),
        None,
        ["column 'latitude'", "add the required column 'latitude'"],
    ),
    (
        "unparseable date",
        "date.csv",
        acled_rows({"event_date": "32 March 2024"}),
        None,
        ["row 1", "column 'event_date'", "'32 March 2024'", "YYYY-MM-DD"],
    ),
    (
        "future date",
        "future.csv",
        acled_rows({"event_date": "2099-01-01"}),
        None,
        ["row 1", "column 'event_date'", "between 1970-01-01 and today"],
    ),
    (
        "latitude out of range",
        "lat.csv",
        acled_rows({"latitude": "134.5"}),
        None,
        ["row 1", "column 'latitude'", "between -90 and 90"],
    ),
    (
        "swapped coordinates",
        "swap.csv",
        acled_rows({"latitude": "69.1180", "longitude": "34.5010"}),
        None,
        ["row 1", "column 'latitude'", "look swapped"],
    ),
    (
        "non-numeric casualties",
        "dead.csv",
        acled_rows({"fatalities": "three"}),
        None,
        ["row 1", "column 'fatalities'", "'three'", "whole number"],
    ),
    (
        "duplicate ids",
        "dup.csv",
        acled_rows({"event_id_cnty": "AFG1"}, {"event_id_cnty": "AFG1"}),
        None,
        ["row 1", "column 'event_id_cnty'", "unique"],
    ),
    (
        "over the size limit",
        "big.csv",
        acled_rows({}),
        0.0001,
        ["over the 0.0001 MB import limit", "--max-mb"],
    ),
    (
        "GeoJSON that is not a FeatureCollection",
        "one.geojson",
        json.dumps(FEATURE).encode(),
        None,
        ["is a Feature", "FeatureCollection"],
    ),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A store holding one batch (the bad imports must leave it exactly as it is)."""
    home = tmp_path_factory.mktemp("store")
    import_bytes((FIXTURES / "points_sample.geojson").read_bytes(), "points.geojson", home=home)
    return home


def _snapshot(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }


@pytest.mark.parametrize(
    ("label", "name", "content", "max_mb", "fragments"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_input_one_clear_line_and_store_unchanged(
    home, label, name, content, max_mb, fragments
):
    before = _snapshot(home)
    with pytest.raises(DataContractError) as info:
        import_bytes(content, name, max_mb=max_mb, home=home)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert _snapshot(home) == before


def test_partly_bad_file_rejected_by_default_and_skip_bad_imports_the_rest(tmp_path):
    content = acled_rows({}, {"fatalities": "many"}, {"event_date": "yesterday"})
    with pytest.raises(DataContractError) as info:
        import_bytes(content, "mixed.csv", home=tmp_path)
    assert "row 2" in str(info.value) and "row 3" in str(info.value)
    assert not store_path(tmp_path).exists()
    result = import_bytes(content, "mixed.csv", skip_bad=True, home=tmp_path)
    assert result.plan.counts()["accepted"] == 1 and result.plan.rows_rejected == 2
    assert [(p.row, p.column) for p in result.plan.rejected] == [
        (2, "fatalities"),
        (3, "event_date"),
    ]
    assert record_counts(tmp_path) == {"incidents": 1}
    assert list_batches(tmp_path)[0].rows_rejected == 2


def test_reimporting_a_file_adds_nothing(tmp_path):
    data = ACLED.read_bytes()
    import_bytes(data, "acled.csv", home=tmp_path)
    before = _snapshot(tmp_path)
    again = import_bytes(data, "acled.csv", home=tmp_path)
    assert again.batch is None and len(again.plan.already_present) == 4
    assert _snapshot(tmp_path) == before


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )


def test_cli_import_bad_file_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(acled_rows({"fatalities": "three"}))
    proc = _cli("import", str(bad), home=tmp_path / "home")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "bad.csv, row 1" in lines[0] and "'fatalities'" in lines[0]
    assert not (tmp_path / "home").exists()


def test_cli_import_dry_run_skip_bad_batches_and_rollback(tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(acled_rows({}, {"latitude": "999"}))
    home = tmp_path / "home"
    dry = _cli("import", str(mixed), "--skip-bad", "--dry-run", home=home)
    assert dry.returncode == 0, dry.stderr
    assert "rows read 2 = accepted 1 + merged 0 + updated 0 + rejected 1" in dry.stdout
    assert "mixed.csv, row 2" in dry.stdout and "dry run: nothing stored" in dry.stdout
    assert not home.exists()
    real = _cli("import", str(mixed), "--skip-bad", home=home)
    assert "stored as batch 1" in real.stdout
    listed = _cli("batches", "--format", "csv", home=home)
    assert "1,mixed.csv,acled,incidents" in listed.stdout
    gone = _cli("rollback", "1", home=home)
    assert gone.returncode == 0 and "removed batch 1" in gone.stdout
    missing = _cli("rollback", "1", home=home)
    assert missing.returncode == 2 and "there is no batch 1" in missing.stderr


def test_stored_ids_are_the_normalised_ids_the_contract_compared(tmp_path):
    from geodata.store import load_imported

    data = (FIXTURES / "atlas_sample.csv").read_bytes()
    data = data.replace(b"USR-001", "USR\u200b-001".encode())
    import_bytes(data, "zw.csv", home=tmp_path)
    ids = set(load_imported(tmp_path)["incidents"]["id"])
    assert "USR-001" in ids and not any("\u200b" in i for i in ids)
    # the same file again is already present, not a second record
    again = import_bytes(data, "zw.csv", home=tmp_path)
    assert again.plan.counts()["accepted"] == 0
