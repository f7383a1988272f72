"""Risk model: exact decomposition, perspectives, recency, bands, segments, surge, docs."""

from __future__ import annotations

import itertools
import math
import re
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geodata.contract import TARGET_CATEGORIES
from riskmodel import (
    BANDS,
    LEVELS,
    LOAD_SCALE_L0,
    PRESETS,
    Filters,
    RiskSettings,
    band_for,
    parse_query,
    recency_weight,
    score,
    score_from_load,
    segment_corridors,
    settings_from_filters,
)
from riskmodel.bands import band_names, load_for_score
from riskmodel.score import surge_category
from riskmodel.settings import SETTING_FIELDS

ROOT = Path(__file__).resolve().parents[1]
DASHT_E_BARCHI = ("INC-021", "INC-033", "INC-034", "INC-035")


@pytest.fixture(scope="module")
def default_result(bundle):
    return score(bundle)


# --- exact decomposition ------------------------------------------------------------------


def _assert_explained(result):
    for level in LEVELS:
        table = result.table(level)
        for area_id, load in zip(table["id"], table["load"], strict=True):
            parts = result.explain(area_id, level)
            assert parts["contribution"].sum() == pytest.approx(load, rel=1e-9, abs=1e-12), (
                level,
                area_id,
            )
            assert (parts["contribution"] > 0).all()
            assert parts["contribution"].is_monotonic_decreasing
            product = (
                parts["severity"]
                * parts["recency"]
                * parts["relevance"]
                * parts["kernel"]
                * parts["split"]
            )
            np.testing.assert_allclose(product, parts["contribution"], rtol=1e-12)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    half_life=st.floats(30, 1000),
    bandwidth=st.floats(5, 60),
    cutoff=st.floats(1, 4),
    perspective=st.sampled_from(sorted(PRESETS)),
    threat_weight=st.floats(0, 5),
    include_threats=st.booleans(),
    override=st.dictionaries(st.sampled_from(TARGET_CATEGORIES), st.floats(0, 1), max_size=3),
)
def test_contributions_sum_to_load_for_every_area(
    bundle, half_life, bandwidth, cutoff, perspective, threat_weight, include_threats, override
):
    risk = RiskSettings(
        half_life_days=half_life,
        bandwidth_km=bandwidth,
        cutoff_sigmas=cutoff,
        perspective=perspective,
        threat_weight=threat_weight,
        include_threats=include_threats,
        weight_overrides=override,
    )
    _assert_explained(score(bundle, Filters(), risk))


def test_filtered_result_is_explained_too(bundle):
    _assert_explained(score(bundle, parse_query("actor=ISKP&from=2023-01-01&country=AFG")))


def test_scoring_does_not_modify_the_bundle(bundle):
    before = bundle.incidents.copy()
    threats_before = bundle.threats.copy()
    score(bundle, parse_query("target=chinese_nationals"))
    pd.testing.assert_frame_equal(bundle.incidents, before)
    pd.testing.assert_frame_equal(bundle.threats, threats_before)


# --- tables -------------------------------------------------------------------------------


def test_tables_have_the_promised_rows_and_columns(default_result, bundle):
    common = {
        "id",
        "name",
        "load",
        "score",
        "band",
        "surge",
        "n_events",
        "top_contributor",
        "geometry",
    }
    provinces, segments, sites = (default_result.table(lv) for lv in LEVELS)
    assert len(provinces) == 41 and set(provinces["id"]) == set(bundle.admin1["iso_3166_2"])
    assert common | {"country"} <= set(provinces.columns)
    assert len(segments) >= 100
    assert common | {"route_id", "km_from", "km_to"} <= set(segments.columns)
    assert len(sites) == len(bundle.sites) == 30
    for table in (provinces, segments, sites):
        assert isinstance(table, gpd.GeoDataFrame) and table.crs.to_epsg() == 4326
        assert set(table["band"]) <= {b.name for b in BANDS}
        np.testing.assert_allclose(table["score"], np.round(score_from_load(table["load"]), 1))
        loaded = table["load"] > 0
        assert table.loc[loaded, "top_contributor"].notna().all()
        assert table.loc[~loaded, "top_contributor"].isna().all()


