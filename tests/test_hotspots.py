"""Getis-Ord Gi* hot spots: classes, the FDR correction, and "too few events"."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from riskmodel.forecast import build_panel
from riskmodel.hotspots import HOTSPOT_COLUMNS, MIN_EVENTS, TOO_FEW, classify, hotspots


def test_classify_by_hand():
    z = np.array([3.0, 2.0, 1.8, -2.5, 0.5, 4.0])
    q = np.array([0.005, 0.03, 0.08, 0.009, 0.5, 0.2])
    assert classify(z, q).tolist() == [
        "hot 99 %",
        "hot 95 %",
        "hot 90 %",
        "cold 99 %",
        "not significant",
        "not significant",
    ]


@pytest.fixture(scope="module")
def grid_panel(bundle):
    return build_panel(bundle, level="grid")


def test_the_bundled_records_give_gi_star_at_admin1(bundle):
    table = hotspots(bundle, level="admin1")
    assert list(table.columns) == [*HOTSPOT_COLUMNS, "geometry"]
    assert table.attrs["n_events"] == build_panel(bundle, level="admin1").n_events
    assert table.attrs["n_events"] >= MIN_EVENTS  # the bundle's 60-odd events are enough
    assert (table["status"] == "ok").all() and table["gi_z"].notna().all()
    assert set(table["hotspot"]) <= {"not significant"} | {
        f"{kind} {level}" for kind in ("hot", "cold") for level in ("90 %", "95 %", "99 %")
    }


def test_too_few_events_returns_the_status_not_numbers(grid_panel):
    counts = np.zeros_like(grid_panel.counts)
    counts[:5, -1] = 2  # 10 events
    table = hotspots(panel=dataclasses.replace(grid_panel, counts=counts))
    assert (table["status"] == TOO_FEW).all()
    assert table["gi_z"].isna().all() and table["hotspot"].isna().all()
    assert "10 events in 5 units" in table.attrs["status"]


def test_a_cluster_of_events_is_a_hot_spot_and_its_far_side_is_not(grid_panel):
    units = grid_panel.units
    centre = units.geometry.representative_point()
    kabul = ((centre.x - 69.2) ** 2 + (centre.y - 34.5) ** 2).to_numpy()
    near = np.argsort(kabul)[:9]  # Kabul's cell and its ring
    rng = np.random.default_rng(0)
    counts = np.zeros_like(grid_panel.counts)
    counts[:, -1] = rng.poisson(0.05, len(units))
    counts[near, -1] += 20
    table = hotspots(panel=dataclasses.replace(grid_panel, counts=counts))
    assert (table["status"] == "ok").all()
    kabul_row = table.iloc[int(np.argmin(kabul))]
    assert kabul_row["hotspot"] == "hot 99 %"
    assert kabul_row["gi_z"] > 3
    far = table.iloc[int(np.argmax(kabul))]
    assert not str(far["hotspot"]).startswith("hot")
    # The FDR correction only ever raises p-values.
    assert (table["q"] >= table["p"] - 1e-12).all()
    assert "Benjamini-Hochberg" in table.attrs["method"]
