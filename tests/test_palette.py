"""One palette: the Records chart, the web map and the briefing give each actor, band and
layer the same colour and shape."""

from __future__ import annotations

import pandas as pd

from mapspec import charts, palette
from mapspec.folium_map import map_layers
from mapspec.resolve import resolve
from mapspec.spec import MapSpec


def _chart_colours(incidents: pd.DataFrame) -> dict[str, str]:
    scale = charts.monthly_actor_chart(incidents).to_dict()["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"], strict=True))


def _map_colours(resolved) -> dict[str, str]:
    """Actor → fill colour of the incident markers the web map draws."""
    layer = next(layer for layer in map_layers(resolved) if layer.key == "incidents")
    fills = {
        f["properties"]["id"]: f["properties"]["style"]["fillColor"] for f in layer.data["features"]
    }
    incidents = resolved.layer("incidents")
    out: dict[str, str] = {}
    for rec in incidents.itertuples(index=False):
        if rec.id in fills:
            out.setdefault(rec.actor_canonical, fills[rec.id])
    return out


def test_records_chart_and_map_colour_each_actor_alike(bundle):
    resolved = resolve(MapSpec(), bundle)
    chart = _chart_colours(resolved.layer("incidents"))
    on_map = _map_colours(resolved)
    assert {"ISKP", "BLA", "TTP"} <= set(on_map)
    assert set(on_map) <= set(chart)
    for actor, colour in on_map.items():
        assert chart[actor].lower() == colour.lower(), actor


def test_an_unknown_actor_gets_the_fallback_grey_in_the_chart():
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=200, freq="D"),
            "actor_canonical": ["ISKP", "BLA", "Not-a-known-group", "TTP"] * 50,
        }
    )
    chart = _chart_colours(frame)
    assert chart["ISKP"] == palette.actor_colour("ISKP") != chart["BLA"]
    assert chart["Not-a-known-group"] == palette.FALLBACK_COLOUR


def test_band_shading_of_the_corridor_chart_uses_the_band_colours(bundle):
    resolved = resolve(MapSpec(), bundle)
    seg = resolved.layer("segments").drop(columns="geometry")
    profile = seg[seg["route_id"] == "KKH_N35"]
    spec = charts.profile_chart(
        profile, charts.waypoint_km(bundle.waypoints, "KKH_N35", 918.1)
    ).to_dict()
    shade = spec["layer"][0]["encoding"]
    assert shade["color"]["scale"]["range"] == [b.colour for b in palette.BANDS]
    # the score axis is fixed at 0–100 whatever the route's scores
    assert spec["layer"][2]["encoding"]["y"]["scale"]["domain"] == [0, 100]


def test_each_point_layer_has_its_own_shape():
    shapes = {k: palette.SYMBOLS[k].shape for k in ("incidents", "threats", "sites")}
    assert shapes == {"incidents": "circle", "threats": "diamond", "sites": "square"}
    markers = {palette.SYMBOLS[k].mpl_marker for k in ("incidents", "threats", "sites")}
    assert len(markers) == 3
