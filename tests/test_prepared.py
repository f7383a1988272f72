"""Prepared batches: loading the store reads each batch's validated, joined frame kept by
the import instead of validating and joining every stored row again — and gets exactly
what rebuilding from the stored text gives (the numbers the app shows cannot depend on
whether the file was there)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from geodata import prepared
from geodata.store import import_bytes, load_imported, prepared_dir, rollback

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def _files(home: Path | str) -> list[Path]:
    return sorted((prepared_dir(home) / prepared.FOLDER).glob("batch-*.pickle"))


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
def test_prepared_frame_equals_the_one_rebuilt_from_the_stored_rows(store_home, name):
    result = import_bytes((FIXTURES / name).read_bytes(), name, home=store_home)
    assert result.batch is not None
    assert len(_files(store_home)) == 1  # the import kept its frame
    from_import = load_imported(store_home)
    shutil.rmtree(prepared_dir(store_home) / prepared.FOLDER)
    rebuilt = load_imported(store_home)
    assert from_import.keys() == rebuilt.keys()
    for kind, frame in from_import.items():
        assert len(frame) > 0
        pd.testing.assert_frame_equal(frame, rebuilt[kind])
    assert len(_files(store_home)) == 1  # rebuilding wrote it again


def test_a_broken_prepared_file_is_rebuilt_not_trusted(store_home):
    import_bytes((FIXTURES / "acled_sample.csv").read_bytes(), "a.csv", home=store_home)
    good = load_imported(store_home)["incidents"]
    (path,) = _files(store_home)
    path.write_bytes(b"not a pickle")
    pd.testing.assert_frame_equal(load_imported(store_home)["incidents"], good)


def test_rollback_drops_the_file_and_a_reused_batch_id_reads_its_own_rows(store_home):
    first = import_bytes((FIXTURES / "acled_sample.csv").read_bytes(), "a.csv", home=store_home)
    rollback(first.batch.batch_id, home=store_home)
    assert _files(store_home) == []
    second = import_bytes((FIXTURES / "gtd_sample.csv").read_bytes(), "g.csv", home=store_home)
    loaded = load_imported(store_home)["incidents"]
    assert set(loaded["source_dataset"]) == {"gtd"}
    assert list(loaded["import_batch"].unique()) == [second.batch.batch_id]
