"""``iskp-atlas export`` / ``brief`` and the Export page."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyogrio
import pytest

from atlas_cli.commands.export import spec_from_query
from atlas_cli.main import main
from mapspec.export.layers import EXPORT_LAYERS

ROOT = Path(__file__).resolve().parents[1]


def test_export_geojson_with_query(tmp_path, capsys):
    out = tmp_path / "iskp.geojson"
    assert (
        main(
            [
                "export",
                "--layer",
                "incidents",
                "--format",
                "geojson",
                "--query",
                "actor=ISKP&country=AFG",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["metadata"]["spec"]["filters"] == {"actor": "ISKP", "country": "AFG"}
    assert doc["features"] and all(f["properties"]["country"] == "AFG" for f in doc["features"])
    assert f"incidents {len(doc['features'])} feature(s)" in capsys.readouterr().err


def test_export_csv_format_from_suffix_and_repeated_keys(tmp_path):
    out = tmp_path / "sites.csv"
    assert main(["export", "--layer", "sites", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 30 and {"lon", "lat", "score", "band"} <= set(rows[0])
    assert spec_from_query("actor=ISKP&actor=TTP") == spec_from_query("actor=ISKP,TTP")


@pytest.mark.filterwarnings("ignore:.*non conformant file extension:RuntimeWarning")
def test_export_gpkg_all_layers(tmp_path):
    out = tmp_path / "atlas.gpkg"
    assert main(["export", "--layer", "all", "-o", str(out)]) == 0
    names = [row[0] for row in pyogrio.list_layers(out)]
    # every record and score layer, in the registry's file order; no analysis layer
    assert names == list(EXPORT_LAYERS) and len(names) == 8
    assert names[0] == "provinces" and not any(
        n.startswith(("forecast", "hotspots")) for n in names
    )
    assert len(pyogrio.read_dataframe(out, layer="provinces")) == 34


def test_brief_png_and_pdf(tmp_path):
    png, pdf = tmp_path / "b.png", tmp_path / "b.pdf"
    assert main(["brief", "--query", "view=route:KKH_N35", "-o", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(["brief", "--format", "pdf", "--banner", "OFFICIAL", "-o", str(pdf)]) == 0
    assert pdf.read_bytes()[:4] == b"%PDF"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--layer", "roads", "-o", "x.geojson"], "unknown layer 'roads'"),
        (["export", "--layer", "incidents", "-o", "x.shp"], "format 'shp' is not one of"),
        (
            ["export", "--layer", "incidents", "--query", "actor=NOPE", "-o", "x.geojson"],
            "bad value 'NOPE' for 'actor'",
        ),
        (
            ["export", "--layer", "incidents", "--query", "colour=pink", "-o", "x.csv"],
            "colour 'pink'",
        ),
        (["export", "--layer", "sites,incidents", "-o", "x.csv"], "csv holds one layer"),
        (["brief", "-o", "x.svg"], "format 'svg' is not one of png, pdf"),
        (["brief", "--width", "900", "-o", "x.png"], "at least 1600"),
    ],
)
def test_user_errors_are_one_line_exit_2(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not list(tmp_path.iterdir())  # nothing written on error


def test_cli_error_has_no_traceback_in_a_real_process(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "atlas_cli",
            "export",
            "--layer",
            "nope",
            "-o",
            str(tmp_path / "x.geojson"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_export_page_shows_counts_sentence_downloads_and_preview():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app_pages" / "export.py"), default_timeout=120)
    at.run()
    assert not at.exception
    from geodata import load_bundle

    n = len(load_bundle().incidents)  # the page counts every bundled incident (no filter)
    assert f"**Incidents**: {n} feature(s)" in [m.value for m in at.markdown]
    assert any("All attacks and threats" in c.value for c in at.caption)
    assert [type(e).__name__ for e in at.main].count("DownloadButton") == 1
    at.radio(key="x_format").set_value("png").run()
    assert not at.exception
    assert [type(e).__name__ for e in at.main].count("Image") == 1
    at.radio(key="x_format").set_value("gpkg").run()
    assert "**Afghan provinces (scores)**: 34 feature(s)" in at.markdown[0].value
