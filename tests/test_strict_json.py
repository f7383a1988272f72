"""Every JSON the CLI writes is strict RFC 8259 JSON: no NaN / Infinity (issue 11)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from atlas_cli.main import main
from atlas_cli.output import render_table, to_json
from geodata import declared_columns

# A burst of incidents in the newest month and, with the query's 'from', nothing before
# it: the change is from a zero baseline (+inf in the table; "Infinity" in the JSON before
# the fix).
BURST_DAYS = [f"2026-11-{day:02d}" for day in range(20, 28)]
ZERO_BASELINE_QUERY = "from=2026-11-01"


def _strict(text: str):
    def refuse(name: str):
        raise AssertionError(f"not RFC 8259 JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)


@pytest.fixture
def burst(tmp_path, monkeypatch):
    """Extra incidents (the product's CSV) in Kabul on the days of BURST_DAYS."""
    rows = []
    for n, day in enumerate(BURST_DAYS, 1):
        row = {c: "" for c in declared_columns("incidents")}
        row.update(
            {
                "id": f"BURST-{n}",
                "date": day,
                "country": "AFG",
                "province": "Kabul",
                "latitude": "34.52",
                "longitude": "69.18",
                "geo_precision": "2",
                "actor": "ISKP",
                "attribution": "claimed",
                "attack_type": "IED",
                "target_category": "civilians",
                "fatalities": "1",
                "summary": "test record",
                "confidence": "medium",
                "source_1_url": "https://example.org/burst",
            }
        )
        rows.append(row)
    path = tmp_path / "burst.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    monkeypatch.setenv("ISKP_ATLAS_EXTRA_INCIDENTS", str(path))
    return path


def test_scores_json_with_a_change_from_a_zero_baseline_is_strict(tmp_path, burst, capsys):
    out = tmp_path / "scores.json"
    assert main(["scores", "--query", ZERO_BASELINE_QUERY, "--format", "csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    kabul = table[table["id"] == "AF-KAB"].iloc[0]
    assert kabul["surge_change_pct"] == np.inf, "the data no longer gives a change from zero"
    assert main(["scores", "--query", ZERO_BASELINE_QUERY, "--format", "json", "-o", str(out)]) == 0
    rows = {r["id"]: r for r in _strict(out.read_text(encoding="utf-8"))}
    assert rows["AF-KAB"]["surge_change_pct"] is None
    assert rows["AF-KAB"]["surge_latest"] == len(BURST_DAYS)
    assert rows["AF-KAB"]["surge"] == kabul["surge"]


@pytest.mark.parametrize("level", ["province", "segment", "site"])
def test_scores_json_on_stdout_is_strict(burst, capsys, level):
    assert (
        main(["scores", "--level", level, "--query", ZERO_BASELINE_QUERY, "--format", "json"]) == 0
    )
    rows = _strict(capsys.readouterr().out)
    assert rows and all(
        r["surge_change_pct"] is None or isinstance(r["surge_change_pct"], int | float)
        for r in rows
    )


def test_explain_json_is_strict(capsys):
    assert main(["explain", "AF-KAB", "--format", "json"]) == 0
    rows = _strict(capsys.readouterr().out)
    assert rows and all("contribution" in r for r in rows)


def test_render_table_writes_null_for_every_non_finite_number():
    frame = pd.DataFrame(
        {
            "a": [np.inf, -np.inf, np.nan, 1.5],
            "b": [float("inf"), None, pd.NA, 2],
            "c": [(1.0, np.inf), [np.nan], {"x": -np.inf}, "t"],
        }
    )
    rows = _strict(render_table(frame, "json"))
    assert [r["a"] for r in rows] == [None, None, None, 1.5]
    assert [r["b"] for r in rows] == [None, None, None, 2]
    assert [r["c"] for r in rows] == [[1.0, None], [None], {"x": None}, "t"]
    assert to_json({"k": np.float64("nan")}, indent=None) == '{"k": null}'
