"""Real third-party downloads (none written by us) import whole.

The files live in ``../shared/data/real/`` (see its PROVENANCE.md); they are read from
there and never copied into the repository. Every expected figure is computed from the
file itself with pandas, not written down. Imports go into a temporary store.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from geodata.importers import prepare_import
from geodata.store import import_file, record_counts

REAL = Path(__file__).resolve().parents[1].parent / "shared/data/real"
WEB_EXPORT = REAL / "ucdp_web_export_pakistan_1989_2019.csv"
GED_SAMPLE = REAL / "ucdp_ged231_sample_1000.csv"
ACLED_2020 = REAL / "acled_2020schema_afghanistan_2020-03.csv"
# The default region by the names UCDP writes.
REGION_NAMES = {
    "Afghanistan",
    "Pakistan",
    "Iran",
    "Tajikistan",
    "Uzbekistan",
    "Turkmenistan",
    "China",
}


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"real test file {path.name} not found in {REAL} (see PROVENANCE.md)")
    return path


def _read(path: Path) -> pd.DataFrame:
    # index_col=False: the web export ends every line with a comma (an unnamed column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.ParserWarning)
        return pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce")


def test_ucdp_web_export_imports_whole_with_its_is_events_recognised():
    raw = _read(_need(WEB_EXPORT))
    plan = prepare_import(WEB_EXPORT.read_bytes(), WEB_EXPORT.name)
    assert plan.format == "ucdp"
    counts = plan.counts()
    assert counts["rejected"] == 0
    unplaced = raw["where_prec"].isin(["6", "7"])
    assert counts["excluded"] == int(unplaced.sum())
    assert (
        counts["accepted"] == len(raw) - int(unplaced.sum()) == counts["read"] - counts["excluded"]
    )
    actor = raw["side_b"].where(raw["type_of_violence"] == "1", raw["side_a"])
    is_ids = set("UCDP-" + raw.loc[(actor == "IS") & ~unplaced, "id"])
    assert len(is_ids) > 0
    families = plan.enriched.set_index("id").loc[sorted(is_ids), "actor_family"]
    assert set(families) == {"Islamic State"}
    best, low, high = (_num(raw[c]) for c in ("best_est", "low_est", "high_est"))
    unordered = int((((low > best) | (high < best)) & ~unplaced).sum())
    assert unordered > 0
    assert f"widened the fatality bounds of {unordered:,} event(s)" in " ".join(plan.reasons())
    records = plan.records
    assert (_num(records["fatalities_low"]) <= _num(records["fatalities"])).all()
    assert (_num(records["fatalities_high"]) >= _num(records["fatalities"])).all()


def test_ged_sample_keeps_the_region_and_excludes_the_rest_per_country(tmp_path):
    raw = _read(_need(GED_SAMPLE))
    result = import_file(GED_SAMPLE, home=tmp_path / "home")
    plan = result.plan
    inside = raw["country"].isin(REGION_NAMES)
    unplaced = _num(raw["where_prec"]).isin([6, 7])
    c = plan.counts()
    assert c["rejected"] == 0
    # kept rows: new records, or merged into a bundled record of the same event
    assert c["accepted"] + c["merged"] == int((inside & ~unplaced).sum())
    assert c["excluded"] == int((~inside | unplaced).sum())
    assert set(plan.records["country"]) <= {"AFG", "PAK", "IRN", "TJK", "UZB", "TKM", "CHN"}
    assert {"AFG", "PAK"} <= set(plan.records["country"])
    expected = raw.loc[~inside, "country"].value_counts()
    got = plan.excluded_by_country()
    assert sorted(got.values()) == sorted(expected.tolist())
    for name in ("Syria", "India"):  # names the dataset and the report spell alike
        assert got[name] == expected[name]
    line = next(r for r in plan.reasons() if "outside the region" in r)
    assert (
        f"excluded {int((~inside).sum()):,} rows outside the region: Syria "
        f"{expected['Syria']}" in line
    )
    assert record_counts(tmp_path / "home")["incidents"] == plan.counts()["accepted"]


def test_acled_2020_layout_imports_with_its_iskp_rows_recognised(tmp_path):
    raw = _read(_need(ACLED_2020))
    result = import_file(ACLED_2020, home=tmp_path / "home")
    plan = result.plan
    assert plan.format == "acled"
    c = plan.counts()
    assert c["accepted"] + c["merged"] == len(raw) and c["rejected"] == 0
    iskp = set("ACLED-" + raw.loc[raw["actor1"].str.contains("Islamic State"), "event_id_cnty"])
    assert len(iskp) > 0
    canon = plan.enriched.set_index("id").loc[sorted(iskp), "actor_canonical"]
    assert set(canon) == {"ISKP"}
    dates = pd.to_datetime(raw["event_date"], format="%d %B %Y")
    assert sorted(plan.records["date"]) == sorted(dates.dt.strftime("%Y-%m-%d"))
