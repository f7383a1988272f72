"""The hostile-input corpus (tests/hostile/, written by tests/hostile/make_corpus.py): each
file through ``iskp-atlas import FILE --home STORE`` gives the exit code, the row / column
/ fix and the count its MANIFEST.json entry states, never a traceback, and a refused file
leaves a store that already holds a batch byte-identical. (Time and memory per file are
measured by ``python -m bench``, section f.)"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from atlas_cli.main import main
from geodata.importers import reading
from geodata.store import record_counts

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "tests" / "hostile"
FILES = HOSTILE / "files"
ENTRIES = json.loads((HOSTILE / "MANIFEST.json").read_text(encoding="utf-8"))["files"]
BASE_FILE = REPO / "tests" / "fixtures" / "import" / "points_sample.geojson"


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "default-home"))
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def base_store(tmp_path_factory):
    """A store already holding one batch (the points fixture)."""
    home = tmp_path_factory.mktemp("hostile-store")
    assert main(["import", str(BASE_FILE), "--home", str(home)]) == 0
    return home


def _digest(home: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.iterdir())
        if p.is_file()
    }


def test_corpus_is_large_and_covers_every_kind_of_file():
    names = [e["file"] for e in ENTRIES]
    assert len(names) >= 60
    assert sorted(names) == sorted(p.name for p in FILES.iterdir())
    suffixes = {Path(n).suffix for n in names}
    assert {".csv", ".tsv", ".txt", ".geojson", ".json", ".xlsx", ".zip", ".xls"} <= suffixes
    assert sum(e["exit"] == 0 for e in ENTRIES) >= 15
    assert sum(e["exit"] == 2 for e in ENTRIES) >= 45


def test_corpus_on_disk_is_what_the_script_writes(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    manifest = module.main(tmp_path)
    assert json.loads(manifest.read_text()) == json.loads((HOSTILE / "MANIFEST.json").read_text())
    for entry in ENTRIES:
        if entry["file"].endswith(".xlsx"):  # openpyxl stamps the time of writing
            continue
        fresh = (tmp_path / "files" / entry["file"]).read_bytes()
        assert fresh == (FILES / entry["file"]).read_bytes(), entry["file"]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_corpus_file(entry, base_store, tmp_path, capsys):
    if entry.get("pending"):
        pytest.xfail(f"waits for: {entry['pending']}")
    accepted = entry["exit"] == 0
    home = base_store
    if accepted:  # an accepted file changes the store: import it into a copy
        home = tmp_path / "store"
        shutil.copytree(base_store, home)
    before, counts = _digest(home), record_counts(home)
    status = main(["import", str(FILES / entry["file"]), "--home", str(home)])
    out = capsys.readouterr()
    text = out.out + out.err
    assert status == entry["exit"], text
    assert "Traceback" not in text
    for part in entry["parts"]:
        assert part in text, f"{part!r} not in {text!r}"
    for part in entry.get("absent", []):
        assert part not in text, f"{part!r} in {text!r}"
    if accepted:
        added = sum(record_counts(home).values()) - sum(counts.values())
        assert added == entry.get("accepted", added) and added > 0, text
    else:
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("iskp-atlas import: error: "), text
        assert entry["file"].split(".")[0] in lines[0]
        assert _digest(home) == before


def test_one_hostile_file_through_a_real_process(base_store, tmp_path):
    before = _digest(base_store)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "atlas_cli",
            "import",
            str(FILES / "json_deep_array.geojson"),
            "--home",
            str(base_store),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "nested 100,000 levels deep" in proc.stderr
    assert _digest(base_store) == before


def test_row_limit_is_checked_before_parsing(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    path = tmp_path / "five.csv"
    path.write_bytes(FILES.joinpath("payload_template.csv").read_bytes())
    status = main(["import", str(path), "--home", str(tmp_path / "home")])
    err = capsys.readouterr().err
    assert status == 2
    assert "over the limit of 3" in err and "split it" in err
    assert not (tmp_path / "home").exists()