def test_top_contributor_is_the_first_explained_record(default_result):
    table = default_result.provinces
    busiest = table.sort_values("load").iloc[-1]
    assert (
        default_result.explain(busiest["id"], "province")["id"].iloc[0]
        == busiest["top_contributor"]
    )


def test_default_as_of_is_the_newest_record_and_to_caps_it(bundle, default_result):
    newest = max(bundle.incidents["date"].max(), bundle.threats["date"].max()).date()
    assert default_result.as_of == newest
    assert score(bundle, parse_query("to=2023-06-30")).as_of == date(2023, 6, 30)
    assert score(bundle, parse_query("to=2099-01-01")).as_of == newest


def test_nationwide_threat_is_spread_over_the_country(default_result, bundle):
    nationwide = bundle.threats[
        (bundle.threats["country"] == "AFG") & bundle.threats["admin1_for_scoring"].map(len).eq(0)
    ]
    assert len(nationwide)
    ghor = default_result.explain("AF-GHO", "province")
    spread = ghor[ghor["id"].isin(nationwide["id"])]
    assert set(spread["id"]) == set(nationwide["id"])
    assert np.allclose(spread["split"], 1 / 34)


def test_threat_with_several_units_is_split_equally(default_result):
    # THR-004 names Badakhshan, Baghlan and Takhar.
    shares = [
        default_result.explain(u, "province").set_index("id").loc["THR-004"]
        for u in ("AF-BDS", "AF-BGL", "AF-TAK")
    ]
    assert all(s["split"] == pytest.approx(1 / 3) for s in shares)
    assert len({round(s["contribution"], 12) for s in shares}) == 1


def test_province_name_works_as_id_and_unknown_id_is_a_clear_error(default_result):
    assert default_result.explain("Kabul", "province").equals(
        default_result.explain("AF-KAB", "province")
    )
    with pytest.raises(ValueError, match="no site with id 'AST-999'"):
        default_result.explain("AST-999", "site")
    with pytest.raises(ValueError, match="unknown level"):
        default_result.explain("AF-KAB", "district")


# --- perspectives -------------------------------------------------------------------------


def _share(result, area_id, level, ids):
    parts = result.explain(area_id, level)
    return parts.loc[parts["id"].isin(ids), "contribution"].sum() / parts["contribution"].sum()


def test_longan_hotel_weighs_more_under_china_cpec(bundle):
    shares = {
        p: _share(
            score(bundle, settings=RiskSettings(perspective=p)), "AF-KAB", "province", ["INC-023"]
        )
        for p in PRESETS
    }
    assert shares["china_cpec"] > shares["all"] > 0
    assert shares["china_cpec"] > shares["shia_hazara"]
    site = {
        p: _share(
            score(bundle, settings=RiskSettings(perspective=p)), "AST-006", "site", ["INC-023"]
        )
        for p in ("all", "china_cpec")
    }
    assert site["china_cpec"] > site["all"]


def test_chinese_national_attacks_weigh_more_under_china_cpec(bundle):
    chinese = bundle.incidents.loc[
        bundle.incidents["target_categories"].map(lambda c: "chinese_nationals" in c), "id"
    ]

    def share(perspective):
        result = score(bundle, settings=RiskSettings(perspective=perspective))
        total = result.provinces["load"].sum()
        part = sum(
            _share(result, a, "province", chinese) * load
            for a, load in zip(result.provinces["id"], result.provinces["load"], strict=True)
            if load > 0
        )
        return part / total

    assert share("china_cpec") > share("all") > share("shia_hazara")


def test_dasht_e_barchi_attacks_weigh_more_under_shia_hazara(bundle):
    shares = {
        p: _share(
            score(bundle, settings=RiskSettings(perspective=p)),
            "AF-KAB",
            "province",
            DASHT_E_BARCHI,
        )
        for p in PRESETS
    }
    assert shares["shia_hazara"] > shares["all"] > shares["china_cpec"]


