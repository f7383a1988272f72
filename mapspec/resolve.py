"""``resolve(spec, data) -> ResolvedMap``: filter once, score once, build every layer.

The frames are those :mod:`mapspec.layers` names; the analysis frames (forecasts, hot spots:
:mod:`mapspec.analysis_layers`) are computed on first use. The areas carry the next-month
admin-1 forecast for their popups (``forecast_p_1m`` … ``forecast_model``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geodata import Bundle
from geodata.sources import sources_for
from geodata.spatial import has_geometry
from mapspec import layers as layer_registry
from mapspec import palette, style
from mapspec.analysis_layers import LazyFrames, area_forecast_columns
from mapspec.resolved import LegendEntry, ResolvedMap
from mapspec.spec import MapSpec, SpecError, ViewSpec
from riskmodel.bands import BANDS
from riskmodel.filters import Filters, apply_filters, describe, sites_in
from riskmodel.score import Layers, layers_from, resolve_as_of, score
from riskmodel.settings import settings_from_filters

POINT_LIMIT = 2000
"""Above this many incident points, ``auto`` draws a grid aggregate instead of points."""

AFPAK_BOUNDS = (60.4, 23.6, 77.9, 38.6)
VIEW_PADDING_DEG = 0.3
VIEW_PADDING_FRACTION = 0.08
"""A framed unit or route gets at least VIEW_PADDING_DEG and this share of its larger side
around it, so its ends are not cut off by the map's edge or its controls."""


def _bounds(spec_view: ViewSpec, bundle: Bundle) -> tuple[float, float, float, float]:
    if spec_view.kind == "all":
        return AFPAK_BOUNDS
    if spec_view.kind == "bbox":
        x0, y0, x1, y1 = (float(p) for p in str(spec_view.value).split(","))
        return (x0, y0, x1, y1)
    if spec_view.kind == "admin1":
        layer, column = bundle.admin1, "iso_3166_2"
    else:
        layer, column = bundle.corridors, "route_id"
    hit = layer[layer[column] == spec_view.value]
    if hit.empty:
        valid = ", ".join(layer[column].astype(str).head(8))
        raise SpecError(
            f"view {spec_view.to_param()!r}: no {spec_view.kind} "
            f"{spec_view.value!r}; valid values include {valid}"
        )
    x0, y0, x1, y1 = hit.total_bounds
    pad = max(VIEW_PADDING_DEG, VIEW_PADDING_FRACTION * float(max(x1 - x0, y1 - y0)))
    return (float(x0 - pad), float(y0 - pad), float(x1 + pad), float(y1 + pad))


def _point_mode(spec: MapSpec, n_points: int) -> str:
    if spec.point_mode == "auto":
        return "points" if n_points <= POINT_LIMIT else "aggregate"
    return spec.point_mode


def _legend(spec: MapSpec, incidents: pd.DataFrame, mode: str) -> tuple[LegendEntry, ...]:
    entries = [
        LegendEntry(
            "Risk band (areas, CPEC segments, sites)", band.name.capitalize(), band.colour, "fill"
        )
        for band in BANDS
    ]
    entries.append(LegendEntry("Lines", "Af-Pak border (generalised)", style.BORDER_COLOUR, "line"))
    if spec.colour_by == "attribution" and mode == "points":
        present = set(incidents["attribution"].dropna()) if len(incidents) else set()
        table = style.ATTRIBUTION_COLOURS
        title = "Incidents by attribution"
    else:
        present = set(incidents["actor_canonical"].dropna()) if len(incidents) else set()
        table = style.ACTOR_COLOURS
        title = {
            "points": "Incidents by actor",
            "aggregate": "Grid cells by most frequent actor",
            "heat": "Heat layer (on briefings: grid cells by most frequent actor)",
        }[mode]
    for name, colour in table.items():
        if name in present:
            entries.append(LegendEntry(title, name, colour, "circle"))
    entries.append(
        LegendEntry(
            "Other markers",
            "Threat record (located)",
            style.THREAT_COLOUR,
            palette.SYMBOLS["threats"].shape,
        )
    )
    return tuple(entries)


def _with_scores(records: gpd.GeoDataFrame, table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    scores = pd.DataFrame(
        table.drop(columns=["geometry", "name", "country", "asset_type"], errors="ignore")
    )
    merged = records.merge(scores, on="id", how="left")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=records.crs)


def resolve(spec: MapSpec, data: Bundle) -> ResolvedMap:
    """Filter the records once, score once, and return every layer of the view.

    The as-of date comes from the whole data (not the filtered rows), so narrowing the
    filters never moves the clock. ``data`` is not modified.
    """
    filters: Filters = spec.filters
    layers = layers_from(data)
    settings = settings_from_filters(filters)
    settings = settings.replace(as_of=resolve_as_of(layers, filters, settings))
    incidents = apply_filters(data.incidents, filters, "incidents")
    threats = apply_filters(data.threats, filters, "threats")
    sites = sites_in(layers.sites, filters)  # with an area of interest: the sites in it
    scored = score(
        Layers(
            incidents,
            threats if settings.include_threats else None,
            layers.admin1,
            layers.segments,
            sites,
        ),
        Filters(),
        settings,
    )
    n_points = int(has_geometry(incidents).sum())
    mode = _point_mode(spec, n_points)
    notices: list[str] = []
    if mode == "aggregate":
        why = (
            f" (more than {POINT_LIMIT:,} points); narrow the filters to see individual incidents"
            if spec.point_mode == "auto"
            else ""
        )
        notices.append(f"{n_points:,} incidents are drawn as counts on a 0.25° grid{why}.")
    elif mode == "heat":
        notices.append(f"{n_points:,} incidents are drawn as a heat layer.")
    no_point = int(len(threats) - has_geometry(threats).sum())
    if no_point:
        notices.append(
            f"{no_point} threat record(s) without a point location count towards "
            "province scores but are not drawn (see Records)."
        )
    areas = scored.table("province").copy()
    # the popups' forecast (next month, admin-1): the same numbers as `iskp-atlas forecast`
    forecast = area_forecast_columns(data, filters, areas["id"])
    for column in forecast.columns:
        areas[column] = forecast[column].to_numpy()
    frames = LazyFrames(
        {
            "areas": areas,
            "border": data.border.copy(deep=False),
            "corridors": data.corridors.copy(deep=False),
            "segments": scored.table("segment"),
            "sites": _with_scores(sites, scored.table("site")),
            "threats": threats,
            "incidents": incidents,
        },
        data,
        filters,
    )
    legend = list(_legend(spec, incidents, mode))
    for layer in layer_registry.LAYERS:  # the analysis layers' legends, when shown
        if layer.legend is not None and layer.id in spec.visible_layers():
            entries, more = layer_registry.function(layer.legend)(frames)
            legend.extend(entries)
            notices.extend(more)
    return ResolvedMap(
        spec=spec,
        layers=frames,
        legend=tuple(legend),
        sentence=describe(filters),
        as_of=settings.as_of,
        bounds=_bounds(spec.view, data),
        point_mode=mode,
        notices=tuple(notices),
        risk=scored,
        settings=settings,
        sources=sources_for(incidents, threats),
    )


def resolve_query(query: str, data: Bundle) -> ResolvedMap:
    """Resolve a query string in the filter language (plus the spec's URL keys)."""
    from urllib.parse import parse_qsl

    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.strip().lstrip("?"), keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return resolve(MapSpec.from_params(params), data)


__all__ = ["POINT_LIMIT", "resolve", "resolve_query"]
