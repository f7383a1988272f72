"""The iskp-atlas CLI: --help everywhere, one-line errors, validate round trip."""

from __future__ import annotations

import subprocess
import sys

import pytest

from atlas_cli.main import build_parser, main


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_every_subcommand_has_help(capsys):
    names = _subcommands()
    assert {"info", "validate"} <= set(names)
    for name in names:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0
        assert "usage: iskp-atlas" in capsys.readouterr().out


def test_info_lists_layers(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "incidents\t68" in out and "provinces\t34" in out


def test_validate_bad_file_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,date\nX-1,2024-02-30\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "atlas_cli", "validate", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert "bad.csv" in lines[0] and "column" in lines[0]


def test_validate_good_file(tmp_path, capsys):
    from geodata import data_path

    assert main(["validate", str(data_path("threats.csv")), "--kind", "threats"]) == 0
    assert "23 threats records pass" in capsys.readouterr().out
