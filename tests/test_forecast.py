"""Forecasts: the counts behind them, each model's behaviour, the table and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse, stats

from riskmodel import Filters, parse_query
from riskmodel.forecast import (
    FORECAST_COLUMNS,
    MIN_RELEVANCE,
    Prediction,
    apply_eb,
    build_panel,
    eb_prior,
    fit_hawkes,
    forecast,
    grid_cells,
    predict,
    relevant_incidents,
)
from riskmodel.score import resolve_as_of
from riskmodel.settings import settings_from_filters


@pytest.fixture(scope="module")
def panel(bundle):
    return build_panel(bundle, level="admin1")


# --- the counts ----------------------------------------------------------------------------


def test_panel_counts_every_relevant_incident_once_or_says_it_could_not(bundle, panel):
    settings = settings_from_filters(Filters())
    as_of = resolve_as_of(bundle, Filters(), settings.replace(include_threats=False))
    relevant = relevant_incidents(bundle.incidents, Filters(), settings, as_of)
    assert panel.n_events + panel.n_unplaced == len(relevant)
    assert panel.counts.shape == (41, len(panel.months))
    assert str(panel.months[-1]) == str(as_of)[:7]


def test_panel_counts_agree_with_the_score_tables_event_counts(bundle, panel):
    from riskmodel import score

    provinces = score(bundle, Filters(), levels=("province",)).provinces.set_index("id")
    per_unit = dict(zip(panel.units["id"], panel.counts.sum(axis=1), strict=True))
    # The score also spreads records without a single unit over several: never fewer.
    for unit, n in per_unit.items():
        assert n <= provinces.loc[unit, "n_events"]
    assert sum(per_unit.values()) > 0


def test_filters_and_perspective_change_what_counts(bundle, panel):
    iskp = build_panel(bundle, parse_query("actor=ISKP"), level="admin1")
    assert 0 < iskp.n_events < panel.n_events
    china = build_panel(bundle, parse_query("perspective=china_cpec"), level="admin1")
    assert 0 < china.n_events < panel.n_events  # only attacks weighted ≥ MIN_RELEVANCE
    assert MIN_RELEVANCE > 0.3  # escort forces (0.3) are not a "relevant" target for CPEC
    pak = build_panel(bundle, parse_query("country=PAK"), level="admin1")
    assert set(pak.units["id"].str[:3]) == {"PK-"}


def test_grid_cells_use_prio_grid_numbering(bundle):
    cells = grid_cells(bundle.admin1)
    # Kabul (34.53 N, 69.17 E): row floor((34.53+90)/0.5) = 249, col floor(249.17/0.5) = 498.
    kabul = cells[cells.contains(__import__("shapely").Point(69.17, 34.53))]
    assert kabul["id"].tolist() == [f"PG-{249 * 720 + 498 + 1}"]
    assert len(cells) > 400 and cells["id"].is_unique


def test_grid_panel_places_every_point(bundle):
    grid = build_panel(bundle, level="grid")
    with_point = bundle.incidents.geometry.notna().sum()
    assert grid.n_events + grid.n_unplaced <= len(bundle.incidents)
    assert grid.n_events <= with_point


# --- predictive distributions and models ---------------------------------------------------


def test_prediction_probabilities_and_intervals_by_hand():
    pred = Prediction(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.0, 0.5]))
    # Poisson: 1 − e^{−μ}; NB2 with α = 0.5, μ = 2: P(0) = (1 + αμ)^{−1/α} = 2^{−2}.
    assert pred.p_any() == pytest.approx([0.0, 1 - math.exp(-1), 0.75])
    assert pred.quantile(0.9)[1] == stats.poisson.ppf(0.9, 1.0)
    assert pred.quantile(0.9)[2] == stats.nbinom.ppf(0.9, 2.0, 2.0 / (2.0 + 2.0))


def test_eb_shrinks_a_single_event_toward_the_regional_rate():
    counts = np.zeros((20, 12), dtype=int)
    counts[:10, ::3] = 1  # ten units with one event a quarter (4 a year)
    counts[10, 5] = 1  # one unit with a single event
    a, b = eb_prior(counts.sum(axis=1), 12)
    assert a > 0 and b > 0
    pred = apply_eb(counts, 1)
    lone = pred.mu[10]
    assert 0 < lone < 4 / 12  # shrunk below the busy units …
    assert lone > pred.mu[15]  # … but above the units with none
    assert pred.mu[15] > 0  # no unit is certain to stay quiet


def test_hawkes_finds_self_excitation_only_where_there_is_some():
    rng = np.random.default_rng(1)
    n_units, n_months = 30, 120
    quiet = rng.poisson(0.5, (n_units, n_months))
    excited = np.zeros((n_units, n_months), dtype=int)
    kernel = 0.0
    for t in range(n_months):  # λ = 0.2 + 0.7 · decayed past (β = 0.7)
        lam = 0.2 + 0.7 * kernel
        excited[:, t] = rng.poisson(lam)
        kernel = np.exp(-0.7) * kernel + (1 - np.exp(-0.7)) * excited[:, t]
    _, alpha_quiet, _ = fit_hawkes(quiet)
    _, alpha_excited, _ = fit_hawkes(excited)
    assert alpha_quiet < 0.2
    assert alpha_excited > 0.4


def test_glm_forecasts_more_after_a_busy_month():
    rng = np.random.default_rng(2)
    counts = rng.poisson(0.3, (20, 60))
    for t in range(1, 60):  # persistence in the data: busy months follow busy months
        counts[:, t] += rng.poisson(0.6 * counts[:, t - 1])
    counts[0, -1], counts[1, -1] = 8, 0
    w = sparse.csr_matrix((20, 20))
    pred = predict(counts, w, 1, "glm")
    assert pred.mu[0] > pred.mu[1]


@pytest.mark.parametrize("model", ["hawkes", "eb"])
def test_three_months_expect_more_than_one(panel, model):
    # (The GLM fits a separate direct model per horizon, which need not be coherent on
    # thin data: one reason it is not the default; see docs/FORECAST.md.)
    one = predict(panel.counts, panel.neighbours, 1, model)
    three = predict(panel.counts, panel.neighbours, 3, model)
    assert (three.mu >= one.mu - 1e-9).all()
    assert (three.p_any() >= 0).all() and (three.p_any() <= 1).all()


def test_unknown_model_or_horizon_is_refused(panel):
    with pytest.raises(ValueError, match="horizon"):
        predict(panel.counts, panel.neighbours, 2, "glm")
    with pytest.raises(ValueError, match="unknown model"):
        predict(panel.counts, panel.neighbours, 1, "magic")


# --- the table and the CLI -----------------------------------------------------------------


def test_forecast_table_has_intervals_and_says_what_it_is(bundle):
    table = forecast(bundle, level="admin1", horizon=3)
    assert list(table.columns) == [*FORECAST_COLUMNS, "geometry"]
    assert len(table) == 41
    assert ((table["p_any"] >= 0) & (table["p_any"] <= 1)).all()
    assert (table["low"] <= table["high"]).all()
    assert table.attrs["horizon_months"] == 3 and table.attrs["model"] == "hawkes"
    assert " to " in table.attrs["target_months"]
    assert table.attrs["n_events"] > 0 and table.attrs["data_from"]


def test_cli_forecast_json_is_strict_and_csv_has_the_columns(capsys):
    from atlas_cli.main import main

    assert main(["forecast", "--format", "json", "--level", "grid", "--horizon", "3"]) == 0
    data = json.loads(
        capsys.readouterr().out, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}")
    )
    assert data["method"]["level"] == "grid" and data["method"]["horizon_months"] == 3
    assert all(f["id"].startswith("PG-") for f in data["forecasts"])
    assert main(["forecast", "--format", "csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.split(",") == list(FORECAST_COLUMNS)


def test_cli_forecast_user_error_is_one_line(capsys):
    from atlas_cli.main import main

    assert main(["forecast", "--query", "country=IRN"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "AFG" in err[0]


def test_forecast_page_shows_map_table_backtest_and_limits(tmp_path, monkeypatch):
    from fixtures.apptest import failures
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    app = Path(__file__).resolve().parents[1] / "app.py"
    at = AppTest.from_file(str(app), default_timeout=180).run()
    at.switch_page("app_pages/forecast.py").run()
    assert not failures(at), failures(at)
    headers = [h.value for h in at.subheader]
    assert any(h.startswith("Probability of at least one relevant attack") for h in headers)
    assert "How good is it? The back-test" in headers
    assert "What the model can and cannot say" in headers
    assert any(i.value.startswith("Too thin to judge skill") for i in at.info)
    table = at.dataframe[0].value
    assert len(table) == 41 and {"p_any", "low", "high"} <= set(table.columns)
    at.radio[1].set_value(3).run()  # three months ahead
    assert not failures(at)
    assert any(" to " in h for h in [s.value for s in at.subheader])


def test_the_excitation_is_the_same_on_the_fft_and_the_lfilter_paths(monkeypatch):
    """The app's small admin-1 panels take numpy's FFT, large ones scipy's lfilter: the
    Hawkes model's drive (and so every forecast) must not depend on which."""
    from riskmodel import forecast_models as fc

    rng = np.random.default_rng(3)
    counts = rng.poisson(0.8, size=(41, 150))
    counts[:, :20] = 0
    for beta in (0.02, 0.7, 12.0):
        small = fc._excitation(counts, beta)
        monkeypatch.setattr(fc, "FFT_EXCITATION_MAX_CELLS", 0)
        large = fc._excitation(counts, beta)
        monkeypatch.undo()
        d = np.exp(-beta)
        by_hand = np.zeros(counts.shape)
        for s in range(counts.shape[1]):
            by_hand[:, s] = (1 - d) * counts[:, s] + d * (by_hand[:, s - 1] if s else 0)
        np.testing.assert_allclose(small, by_hand, atol=1e-12)
        np.testing.assert_allclose(large, by_hand, atol=1e-12)
