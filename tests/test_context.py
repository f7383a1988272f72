"""Context layers: neighbouring countries, place names thinned by zoom, unit label points,
and label data that reaches the page only as JSON text."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
import shapely

from geodata.context import (
    DEFAULT_ZOOM,
    neighbour_countries,
    places,
    unit_label_points,
)
from mapspec.context_layers import add_context, highlight_route, label_items
from mapspec.folium_map import build_map, map_layers
from mapspec.literal import LiteralMap
from mapspec.resolve import resolve
from mapspec.spec import MapSpec, ViewSpec
from tests.fixtures.hostile import EVALUATED, HTML_JS, JINJA


def test_neighbours_are_named_countries_around_afpak():
    gdf = neighbour_countries()
    names = set(gdf["name"])
    assert {"Iran", "China", "Tajikistan", "Turkmenistan", "Uzbekistan", "India"} <= names
    assert not {"Afghanistan", "Pakistan"} & names  # drawn by the atlas's own units
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    iran = gdf[gdf["name"] == "Iran"].iloc[0]
    # the label point lies inside its country and near the atlas's view
    assert iran.geometry.contains(shapely.Point(iran.label_lon, iran.label_lat))
    assert 57 <= iran.label_lon <= 62


def test_neighbour_file_is_small():
    from geodata import data_path

    assert data_path("neighbours.geojson").stat().st_size < 300_000


def test_places_show_capitals_and_key_cities_at_the_default_zoom():
    gdf = places()
    by_label = gdf.set_index("label")
    for name in ("Kabul", "Islamabad", "Peshawar", "Quetta", "Gwadar", "Dushanbe"):
        assert by_label.loc[name, "min_zoom"] <= DEFAULT_ZOOM, name
    assert by_label.loc["Kabul", "rank"] == "capital"
    assert by_label.loc["Islamabad", "rank"] == "capital"
    # towns only when zoomed in
    assert by_label.loc["Gilgit", "rank"] == "town"
    assert by_label.loc["Gilgit", "min_zoom"] > DEFAULT_ZOOM
    assert "Herat" in by_label.index  # diacritics folded for the label (GeoNames: Herāt)


def test_unit_label_points_lie_inside_their_units(bundle):
    points = unit_label_points(bundle.admin1)
    assert len(points) == len(bundle.admin1)
    units = bundle.admin1.set_index("iso_3166_2").geometry
    for rec in points.itertuples(index=False):
        assert units[rec.id].contains(rec.geometry), rec.id
    zoom = points.set_index("id")["min_zoom"]
    # a tiny unit's name waits for a closer zoom than a large province's
    assert zoom["PK-IS"] > zoom["PK-BA"]


def _hostile_places() -> gpd.GeoDataFrame:
    names = [*JINJA, *HTML_JS]
    return gpd.GeoDataFrame(
        {
            "name": names,
            "label": names,
            "rank": "capital",
            "min_zoom": 4,
            "population": 1,
            "country": "AF",
        },
        geometry=gpd.points_from_xy([69.0] * len(names), [34.5] * len(names)),
        crs=4326,
    )


def test_hostile_label_text_stays_json_text():
    fmap = LiteralMap(tiles=None)  # a bare map: only the context layers' scripts
    add_context(fmap, extra_places=_hostile_places())
    html = fmap.get_root().render()
    assert EVALUATED not in html  # no template evaluated
    assert "<img src=x" not in html and "<svg onload" not in html
    # every name travels inside the label layer's JSON, escaped by tojson
    data = _label_json(html)
    texts = {item[2] for item in data["items"]}
    assert set(JINJA) | set(HTML_JS) <= texts
    # and the script puts them into the page as text nodes only
    assert "span.textContent = it[2]" in html and "innerHTML" not in _label_script(html)


def test_labels_do_not_take_clicks():
    fmap = build_map(resolve(MapSpec(), _bundle()))
    add_context(fmap)
    script = _label_script(fmap.get_root().render())
    assert "interactive: false" in script
    assert "pointerEvents = 'none'" in script


def test_label_items_are_ranked_capitals_first(bundle):
    data = label_items(bundle.admin1)
    ranks = [data["ranks"][item[3]] for item in data["items"]]
    order = {r: i for i, r in enumerate(data["ranks"])}
    assert [order[r] for r in ranks] == sorted(order[r] for r in ranks)
    texts = {item[2] for item in data["items"]}
    assert {"Kabul", "Iran", "Helmand", "Khyber Pakhtunkhwa"} <= texts


def test_highlight_route_mutes_other_routes(bundle):
    resolved = resolve(MapSpec(view=ViewSpec("route", "KKH_N35")), bundle)
    seg_layer = next(layer for layer in map_layers(resolved) if layer.key == "corridors")
    before = json.dumps(seg_layer.data)
    out = highlight_route(seg_layer, "KKH_N35")
    assert json.dumps(seg_layer.data) == before  # the cached layer is not changed
    ids = [f["properties"].get("id") for f in out.data["features"]]
    chosen = [
        f for f in out.data["features"] if str(f["properties"].get("id")).startswith("KKH_N35-")
    ]
    others = [
        f
        for f in out.data["features"]
        if f["properties"].get("id") and not f["properties"]["id"].startswith("KKH_N35-")
    ]
    casing = [f for f in out.data["features"] if "id" not in f["properties"]]
    assert len(casing) == len(chosen)  # a dark edge under each chosen segment
    assert ids.count(None) == len(casing) and not any("popup" in f["properties"] for f in casing)
    assert chosen and others
    assert out.data["features"][-len(chosen) :] == chosen  # drawn on top
    assert {f["properties"]["style"]["color"] for f in others} == {"#bdbdbd"}
    assert all(
        f["properties"]["style"]["weight"] > others[0]["properties"]["style"]["weight"]
        for f in chosen
    )
    # its bounds are the selected route's
    kkh = resolved.layer("segments")
    x0, y0, x1, y1 = kkh[kkh["route_id"] == "KKH_N35"].total_bounds
    (s, w), (n, e) = out.bounds
    assert s == pytest.approx(y0, abs=0.01) and n == pytest.approx(y1, abs=0.01)
    assert w == pytest.approx(x0, abs=0.01) and e == pytest.approx(x1, abs=0.01)


def test_route_view_frames_the_whole_route_with_padding(bundle):
    resolved = resolve(MapSpec(view=ViewSpec("route", "WESTERN_ALIGNMENT")), bundle)
    seg = resolved.layer("segments")
    x0, y0, x1, y1 = seg[seg["route_id"] == "WESTERN_ALIGNMENT"].total_bounds
    bx0, by0, bx1, by1 = resolved.bounds
    margin = 0.05 * max(x1 - x0, y1 - y0)
    assert bx0 <= x0 - margin and by0 <= y0 - margin
    assert bx1 >= x1 + margin and by1 >= y1 + margin


# --- helpers ------------------------------------------------------------------------------


def _bundle():
    from geodata import load_bundle

    return load_bundle()


def _label_script(html: str) -> str:
    start = html.index("var labels_")
    return html[start : html.index("return group;", start)]


def _label_json(html: str) -> dict:
    script = _label_script(html)
    match = re.search(r"var d = (\{.*?\});\n", script, re.S)
    assert match, "the label data is one JSON literal"
    return json.loads(match.group(1))


def test_briefing_neighbours_are_drawn_from_the_same_countries():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mapspec.context_layers import draw_neighbours, neighbour_countries

    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    draw_neighbours(ax, lambda geoms: geoms, _path)
    (collection,) = [c for c in ax.collections if c.get_gid() == "neighbours"]
    drawn = [g for g in neighbour_countries().geometry if g is not None and not g.is_empty]
    assert len(collection.get_paths()) == len(drawn) > 3
    plt.close(fig)


def _path(geom):
    from matplotlib.path import Path as MplPath

    rings = [p.exterior for p in getattr(geom, "geoms", [geom])]
    return MplPath.make_compound_path(*[MplPath(list(r.coords)) for r in rings])


def test_every_map_has_the_neighbours_below_and_the_names_above(bundle):
    html = build_map(resolve(MapSpec(), bundle)).get_root().render()
    assert html.count("map.createPane('atlas-context')") == 1
    assert html.count("map.createPane('atlas-labels')") == 1
    names = {item[2] for item in _label_json(html)["items"]}
    assert {"Kabul", "Islamabad", "Iran", "China", "Tajikistan", "Helmand"} <= names
    # the context comes before the layer control, which lists the names as a layer
    assert html.index("var labels_") < html.index("L.control.layers(")


def test_briefing_image_has_neighbours_city_names_and_palette_shapes(bundle):
    from mapspec.briefing import briefing_figure

    fig, _ = briefing_figure(resolve(MapSpec(), bundle))
    fig.canvas.draw()
    names = {t.get_text() for t in fig.findobj(lambda a: a.get_gid() == "place_label")}
    assert {"Kabul", "Islamabad", "Peshawar", "Quetta"} <= names
    countries = {t.get_text() for t in fig.findobj(lambda a: a.get_gid() == "country_label")}
    assert {"IRAN", "CHINA"} <= countries
    assert fig.findobj(lambda a: a.get_gid() == "neighbours")
    # sites squares and threats diamonds, as palette.SYMBOLS says (and the web map draws)
    from mapspec import palette

    for gid in ("sites", "threats"):
        (artist,) = fig.findobj(lambda a, g=gid: a.get_gid() == g)
        wanted = palette.SYMBOLS[gid].mpl_marker
        from matplotlib.markers import MarkerStyle

        assert (
            artist.get_paths()[0].vertices.tolist()
            == MarkerStyle(wanted)
            .get_path()
            .transformed(MarkerStyle(wanted).get_transform())
            .vertices.tolist()
        )
