"""One filter state, four outputs: the folium map, the GeoJSON, the CSV and the briefing
PNG show the same features (table-driven over filter states, on the bundled data)."""

from __future__ import annotations

import csv
import io
import json

import folium
import pytest

from mapspec import briefing
from mapspec import export as exports
from mapspec.folium_map import build_map
from mapspec.resolve import resolve
from mapspec.spec import MapSpec

FILTER_STATES = [
    {},
    {"actor": "ISKP"},
    {"country": "PAK", "from": "2023-01-01"},
    {"target": "chinese_nationals", "attribution": "claimed,attributed"},
    {"admin1": "AF-KAB", "view": "admin1:AF-KAB"},
    {"actor": "BLA", "view": "route:WESTERN_ALIGNMENT"},
    {"min_fatalities": "10", "layers": "areas,incidents"},
    {"actor": "TTP", "points": "aggregate"},
    {"from": "2099-01-01"},  # nothing matches
]
FOLIUM_LAYERS = {  # folium layer name prefix -> resolved layer
    "Risk by province": "areas",
    "Af-Pak border": "border",
    "CPEC corridors": "segments",
    "Sensitive sites": "sites",
    "Threat records": "threats",
    "Incidents": "incidents",
}


def _folium_ids(resolved) -> dict[str, list]:
    fmap = build_map(resolved)
    out: dict[str, list] = {}
    for child in fmap._children.values():
        if getattr(child, "layer_name", "").startswith("Incidents (grid"):
            out["incident_cells"] = [(round(c[1], 4), round(c[0], 4)) for c in child.data["cells"]]
        if not isinstance(child, folium.GeoJson):
            continue
        layer = next(v for k, v in FOLIUM_LAYERS.items() if child.layer_name.startswith(k))
        out[layer] = [f["properties"]["id"] for f in child.data["features"]]
    return out


def _geojson_ids(resolved, layer: str, located_only: bool = False) -> list[str]:
    doc = json.loads(exports.to_geojson(resolved, layer))
    return [f["id"] for f in doc["features"] if not located_only or f["geometry"] is not None]


def _csv_ids(resolved, layer: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(exports.to_csv(resolved, layer)))]


@pytest.fixture(
    scope="module",
    params=FILTER_STATES,
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "all",
)
def state(request, bundle):
    resolved = resolve(MapSpec.from_params(request.param), bundle)
    _fig, manifest = briefing.briefing_figure(resolved)
    return resolved, _folium_ids(resolved), manifest


def test_map_geojson_csv_and_png_show_the_same_features(state):
    resolved, folium_ids, manifest = state
    areas = _geojson_ids(resolved, "provinces") + _geojson_ids(resolved, "pak_admin1")
    records = {
        "areas": areas,
        "segments": _geojson_ids(resolved, "segments"),
        "sites": _geojson_ids(resolved, "sites"),
        "threats": _geojson_ids(resolved, "threats", located_only=True),
    }
    if resolved.point_mode == "points":
        records["incidents"] = _geojson_ids(resolved, "incidents")
    for layer, ids in records.items():
        assert len(ids) == len(set(ids)), f"{layer}: ids are unique"
        assert sorted(folium_ids[layer]) == sorted(ids), f"{layer}: map vs GeoJSON"
        if resolved.visible(layer):
            assert sorted(manifest.layers[layer]) == sorted(ids), f"{layer}: PNG vs GeoJSON"
        else:
            assert layer not in manifest.layers
    for layer in ("provinces", "segments", "sites", "incidents", "threats"):
        assert _csv_ids(resolved, layer) == _geojson_ids(resolved, layer), layer


def test_aggregated_incidents_are_the_same_cells_on_map_and_png(state):
    resolved, folium_ids, manifest = state
    if resolved.point_mode != "aggregate":
        assert manifest.incident_cells == ()
        return
    png_cells = sorted((round(lon, 4), round(lat, 4)) for lon, lat, _ in manifest.incident_cells)
    assert png_cells == sorted(folium_ids["incident_cells"])
    assert sum(n for *_, n in manifest.incident_cells) == len(
        _geojson_ids(resolved, "incidents", located_only=True)
    )


def test_filtered_records_match_the_sentence_state(state):
    resolved, _, _ = state
    n = len(resolved.layer("incidents"))
    assert exports.feature_count(resolved, "incidents") == n
    meta = json.loads(exports.to_geojson(resolved, "border"))["metadata"]
    assert meta["sentence"] == resolved.sentence
    assert MapSpec.from_dict(meta["spec"]) == resolved.spec


def test_filters_really_differ_between_states(bundle):
    everything = resolve(MapSpec(), bundle)
    iskp = resolve(MapSpec.from_params({"actor": "ISKP"}), bundle)
    assert (
        0
        < exports.feature_count(iskp, "incidents")
        < exports.feature_count(everything, "incidents")
    )
    from riskmodel.filters import apply_filters, parse_query

    expected = apply_filters(bundle.incidents, parse_query("actor=ISKP"), "incidents")
    assert _geojson_ids(iskp, "incidents") == list(expected["id"])
