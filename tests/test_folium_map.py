"""The folium map is a pure function of the resolved view: ids, colours, escaping, modes."""

from __future__ import annotations

import pandas as pd
import pytest

from geodata import declared_columns, enrich_records, load_geography, validate_records
from geodata.synth import synthesize
from mapspec import resolve as resolve_mod
from mapspec import style
from mapspec.folium_map import asset_urls, build_map
from mapspec.resolve import resolve, resolve_query
from mapspec.spec import MapSpec
from riskmodel.bands import BAND_COLOURS


def _geojson_layers(fmap) -> dict[str, dict]:
    import folium

    return {
        child.layer_name: child.data
        for child in fmap._children.values()
        if isinstance(child, folium.GeoJson)
    }


def _ids(data: dict) -> set[str]:
    return {f["properties"]["id"] for f in data["features"]}


def _hostile_bundle(bundle):
    row = {c: "" for c in declared_columns("incidents")}
    row.update(
        {
            "id": "X-1",
            "date": "2025-01-02",
            "country": "AFG",
            "province": "Kabul",
            "place": "<img src=x onerror=alert(1)>",
            "latitude": "34.52",
            "longitude": "69.18",
            "geo_precision": "2",
            "actor": "ISIS-K <b>cell</b>",
            "attribution": "claimed",
            "attack_type": "IED",
            "target_category": "civilians",
            "fatalities": "2",
            "summary": "<script>alert(1)</script> & more",
            "confidence": "medium",
            "source_1_url": "https://example.org/a?x=1&y=<2>",
        }
    )
    typed = validate_records(pd.DataFrame([row]), "incidents", "hostile.csv")
    return bundle.with_records(incidents=enrich_records(typed, "incidents", load_geography()))


def test_map_features_are_the_resolved_layers(bundle):
    resolved = resolve_query("actor=ISKP&country=AFG", bundle)
    layers = _geojson_layers(build_map(resolved))
    assert _ids(layers["Risk by province / admin-1"]) == set(resolved.layer("areas")["id"])
    assert _ids(layers["Incidents"]) == set(resolved.layer("incidents")["id"])
    assert _ids(layers["CPEC corridors (schematic), risk by segment"]) == set(
        resolved.layer("segments")["id"]
    )
    located = resolved.layer("threats")
    located = located[~(located.geometry.isna() | located.geometry.is_empty)]
    assert _ids(layers["Threat records (with a location)"]) == set(located["id"])


def test_areas_are_coloured_by_their_band(bundle):
    resolved = resolve(MapSpec(), bundle)
    data = _geojson_layers(build_map(resolved))["Risk by province / admin-1"]
    bands = dict(zip(resolved.layer("areas")["id"], resolved.layer("areas")["band"], strict=True))
    for feature in data["features"]:
        props = feature["properties"]
        assert props["style"]["fillColor"] == BAND_COLOURS[bands[props["id"]]]


def test_text_from_data_is_escaped_and_only_http_links(bundle):
    resolved = resolve(MapSpec(), _hostile_bundle(bundle))
    data = _geojson_layers(build_map(resolved))["Incidents"]
    props = next(f["properties"] for f in data["features"] if f["properties"]["id"] == "X-1")
    popup = props["popup"]
    assert "<script>" not in popup and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in popup
    assert "<img" not in popup and "&lt;img src=x onerror=alert(1)&gt;" in popup
    assert "<b>cell</b>" not in popup and "&lt;b&gt;cell&lt;/b&gt;" in popup
    assert 'href="https://example.org/a?x=1&amp;y=&lt;2&gt;"' in popup
    assert "<img" not in props["tip"] and "&lt;img" in props["tip"]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "ftp://a.b/c",
        "//evil.example/x",
        " https:/broken",
    ],
)
def test_only_http_urls_become_links(url):
    from mapspec.style import safe_link

    html = safe_link(url, "<label>")
    assert "<a " not in html and "&lt;label&gt;" in html
    assert '<a href="https://a.b/c?q=&lt;x&gt;"' in safe_link("https://a.b/c?q=<x>", None)


