"""The sensitive sites follow the area of interest: with aoi= set, the map's sites layer,
the site tables, `iskp-atlas scores --level site` and the site exports list only the sites
inside it — the same sites everywhere."""

from __future__ import annotations

import json

import pytest
import shapely

from atlas_cli.main import main
from mapspec import tables
from mapspec.export.layers import layer_for_export
from mapspec.resolve import resolve_query
from riskmodel.aoi import parse_aoi
from riskmodel.filters import parse_query, sites_in
from riskmodel.score import score

# Kabul and the east of Afghanistan with Khyber Pakhtunkhwa; a triangle over Balochistan
BOX = "68,33,72,36"
TRIANGLE = [(62.0, 25.0), (67.5, 25.0), (64.0, 30.0)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))


def _inside(bundle, area: shapely.Geometry) -> set[str]:
    """The ids of the bundled sites whose point lies in ``area`` (or on its edge)."""
    sites = bundle.sites
    return {i for i, g in zip(sites["id"], sites.geometry, strict=True) if area.covers(g)}


def test_sites_in_keeps_the_sites_inside_the_area(bundle):
    box = parse_query(f"aoi={BOX}")
    expected = _inside(bundle, shapely.box(68, 33, 72, 36))
    assert 0 < len(expected) < len(bundle.sites)  # the box keeps some sites, not all
    assert set(sites_in(bundle.sites, box)["id"]) == expected
    poly = parse_query({"aoi": parse_aoi(_poly_param()).to_param()})
    expected_poly = _inside(bundle, shapely.Polygon(TRIANGLE))
    assert set(sites_in(bundle.sites, poly)["id"]) == expected_poly
    assert expected_poly.isdisjoint(expected)
    # without an area (any other filter) every site stays
    assert len(sites_in(bundle.sites, parse_query("actor=ISKP&frame=2023-06"))) == len(bundle.sites)


def _poly_param() -> str:
    from riskmodel.aoi import polygon_aoi

    return polygon_aoi(TRIANGLE).to_param()


def test_map_layer_tables_and_scores_show_only_the_sites_in_the_area(bundle):
    expected = _inside(bundle, shapely.box(68, 33, 72, 36))
    resolved = resolve_query(f"aoi={BOX}", bundle)
    assert set(resolved.layer("sites")["id"]) == expected
    assert set(resolved.risk.table("site")["id"]) == expected
    top = tables.top_areas(resolved, "site", n=100)
    assert set(top["id"]) == expected
    assert set(layer_for_export(resolved, "sites").frame["id"]) == expected
    # the scores of the sites kept are those of the same sites without the area filter
    # on sites alone: records in the area, the same kernel
    direct = score(bundle, parse_query(f"aoi={BOX}"), levels=("site",)).table("site")
    assert dict(zip(direct["id"], direct["score"].round(6), strict=True)) == dict(
        zip(resolved.layer("sites")["id"], resolved.layer("sites")["score"].round(6), strict=True)
    )


def test_the_cli_scores_and_exports_list_the_same_sites_as_the_map(bundle, tmp_path, capsys):
    resolved = resolve_query(f"aoi={BOX}", bundle)
    shown = set(resolved.layer("sites")["id"])
    assert (
        main(
            [
                "scores",
                "--level",
                "site",
                "--query",
                f"aoi={BOX}",
                "--format",
                "json",
                "-o",
                str(tmp_path / "scores.json"),
            ]
        )
        == 0
    )
    rows = json.loads((tmp_path / "scores.json").read_text(encoding="utf-8"))
    rows = rows if isinstance(rows, list) else rows.get("rows", rows)
    assert {r["id"] for r in rows} == shown
    out = tmp_path / "sites.geojson"
    assert (
        main(
            [
                "export",
                "--layer",
                "sites",
                "--format",
                "geojson",
                "--query",
                f"aoi={BOX}",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert {f["properties"]["id"] for f in features} == shown
    capsys.readouterr()
