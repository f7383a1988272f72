"""The area of interest (aoi=): both written forms, validation, which records are inside,
the sentence, and that it reaches scores, the forecast, exports and the CLI."""

from __future__ import annotations

import itertools
import json
from datetime import date

import geopandas as gpd
import numpy as np
import polyline
import pytest
from shapely.geometry import Point

from atlas_cli.main import main
from geodata import load_bundle
from mapspec import export as exports
from mapspec.resolve import resolve
from mapspec.spec import MapSpec
from riskmodel.aoi import MAX_VERTICES, Aoi, bbox_aoi, parse_aoi, polygon_aoi
from riskmodel.filters import (
    Filters,
    QueryError,
    aoi_geometry,
    apply_filters,
    describe,
    parse_query,
    to_query,
)

# Around Kabul, Nangarhar and Peshawar; Quetta (Balochistan) is well south of it.
KABUL_BOX = "68,33,72,36"
# A triangle whose bounding box contains the point (69.5, 35.5) but which does not.
TRIANGLE = [(68.0, 33.0), (72.0, 33.0), (68.0, 36.0)]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)


# --- the two written forms ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, canonical",
    [
        ("60.5,29,75,37", "60.5,29,75,37"),
        (" 60.50 , 29.0, 75 ,37.000 ", "60.5,29,75,37"),
        ("69.123456789,33.1,70.2,34.9999999", "69.123457,33.1,70.2,35"),
        ("-10,-5.5,10,5", "-10,-5.5,10,5"),
    ],
)
def test_a_bounding_box_round_trips(text, canonical):
    aoi = parse_aoi(text)
    assert aoi.kind == "bbox"
    assert aoi.to_param() == canonical
    assert parse_aoi(aoi.to_param()) == aoi
    f = parse_query({"aoi": text})
    assert parse_query(to_query(f)) == f
    assert to_query(f) == f"aoi={canonical}"


def test_a_polygon_round_trips_exactly_through_its_encoding():
    drawn = [(69.16789, 34.51), (69.31, 34.49123), (69.25, 34.6), (69.16789, 34.51)]
    aoi = polygon_aoi(drawn)
    assert aoi.kind == "poly" and aoi.n_vertices == 3
    assert aoi.vertices == tuple(drawn)
    text = aoi.to_param()
    assert text.startswith("poly:")
    assert parse_aoi(text) == aoi
    assert parse_aoi(text).to_param() == text  # format(parse(s)) == s
    f = parse_query({"aoi": text})
    assert parse_query(to_query(f)) == f  # percent-encoded in the query string and back
    assert "&" not in text[5:] and "=" not in text[5:] and "+" not in text[5:]


def test_an_open_ring_is_closed_and_vertices_are_rounded_to_the_encoding():
    aoi = polygon_aoi([(68.123456, 33.0), (72.0, 33.0), (68.0, 36.0)])
    assert aoi.vertices[0] == aoi.vertices[-1] == (68.12346, 33.0)
    encoded_open = polyline.encode([(33.0, 68.12346), (33.0, 72.0), (36.0, 68.0)])
    assert parse_aoi("poly:" + encoded_open) == aoi


def test_the_geojson_geometry_is_a_closed_counter_clockwise_polygon():
    geometry = parse_aoi(KABUL_BOX).geojson()
    ring = geometry["coordinates"][0]
    assert geometry["type"] == "Polygon" and ring[0] == ring[-1]
    assert {tuple(p) for p in ring} == {(68, 33), (72, 33), (72, 36), (68, 36)}
    signed = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
    assert signed > 0
    clockwise = polygon_aoi(list(reversed(TRIANGLE)))
    ring = clockwise.geojson()["coordinates"][0]
    assert sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring)) > 0
    assert aoi_geometry(Filters()) is None
    assert aoi_geometry(parse_query(f"aoi={KABUL_BOX}")) == parse_aoi(KABUL_BOX).geojson()


# --- validation: a link is user input ------------------------------------------------------


def _bowtie() -> str:
    return "poly:" + polyline.encode([(33, 68), (36, 72), (33, 72), (36, 68), (33, 68)])


