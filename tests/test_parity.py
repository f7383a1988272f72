"""One path: after an import, the app's resolved view and the CLI's ``scores``, ``explain``,
``export``, ``brief`` and ``info`` read the same data (bundled + store) and give the same
numbers. Before the one loader the CLI read the bundled records only (64 incidents and
Kabul 88.7 in the CLI, 67 and 97.1 in the app)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from atlas_cli.main import main
from geodata import load_bundle
from geodata.store import import_bytes

FIXTURES = Path(__file__).parent / "fixtures" / "import"
QUERY = "from=2021-01-01"


def _kabul_rows() -> bytes:
    """Three synthetic ISKP attacks in Kabul and one in Peshawar, in the product's CSV."""
    header = next(
        csv.reader(io.StringIO((FIXTURES / "atlas_sample.csv").read_text(encoding="utf-8")))
    )
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    places = [
        ("2025-11-03", "Kabul", 34.5553, 69.2075),
        ("2025-11-19", "Kabul", 34.52, 69.17),
        ("2025-12-02", "Kabul", 34.56, 69.21),
        ("2025-12-10", "Peshawar", 34.0151, 71.5249),
    ]
    for i, (day, province, lat, lon) in enumerate(places, 1):
        country = "PAK" if province == "Peshawar" else "AFG"
        writer.writerow(
            {
                "id": f"PAR-{i:03d}",
                "date": day,
                "country": country,
                "province": "Khyber Pakhtunkhwa" if country == "PAK" else province,
                "place": province,
                "latitude": lat,
                "longitude": lon,
                "geo_precision": 2,
                "actor": "ISKP",
                "attribution": "claimed",
                "attack_type": "suicide bombing",
                "target_category": "civilians",
                "fatalities": 5 + i,
                "injured": 3,
                "summary": f"SYNTHETIC TEST ROW {i} for the CLI/app parity test.",
                "source_1_title": "Synthetic test source",
                "source_1_url": f"https://example.org/parity-{i}",
                "confidence": "medium",
                "notes": "Test fixture row",
            }
        )
    return out.getvalue().encode("utf-8")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("parity-home")
    result = import_bytes(_kabul_rows(), "parity.csv", home=home)
    assert result.batch.rows_accepted == 4
    return home


@pytest.fixture()
def app_view(home, monkeypatch):
    """The resolved view exactly as the app computes it (ui's cached data and resolve)."""
    import ui

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)
    from mapspec.spec import MapSpec

    spec = MapSpec.from_params({"from": "2021-01-01"})
    return ui._resolve_cached(ui._params_key(spec), ui.data_signature()), ui.data()


