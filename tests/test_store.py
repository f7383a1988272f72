"""The store: one transaction per batch (a SIGKILL half-way leaves it as it was),
rollback, de-duplication across sources, and the bundle seen with imported records — on
both engines (``store_home``: a SQLite folder, then a throw-away PostGIS database)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from geodata import load_bundle
from geodata.store import (
    PAUSE_ENV,
    import_bytes,
    list_batches,
    list_merges,
    load_bundle_with_store,
    record_counts,
    rollback,
    store_path,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _many_acled_rows(n: int) -> bytes:
    """``n`` copies of the first ACLED fixture row with their own ids and long notes, so
    the transaction outgrows SQLite's page cache (2 MB) long before it commits."""
    reader = csv.DictReader(io.StringIO(_fixture("acled_sample.csv").decode("utf-8")))
    base = next(reader)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    for i in range(n):
        writer.writerow(
            {
                **base,
                "event_id_cnty": f"AFG8{i:05d}",
                "notes": f"SYNTHETIC ROW {i}. " + "words " * 150,
            }
        )
    return out.getvalue().encode("utf-8")


def _files(home: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(home)): p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file()
    }


def test_sigkill_mid_import_leaves_the_store_as_it_was(tmp_path):
    home = tmp_path / "home"
    import_bytes(_fixture("points_sample.geojson"), "points.geojson", home=home)
    db = store_path(home)
    before, batches_before = db.read_bytes(), list_batches(home)
    big = tmp_path / "big.csv"
    big.write_bytes(_many_acled_rows(6000))
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
        line = proc.stdout.readline()  # the importer says when it is inside the transaction
        assert line.strip() == "PAUSED 5000", proc.stderr.read()
        journal = home / "store.sqlite-journal"
        assert journal.exists()  # 5,000 rows written and not committed
        proc.kill()  # SIGKILL: no cleanup, no rollback by the process itself
    finally:
        proc.wait()
    assert proc.returncode == -9
    assert db.read_bytes() == before  # nothing reached the database file
    assert list_batches(home) == batches_before  # reopening rolls the journal back
    assert record_counts(home) == {"incidents": 2}
    assert db.read_bytes() == before
    # The store stays usable: the next import succeeds and the stale journal is gone.
    import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=home)
    assert [b.file for b in list_batches(home)] == ["points.geojson", "gtd.csv"]
    assert not (home / "store.sqlite-journal").exists()


def test_rollback_restores_the_previous_counts(store_home):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=store_home)
    counts = record_counts(store_home)
    layer = len(load_bundle_with_store(store_home).incidents)
    batch = import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=store_home).batch
    assert record_counts(store_home) == {"incidents": counts["incidents"] + 3}
    assert rollback(batch.batch_id, store_home).file == "gtd.csv"
    assert record_counts(store_home) == counts
    assert len(load_bundle_with_store(store_home).incidents) == layer
    assert [b.file for b in list_batches(store_home)] == ["acled.csv"]


def test_rollback_of_an_unknown_batch_says_which_exist(store_home):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=store_home)
    with pytest.raises(ValueError, match=r"no batch 7 \(batches: 1\)"):
        rollback(7, store_home)


def test_batches_list_file_format_counts_and_time(store_home):
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=store_home)
    (batch,) = list_batches(store_home)
    assert (batch.file, batch.format, batch.kind) == ("ucdp.csv", "ucdp", "incidents")
    assert (batch.rows_read, batch.rows_accepted, batch.rows_excluded) == (4, 3, 1)
    assert batch.imported_at.endswith("Z") and len(batch.sha256) == 64


def test_dedup_merges_a_pair_from_two_sources_and_keeps_both_citations(store_home):
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=store_home)
    ucdp = import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=store_home)
    assert ucdp.plan.counts()["merged"] == 1
    merges = list_merges(store_home)
    assert merges[["merged_id", "kept_id", "rule"]].values.tolist() == [
        ["UCDP-990001", "ACLED-AFG90004", "actor-date-place"]
    ]
    incidents = load_bundle_with_store(store_home).incidents.set_index("id")
    assert "UCDP-990001" not in incidents.index  # one record, not two
    kept = incidents.loc["ACLED-AFG90004"]
    assert kept["source_dataset"] == "acled" and "ACLED" in kept["source_citation"]
    assert kept["merged_from"] == "UCDP-990001" and kept["merged_sources"] == "ucdp"
    assert "UCDP Georeferenced Event Dataset" in kept["merged_citations"]


def test_dedup_against_a_bundled_record_same_event_citing_the_same_article(store_home):
    result = import_bytes(_fixture("atlas_sample.csv"), "atlas.csv", home=store_home)
    assert result.plan.merges[["merged_id", "kept_id", "rule"]].values.tolist() == [
        ["USR-002", "INC-004", "actor-date-place"]
    ]
    assert result.plan.merges["reason"].iat[0].endswith(", same article")
    incidents = load_bundle_with_store(store_home).incidents.set_index("id")
    assert "USR-002" not in incidents.index
    assert incidents.loc["INC-004", "merged_from"] == "USR-002"


def test_rolling_back_the_kept_record_brings_the_merged_one_back(store_home):
    first = import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=store_home).batch
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=store_home)
    rollback(first.batch_id, store_home)
    ids = set(load_bundle_with_store(store_home).incidents["id"])
    assert "UCDP-990001" in ids and "ACLED-AFG90004" not in ids
    assert list_merges(store_home).empty


def test_bundle_with_store_has_every_record_with_provenance(store_home):
    for name in ("acled_sample.csv", "gtd_sample.csv", "points_sample.geojson"):
        import_bytes(_fixture(name), name, home=store_home)
    bundled = load_bundle().incidents
    combined = load_bundle_with_store(store_home).incidents
    assert len(combined) == len(bundled) + 4 + 3 + 2
    assert combined["id"].is_unique
    assert set(combined["source_dataset"]) == {"atlas-reference", "acled", "gtd", "geojson"}
    assert combined["licence"].notna().all() and combined["admin1_code"].notna().any()
    imported = combined[combined["source_dataset"] == "gtd"]
    assert set(imported["import_batch"]) == {2}
    assert len(load_bundle().incidents) == len(bundled)  # the cached bundle is untouched


def test_no_store_means_the_bundle_alone_and_no_file_created(tmp_path):
    home = tmp_path / "nowhere"
    assert len(load_bundle_with_store(home).incidents) == len(load_bundle().incidents)
    assert list_batches(home) == [] and not home.exists()


def test_loaded_store_is_cached_per_store_state(tmp_path, monkeypatch, store_home):
    from geodata.store import store_signature

    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    home = store_home
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=home)
    first = load_bundle_with_store(home)
    cached = sorted((tmp_path / "cache").glob("store-*.pickle"))
    assert len(cached) == 1
    assert len(load_bundle_with_store(home).incidents) == len(first.incidents)
    before = store_signature(home)
    batch = import_bytes(_fixture("gtd_sample.csv"), "gtd.csv", home=home).batch
    assert store_signature(home) != before
    assert len(load_bundle_with_store(home).incidents) == len(first.incidents) + 3
    rollback(batch.batch_id, home)
    assert len(load_bundle_with_store(home).incidents) == len(first.incidents)
