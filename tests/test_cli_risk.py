"""CLI round trips: synth → validate → scores → explain, through a temporary directory."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from atlas_cli.main import main


def test_synth_file_validates(tmp_path, capsys):
    out = tmp_path / "synth.csv"
    assert main(["synth", "--events", "250", "--seed", "3", "-o", str(out)]) == 0
    frame = pd.read_csv(out)
    assert len(frame) == 250 and frame["id"].str.startswith("SYN-").all()
    assert main(["validate", str(out)]) == 0
    assert "250 incidents records pass" in capsys.readouterr().out


@pytest.mark.parametrize("level, rows", [("province", 41), ("site", 30)])
def test_scores_to_file(tmp_path, level, rows):
    out = tmp_path / f"{level}.csv"
    assert main(["scores", "--level", level, "--format", "csv", "-o", str(out)]) == 0
    table = pd.read_csv(out)
    assert len(table) == rows
    assert {"id", "name", "load", "score", "band", "surge", "n_events", "top_contributor"} <= set(
        table.columns
    )
    assert table["load"].is_monotonic_decreasing


def test_explain_sums_to_the_load_that_scores_reports(tmp_path):
    query = "actor=ISKP&from=2022-01-01"
    scores = tmp_path / "segments.json"
    assert (
        main(
            [
                "scores",
                "--level",
                "segment",
                "--query",
                query,
                "--perspective",
                "china_cpec",
                "--format",
                "json",
                "-o",
                str(scores),
            ]
        )
        == 0
    )
    rows = json.loads(scores.read_text(encoding="utf-8"))
    assert len(rows) >= 100
    top = rows[0]
    explained = tmp_path / "explain.csv"
    assert (
        main(
            [
                "explain",
                top["id"],
                "--level",
                "segment",
                "--query",
                query,
                "--perspective",
                "china_cpec",
                "--format",
                "csv",
                "-o",
                str(explained),
            ]
        )
        == 0
    )
    parts = pd.read_csv(explained)
    assert parts["contribution"].sum() == pytest.approx(top["load"], rel=1e-9)
    assert parts["id"].iloc[0] == top["top_contributor"]
    assert list(parts["contribution"]) == sorted(parts["contribution"], reverse=True)


def test_table_output_names_the_filter_state(capsys):
    assert main(["explain", "Kabul", "--query", "target=chinese_nationals"]) == 0
    out = capsys.readouterr().out
    assert "contribution" in out and "AF-KAB Kabul" in out
    assert "All attacks and threats on Chinese nationals, all dates" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["scores", "--query", "actor=Hamas"], "bad value 'Hamas' for 'actor'"),
        (["scores", "--query", "colour=red"], "unknown filter key 'colour'"),
        (["explain", "XX-999", "--level", "segment"], "no segment with id 'XX-999'"),
    ],
)
def test_errors_are_one_line_with_exit_2(args, message):
    proc = subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in proc.stderr
