"""Back-test metrics against hand-computed values, no leakage, thin-data honesty, real data."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskmodel.backtest import (
    MIN_EVENTS,
    auc,
    backtest,
    brier,
    brier_skill,
    climatology,
    flagged_capture,
    forecast_at,
    hit_rate_and_pai,
    persistence,
    reliability_table,
)
from riskmodel.forecast import MODELS, build_panel

REAL = Path(__file__).resolve().parents[1] / "../shared/data/real"
UCDP_WEB = REAL / "ucdp_web_export_pakistan_1989_2019.csv"


# --- metrics, by hand ----------------------------------------------------------------------


def test_brier_by_hand():
    # (0.2² + 0.2² + 0.5²) / 3 = 0.33 / 3
    assert brier([0.8, 0.2, 0.5], [1, 0, 1]) == pytest.approx(0.11)


def test_brier_skill_by_hand():
    assert brier_skill(0.11, 0.22) == pytest.approx(0.5)
    assert brier_skill(0.3, 0.2) == pytest.approx(-0.5)
    assert math.isnan(brier_skill(0.1, 0.0))


def test_auc_by_hand():
    # Pairs (positive, negative): (0.35, 0.1) ✓ (0.35, 0.4) ✗ (0.8, 0.1) ✓ (0.8, 0.4) ✓
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert math.isnan(auc([0.1, 0.2], [0, 0]))


def test_reliability_table_by_hand():
    table = reliability_table(np.array([0.05, 0.15, 0.12, 0.95]), np.array([0, 1, 0, 1]))
    assert table["count"].tolist() == [1, 2, 1]
    assert table["mean_predicted"].tolist() == pytest.approx([0.05, 0.135, 0.95])
    assert table["observed_frequency"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert table["bin_from"].tolist() == pytest.approx([0.0, 0.1, 0.9])


def test_flagged_capture_shares_ties_at_the_cut():
    # Top 40 % of 5 units = 2: the 0.9 unit, then half of the two tied at 0.5.
    got, area, k = flagged_capture(
        [0.9, 0.5, 0.5, 0.1, 0.0], [3, 1, 0, 0, 2], [10, 20, 30, 40, 100], share=0.4
    )
    assert (got, area, k) == pytest.approx((3.5, 35.0, 2.0))
    hit, pai = hit_rate_and_pai(got, 6, area, 200)
    assert hit == pytest.approx(3.5 / 6)
    assert pai == pytest.approx((3.5 / 6) / (35 / 200))


def test_a_forecast_that_cannot_rank_gets_the_area_share():
    # All tied: flagging 20 % of units captures 20 % of events on average.
    got, area, _ = flagged_capture(np.zeros(10), np.arange(10), np.ones(10))
    assert got == pytest.approx(0.2 * 45)
    assert area == pytest.approx(2.0)


def test_baselines_by_hand():
    counts = np.array([[0, 2, 1], [3, 0, 0]])
    assert persistence(counts, 1).mu.tolist() == [1, 0]
    assert persistence(counts, 3).mu.tolist() == [3, 3]
    assert climatology(counts, 1).mu.tolist() == pytest.approx([1, 1])
    assert climatology(counts, 3).mu.tolist() == pytest.approx([3, 3])
    assert persistence(counts, 1).p_any()[0] == pytest.approx(1 - math.exp(-1))
    assert persistence(counts, 1).p_any()[1] == 0.0


# --- no leakage ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel(bundle):
    return build_panel(bundle, level="admin1")


def _with_counts(panel, counts):
    return dataclasses.replace(panel, counts=counts)


@pytest.mark.parametrize("model", [*MODELS, "persistence", "climatology"])
def test_altering_the_future_never_changes_the_forecast_made_at_the_origin(panel, model):
    rng = np.random.default_rng(0)
    origin = panel.counts.shape[1] - 10
    changed = panel.counts.copy()
    future = changed[:, origin + 1 :]
    changed[:, origin + 1 :] = rng.permutation(future.ravel()).reshape(future.shape) + rng.integers(
        0, 5, future.shape
    )
    for h in (1, 3):
        a = forecast_at(panel, origin, h, model)
        b = forecast_at(_with_counts(panel, changed), origin, h, model)
        assert np.array_equal(a.mu, b.mu) and np.array_equal(a.alpha, b.alpha)


def test_the_backtest_metrics_do_not_move_when_months_after_the_last_outcome_change(panel):
    last_origin = str(panel.months[-14])
    base = backtest(panel, end=last_origin, refit_every=6)
    changed = panel.counts.copy()
    changed[:, -10:] += 7  # after the last origin's 3-month outcome window
    again = backtest(_with_counts(panel, changed), end=last_origin, refit_every=6)
    pd.testing.assert_frame_equal(base.metrics, again.metrics)


# --- thin data -----------------------------------------------------------------------------


def test_the_bundled_records_are_reported_as_too_thin(panel):
    result = backtest(panel, refit_every=12)
    assert result.thin
    n = result.n_events[1]
    assert n < MIN_EVENTS
    assert f"{n} events" in result.message
    assert "UCDP GED or ACLED" in result.message
    assert result.best_model is None
    assert (result.metrics["n_events"] > 0).all()  # each figure carries its event count


def test_cli_backtest_says_how_thin_before_any_figure(tmp_path, monkeypatch, capsys):
    import json

    from atlas_cli.main import main

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    assert main(["backtest", "--refit-every", "12"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Too thin to judge skill:")
    assert main(["backtest", "--format", "json", "--refit-every", "12"]) == 0
    data = json.loads(
        capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}")
    )
    assert data["thin"] is True and data["n_events"]["1"] < MIN_EVENTS
    assert {m["model"] for m in data["metrics"]} == {*MODELS, "persistence", "climatology"}


def test_cli_backtest_rejects_a_bad_month(capsys):
    from atlas_cli.main import main

    assert main(["backtest", "--from", "2019-13"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "YYYY-MM" in err[0]


# --- the real UCDP file --------------------------------------------------------------------


@pytest.fixture(scope="module")
def ucdp_bundle(tmp_path_factory):
    if not UCDP_WEB.is_file():
        pytest.skip(f"real data not present: {UCDP_WEB}")
    from geodata import store
    from geodata.catalog import load_current
    from geodata.importers.reading import ImportFileError

    home = tmp_path_factory.mktemp("ucdp-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path_factory.mktemp("ucdp-cache")))
    try:
        store.import_file(UCDP_WEB, home=home)
    except (ImportFileError, ValueError) as exc:
        mp.undo()
        pytest.skip(
            f"the importer does not read the UCDP web-export layout yet: "
            f"{str(exc).splitlines()[0][:200]}"
        )
    yield load_current(home=home)
    mp.undo()


def test_real_ucdp_backtest_2010_2019_admin1(ucdp_bundle):
    from riskmodel import Filters

    panel = build_panel(
        ucdp_bundle, Filters(countries=("PAK",), date_to="2019-12-31"), level="admin1"
    )
    result = backtest(panel, start="2010-01", end="2019-09")
    assert not result.thin, result.message
    assert len(result.origins) == 117
    m = result.metrics.set_index(["model", "horizon_months"])
    best = result.best_model
    assert best in MODELS
    # The kept model beats both naive baselines on the Brier score at one month.
    assert m.loc[(best, 1), "bss_vs_persistence"] > 0.1
    assert m.loc[(best, 1), "bss_vs_climatology"] > 0
    assert m.loc[(best, 1), "auc"] > m.loc[("persistence", 1), "auc"]
