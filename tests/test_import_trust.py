"""De-duplication a user can trust (a shared URL alone never merges; each merge listed
with its reason and undoable), de-duplication inside the write transaction, corrections
(updated records, restored by rollback), round trips of the product's own exports, and
counts that add up."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from geodata import load_bundle
from geodata.contract import schemas
from geodata.csvcells import neutralise_cell, restore_cell
from geodata.store import (
    SCHEMA_VERSION,
    StoreVersionError,
    commit_import,
    import_bytes,
    list_batches,
    list_merges,
    load_bundle_with_store,
    plan_import,
    record_counts,
    rollback,
    store_path,
    store_signature,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "default-home"))


def _fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _acled(
    edit: dict[str, dict[str, str]] | None = None,
    only: set[str] | None = None,
    extra: list[dict[str, str]] | None = None,
) -> bytes:
    """The ACLED fixture with some cells changed (by event id), some rows kept, rows added."""
    reader = csv.DictReader(io.StringIO(_fixture("acled_sample.csv").decode("utf-8")))
    rows = [r for r in reader if only is None or r["event_id_cnty"] in only]
    for row in rows:
        row.update((edit or {}).get(row["event_id_cnty"], {}))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
    writer.writeheader()
    writer.writerows([*rows, *(extra or [])])
    return out.getvalue().encode("utf-8")


def _atlas_rows(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _cli(*args: str, home: Path | str) -> subprocess.CompletedProcess:
    where = "--database-url" if str(home).startswith("postgresql://") else "--home"
    return subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args, where, str(home)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _written(home: Path | str) -> object:
    """What changes when anything is written: the SQLite file's bytes, the team store's
    write counter."""
    if str(home).startswith("postgresql://"):
        return store_signature(home)
    return store_path(home).read_bytes()


def _sum_of_parts(counts: dict[str, int]) -> int:
    return sum(v for k, v in counts.items() if k != "read")


# --- A shared URL is evidence, never enough on its own ---------------------------------------


def test_events_citing_a_bundled_article_8_260_and_1126_days_apart_stay_separate(store_home):
    bundled = load_bundle().incidents.set_index("id").loc["INC-004"]
    # The bundled record's contract columns; each row below gives its own date and text.
    own = ("id", "date", "summary", "source_1_title")
    base = {
        c: bundled[c]
        for c in schemas()["incidents"].columns
        if c not in own and c in bundled.index and pd.notna(bundled[c])
    }
    base["target_category"] = ";".join(bundled["target_categories"])
    day = pd.Timestamp(bundled["date"])
    rows = [
        {
            **base,
            "id": f"USR-URL-{gap}",
            "date": (day + pd.Timedelta(days=gap)).date().isoformat(),
            "summary": f"SYNTHETIC TEST ROW: another event {gap} days later "
            "citing the same article.",
            "source_1_title": "Same article as INC-004",
        }
        for gap in (8, 260, 1126)
    ]
    result = import_bytes(_atlas_rows(rows), "url_only.csv", home=store_home)
    assert result.counts()["merged"] == 0 and result.counts()["accepted"] == 3
    ids = set(load_bundle_with_store(store_home).incidents["id"])
    assert {"USR-URL-8", "USR-URL-260", "USR-URL-1126", "INC-004"} <= ids
    assert list_merges(store_home).empty


# --- Each merge with its reason; "import as new" ---------------------------------------------


def test_a_merge_is_listed_with_its_reason_and_unmerge_makes_it_a_record_of_its_own(store_home):
    home = store_home
    assert _cli("import", str(FIXTURES / "acled_sample.csv"), home=home).returncode == 0
    ucdp = _cli("import", str(FIXTURES / "ucdp_hdx_sample.csv"), home=home)
    assert ucdp.returncode == 0, ucdp.stderr
    assert "ACLED-AFG90004 ← ucdp:990001: same family Islamic State, 1 day, 2.3 km" in ucdp.stdout
    listed = _cli("merges", home=home)
    assert "batch 2: ACLED-AFG90004 ← ucdp:990001: same family Islamic State" in listed.stdout
    assert "UCDP-990001" not in set(load_bundle_with_store(home).incidents["id"])

    undo = _cli("unmerge", "UCDP-990001", home=home)
    assert undo.returncode == 0, undo.stderr
    assert "UCDP-990001 is a record of its own again" in undo.stdout
    incidents = load_bundle_with_store(home).incidents.set_index("id")
    assert {"UCDP-990001", "ACLED-AFG90004"} <= set(incidents.index)
    assert pd.isna(incidents.loc["ACLED-AFG90004", "merged_from"])
    assert list_merges(home).empty
    assert "no merged records" in _cli("merges", home=home).stdout

    # A later import of the same file (after removing its batch) does not merge it again.
    rollback(2, home)
    again = import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=home)
    assert again.counts()["merged"] == 0
    assert "UCDP-990001" in set(load_bundle_with_store(home).incidents["id"])

    missing = _cli("unmerge", "UCDP-990001", home=home)
    assert missing.returncode == 2 and "is not a merged record" in missing.stderr


# --- De-duplication inside the write transaction ---------------------------------------------


def _commit_together(plans, home):
    """Commit the plans from threads released together by a barrier."""
    barrier = threading.Barrier(len(plans))
    results, errors = [None] * len(plans), []

    def run(i):
        barrier.wait()
        try:
            results[i] = commit_import(plans[i], home)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_two_imports_at_once_with_one_event_in_both_store_it_once(store_home):
    home = store_home
    first = _acled(only={"AFG90001", "AFG90004"})
    second = _acled(only={"AFG90004", "PAK90002"})
    # Both plans are made before either commits: each thinks AFG90004 is new.
    plans = [
        plan_import(first, "first.csv", home=home),
        plan_import(second, "second.csv", home=home),
    ]
    assert all("AFG90004" in p.records["id"].str.removeprefix("ACLED-").tolist() for p in plans)
    results = _commit_together(plans, home)
    assert record_counts(home) == {"incidents": 3}
    ids = load_bundle_with_store(home).incidents["id"]
    assert (ids == "ACLED-AFG90004").sum() == 1
    assert sorted(r.counts()["already_present"] for r in results) == [0, 1]
    for r in results:
        assert r.counts()["read"] == _sum_of_parts(r.counts())


def test_a_stale_preview_of_the_same_event_from_another_source_is_merged(store_home):
    home = store_home
    preview = plan_import(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=home)
    assert preview.counts()["merged"] == 0  # the ACLED record is not stored yet
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=home)
    result = commit_import(preview, home)
    assert result.counts()["merged"] == 1
    assert result.plan.merges[["merged_id", "kept_id"]].values.tolist() == [
        ["UCDP-990001", "ACLED-AFG90004"]
    ]
    ids = set(load_bundle_with_store(home).incidents["id"])
    assert "ACLED-AFG90004" in ids and "UCDP-990001" not in ids


# --- Corrections --------------------------------------------------------------------------------


def test_a_corrected_reexport_updates_the_record_and_rollback_restores_it(store_home):
    home = store_home
    original = _acled(edit={"AFG90001": {"fatalities": "4"}})
    import_bytes(original, "acled.csv", home=home)
    corrected = _acled(edit={"AFG90001": {"fatalities": "9"}})
    result = import_bytes(corrected, "acled-corrected.csv", home=home)
    c = result.counts()
    assert (c["updated"], c["already_present"], c["accepted"]) == (1, 3, 0)
    assert result.plan.update_lines() == ["ACLED-AFG90001 updated: fatalities 4 → 9"]
    assert list_batches(home)[-1].rows_updated == 1
    incidents = load_bundle_with_store(home).incidents.set_index("id")
    assert incidents.loc["ACLED-AFG90001", "fatalities"] == 9
    assert (incidents.index == "ACLED-AFG90001").sum() == 1

    # The same corrected file again: nothing changes.
    assert import_bytes(corrected, "acled-corrected.csv", home=home).batch is None

    cli = _cli("rollback", str(result.batch.batch_id), home=home)
    assert cli.returncode == 0 and "1 updated record(s) restored" in cli.stdout
    incidents = load_bundle_with_store(home).incidents.set_index("id")
    assert incidents.loc["ACLED-AFG90001", "fatalities"] == 4
    assert record_counts(home) == {"incidents": 4}


def test_rolling_back_the_original_batch_removes_the_corrected_record_with_it_later(store_home):
    home = store_home
    first = import_bytes(_acled(edit={"AFG90001": {"fatalities": "4"}}), "a.csv", home=home)
    second = import_bytes(_acled(edit={"AFG90001": {"fatalities": "9"}}), "b.csv", home=home)
    rollback(first.batch.batch_id, home)
    incidents = load_bundle_with_store(home).incidents.set_index("id")
    assert list(incidents.loc[incidents["source_dataset"] == "acled"].index) == ["ACLED-AFG90001"]
    assert incidents.loc["ACLED-AFG90001", "fatalities"] == 9
    rollback(second.batch.batch_id, home)
    assert record_counts(home) == {}


def test_cli_import_report_says_updated(tmp_path, store_home):
    home = store_home
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_bytes(_acled(edit={"PAK90003": {"fatalities": "4"}}))
    b.write_bytes(_acled(edit={"PAK90003": {"fatalities": "9"}}))
    _cli("import", str(a), home=home)
    proc = _cli("import", str(b), home=home)
    assert proc.returncode == 0, proc.stderr
    assert (
        "rows read 4 = accepted 0 + merged 0 + updated 1 + rejected 0 + excluded 0 + "
        "already present 3"
    ) in proc.stdout
    assert "ACLED-PAK90003 updated: fatalities 4 → 9" in proc.stdout


# --- Round trips of the product's own exports ------------------------------------------------


FORMULA_ROW = {
    "id": "=USR-FORMULA-1",
    "date": "2024-02-10",
    "country": "PAK",
    "province": "Sindh",
    "district": "Karachi",
    "place": "Karachi",
    "latitude": "24.8607",
    "longitude": "67.0011",
    "geo_precision": "2",
    "actor": "Unknown",
    "attribution": "unclaimed",
    "attack_type": "armed assault",
    "target_category": "civilians",
    "fatalities": "1",
    "injured": "0",
    "summary": "-SYNTHETIC TEST ROW: text that starts like a formula.",
    "source_1_title": "@test fixture",
    "source_1_url": "https://example.org/test-formula-row",
    "confidence": "low",
    "notes": "+ a note",
    "licence": "CC-BY-4.0",
}


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_exports_import_back_with_no_new_records(tmp_path, store_home, fmt):
    home = store_home
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv", home=home)
    import_bytes(_atlas_rows([FORMULA_ROW]), "formula.csv", home=home)
    out = tmp_path / f"incidents.{fmt}"
    proc = _cli("export", "--layer", "incidents", "--format", fmt, "-o", str(out), home=home)
    assert proc.returncode == 0, proc.stderr
    if fmt == "csv":
        assert "'=USR-FORMULA-1" in out.read_text(encoding="utf-8")  # neutralised on export
    before = _written(home)
    result = import_bytes(out.read_bytes(), out.name, home=home)
    c = result.counts()
    assert (c["accepted"], c["merged"], c["updated"], c["rejected"]) == (0, 0, 0, 0)
    assert c["already_present"] == c["read"] == len(load_bundle_with_store(home).incidents)
    assert result.batch is None and _written(home) == before


def test_restore_cell_is_the_exact_inverse_of_neutralise_cell():
    for text in ("=SUM(A1)", "+1", "-3 killed", "@x", "\tx", "plain", "'quoted'", ""):
        assert restore_cell(neutralise_cell(text)) == text
    assert restore_cell("'plain") == "'plain"  # a quote the export did not add stays


# --- Counts that add up ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "acled_sample.csv",
        "ucdp_hdx_sample.csv",
        "gtd_sample.csv",
        "atlas_sample.csv",
        "points_sample.geojson",
    ],
)
def test_every_report_sums_to_the_rows_read(store_home, name):
    home = store_home
    import_bytes(_fixture("acled_sample.csv"), "base.csv", home=home)
    first = import_bytes(_fixture(name), name, home=home)
    again = import_bytes(_fixture(name), name, home=home)
    for result in (first, again):
        c = result.counts()
        assert c["read"] == _sum_of_parts(c) > 0, c
        parts = result.plan.counts_line()
        assert parts.startswith(f"rows read {c['read']} = accepted {c['accepted']} + ")


def test_partly_bad_and_updated_rows_still_sum(store_home):
    home = store_home
    import_bytes(_fixture("acled_sample.csv"), "a.csv", home=home)
    mixed = _acled(
        edit={"AFG90001": {"fatalities": "many"}, "PAK90002": {"fatalities": "7"}}, extra=[]
    )
    result = import_bytes(mixed, "mixed.csv", skip_bad=True, home=home)
    c = result.counts()
    assert (c["rejected"], c["updated"], c["already_present"]) == (1, 1, 2)
    assert c["read"] == _sum_of_parts(c) == 4


# --- Schema version ---------------------------------------------------------------------------


def _v1_store(home: Path) -> None:
    """A store as schema 1 wrote it (tables of the previous release, user_version 1)."""
    from geodata.store import _SCHEMA_TEMPLATE

    home.mkdir(parents=True)
    con = sqlite3.connect(store_path(home))
    con.executescript(_SCHEMA_TEMPLATE)
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()


def test_an_older_store_is_migrated_in_place_and_stays_readable(tmp_path):
    home = tmp_path / "home"
    _v1_store(home)
    assert list_batches(home) == []
    con = sqlite3.connect(store_path(home))
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=home)
    assert record_counts(home) == {"incidents": 4}


def test_a_newer_store_is_refused_with_what_to_do(tmp_path):
    home = tmp_path / "home"
    import_bytes(_fixture("acled_sample.csv"), "acled.csv", home=home)
    con = sqlite3.connect(store_path(home))
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(StoreVersionError, match="upgrade iskp-atlas"):
        list_batches(home)
    proc = _cli("batches", home=home)
    assert proc.returncode == 2 and "newer than this iskp-atlas reads" in proc.stderr


# --- The Data page ------------------------------------------------------------------------------


def test_data_page_lists_merges_with_their_reason_and_imports_one_as_new(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    home = tmp_path / "page-home"
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    import_bytes(_fixture("acled_sample.csv"), "acled.csv")
    import_bytes(_fixture("ucdp_hdx_sample.csv"), "ucdp.csv")
    app = AppTest.from_file(str(ROOT / "app_pages" / "data.py"), default_timeout=90).run()
    assert not app.exception
    shown = next(d.value for d in app.dataframe if "reason" in d.value.columns)
    assert shown[["kept_id", "merged_id"]].values.tolist() == [["ACLED-AFG90004", "UCDP-990001"]]
    assert shown["reason"].iat[0].startswith("same family Islamic State, 1 day, 2.3 km")
    next(b for b in app.button if b.label == "Import as new").click().run()
    assert not app.exception
    assert list_merges(home).empty
    assert "UCDP-990001" in set(load_bundle_with_store(home).incidents["id"])