@pytest.mark.parametrize(
    "value, why",
    [
        ("68,33,72", "needs 4 numbers, got 3"),
        ("68,33,72,36,1", "needs 4 numbers, got 5"),
        ("72,33,68,36", "W (72) must be less than E (68)"),
        ("68,36,72,33", "S (36) must be less than N (33)"),
        ("68,33,68,36", "W (68) must be less than E (68)"),
        ("-190,33,72,36", "within −180…180"),
        ("68,-95,72,36", "within −90…90"),
        ("68,33,inf,36", "finite"),
        ("68,33,nan,36", "finite"),
        ("a,b,c,d", "four numbers"),
        ("1" * 200, "four numbers"),
        ("poly:", "needs an encoded polygon"),
        ("poly:<script>", "only the characters ? to ~"),
        ("poly:~~~~", "cut short or damaged"),
        ("poly:" + polyline.encode([(33, 68), (36, 72)]), "at least 3 distinct vertices"),
        ("poly:" + polyline.encode([(33, 68), (34, 69), (35, 70)]), "no area"),
        ("poly:" + polyline.encode([(33, 68), (36, 400), (33, 72)]), "outside"),
        ("poly:" + "?" * 7000, "longer than"),
    ],
)
def test_bad_values_name_the_key_the_value_and_the_fix(value, why):
    with pytest.raises(QueryError) as info:
        parse_query({"aoi": value})
    message = str(info.value)
    assert why in message
    assert "'aoi'" in message and repr(value[:20])[1:-1] in message
    assert "aoi=W,S,E,N" in message


def test_a_self_crossing_or_oversized_polygon_is_refused():
    with pytest.raises(QueryError, match="crosses itself"):
        parse_query({"aoi": _bowtie()})
    ring = [
        (68 + 0.01 * np.cos(t), 33 + 0.01 * np.sin(t))
        for t in np.linspace(0, 2 * np.pi, MAX_VERTICES + 5, endpoint=False)
    ]
    with pytest.raises(ValueError, match=f"at most {MAX_VERTICES}"):
        polygon_aoi(ring)


def test_the_aoi_is_given_once():
    with pytest.raises(QueryError, match="more than once"):
        parse_query(f"aoi={KABUL_BOX}&aoi=60,29,75,37")


# --- which records are inside ------------------------------------------------------------


def _records(points, units) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"R{i}" for i in range(len(points))],
            "date": [np.datetime64("2025-01-01")] * len(points),
            "admin1_for_scoring": units,
        },
        geometry=[Point(p) if p else None for p in points],
        crs="EPSG:4326",
    )


def test_points_inside_the_box_or_on_its_edge_are_kept():
    frame = _records(
        [(69.2, 34.5), (72.0, 34.0), (66.9, 30.2), (69.5, 35.5)],
        [("AF-KAB",), ("PK-KP",), ("PK-BA",), ("AF-PAN",)],
    )
    kept = apply_filters(frame, parse_query(f"aoi={KABUL_BOX}"))
    assert list(kept["id"]) == ["R0", "R1", "R3"]


def test_a_polygon_keeps_only_what_is_inside_it_not_its_bounding_box():
    frame = _records([(69.0, 33.5), (71.5, 35.5)], [("AF-LOG",), ("AF-KNR",)])
    f = Filters(aoi=polygon_aoi(TRIANGLE))
    assert list(apply_filters(frame, f)["id"]) == ["R0"]
    assert list(apply_filters(frame, Filters(aoi=bbox_aoi(68, 33, 72, 36)))["id"]) == ["R0", "R1"]


def test_records_without_a_point_follow_their_provinces():
    frame = _records([None, None, None, None], [("AF-KAB",), ("PK-BA",), ("PK-BA", "AF-NAN"), ()])
    kept = apply_filters(frame, parse_query(f"aoi={KABUL_BOX}"), "threats")
    # Kabul lies inside; Balochistan does not touch the area; a threat to Balochistan and
    # Nangarhar is kept through Nangarhar; a record placed nowhere is left out.
    assert list(kept["id"]) == ["R0", "R2"]


