"""Importers, table-driven over the five formats: what a user sees after importing each
fixture (written by us in each source's real column layout; no third-party rows)."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from geodata.importers import (
    DATASET_CITATIONS,
    ImportPlan,
    detect_format,
    find_duplicates,
    prepare_import,
)
from geodata.importers.reading import SIGNATURES

FIXTURES = Path(__file__).parent / "fixtures" / "import"


def gtd_xlsx_bytes() -> bytes:
    """The GTD fixture saved as an xlsx workbook (GTD is also distributed this way)."""
    import openpyxl

    frame = pd.read_csv(
        FIXTURES / "gtd_sample.csv", dtype=str, keep_default_na=False, encoding="cp1252"
    )
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([int(v) if v.isdigit() and len(v) < 15 else v for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@cache
def plan_for(name: str) -> ImportPlan:
    """The import plan of a fixture, against an empty store and no bundle (no dedup)."""
    data = gtd_xlsx_bytes() if name == "gtd_sample.xlsx" else (FIXTURES / name).read_bytes()
    return prepare_import(data, name)


CASES = [
    # file, format, record id, canonical actor, target categories, admin-1, date precision
    (
        "acled_sample.csv",
        "acled",
        "ACLED-AFG90001",
        "ISKP",
        "shia_hazara;civilians",
        "AF-KAB",
        "day",
    ),
    ("acled_sample.csv", "acled", "ACLED-PAK90002", "TTP", "security_forces", "PK-KP", "week"),
    (
        "acled_sample.csv",
        "acled",
        "ACLED-PAK90003",
        "Unknown",
        "chinese_nationals;civilians",
        "PK-SD",
        "day",
    ),
    (
        "acled_sample.csv",
        "acled",
        "ACLED-AFG90004",
        "ISKP",
        "security_forces;taliban_government",
        "AF-NAN",
        "day",
    ),
    (
        "ucdp_hdx_sample.csv",
        "ucdp",
        "UCDP-990001",
        "ISKP",
        "security_forces;taliban_government",
        "AF-NAN",
        "day",
    ),
    (
        "ucdp_hdx_sample.csv",
        "ucdp",
        "UCDP-990002",
        "ISKP",
        "civilians;shia_hazara",
        "AF-BAL",
        "week",
    ),
    (
        "ucdp_hdx_sample.csv",
        "ucdp",
        "UCDP-990004",
        "TTP",
        "security_forces;pakistani_state",
        "PK-KP",
        "day",
    ),
    ("gtd_sample.csv", "gtd", "GTD-201905120001", "TTP", "security_forces", "PK-KP", "day"),
    (
        "gtd_sample.csv",
        "gtd",
        "GTD-201906180002",
        "BLA",
        "chinese_nationals;diplomatic",
        "PK-SD",
        "day",
    ),
    ("gtd_sample.csv", "gtd", "GTD-201907000003", "ISKP", "sufi;civilians", "AF-NAN", "month"),
    ("gtd_sample.xlsx", "gtd", "GTD-201905120001", "TTP", "security_forces", "PK-KP", "day"),
    ("atlas_sample.csv", "atlas", "USR-001", "ISKP", "political", "PK-KP", "day"),
    (
        "points_sample.geojson",
        "geojson",
        "GJ-001",
        "ISKP",
        "taliban_government;security_forces",
        "AF-PIA",
        "day",
    ),
    ("points_sample.geojson", "geojson", "GJ-002", "Unknown", "religious_minority", "PK-PB", "day"),
]


@pytest.mark.parametrize(
    ("name", "fmt", "rid", "actor", "targets", "admin1", "precision"),
    CASES,
    ids=[f"{c[0]}:{c[2]}" for c in CASES],
)
def test_format_mapping(name, fmt, rid, actor, targets, admin1, precision):
    plan = plan_for(name)
    assert plan.format == fmt
    row = plan.enriched.set_index("id").loc[rid]
    assert row["actor_canonical"] == actor
    assert row["target_category"] == targets
    assert row["admin1_code"] == admin1
    assert row["date_precision"] == precision
    assert row["source_dataset"] == fmt
    assert row["target_derivation"]  # every row says how its targets were derived


def test_raw_actor_is_kept_beside_the_canonical_one():
    plan = plan_for("acled_sample.csv")
    row = plan.enriched.set_index("id").loc["ACLED-PAK90002"]
    assert row["actor"] == "TTP: Tehreek-i-Taliban Pakistan"
    assert row["actor_canonical"] == "TTP"


def test_hxl_hashtag_row_is_skipped():
    plan = plan_for("ucdp_hdx_sample.csv")
    assert plan.hxl_row_skipped
    assert plan.rows_read == 4  # the four events, not the hashtag row
    assert not plan.records["id"].str.contains("#").any()


def test_fata_lands_in_khyber_pakhtunkhwa_by_its_name():
    row = plan_for("gtd_sample.csv").enriched.set_index("id").loc["GTD-201905120001"]
    assert row["province"] == "Federally Administered Tribal Areas"  # text kept as given
    assert row["admin1_code"] == "PK-KP" and row["admin1_method"] == "name"


def test_misspelt_province_maps_by_name():
    row = plan_for("atlas_sample.csv").enriched.set_index("id").loc["USR-001"]
    assert row["province"] == "Khyber Pakhtunkwa" and row["admin1_code"] == "PK-KP"


def test_precision_codes_map_to_the_1_to_3_scale():
    acled = plan_for("acled_sample.csv").enriched.set_index("id")["geo_precision"]
    ucdp = plan_for("ucdp_hdx_sample.csv").enriched.set_index("id")["geo_precision"]
    assert acled["ACLED-AFG90001"] == 2  # ACLED 1: the town's coordinates
    assert acled["ACLED-PAK90002"] == 3  # ACLED 2: near a town, part of a region
    assert ucdp["UCDP-990001"] == 1 and ucdp["UCDP-990002"] == 2


def test_casualties_best_low_high_from_ucdp():
    row = plan_for("ucdp_hdx_sample.csv").enriched.set_index("id").loc["UCDP-990001"]
    assert (row["fatalities_low"], row["fatalities"], row["fatalities_high"]) == (4, 5, 7)


def test_unplaceable_rows_are_left_out_and_listed():
    ucdp, gtd = plan_for("ucdp_hdx_sample.csv"), plan_for("gtd_sample.csv")
    assert [e.record_id for e in ucdp.excluded] == ["UCDP-990003"]
    assert "where_prec 6" in ucdp.excluded[0].reason
    assert [e.record_id for e in gtd.excluded] == ["GTD-201903150004"]
    assert "never invents" in gtd.excluded[0].reason
    assert "GTD-201903150004" not in set(gtd.records["id"])


def test_attribution_derived_per_source():
    acled = plan_for("acled_sample.csv").enriched.set_index("id")["attribution"]
    gtd = plan_for("gtd_sample.csv").enriched.set_index("id")["attribution"]
    assert acled["ACLED-AFG90001"] == "claimed"  # notes: "ISKP claimed responsibility"
    assert acled["ACLED-PAK90003"] == "unclaimed"  # unidentified armed group
    assert acled["ACLED-AFG90004"] == "attributed"
    assert gtd["GTD-201905120001"] == "claimed" and gtd["GTD-201907000003"] == "suspected"


def test_provenance_and_licence_per_source():
    acled = plan_for("acled_sample.csv").records.set_index("id").loc["ACLED-AFG90001"]
    assert acled["licence"] == "ACLED-terms" and acled["source_id"] == "AFG90001"
    assert acled["source_1_url"] == DATASET_CITATIONS["acled"][1]
    assert "Test Source A" in acled["source_1_title"]
    gtd = plan_for("gtd_sample.csv").records.set_index("id")
    assert gtd.loc["GTD-201906180002", "source_1_url"] == "https://example.org/test-gtd-0002"
    assert gtd.loc["GTD-201905120001", "licence"] == "GTD-terms"
    ucdp = plan_for("ucdp_hdx_sample.csv").records.set_index("id")
    assert ucdp.loc["UCDP-990004", "source_1_url"] == "https://example.org/test-article-990004"
    assert ucdp.loc["UCDP-990004", "licence"] == "CC-BY-4.0"


def test_windows_encoded_gtd_text_is_kept_as_given():
    plan = plan_for("gtd_sample.csv")
    assert plan.encoding == "cp1252"
    summary = plan.records.set_index("id").loc["GTD-201905120001", "summary"]
    assert "café market" in summary


@pytest.mark.parametrize("fmt", sorted(SIGNATURES))
def test_detection_from_the_signature_columns(fmt):
    assert detect_format(list(SIGNATURES[fmt])) == fmt


def test_detection_refuses_an_unrelated_header():
    assert detect_format(["name", "value", "colour"]) is None


# --- De-duplication rule -------------------------------------------------------------------


def _key(rid, dataset, family="Islamic State", day="2024-03-01", lat=34.50, lon=69.10, url=None):
    return {
        "id": rid,
        "source_dataset": dataset,
        "actor_family": family,
        "date": pd.Timestamp(day),
        "latitude": lat,
        "longitude": lon,
        "source_1_url": url,
        "source_2_url": None,
    }


EXISTING = pd.DataFrame([_key("OLD", "acled", url="https://example.org/a")])
DEDUP_CASES = [
    ("same family, same day, 0 km", _key("N", "ucdp"), True),
    ("one day apart, ~9 km", _key("N", "ucdp", day="2024-03-02", lat=34.58), True),
    ("two days apart", _key("N", "ucdp", day="2024-03-03"), False),
    ("~11 km apart", _key("N", "ucdp", lat=34.60), False),
    ("other actor family", _key("N", "ucdp", family="TTP"), False),
    ("same dataset", _key("N", "acled"), False),
    (
        "shared URL alone, far and late",
        _key(
            "N",
            "gtd",
            day="2024-05-01",
            lat=30.0,
            lon=70.0,
            url="http://www.example.org/a/?utm_source=x",
        ),
        False,
    ),
    ("shared URL, same day and place", _key("N", "gtd", url="http://example.org/a"), True),
    (
        "dataset citation URL is not a shared source",
        _key("N", "gtd", day="2024-05-01", url=DATASET_CITATIONS["acled"][1]),
        False,
    ),
]


@pytest.mark.parametrize(("label", "new", "merged"), DEDUP_CASES, ids=[c[0] for c in DEDUP_CASES])
def test_dedup_rule_and_thresholds(label, new, merged):
    existing = EXISTING.copy()
    if "citation" in label:
        existing.loc[0, "source_1_url"] = DATASET_CITATIONS["acled"][1]
    pairs = find_duplicates(pd.DataFrame([new]), existing)
    assert (len(pairs) == 1) == merged
    if merged:
        assert tuple(pairs.loc[0, ["merged_id", "kept_id"]]) == ("N", "OLD")


def test_dedup_is_one_to_one_and_leaves_arguments_alone():
    new = pd.DataFrame([_key("N1", "ucdp"), _key("N2", "ucdp", lat=34.51)])
    before = new.copy()
    pairs = find_duplicates(new, EXISTING)
    assert list(pairs["merged_id"]) == ["N1"]  # the nearer one takes the only partner
    pd.testing.assert_frame_equal(new, before)
