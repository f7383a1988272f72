"""Exports of a resolved map: RFC 7946 GeoJSON, CSV with formula neutralising, GeoPackage.

Most tests use the small hand-made map in tests/fixtures/exports/small_map.py, so every
awkward case (wrong winding, holes, 9-decimal coordinates, missing geometry, NA, lists,
payloads, a licence-restricted row) is present and known.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from fixtures.exports.small_map import HYPERLINK, SCRIPT, small_resolved

from geodata.csvcells import neutralise_cell
from mapspec import export as exports

GOLDEN = Path(__file__).parent / "fixtures" / "exports"
GENERATED = datetime(2025, 7, 1, 12, 30, tzinfo=UTC)


# --- RFC 7946 rules, checked independently of the exporter ------------------------------------


def _signed_area(ring: list[list[Decimal]]) -> float:
    xy = np.array(ring, dtype=float)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))


def _positions(coords):
    if coords and isinstance(coords[0], Decimal | float | int):
        yield coords
    else:
        for item in coords:
            yield from _positions(item)


def _check_polygon(rings: list) -> None:
    for index, ring in enumerate(rings):
        assert len(ring) >= 4 and ring[0] == ring[-1], "rings are closed, 4+ positions"
        area = _signed_area(ring)
        if index == 0:
            assert area > 0, "exterior ring must be counter-clockwise"
        else:
            assert area < 0, "holes must be clockwise"


def _check_geometry(geometry: dict) -> None:
    assert "crs" not in geometry
    kind = geometry["type"]
    if kind == "GeometryCollection":
        for part in geometry["geometries"]:
            _check_geometry(part)
        return
    coords = geometry["coordinates"]
    for position in _positions(coords):
        assert len(position) in (2, 3)
        lon, lat = position[0], position[1]
        assert -180 <= lon <= 180 and -90 <= lat <= 90, position
        for value in position:
            assert isinstance(value, Decimal | int), "coordinates are numbers"
            if isinstance(value, Decimal):
                assert value.as_tuple().exponent >= -exports.COORD_DECIMALS, value
    if kind == "Polygon":
        _check_polygon(coords)
    elif kind == "MultiPolygon":
        for polygon in coords:
            _check_polygon(polygon)


def _reject_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON (RFC 8259) and must never be written")


def assert_rfc7946(text: str) -> dict:
    """Parse GeoJSON text and check the RFC 7946 rules the issue lists; return the doc."""
    doc = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert isinstance(doc["features"], list)
    for feature in doc["features"]:
        assert feature["type"] == "Feature"
        assert "crs" not in feature
        assert set(feature) <= {"type", "id", "geometry", "properties"}
        assert "geometry" in feature and "properties" in feature
        if "id" in feature:
            assert isinstance(feature["id"], str | int | Decimal)
        if feature["geometry"] is not None:
            _check_geometry(feature["geometry"])
    return doc


def _geojson(layer: str, resolved=None) -> dict:
    return assert_rfc7946(exports.to_geojson(resolved or small_resolved(), layer, GENERATED))


def _csv_rows(layer: str, resolved=None) -> list[dict[str, str]]:
    text = exports.to_csv(resolved or small_resolved(), layer)
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- GeoJSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("layer", exports.EXPORT_LAYERS)
def test_every_layer_is_rfc7946(layer):
    doc = _geojson(layer)
    assert doc["name"] == layer
    assert doc["metadata"]["layers"] == {layer: len(doc["features"])}


def test_the_rule_checker_catches_broken_files():
    good = json.loads(exports.to_geojson(small_resolved(), "provinces"))
    cases = []
    clockwise = copy.deepcopy(good)
    ring = clockwise["features"][0]["geometry"]["coordinates"][0]
    ring.reverse()
    cases.append(clockwise)
    with_crs = copy.deepcopy(good)
    with_crs["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    cases.append(with_crs)
    precise = copy.deepcopy(good)
    precise["features"][0]["geometry"]["coordinates"][0][1][0] = 65.12345678
    precise["features"][0]["geometry"]["coordinates"][0][-1] = precise["features"][0]["geometry"][
        "coordinates"
    ][0][0]
    cases.append(precise)
    swapped = copy.deepcopy(good)
    swapped["features"][1]["geometry"] = {  # lat/lon swapped: latitude 170 is out of range
        "type": "Polygon",
        "coordinates": [[[30.0, 170.0], [31.0, 170.0], [31.0, 171.0], [30.0, 170.0]]],
    }
    cases.append(swapped)
    for broken in cases:
        with pytest.raises(AssertionError):
            assert_rfc7946(json.dumps(broken))
    with pytest.raises(AssertionError):
        assert_rfc7946('{"type": "FeatureCollection", "features": [], "x": NaN}')


def test_winding_is_fixed_and_holes_kept():
    doc = _geojson("provinces")
    alpha = next(f for f in doc["features"] if f["id"] == "AF-AAA")
    rings = alpha["geometry"]["coordinates"]
    assert len(rings) == 2  # exterior + hole
    assert _signed_area(rings[0]) > 0 > _signed_area(rings[1])
    beta = next(f for f in doc["features"] if f["id"] == "AF-BBB")
    assert beta["geometry"]["type"] == "MultiPolygon"


def test_coordinates_are_rounded_to_six_decimals():
    doc = _geojson("pak_admin1")
    ring = doc["features"][0]["geometry"]["coordinates"][0]
    assert [Decimal("70.123457"), Decimal("30.987654")] in ring


def test_provinces_and_pak_units_split_areas_by_country():
    assert [f["id"] for f in _geojson("provinces")["features"]] == ["AF-AAA", "AF-BBB"]
    assert [f["id"] for f in _geojson("pak_admin1")["features"]] == ["PK-CCC"]


def test_records_without_location_have_null_geometry():
    doc = _geojson("threats")
    geometry = {f["id"]: f["geometry"] for f in doc["features"]}
    assert geometry["T-2"] is None and geometry["T-3"] is None
    assert geometry["T-1"] == {"type": "Point", "coordinates": [Decimal("71.0"), Decimal("30.5")]}


def test_values_are_plain_json():
    doc = json.loads(exports.to_geojson(small_resolved(), "incidents", GENERATED))
    props = {f["id"]: f["properties"] for f in doc["features"]}
    assert props["I-1"]["date"] == "2024-03-22"
    assert props["I-1"]["target_categories"] == ["chinese_nationals", "police"]
    assert props["I-4"]["actors_all"] == ["BLA", "BLF"]
    assert props["I-3"]["target_categories"] == []
    assert props["I-2"]["fatalities"] is None  # Int64 NA
    assert props["I-2"]["dist_border_km"] is None  # NaN
    assert props["I-1"]["fatalities"] == 5 and isinstance(props["I-1"]["fatalities"], int)
    assert props["I-2"]["admin1_mismatch"] is True
    areas = {
        f["id"]: f["properties"]
        for f in json.loads(exports.to_geojson(small_resolved(), "provinces"))["features"]
    }
    assert areas["AF-BBB"]["surge_change_pct"] == -40.0
    assert areas["AF-AAA"]["top_contributor"] is None


def test_payloads_are_plain_text_in_geojson():
    text = exports.to_geojson(small_resolved(), "incidents")
    assert "<script>" not in text  # '<' is written as \u003c
    props = {f["id"]: f["properties"] for f in json.loads(text)["features"]}
    assert props["I-1"]["summary"] == SCRIPT
    assert props["I-2"]["summary"] == HYPERLINK
    threats = json.loads(exports.to_geojson(small_resolved(), "threats"))
    assert threats["features"][2]["properties"]["summary"] == "Report <b>bold</b> & more"


def test_metadata_carries_spec_sentence_time_version_sources():
    resolved = small_resolved()
    meta = _geojson("segments", resolved)["metadata"]
    assert meta["spec"] == json.loads(json.dumps(resolved.spec.to_dict()))
    assert meta["sentence"] == resolved.sentence
    assert meta["generated"] == "2025-07-01T12:30:00Z"
    assert meta["version"] == exports.product_version() != ""
    assert meta["as_of"] == "2025-06-30"
    assert meta["sources"] == [
        {
            "name": "Test boundaries",
            "licence": "public domain",
            "attribution": "Made with Natural Earth.",
        }
    ]
    assert any("schematic" in note for note in meta["notes"])
    now = json.loads(exports.to_geojson(resolved, "segments"))["metadata"]["generated"]
    parsed = datetime.fromisoformat(now.replace("Z", "+00:00"))
    assert parsed.tzinfo is not None and now.endswith("Z")


def test_bundled_sources_are_used_when_the_map_names_none():
    meta = json.loads(exports.to_geojson(small_resolved(sources=()), "border"))["metadata"]
    assert any("Natural Earth" in s["name"] for s in meta["sources"])
    assert all(s["licence"] for s in meta["sources"])


def test_restricted_rows_are_withheld_and_counted():
    doc = _geojson("incidents")
    assert "I-5" not in [f["id"] for f in doc["features"]]
    assert doc["metadata"]["withheld_by_licence"] == {"incidents": 1}
    assert any("ACLED" in note for note in doc["metadata"]["notes"])
    assert "I-5" not in [row["id"] for row in _csv_rows("incidents")]
    assert exports.feature_count(small_resolved(), "incidents") == 4


def test_rows_without_licence_or_with_an_open_one_are_exported():
    resolved = small_resolved()
    incidents = resolved.layers["incidents"].copy()
    incidents["licence"] = [None, "CC-BY-4.0", "atlas-reference", "", "GTD-terms"]
    layers = {**resolved.layers, "incidents": incidents}
    ids = exports.layer_for_export(small_resolved(layers=layers), "incidents").ids
    assert ids == ["I-1", "I-2", "I-3", "I-4"]


def test_the_caller_map_is_not_changed():
    resolved = small_resolved()
    before = {name: frame.copy(deep=True) for name, frame in resolved.layers.items()}
    exports.to_geojson(resolved, "provinces")
    exports.to_csv(resolved, "incidents")
    exports.to_geopackage(resolved)
    for name, frame in resolved.layers.items():
        pd.testing.assert_frame_equal(frame, before[name])
    ring = resolved.layers["areas"].geometry.iloc[0].exterior
    assert not ring.is_ccw  # the input keeps its own (clockwise) winding


def test_an_empty_layer_is_a_valid_empty_collection():
    resolved = small_resolved()
    empty = resolved.layers["incidents"].iloc[0:0]
    doc = _geojson("incidents", small_resolved(layers={**resolved.layers, "incidents": empty}))
    assert doc["features"] == []


def test_other_crs_is_reprojected_to_lonlat():
    resolved = small_resolved()
    metric = resolved.layers["sites"].to_crs(3857)
    doc = _geojson("sites", small_resolved(layers={**resolved.layers, "sites": metric}))
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert float(lon) == pytest.approx(69.1833, abs=1e-6)
    assert float(lat) == pytest.approx(34.5333, abs=1e-6)


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2 killed", "'-2 killed"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (HYPERLINK, "'" + HYPERLINK),
        ("Kabul", "Kabul"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_cell(text, expected):
    assert neutralise_cell(text) == expected


def test_csv_neutralises_text_cells_and_keeps_the_text():
    rows = {row["id"]: row for row in _csv_rows("incidents")}
    assert rows["I-2"]["summary"] == "'" + HYPERLINK
    assert rows["I-3"]["summary"] == "'-2 killed @ checkpoint"
    assert rows["I-4"]["summary"] == "'@SUM(A1:A9)"
    assert rows["I-2"]["place"] == "'+Kabul"
    assert rows["I-1"]["summary"] == SCRIPT  # no formula: untouched text
    assert rows["I-1"]["place"] == "Peshawar"
    sites = {row["id"]: row for row in _csv_rows("sites")}
    assert sites["S-2"]["name"] == "'=cmd|' /C calc'!A0"


def test_csv_keeps_numbers_numeric_including_negative_ones():
    areas = {row["id"]: row for row in _csv_rows("provinces")}
    assert areas["AF-BBB"]["surge_change_pct"] == "-40.0"
    assert areas["AF-AAA"]["surge_change_pct"] == ""  # NaN -> empty
    rows = {row["id"]: row for row in _csv_rows("incidents")}
    assert rows["I-4"]["dist_border_km"] == "-0.0"
    assert rows["I-2"]["fatalities"] == ""  # NA -> empty
    assert rows["I-1"]["fatalities"] == "5"


def test_csv_values_dates_lists_and_points():
    rows = {row["id"]: row for row in _csv_rows("incidents")}
    assert rows["I-1"]["date"] == "2024-03-22"
    assert rows["I-1"]["target_categories"] == "chinese_nationals;police"
    assert rows["I-1"]["lon"] == "71.5785" and rows["I-1"]["lat"] == "34.0151"
    threats = {row["id"]: row for row in _csv_rows("threats")}
    assert threats["T-2"]["lon"] == "" and threats["T-1"]["lat"] == "30.5"
    assert threats["T-2"]["admin1_for_scoring"] == "AF-AAA;AF-BBB"
    assert "lon" not in _csv_rows("segments")[0]  # lines: attributes only


def test_csv_is_rfc4180_with_embedded_newlines_quoted():
    text = exports.to_csv(small_resolved(), "incidents")
    assert text.splitlines(keepends=True)[0].endswith("\r\n")
    rows = {row["id"]: row for row in _csv_rows("incidents")}
    # I-5 ('\tTabbed\r\nline') is withheld; check quoting on a layer with a newline
    assert set(rows) == {"I-1", "I-2", "I-3", "I-4"}
    resolved = small_resolved()
    sites = resolved.layers["sites"].copy()
    sites["notes"] = ['two\nlines, "quoted"', None]
    back = {
        r["id"]: r
        for r in _csv_rows("sites", small_resolved(layers={**resolved.layers, "sites": sites}))
    }
    assert back["S-1"]["notes"] == 'two\nlines, "quoted"' and back["S-2"]["notes"] == ""


# --- GeoPackage -----------------------------------------------------------------------------


def _gpkg_layers(data: bytes) -> dict[str, pd.DataFrame]:
    names = [row[0] for row in pyogrio.list_layers(io.BytesIO(data))]
    return {name: pyogrio.read_dataframe(io.BytesIO(data), layer=name) for name in names}


@pytest.mark.filterwarnings("ignore:.*non conformant file extension:RuntimeWarning")
def test_geopackage_reads_back_with_same_counts_and_attributes():
    resolved = small_resolved()
    data = exports.to_geopackage(resolved, generated=GENERATED)
    tables = _gpkg_layers(data)
    assert list(tables) == list(exports.EXPORT_LAYERS)
    for name, table in tables.items():
        expected = json.loads(exports.to_geojson(resolved, name))["features"]
        assert len(table) == len(expected), name
        for column in expected[0]["properties"] if expected else []:
            for row, feature in zip(table.to_dict(orient="records"), expected, strict=True):
                want = feature["properties"][column]
                got = row[column]
                if isinstance(want, list):
                    assert json.loads(got) == want, (name, column)
                elif want is None:
                    assert got is None or pd.isna(got), (name, column)
                elif column == "date":
                    assert pd.Timestamp(got).date().isoformat() == want
                else:
                    assert got == pytest.approx(want) if isinstance(want, float) else got == want, (
                        name,
                        column,
                        got,
                        want,
                    )
        for geom, feature in zip(table.geometry, expected, strict=True):
            if feature["geometry"] is None:
                assert geom is None
            else:
                assert shapely.equals(geom, shapely.geometry.shape(feature["geometry"]))


@pytest.mark.filterwarnings("ignore:.*non conformant file extension:RuntimeWarning")
def test_geopackage_carries_metadata_and_chosen_layers_only():
    data = exports.to_geopackage(small_resolved(), ["sites", "threats"], GENERATED)
    info = pyogrio.read_info(io.BytesIO(data), layer="sites")
    meta = json.loads(info["dataset_metadata"]["ISKP_ATLAS_METADATA"])
    assert meta["layers"] == {"sites": 2, "threats": 3}
    assert meta["generated"] == "2025-07-01T12:30:00Z"
    assert info["layer_metadata"]["DESCRIPTION"] == small_resolved().sentence
    assert [row[0] for row in pyogrio.list_layers(io.BytesIO(data))] == ["sites", "threats"]


# --- One call for CLI and page ----------------------------------------------------------------


def test_export_file_names_and_types():
    out = exports.export_file(small_resolved(), "incidents", "geojson", GENERATED)
    assert out.file_name == "iskp-atlas_incidents_2025-06-30.geojson"
    assert out.mime == "application/geo+json"
    assert out.feature_counts == {"incidents": 4} and out.withheld == {"incidents": 1}
    assert json.loads(out.data)["name"] == "incidents"
    several = exports.export_file(small_resolved(), ["sites", "border"], "gpkg")
    assert several.data[:16] == b"SQLite format 3\x00"
    assert several.file_name.endswith("_layers_2025-06-30.gpkg")


@pytest.mark.parametrize(
    ("layers", "fmt", "message"),
    [
        ("roads", "geojson", "unknown export layer 'roads'"),
        ("incidents", "shp", "unknown export format 'shp'"),
        (["sites", "border"], "csv", "csv holds one layer"),
        ([], "gpkg", "at least one layer"),
    ],
)
def test_export_file_errors_say_what_to_do(layers, fmt, message):
    with pytest.raises(ValueError, match=message):
        exports.export_file(small_resolved(), layers, fmt)


# --- Golden files -----------------------------------------------------------------------------


def _golden(name: str, produced: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(produced, encoding="utf-8", newline="")
    return path.read_bytes().decode("utf-8")


def test_golden_geojson_structure_and_values():
    produced = json.loads(exports.to_geojson(small_resolved(), "incidents", GENERATED))
    produced["metadata"]["version"] = "X"
    text = json.dumps(produced, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    assert json.loads(_golden("golden_incidents.geojson", text)) == produced


def test_golden_csv():
    produced = exports.to_csv(small_resolved(), "incidents")
    assert _golden("golden_incidents.csv", produced) == produced
