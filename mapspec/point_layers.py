"""The map's record layers drawn as points: threat records and incidents (one circle
each, grid cells counted per :data:`AGGREGATE_CELL_DEG` degrees, or heat), each record's
popup ending with the unit it lies in (:func:`_area_lines`). The area, segment, border and
site layers and :class:`~mapspec.layer_data.LayerData` are :mod:`mapspec.layer_data`'s."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.spatial import has_geometry
from mapspec import palette, popups, style
from mapspec.layer_data import LayerData, features, records_of, round_coords, styled
from mapspec.resolved import ResolvedMap

AGGREGATE_CELL_DEG = 0.25


def _area_lines(resolved: ResolvedMap) -> dict[str, str]:
    """Unit id → the last line of a record's popup: the unit it lies in, its score in words
    and a link that opens the unit's own popup.

    Incidents and threat records are drawn above the units and take the clicks on them (a
    unit under a cluster of circles, like Kabul, could not be clicked). Rather than let
    clicks fall through the markers (then a marker's own popup could not be opened where it
    overlaps a unit) or shrink the markers' click area (the severity sizes would lie), each
    record's popup offers its unit's popup: both are one click away. Small units also get
    a symbol above the markers (:class:`mapspec.map_scripts.MapBehaviour`)."""
    if not resolved.visible("areas"):
        return {}
    areas = resolved.layer("areas")
    lines = {}
    for r in records_of(areas):
        words = popups.band_words(r)
        lines[str(r["id"])] = (
            f"<div class='ap-area'>In {style.esc(r.get('name'))}: {words}. <a href='#' "
            f"class='atlas-open-area' data-area='{style.esc(r['id'])}'>Open its popup</a>"
            "</div>"
        )
    return lines


def threats_layer(resolved: ResolvedMap) -> LayerData:
    threats = resolved.layer("threats")
    pts = threats[has_geometry(threats)]
    area_lines = _area_lines(resolved)
    props = [
        {
            "id": r["id"],
            "popup": style.threat_popup(r) + area_lines.get(r.get("admin1"), ""),
            "tip": f"Threat {style.esc(r.get('id'))}: {style.esc(r.get('threat_type'))}",
        }
        for r in records_of(pts)
    ]
    return styled(
        "threats",
        "Threat records (with a location)",
        "threat",
        features(round_coords(pts.geometry.to_numpy()), props),
        lambda f: palette.web_marker_style("threats"),
        marker={
            "fill_color": style.THREAT_COLOUR,
            "color": "#444444",
            "weight": 2,
            "dash_array": "3 2",
            "fill": True,
            "fill_opacity": 0.9,
            "radius": 7,
        },
    )


def _incident_points(resolved: ResolvedMap, incidents: gpd.GeoDataFrame) -> LayerData:
    area_lines = _area_lines(resolved)
    colours = style.point_colours(incidents, resolved.spec.colour_by)
    radius = style.point_radius(style.severity(incidents))
    props = [
        {
            "id": r["id"],
            "fill": c,
            "r": round(float(rad), 1),
            "popup": style.incident_popup(r) + area_lines.get(r.get("admin1"), ""),
            "tip": (
                f"{style.esc(r.get('date'))} · {style.esc(r.get('actor_canonical'))} · "
                f"{style.esc(r.get('place') or r.get('province'))}"
            ),
        }
        for r, c, rad in zip(records_of(incidents), colours, radius, strict=True)
    ]
    return styled(
        "incidents",
        "Incidents",
        "incident",
        features(round_coords(incidents.geometry.to_numpy()), props),
        lambda f: {"fillColor": f["properties"]["fill"], "radius": f["properties"]["r"]},
        marker={"color": "#ffffff", "weight": 1, "fill": True, "fill_opacity": 0.85},
    )


def aggregate_points(
    incidents: gpd.GeoDataFrame, cell_deg: float = AGGREGATE_CELL_DEG
) -> pd.DataFrame:
    """Incidents counted per grid cell of ``cell_deg`` degrees (centre lon/lat, count,
    deaths, most frequent canonical actor)."""
    pts = incidents[has_geometry(incidents)]
    if pts.empty:
        return pd.DataFrame(columns=["lon", "lat", "count", "deaths", "top_actor"])
    x, y = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    frame = pd.DataFrame(
        {
            "cx": np.floor(x / cell_deg).astype(np.int64),
            "cy": np.floor(y / cell_deg).astype(np.int64),
            "deaths": pd.to_numeric(pts["fatalities"], errors="coerce").fillna(0).to_numpy(),
            "actor": pts["actor_canonical"].to_numpy(),
        }
    )
    grouped = frame.groupby(["cx", "cy"], sort=False)
    out = grouped.agg(count=("deaths", "size"), deaths=("deaths", "sum")).reset_index()
    top = (
        frame.groupby(["cx", "cy", "actor"], sort=False)
        .size()
        .reset_index(name="n")
        .sort_values("n", ascending=False)
        .drop_duplicates(["cx", "cy"])
    )
    out = out.merge(top[["cx", "cy", "actor"]], on=["cx", "cy"], how="left")
    out["lon"] = (out["cx"] + 0.5) * cell_deg
    out["lat"] = (out["cy"] + 0.5) * cell_deg
    return out.rename(columns={"actor": "top_actor"})[
        ["lon", "lat", "count", "deaths", "top_actor"]
    ]


def _incident_aggregate(incidents: gpd.GeoDataFrame) -> LayerData:
    """Grid cells as compact arrays (a GeoJSON feature per cell is about five times the
    size): ``[lat, lon, radius, colour index, incidents, deaths, actor index]``, with the
    colours and the (escaped) actor names listed once."""
    cells = aggregate_points(incidents)
    actors = sorted({str(a) for a in cells["top_actor"]})
    colours = sorted({style.ACTOR_COLOURS.get(a, style.FALLBACK_COLOUR) for a in actors})
    actor_index = {a: i for i, a in enumerate(actors)}
    colour_index = {c: i for i, c in enumerate(colours)}
    rows = [
        [
            round(float(c.lat), 4),
            round(float(c.lon), 4),
            round(float(radius), 1),
            colour_index[style.ACTOR_COLOURS.get(str(c.top_actor), style.FALLBACK_COLOUR)],
            int(c.count),
            int(c.deaths),
            actor_index[str(c.top_actor)],
        ]
        for c, radius in zip(
            cells.itertuples(index=False), style.cell_radius(cells["count"]), strict=True
        )
    ]
    bounds = None
    if rows:
        lats, lons = [r[0] for r in rows], [r[1] for r in rows]
        bounds = [[min(lats), min(lons)], [max(lats), max(lons)]]
    data = {"cells": rows, "colours": colours, "actors": [style.esc(a) for a in actors]}
    return LayerData(
        "incidents", f"Incidents (grid of {AGGREGATE_CELL_DEG}°)", "cell", data, bounds, kind="grid"
    )


def _incident_heat(incidents: gpd.GeoDataFrame) -> LayerData:
    pts = incidents[has_geometry(incidents)]
    coords = np.round(np.column_stack([pts.geometry.y, pts.geometry.x]), 3)
    bounds = None
    if len(coords):
        bounds = [coords.min(axis=0).tolist(), coords.max(axis=0).tolist()]
    return LayerData("incidents", "Incidents (heat)", "heat", coords.tolist(), bounds, kind="heat")


def incidents_layer(resolved: ResolvedMap) -> LayerData:
    """Incidents as points, grid cells or heat according to the resolved point mode."""
    incidents = resolved.layer("incidents")
    if resolved.point_mode == "heat":
        return _incident_heat(incidents)
    if resolved.point_mode == "aggregate":
        return _incident_aggregate(incidents)
    return _incident_points(resolved, incidents)