def test_on_the_bundled_records_the_area_narrows_incidents_and_threats():
    bundle = load_bundle()
    f = parse_query(f"aoi={KABUL_BOX}")
    inc = apply_filters(bundle.incidents, f)
    thr = apply_filters(bundle.threats, f, "threats")
    assert 0 < len(inc) < len(bundle.incidents)
    assert 0 < len(thr) < len(bundle.threats)
    xs, ys = inc.geometry.x, inc.geometry.y
    assert ((xs >= 68) & (xs <= 72) & (ys >= 33) & (ys <= 36)).all()
    outside = bundle.incidents[~bundle.incidents["id"].isin(inc["id"])]
    ox, oy = outside.geometry.x, outside.geometry.y
    assert not ((ox >= 68) & (ox <= 72) & (oy >= 33) & (oy <= 36)).any()


# --- the sentence --------------------------------------------------------------------------


def test_the_sentence_names_the_area():
    assert describe(parse_query("aoi=60.5,29,75,37")) == (
        "All attacks and threats inside the area 60.5–75.0°E, 29.0–37.0°N, all dates"
    )
    f = parse_query({"actor": "ISKP", "aoi": polygon_aoi(TRIANGLE).to_param()})
    assert describe(f) == "ISKP attacks and threats inside a drawn polygon of 3 vertices, all dates"
    assert "inside the area 10.0°W–5.0°E, 5.5°S–5.0°N" in describe(parse_query("aoi=-10,-5.5,5,5"))


# --- it flows everywhere the filters flow -------------------------------------------------


def test_scores_and_forecast_see_only_the_area():
    from riskmodel.forecast import relevant_incidents
    from riskmodel.settings import settings_from_filters

    bundle = load_bundle()
    f = parse_query(f"aoi={KABUL_BOX}")
    everywhere = resolve(MapSpec(), bundle)
    inside = resolve(MapSpec(filters=f), bundle)
    assert inside.as_of == everywhere.as_of  # narrowing never moves the clock
    ba = inside.risk.table("province").set_index("id").loc["PK-BA"]
    assert ba["n_events"] == 0
    assert everywhere.risk.table("province").set_index("id").loc["PK-BA"]["n_events"] > 0
    settings = settings_from_filters(f)
    panel_rows = relevant_incidents(bundle.incidents, f, settings, inside.as_of)
    assert set(panel_rows["id"]) <= set(inside.layer("incidents")["id"])
    assert len(panel_rows) < len(
        relevant_incidents(bundle.incidents, Filters(), settings, inside.as_of)
    )


def test_export_metadata_carries_the_geometry():
    resolved = resolve(MapSpec(filters=parse_query(f"aoi={KABUL_BOX}")), load_bundle())
    meta = json.loads(exports.to_geojson(resolved, "incidents"))["metadata"]
    assert meta["aoi"] == parse_aoi(KABUL_BOX).geojson()
    assert "aoi=68%2C33%2C72%2C36" in meta["query"] or "aoi=68,33,72,36" in meta["query"]
    assert "inside the area 68.0–72.0°E, 33.0–36.0°N" in meta["sentence"]
    plain = json.loads(exports.to_geojson(resolve(MapSpec(), load_bundle()), "incidents"))
    assert plain["metadata"]["aoi"] is None


def test_cli_query_with_an_area(tmp_path, capsys):
    out = tmp_path / "inc.geojson"
    assert (
        main(
            [
                "export",
                "--layer",
                "incidents",
                "--format",
                "geojson",
                "--query",
                f"aoi={KABUL_BOX}",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    bundle = load_bundle()
    expected = set(apply_filters(bundle.incidents, parse_query(f"aoi={KABUL_BOX}"))["id"])
    assert {f["properties"]["id"] for f in data["features"]} == expected
    assert data["metadata"]["aoi"]["type"] == "Polygon"
    capsys.readouterr()
    assert main(["scores", "--query", "aoi=72,33,68,36"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "W (72) must be less than E (68)" in err


def test_a_polygon_area_survives_the_map_spec_link():
    aoi = polygon_aoi(TRIANGLE)
    spec = MapSpec(filters=Filters(aoi=aoi, date_from=date(2022, 1, 1)))
    assert MapSpec.from_params(spec.to_params()) == spec
    assert MapSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec
    assert isinstance(MapSpec.from_params(spec.to_params()).filters.aoi, Aoi)