def test_presets_cover_every_category_and_changed_weights_are_named():
    for preset in PRESETS.values():
        assert set(preset.weights) == set(TARGET_CATEGORIES)
        assert all(0 <= w <= 1 for w in preset.weights.values())
    risk = RiskSettings(perspective="china_cpec", weight_overrides={"civilians": 0.9})
    text = risk.describe()
    assert "Chinese nationals & CPEC" in text and "civilians 0.2 → 0.9" in text
    assert risk.weights["civilians"] == 0.9


def test_relevance_is_the_largest_weight_of_the_record(bundle):
    result = score(bundle, settings=RiskSettings(perspective="shia_hazara"))
    row = result.explain("AF-KAB", "province").set_index("id").loc["INC-023"]
    weights = PRESETS["shia_hazara"].weights
    # INC-023: chinese_nationals; chinese_interests; foreign_nationals
    assert row["relevance"] == max(
        weights[c] for c in ("chinese_nationals", "chinese_interests", "foreign_nationals")
    )


# --- recency and kernel -------------------------------------------------------------------


def test_recency_halves_at_the_half_life():
    assert recency_weight(0, 90) == 1.0
    assert recency_weight(90, 90) == pytest.approx(0.5)
    assert recency_weight(270, 90) == pytest.approx(0.125)


def test_recency_halves_at_the_half_life_in_scores(bundle):
    base = bundle.incidents[bundle.incidents["id"] == "INC-062"]
    older = base.copy()
    older["id"] = "TEST-OLD"
    older["date"] = older["date"] - timedelta(days=120)
    layers = {
        "incidents": pd.concat([base, older]),
        "threats": None,
        "admin1": bundle.admin1,
        "corridors": bundle.corridors,
        "sites": bundle.sites,
    }
    parts = score(layers, settings=RiskSettings(half_life_days=120)).explain("AF-KAB")
    by_id = parts.set_index("id")["contribution"]
    assert by_id["TEST-OLD"] == pytest.approx(by_id["INC-062"] / 2)


def test_kernel_is_gaussian_and_cut_off(bundle):
    risk = RiskSettings(bandwidth_km=20, cutoff_sigmas=2)
    result = score(bundle, settings=risk)
    for level in ("segment", "site"):
        for area_id in result.table(level).query("load > 0")["id"]:
            parts = result.explain(area_id, level)
            assert (parts["distance_km"] <= 40).all()
            np.testing.assert_allclose(
                parts["kernel"], np.exp(-0.5 * (parts["distance_km"] / 20) ** 2)
            )


def test_site_on_the_attack_gets_the_full_kernel(bundle):
    # The Longan Hotel site (AST-006) and INC-023 share coordinates within a few hundred m.
    parts = score(bundle).explain("AST-006", "site").set_index("id")
    assert parts.loc["INC-023", "distance_km"] < 1
    assert parts.loc["INC-023", "kernel"] > 0.999


# --- bands and transform ------------------------------------------------------------------


def test_bands_cover_0_to_100_without_overlap():
    assert BANDS[0].lower == 0 and BANDS[-1].upper == 100
    for below, above in itertools.pairwise(BANDS):
        assert below.upper == above.lower and below.lower < below.upper
    assert [b.name for b in BANDS] == ["insignificant", "low", "medium", "high", "extreme"]
    assert len({b.colour for b in BANDS}) == 5
    for value in np.linspace(0, 100, 1001):
        assert (
            sum(b.lower <= value < b.upper or (value == 100 and b.upper == 100) for b in BANDS) == 1
        )
    for band in BANDS:
        assert band_for(band.lower).name == band.name
    assert band_for(100).name == "extreme"
    assert list(band_names(np.array([0, 9.99, 10, 55, 100]))) == [
        "insignificant",
        "insignificant",
        "low",
        "high",
        "extreme",
    ]
    with pytest.raises(ValueError):
        band_for(101)


def test_load_transform_is_fixed_and_monotone():
    loads = np.array([0, 1, 5, 20, 100, 1000])
    scores = score_from_load(loads)
    assert scores[0] == 0 and np.all(np.diff(scores) > 0) and scores[-1] <= 100
    assert score_from_load(LOAD_SCALE_L0) == pytest.approx(100 * (1 - math.exp(-1)))
    assert load_for_score(score_from_load(7.5)) == pytest.approx(7.5)