def test_many_points_switch_to_a_grid_and_say_so(bundle, monkeypatch):
    frame = synthesize(3000, seed=3)
    big = bundle.with_records(incidents=enrich_records(frame, "incidents", load_geography()))
    resolved = resolve(MapSpec(), big)
    assert resolved.point_mode == "aggregate"
    assert any("grid" in n for n in resolved.notices)
    fmap = build_map(resolved)
    grid = next(
        c
        for c in fmap._children.values()
        if getattr(c, "layer_name", "").startswith("Incidents (grid")
    )
    cells = grid.data["cells"]
    assert sum(c[4] for c in cells) == len(resolved.layer("incidents"))
    deaths = pd.to_numeric(resolved.layer("incidents")["fatalities"], errors="coerce")
    assert sum(c[5] for c in cells) == int(deaths.fillna(0).sum())
    html = fmap.get_root().render()
    assert "grid" in html and "atlas-cell" in html
    overlays = html.split("overlays :")[1].split("}")[0]
    assert grid.get_name() in overlays  # switchable in the layer control
    # Forced points draw every incident; below the limit auto draws points.
    forced = resolve(MapSpec.from_params({"points": "points"}), big)
    assert len(_ids(_geojson_layers(build_map(forced))["Incidents"])) == len(
        forced.layer("incidents")
    )
    monkeypatch.setattr(resolve_mod, "POINT_LIMIT", 10**6)
    assert resolve(MapSpec(), big).point_mode == "points"


@pytest.mark.parametrize("mode", ["points", "aggregate", "heat"])
def test_no_tiles_and_only_local_assets_once_localised(bundle, mode, tmp_path):
    from mapspec import offline

    offline.install_assets(tmp_path)
    fmap = build_map(resolve(MapSpec.from_params({"points": mode}), bundle))
    offline.localise(fmap)
    assert offline.remote_urls(asset_urls(fmap)) == []
    html = fmap.get_root().render()
    assert "tileLayer" not in html
    assert '"maxZoom": 12' in html


def test_point_markers_are_filled_with_their_colour(bundle):
    """What Leaflet draws: the layer's circle-marker style, then each feature's own."""
    import folium

    resolved = resolve(MapSpec(), bundle)
    fmap = build_map(resolved)
    layers = {c.layer_name: c for c in fmap._children.values() if isinstance(c, folium.GeoJson)}
    colours = dict(
        zip(
            resolved.layer("incidents")["id"],
            style.point_colours(resolved.layer("incidents"), "actor"),
            strict=True,
        )
    )
    for name in ("Incidents", "Sensitive sites (risk)", "Threat records (with a location)"):
        layer = layers[name]
        assert layer.data["features"], name
        for feature in layer.data["features"]:
            drawn = {**layer.marker.options, **feature["properties"]["style"]}
            assert drawn["fill"] is True and drawn["fillOpacity"] > 0.5, name
            if name == "Incidents":
                assert drawn["fillColor"] == colours[feature["properties"]["id"]]


def test_cached_layers_draw_the_same_map_and_are_not_changed_by_drawing(bundle):
    """The app keeps map_layers() per view and shares it between sessions: drawing from it
    must give the map build_map gives on its own, and must not modify it."""
    import copy

    from mapspec.folium_map import map_layers

    resolved = resolve(MapSpec(), _hostile_bundle(bundle))
    layers = map_layers(resolved)
    before = copy.deepcopy(layers)
    first = build_map(resolved, layers=layers)
    first.get_root().render()
    second = build_map(resolved, layers=layers)
    second.get_root().render()
    assert layers == before
    assert _geojson_layers(first) == _geojson_layers(second) == _geojson_layers(build_map(resolved))


def test_layer_bounds_match_what_folium_computes(bundle):
    """Bounds are given to folium instead of being recomputed from every coordinate; the
    map must still fit exactly the drawn features."""
    import folium
    from folium.utilities import get_bounds

    resolved = resolve(MapSpec(), bundle)
    fmap = build_map(resolved)
    for child in fmap._children.values():
        if isinstance(child, folium.GeoJson) and child.data["features"]:
            ours = [c for corner in child.get_bounds() for c in corner]
            theirs = [c for corner in get_bounds(child.data, lonlat=True) for c in corner]
            assert ours == pytest.approx(theirs), child.layer_name


