"""The trend flag: Trendfinder levels, the window chosen by data density, "too few"."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from riskmodel import Filters, score
from riskmodel.trend import TOO_FEW, change_level, trend

AS_OF = date(2025, 6, 30)


@pytest.mark.parametrize(
    "latest, mean, level, pct",
    [
        (13, 10, "large increase", 30.0),
        (12, 10, "moderate increase", 20.0),
        (11, 10, "moderate increase", 10.0),  # +10 % is the bottom of "moderate"
        (10.5, 10, "limited change", 5.0),
        (7.5, 10, "limited change", -25.0),  # −25 % is still "limited"
        (7, 10, "large decrease", -30.0),
    ],
)
def test_trendfinder_levels(latest, mean, level, pct):
    got, change = change_level(np.array([latest]), np.array([mean]))
    assert got[0] == level
    assert change[0] == pytest.approx(pct)


def _dates(*days_ago: int) -> np.ndarray:
    return np.array(
        [np.datetime64(AS_OF) - np.timedelta64(d, "D") for d in days_ago], dtype="datetime64[ns]"
    )


def test_dense_area_compares_the_latest_week_with_the_four_before():
    # 4 events a week for the four weeks before, 8 in the latest week: +100 %.
    days = [1] * 8 + [7 + 1 + (i % 28) for i in range(16)]
    out = trend(np.zeros(len(days), int), _dates(*days), 1, AS_OF)
    assert out["surge_window"][0] == "week vs previous 4 weeks"
    assert (out["surge_latest"][0], out["surge_baseline_mean"][0]) == (8, 4.0)
    assert out["surge"][0] == "large increase"


def test_sparse_area_falls_back_to_the_month_and_then_to_twelve_months():
    # Area 0: 2 a month in each of the 3 months before, 2 in the latest: limited change.
    # Area 1: one event in 6 of the previous 12 months, none in the latest: large decrease.
    area0 = [5, 5, 40, 40, 70, 70, 100, 100]
    area1 = [31 * k + 10 for k in (1, 3, 5, 7, 9, 11)]
    out = trend(np.array([0] * len(area0) + [1] * len(area1)), _dates(*area0, *area1), 2, AS_OF)
    assert list(out["surge_window"]) == [
        "month vs previous 3 months",
        "month vs previous 12 months",
    ]
    assert list(out["surge"]) == ["limited change", "large decrease"]


def test_thin_baseline_says_too_few_events_not_limited_change():
    out = trend(np.array([0, 0, 1]), _dates(3, 200, 3), 3, AS_OF)
    assert list(out["surge"]) == [TOO_FEW, TOO_FEW, TOO_FEW]
    assert list(out["surge_window"]) == [None, None, None]
    assert np.isnan(out["surge_change_pct"]).all()


def test_a_busy_month_after_a_quiet_year_is_a_large_increase():
    out = trend(np.zeros(7, int), _dates(1, 2, 3, 4, 5, 6, 7), 1, AS_OF)
    assert out["surge"][0] == "large increase"
    assert out["surge_change_pct"][0] == np.inf


def test_the_bundled_view_says_too_few_events_instead_of_limited_change(bundle):
    # 64 incidents over five years: no unit has 6 in the year before its latest month.
    provinces = score(bundle, Filters(), levels=("province",)).provinces
    assert set(provinces["surge"]) == {TOO_FEW}


def test_denser_data_gets_real_levels(bundle):
    from geodata import enrich_records, load_geography
    from geodata.synth import synthesize

    geo = load_geography()
    events = enrich_records(synthesize(6000, 3, geo), "incidents", geo)
    layers = {
        "incidents": events,
        "threats": None,
        "admin1": bundle.admin1,
        "corridors": bundle.corridors,
        "sites": bundle.sites,
    }
    provinces = score(layers, Filters(), levels=("province",)).provinces
    spoken = provinces[provinces["surge"] != TOO_FEW]
    assert len(spoken) >= 10
    assert spoken["surge_window"].notna().all()
    assert spoken["surge"].nunique() >= 2  # not one label for every area


def test_every_level_of_the_result_has_the_window(bundle):
    result = score(bundle, Filters())
    for level in ("province", "segment", "site"):
        table = result.table(level)
        assert "surge_window" in table.columns
        assert (pd.isna(table["surge_window"]) == (table["surge"] == TOO_FEW)).all()