# --- surge --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "latest, mean, expected",
    [
        (20, 10, "large increase"),
        (12, 10, "moderate increase"),
        (10, 10, "limited change"),
        (7, 10, "large decrease"),
        (5, 2, "large increase"),  # no small-count guard here: trend() picks the window
        (0, 0, "too few events to say"),
        (8, 0, "large increase"),
    ],
)
def test_surge_categories(latest, mean, expected):
    category, _ = surge_category(np.array([latest]), np.array([mean]))
    assert category[0] == expected


def test_surge_counts_latest_month_against_the_baseline_that_has_enough_events(bundle):
    base = bundle.incidents[bundle.incidents["id"] == "INC-062"]
    copies = []
    as_of = pd.Timestamp("2026-01-31")
    # Kabul: 8 this month, 1 in each of the 12 months before (too thin for "vs 3 months",
    # 12 in "vs 12 months"). Herat: none at all.
    for i, months_ago in enumerate([0] * 8 + list(range(1, 13))):
        row = base.copy()
        row["id"] = f"TEST-{i}"
        row["date"] = (
            as_of - pd.DateOffset(months=months_ago) - pd.Timedelta(days=1) if months_ago else as_of
        )
        copies.append(row)
    layers = {
        "incidents": pd.concat(copies),
        "threats": None,
        "admin1": bundle.admin1,
        "corridors": bundle.corridors,
        "sites": bundle.sites,
    }
    result = score(layers, settings=RiskSettings(as_of=as_of.date()))
    kabul = result.provinces.set_index("id").loc["AF-KAB"]
    assert kabul["surge_window"] == "month vs previous 12 months"
    assert (kabul["surge_latest"], kabul["surge_baseline_mean"]) == (8, 1.0)
    assert kabul["surge"] == "large increase"
    herat = result.provinces.set_index("id").loc["AF-HER"]
    assert herat["surge"] == "too few events to say"
    assert pd.isna(herat["surge_window"]) and np.isnan(herat["surge_change_pct"])


# --- segments -----------------------------------------------------------------------------


def test_segments_cut_each_route_into_about_25_km(bundle):
    seg = segment_corridors(bundle.corridors)
    assert len(seg) >= 100 and seg.crs.to_epsg() == 4326
    assert seg["id"].is_unique
    assert all(re.fullmatch(r"[A-Z_0-9]+-\d{3}", i) for i in seg["id"])
    assert "KKH_N35-007" in set(seg["id"])
    for _, group in seg.groupby("route_id"):
        group = group.sort_values("seq")
        assert group["km_from"].iloc[0] == 0
        np.testing.assert_allclose(group["km_from"].iloc[1:], group["km_to"].iloc[:-1])
        assert group["length_km"].between(20, 30).all()
    with pytest.raises(ValueError, match="positive"):
        segment_corridors(bundle.corridors, 0)


# --- settings -----------------------------------------------------------------------------


def test_settings_from_filters_and_bad_settings():
    risk = settings_from_filters(parse_query("perspective=shia_hazara&half_life=90"))
    assert (risk.perspective, risk.half_life_days) == ("shia_hazara", 90.0)
    assert settings_from_filters(Filters(), threat_weight=0).threat_weight == 0
    with pytest.raises(ValueError, match="unknown setting"):
        settings_from_filters(Filters(), colour="red")
    with pytest.raises(ValueError, match="unknown perspective 'x'"):
        RiskSettings(perspective="x")
    with pytest.raises(ValueError, match="half_life_days must be a positive number"):
        RiskSettings(half_life_days=0)
    with pytest.raises(ValueError, match="unknown target category"):
        RiskSettings(weight_overrides={"tourists": 1})


def test_methodology_names_every_preset_setting_and_band():
    text = (ROOT / "docs" / "METHODOLOGY.md").read_text(encoding="utf-8")
    missing = [
        n
        for n in (
            *PRESETS,
            *SETTING_FIELDS,
            *(b.name for b in BANDS),
            *(b.colour for b in BANDS),
            *TARGET_CATEGORIES,
        )
        if f"`{n}`" not in text
    ]
    assert missing == []
    assert f"L0 = {LOAD_SCALE_L0:g}" in text
