"""Synthetic incidents: product format, valid, marked synthetic, plausible, reproducible."""

from __future__ import annotations

import io

import numpy as np
import pytest

from geodata import (
    declared_columns,
    enrich_records,
    load_geography,
    read_record_csv,
    validate_records,
)
from geodata.synth import synthesize, to_csv_text


@pytest.fixture(scope="module")
def synth():
    return synthesize(3000, seed=11)


def test_columns_and_contract(synth):
    assert list(synth.columns) == declared_columns("incidents")
    typed = validate_records(
        read_record_csv(io.StringIO(to_csv_text(synth))), "incidents", "synth.csv"
    )
    assert len(typed) == 3000
    assert (typed.dtypes == synth.dtypes).all()


def test_every_row_is_marked_synthetic(synth):
    assert synth["id"].str.startswith("SYN-").all() and synth["id"].is_unique
    assert synth["summary"].str.startswith("SYNTHETIC").all()
    assert synth["notes"].str.startswith("SYNTHETIC").all()
    assert synth["source_1_url"].str.startswith("https://example.invalid/").all()


def test_points_fall_in_the_drawn_unit_and_values_are_plausible(synth):
    enriched = enrich_records(synth, "incidents", load_geography())
    units = load_geography().admin1.set_index("name")["iso_3166_2"]
    assert (enriched["admin1"] == synth["province"].map(units)).mean() > 0.99
    assert set(synth["country"]) == {"AFG", "PAK"}
    assert (enriched["actor_canonical"] != "Other").all()
    assert {"ISKP", "TTP", "BLA"} <= set(enriched["actor_canonical"])
    deaths = synth["fatalities"].to_numpy(dtype=float)
    assert np.median(deaths) <= 2 and deaths.max() >= 20  # heavy tail
    assert (synth["fatalities_low"] <= synth["fatalities"]).all()
    assert (synth["fatalities"] <= synth["fatalities_high"]).all()
    kabul_share = (synth["province"] == "Kabul").mean()
    assert kabul_share > 1 / 41  # weighted, not uniform


def test_same_seed_same_rows_other_seed_other_rows(synth):
    assert synthesize(3000, seed=11).equals(synth)
    assert not synthesize(3000, seed=12)["latitude"].equals(synth["latitude"])


@pytest.mark.parametrize("n, seed", [(0, 1), (-5, 1), (10, -1), (2.5, 1)])
def test_bad_arguments(n, seed):
    with pytest.raises(ValueError, match="whole number"):
        synthesize(n, seed)