def _cli(capsys, *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_scores_agree_with_the_app_after_an_import(app_view, home, capsys):
    view, data = app_view
    bundled = len(load_bundle().incidents)
    assert len(data.incidents) == bundled + 4  # the app sees the imported records
    rows = json.loads(
        _cli(capsys, "scores", "--format", "json", "--query", QUERY, "--home", str(home))
    )
    cli = {r["id"]: (r["load"], r["score"], r["band"], r["n_events"]) for r in rows}
    table = view.risk.table("province")
    app = {r.id: (r.load, r.score, r.band, r.n_events) for r in table.itertuples()}
    assert cli == app
    # and the import moved Kabul: the CLI does not show the bundle-only figure
    rows_bundled = json.loads(
        _cli(capsys, "scores", "--format", "json", "--query", QUERY, "--home", str(home / "empty"))
    )
    kabul_bundled = next(r for r in rows_bundled if r["id"] == "AF-KAB")
    assert cli["AF-KAB"][0] > kabul_bundled["load"]
    assert cli["AF-KAB"][3] == kabul_bundled["n_events"] + 3


def test_explain_lists_the_imported_records_the_app_counts(app_view, home, capsys):
    view, _ = app_view
    rows = json.loads(
        _cli(capsys, "explain", "AF-KAB", "--format", "json", "--query", QUERY, "--home", str(home))
    )
    ids = {r["id"] for r in rows}
    assert {"PAR-001", "PAR-002", "PAR-003"} <= ids
    app_rows = view.risk.explain("AF-KAB", "province")
    assert sum(r["contribution"] for r in rows) == pytest.approx(
        float(app_rows["contribution"].sum())
    )


def test_export_and_info_count_what_the_app_shows(app_view, home, capsys, tmp_path):
    view, data = app_view
    out = tmp_path / "incidents.geojson"
    main(
        [
            "export",
            "--layer",
            "incidents",
            "--format",
            "geojson",
            "--query",
            QUERY,
            "--home",
            str(home),
            "-o",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    exported = {f["properties"]["id"] for f in features}
    shown = set(view.layer("incidents")["id"])
    assert {"PAR-001", "PAR-004"} <= shown
    # user-supplied rows (no licence column) are withheld from raw exports and counted
    withheld = re.search(r"; (\d+) incidents rows withheld", err)
    assert exported <= shown
    assert len(shown) - len(exported) == (int(withheld.group(1)) if withheld else 0) >= 4
    info = dict(line.split("\t") for line in _cli(capsys, "info", "--home", str(home)).splitlines())
    assert int(info["incidents"]) == len(data.incidents)


def test_brief_is_drawn_from_the_same_view(app_view, home, capsys, tmp_path):
    view, _ = app_view
    out = tmp_path / "brief.png"
    assert (
        main(["brief", "--format", "png", "--query", QUERY, "--home", str(home), "-o", str(out)])
        == 0
    )
    err = capsys.readouterr().err
    assert out.stat().st_size > 10_000
    assert view.sentence in err


def test_extra_file_through_the_environment_and_the_flag_agree(home, capsys, tmp_path, monkeypatch):
    extra = tmp_path / "extra.csv"
    extra.write_bytes(_kabul_rows().replace(b"PAR-", b"EXT-"))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)
    by_flag = dict(
        line.split("\t")
        for line in _cli(capsys, "info", "--home", str(home), "--extra", str(extra)).splitlines()
    )
    monkeypatch.setenv("ISKP_ATLAS_EXTRA_INCIDENTS", str(extra))
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    by_env = dict(line.split("\t") for line in _cli(capsys, "info").splitlines())
    assert by_flag == by_env
    assert int(by_env["incidents"]) == len(load_bundle().incidents) + 8


AOI_QUERY = "from=2021-01-01&aoi=68,33,72,36"  # Kabul and Peshawar inside, Quetta not


def test_an_area_of_interest_gives_the_cli_the_apps_numbers(home, capsys, monkeypatch):
    import ui
    from mapspec.spec import MapSpec

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)
    spec = MapSpec.from_params(dict(p.split("=") for p in AOI_QUERY.split("&")))
    view = ui._resolve_cached(ui._params_key(spec), ui.data_signature())
    shown = set(view.layer("incidents")["id"])
    assert {"PAR-001", "PAR-004"} <= shown  # Kabul and Peshawar points are inside
    everything = ui._resolve_cached(
        ui._params_key(MapSpec.from_params({"from": "2021-01-01"})), ui.data_signature()
    )
    assert len(shown) < len(everything.layer("incidents"))
    rows = json.loads(
        _cli(capsys, "scores", "--format", "json", "--query", AOI_QUERY, "--home", str(home))
    )
    cli = {r["id"]: (r["load"], r["score"], r["n_events"]) for r in rows}
    app = {r.id: (r.load, r.score, r.n_events) for r in view.risk.table("province").itertuples()}
    assert cli == app
    assert cli["AF-KAB"][2] >= 3
    # a province far outside the area has no events left
    assert cli["PK-BA"][2] == 0
    out = json.loads(
        _cli(
            capsys, "scores", "--format", "json", "--query", "from=2021-01-01", "--home", str(home)
        )
    )
    assert max(r["n_events"] for r in out if r["id"] == "PK-BA") > 0