def test_grid_tooltips_escape_actor_names(bundle, monkeypatch):
    import dataclasses

    hostile = _hostile_bundle(bundle)
    frame = hostile.incidents.copy()
    frame["actor_canonical"] = "<img src=x onerror=alert(1)>"
    monkeypatch.setattr(resolve_mod, "POINT_LIMIT", 0)
    resolved = resolve(MapSpec(), dataclasses.replace(hostile, incidents=frame))
    assert resolved.point_mode == "aggregate"
    fmap = build_map(resolved)
    grid = next(
        c
        for c in fmap._children.values()
        if getattr(c, "layer_name", "").startswith("Incidents (grid")
    )
    assert grid.data["actors"] == ["&lt;img src=x onerror=alert(1)&gt;"]
    assert "<img src=x" not in fmap.get_root().render()


def _parsed_js_string(literal: str) -> object:
    """What ``JSON.parse(<literal>)`` gives in the browser: the string read as JavaScript
    reads it (failing on any character that would end it or the page's script early),
    then the JSON parsed."""
    import json

    assert literal[0] == literal[-1] == "'"
    body, i, text = literal[1:-1], 0, []
    while i < len(body):
        char = body[i]
        if char == "\\":
            kind = body[i + 1]
            if kind in "\\'":
                text.append(kind)
                i += 2
            elif kind in "xu":
                width = 2 if kind == "x" else 4
                text.append(chr(int(body[i + 2 : i + 2 + width], 16)))
                i += 2 + width
            else:
                raise AssertionError(f"unexpected escape \\{kind}")
        else:
            assert char not in "'<>\n\r\u2028\u2029", repr(char)
            text.append(char)
            i += 1
    return json.loads("".join(text))


@pytest.mark.parametrize(
    "text",
    [
        "</script><script>alert(1)</script>",
        'it\'s \\ a "quote" & <b>',
        "line\u2028sep\u2029para\nnew",
        "Kabul · Peshawar — 5 km \u00e9\u4e2d",
        "lone \ud800 surrogate",
        "{{ 7*7 }} {% if %}",
    ],
)
def test_json_string_literal_gives_back_the_data_and_cannot_break_out(text):
    from mapspec.literal import json_string_literal

    value = {"features": [{"properties": {"summary": text, "n": 1.5}}], "type": "x"}
    literal = json_string_literal(value)
    assert _parsed_js_string(literal) == value
    assert "<" not in literal
    literal.encode("utf-8")  # a page can carry it


def test_layer_features_reach_the_page_as_one_cached_json_string(bundle):
    """Each GeoJSON layer's features go into the page as one JavaScript string, written
    once per cached layer and parsed in the browser: what the browser parses must be the
    layer's data exactly, hostile text still escaped, and nothing else written inline."""
    from mapspec.folium_map import map_layers
    from mapspec.literal import LiteralMap, tojson_text
    from mapspec.map_scripts import GeoJsonLayer, folium_layer

    resolved = resolve(MapSpec(), _hostile_bundle(bundle))
    drawn = 0
    for layer in map_layers(resolved):
        if layer.kind != "geojson" or not layer.data["features"]:
            continue
        fmap = LiteralMap(tiles=None)
        element = folium_layer(layer, show=True)
        assert isinstance(element, GeoJsonLayer)
        element.add_to(fmap)
        page = fmap.get_root().render()
        literal = layer.json_literal
        assert f"{element.get_name()}_add(JSON.parse({literal}))" in page, layer.key
        assert _parsed_js_string(literal) == layer.data
        assert tojson_text(layer.data) not in page  # not also written as an object literal
        element.json_literal = None  # folium's own script: the data written inline
        assert tojson_text(layer.data) in element.script_text()
        drawn += 1
    assert drawn >= 4  # areas, border, corridors, sites, incidents...
    assert "<img src=x" not in page
