"""Briefing image (PNG) and one-page briefing (PDF): pure functions of a ResolvedMap.

The slide is drawn with matplotlib from the same resolved layers, bands and colours as
the interactive map (:mod:`mapspec.style`): areas filled by risk band, CPEC segments
coloured by band, the border, sensitive sites, located threat records, and incidents as
points coloured by actor (or attribution) and sized by severity — or as the same 0.25°
grid cells as the map when the map aggregates them. It carries the title, the filter
sentence, the legend, a scale bar, a north arrow, the as-of date, the sources and their
licences, a handling banner and the note that CPEC routes are schematic. Its extent is
``resolved.bounds`` (the spec's view).

The map is drawn in the product's metric projection
(:data:`geodata.spatial.METRIC_CRS`, an equidistant conic centred on AF/PK), so the
scale bar holds across the whole region and the north arrow points at true north.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas directly —
never pyplot — so nothing global changes and rendering is safe inside a web server.
:func:`briefing_figure` returns the figure together with a :class:`BriefingManifest`
naming every feature drawn (each collection also carries ``gid`` = its layer name), so
tests and callers can check what the image shows without reading pixels.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from matplotlib_scalebar.scalebar import ScaleBar
from pyproj import Transformer

from geodata import context
from geodata.spatial import METRIC_CRS, WGS84, has_geometry
from mapspec import context_layers, palette, style
from mapspec.exports import SCHEMATIC_NOTE, data_sources, product_version, utc_timestamp
from mapspec.folium_map import AGGREGATE_CELL_DEG, aggregate_points
from mapspec.resolved import LegendEntry, ResolvedMap
from riskmodel.bands import BANDS

HANDLING_DEFAULT = "PUBLIC SOURCES"
SLIDE_SIZE_IN = (13.333, 7.5)  # 16:9, the size of a widescreen slide
SLIDE_DPI = 150  # 2000 x 1125 px
MIN_WIDTH_PX = 1600
A4_PORTRAIT_IN = (8.27, 11.69)
BANNER_COLOUR = "#1b5e20"
MAP_BACKGROUND = "#eef2f5"
TOP_N = 10
MARKER_PT_PER_PX = 0.5
"""Marker size on the slide per px of the web map's radius: the slide shows the whole view
at once, so markers are drawn a little smaller than on screen (relative sizes kept)."""
_NEUTRAL_BAND = BANDS[2].colour  # legend swatch of "coloured by band" markers

_TO_METRIC = Transformer.from_crs(WGS84, METRIC_CRS, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, WGS84, always_xy=True)
TITLE_PT = 17.0
LEGEND_PANEL_IN = 3.7  # the legend column beside the map
TOP_LABELS = 8  # provinces named on the map, highest scores first
_LEVELS = (("areas", "province", "Provinces / admin-1 units"),
           ("segments", "segment", "CPEC segments (about 25 km)"),
           ("sites", "site", "Sensitive sites"))


@dataclass(frozen=True)
class BriefingOptions:
    """What a user may change on a briefing."""

    banner: str = HANDLING_DEFAULT
    title: str | None = None  # default: "ISKP Risk Atlas — <view>"
    width_px: int = 2000
    generated: datetime | None = None  # default: now (UTC)

    def __post_init__(self) -> None:
        if self.width_px < MIN_WIDTH_PX:
            raise ValueError(f"a briefing image is at least {MIN_WIDTH_PX} px wide")
        if not str(self.banner).strip():
            raise ValueError("the handling banner needs some text, e.g. PUBLIC SOURCES")


@dataclass(frozen=True)
class BriefingManifest:
    """What a briefing shows: feature ids per drawn layer, texts and extent."""

    layers: Mapping[str, tuple[str, ...]]
    incident_cells: tuple[tuple[float, float, int], ...]
    legend: tuple[str, ...]
    title: str
    sentence: str
    banner: str
    as_of: str
    extent_lonlat: tuple[float, float, float, float]
    texts: tuple[str, ...] = field(default=())
    labels: tuple[str, ...] = field(default=())  # the names drawn on the map


# --- Geometry helpers -----------------------------------------------------------------------


_present = has_geometry


def _to_metric(geoms: np.ndarray) -> np.ndarray:
    def project(coords: np.ndarray) -> np.ndarray:
        x, y = _TO_METRIC.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(np.asarray(geoms, dtype=object), project)


def _ring_arrays(geom: shapely.Geometry) -> list[tuple[np.ndarray, bool]]:
    """Coordinate arrays of every ring or line of a geometry, with 'closed' flags."""
    out: list[tuple[np.ndarray, bool]] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, shapely.Polygon):
            out.append((np.asarray(part.exterior.coords), True))
            out.extend((np.asarray(r.coords), True) for r in part.interiors)
        elif isinstance(part, shapely.LineString | shapely.LinearRing):
            out.append((np.asarray(part.coords), False))
        elif isinstance(part, shapely.GeometryCollection):
            out.extend(_ring_arrays(part))
    return out


def geometry_path(geom: shapely.Geometry) -> MplPath:
    """One matplotlib path for a (multi)polygon or (multi)line, holes included."""
    verts, codes = [], []
    for coords, closed in _ring_arrays(geom):
        if len(coords) < 2:
            continue
        part_codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
        part_codes[0] = MplPath.MOVETO
        if closed:
            part_codes[-1] = MplPath.CLOSEPOLY
        verts.append(coords[:, :2])
        codes.append(part_codes)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _extent_metric(bounds: Sequence[float]) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in bounds)
    box = shapely.segmentize(shapely.box(x0, y0, x1, y1), 0.25)
    bx0, by0, bx1, by1 = shapely.bounds(_to_metric(np.array([box]))[0])
    pad = 0.02 * max(bx1 - bx0, by1 - by0)
    return bx0 - pad, by0 - pad, bx1 + pad, by1 + pad


def _fit_extent(extent: tuple[float, float, float, float], box_ratio: float
                ) -> tuple[float, float, float, float]:
    """Widen the short side of an extent around its centre to the axes' width/height."""
    x0, y0, x1, y1 = extent
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = x1 - x0, y1 - y0
    if w / h < box_ratio:
        w = h * box_ratio
    else:
        h = w / box_ratio
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


# --- Drawing layers -------------------------------------------------------------------------


def _ids(frame: pd.DataFrame, column: str = "id") -> tuple[str, ...]:
    if column not in frame.columns:
        return tuple(str(i) for i in range(len(frame)))
    return tuple(str(v) for v in frame[column])


def _shape_layer(ax: Any, frame: pd.DataFrame, *, gid: str, tolerance: float,
                 facecolors: Any, edgecolors: Any, linewidths: float,
                 zorder: float, linestyle: str = "solid", id_column: str = "id"
                 ) -> tuple[str, ...]:
    geoms = frame.geometry.to_numpy() if len(frame) else np.array([], dtype=object)
    keep = _present(geoms)
    if not keep.any():
        return ()
    metric = _to_metric(geoms[keep])
    metric = shapely.simplify(metric, tolerance, preserve_topology=True)
    metric = shapely.orient_polygons(metric, exterior_cw=False)
    paths = [geometry_path(g) for g in metric]
    if not isinstance(facecolors, str):
        facecolors = np.asarray(facecolors, dtype=object)[keep].tolist()
    if not isinstance(edgecolors, str):
        edgecolors = np.asarray(edgecolors, dtype=object)[keep].tolist()
    ax.add_collection(PathCollection(
        paths, facecolors=facecolors, edgecolors=edgecolors, linewidths=linewidths,
        linestyles=linestyle, zorder=zorder, gid=gid, capstyle="round", joinstyle="round",
    ), autolim=False)
    return tuple(np.asarray(_ids(frame, id_column), dtype=object)[keep].tolist())


def _point_xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = frame.geometry.to_numpy() if len(frame) else np.array([], dtype=object)
    keep = _present(geoms)
    if keep.any():
        x, y = _TO_METRIC.transform(shapely.get_x(geoms[keep]), shapely.get_y(geoms[keep]))
        return keep, np.column_stack([x, y])
    return keep, np.zeros((0, 2))


def _marker_area(radius_px: np.ndarray) -> np.ndarray:
    """Scatter marker area (pt²) of a web-map marker radius in px (see MARKER_PT_PER_PX)."""
    return (2.0 * MARKER_PT_PER_PX * np.asarray(radius_px, float)) ** 2


def _draw_layers(ax: Any, resolved: ResolvedMap, tolerance: float) -> dict[str, Any]:
    drawn: dict[str, Any] = {}
    areas = resolved.layer("areas")
    ax.add_collection(PathCollection(
        [geometry_path(g) for g in _to_metric(areas.geometry.to_numpy()[
            _present(areas.geometry.to_numpy())])],
        facecolors="none", edgecolors="#9e9e9e", linewidths=0.4, zorder=0.5, gid="basemap",
    ), autolim=False)
    if resolved.visible("areas"):
        drawn["areas"] = _shape_layer(
            ax, areas, gid="areas", tolerance=tolerance,
            facecolors=[style.band_colour(b) for b in areas.get("band", [None] * len(areas))],
            edgecolors=style.COUNTRY_OUTLINE, linewidths=0.5, zorder=1)
    if resolved.visible("border"):
        drawn["border"] = _shape_layer(
            ax, resolved.layer("border"), gid="border", tolerance=tolerance,
            facecolors="none", edgecolors=style.BORDER_COLOUR, linewidths=1.6, zorder=3,
            linestyle="--", id_column="name")
    if resolved.visible("segments"):
        seg = resolved.layer("segments")
        _shape_layer(ax, seg, gid="segments_casing", tolerance=tolerance / 4,
                     facecolors="none", edgecolors="#333333", linewidths=4.8, zorder=3.9)
        drawn["segments"] = _shape_layer(
            ax, seg, gid="segments", tolerance=tolerance / 4, facecolors="none",
            edgecolors=[style.band_colour(b) for b in seg.get("band", [None] * len(seg))],
            linewidths=3.2, zorder=4)
    if resolved.visible("sites"):
        sites = resolved.layer("sites")
        keep, xy = _point_xy(sites)
        colours = [style.band_colour(b) for b in sites.get("band", [None] * len(sites))]
        ax.scatter(xy[:, 0], xy[:, 1], s=90, marker=palette.SYMBOLS["sites"].mpl_marker,
                   c=np.asarray(colours, dtype=object)[keep].tolist() or None,
                   edgecolors=style.SITE_OUTLINE, linewidths=1.4, zorder=5, gid="sites")
        drawn["sites"] = tuple(np.asarray(_ids(sites), dtype=object)[keep].tolist())
    if resolved.visible("threats"):
        threats = resolved.layer("threats")
        keep, xy = _point_xy(threats)
        ax.scatter(xy[:, 0], xy[:, 1], s=95, marker=palette.SYMBOLS["threats"].mpl_marker,
                   c=style.THREAT_COLOUR,
                   edgecolors="#444444", linewidths=1.4, linestyles="--", zorder=6,
                   gid="threats")
        drawn["threats"] = tuple(np.asarray(_ids(threats), dtype=object)[keep].tolist())
    if resolved.visible("incidents"):
        incidents = resolved.layer("incidents")
        if resolved.point_mode == "points":
            keep, xy = _point_xy(incidents)
            shown = incidents[keep]
            colours = style.point_colours(shown, resolved.spec.colour_by)
            sizes = _marker_area(style.point_radius(style.severity(shown)))
            order = np.argsort(-sizes, kind="stable")  # big markers under small ones
            ax.scatter(xy[order, 0], xy[order, 1], s=sizes[order],
                       c=colours[order].tolist() or None, edgecolors="white",
                       linewidths=0.7, alpha=0.9, zorder=7, gid="incidents")
            drawn["incidents"] = tuple(np.asarray(_ids(shown), dtype=object)[order].tolist())
        else:
            cells = aggregate_points(incidents)
            x, y = _TO_METRIC.transform(cells["lon"].to_numpy(float),
                                        cells["lat"].to_numpy(float))
            radius = style.cell_radius(cells["count"])
            colours = [style.ACTOR_COLOURS.get(str(a), style.FALLBACK_COLOUR)
                       for a in cells["top_actor"]]
            ax.scatter(x, y, s=_marker_area(radius), c=colours or None, edgecolors="white",
                       linewidths=0.7, alpha=0.85, zorder=7, gid="incident_cells")
            drawn["incident_cells"] = tuple(
                (float(lon), float(lat), int(n)) for lon, lat, n in
                zip(cells["lon"], cells["lat"], cells["count"], strict=True))
    from mapspec import layers as registry  # layers with their own drawer (mapspec.layers)

    for layer in registry.LAYERS:
        if layer.briefing_drawer is not None and resolved.visible(layer.id):
            registry.function(layer.briefing_drawer)(ax, resolved, tolerance, drawn)
    return drawn


# --- Furniture ------------------------------------------------------------------------------


def _text(target: Any, x: float, y: float, s: str, **kwargs: Any) -> Any:
    """Literal text (no mathtext: '$' in data stays '$')."""
    return target.text(x, y, s, parse_math=False, **kwargs)


def _north_arrow(ax: Any, centre_lonlat: tuple[float, float]) -> tuple[Any, Any]:
    lon, lat = centre_lonlat
    (x0, x1), (y0, y1) = _TO_METRIC.transform([lon, lon], [lat, lat + 0.5])
    dx, dy = x1 - x0, y1 - y0
    norm = float(np.hypot(dx, dy)) or 1.0
    ux, uy = 0.07 * dx / norm, 0.07 * dy / norm
    tip = (0.95, 0.95)
    arrow = ax.annotate("", xy=tip, xytext=(tip[0] - ux, tip[1] - uy),
                        xycoords="axes fraction",
                        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9",
                                    "color": "black", "lw": 2.5}, zorder=20, gid="north_arrow")
    label = _text(ax, tip[0] - ux * 1.0, tip[1] - uy * 1.0 - 0.035, "N",
                  transform=ax.transAxes, ha="center", va="center", fontsize=14,
                  fontweight="bold", zorder=20, gid="north_arrow_label")
    return arrow, label


def _equivalent_zoom(ax: Any, extent_lonlat: Sequence[float]) -> float:
    """The web map's zoom at which the view's width in degrees takes the map's width
    (at 96 px per inch): which place names the web map would show at this scale."""
    lon0, _, lon1, _ = extent_lonlat
    width_px = ax.get_window_extent().width / ax.figure.dpi * 96
    return float(np.log2(max(width_px, 1.0) * 360.0 / (256.0 * max(lon1 - lon0, 1e-6))))


def _label_candidates(resolved: ResolvedMap, extent: Sequence[float], zoom: float
                      ) -> list[dict[str, Any]]:
    """Every name the slide may show, in the web map's order (capital, country, city; then
    the highest-scoring provinces, then towns — a province's score is what a briefing is
    about, a town only locates it), each group by importance."""
    lon0, lat0, lon1, lat1 = extent
    out: list[dict[str, Any]] = []
    gazetteer = context.places()
    gazetteer = gazetteer[gazetteer["min_zoom"] <= zoom + 0.5].sort_values(
        "population", ascending=False, kind="stable")
    by_rank = {r: gazetteer[gazetteer["rank"] == r] for r in ("capital", "city", "town")}
    for rank in ("capital", "country", "city", "unit", "town"):
        if rank == "country":
            for rec in context.neighbour_countries().itertuples(index=False):
                out.append({"lon": rec.label_lon, "lat": rec.label_lat, "dot": False,
                            "text": rec.name.upper(), "gid": "country_label",
                            "kw": {"fontsize": 9.0, "color": palette.COUNTRY_LABEL_COLOUR}})
        elif rank == "unit":
            areas = resolved.layer("areas")
            if "score" not in areas.columns or not resolved.visible("areas"):
                continue
            top = areas[areas["score"] > 0].sort_values(
                ["score", "id"], ascending=[False, True], kind="stable").head(TOP_LABELS)
            if not len(top):
                continue
            points = context.unit_label_points(top)
            for rec, score, shape in zip(points.itertuples(index=False), top["score"],
                                         top.geometry, strict=True):
                out.append({"lon": rec.geometry.x, "lat": rec.geometry.y, "dot": False,
                            "anchors": _inner_points(shape, rec.geometry),
                            "text": f"{rec.name} ({float(score):.0f})", "gid": "unit_label",
                            "kw": {"fontsize": 9.0, "color": "#1f1f1f", "style": "italic",
                                   "fontweight": "bold"}})
        else:
            for rec in by_rank[rank].itertuples(index=False):
                out.append({"lon": rec.geometry.x, "lat": rec.geometry.y, "dot": True,
                            "text": rec.label, "gid": "place_label",
                            "kw": {"fontsize": 9.5 if rank != "town" else 8.5,
                                   "color": palette.LABEL_COLOUR,
                                   "fontweight": "bold" if rank == "capital" else "normal"}})
    return [c for c in out if lon0 <= c["lon"] <= lon1 and lat0 <= c["lat"] <= lat1]


def _inner_points(shape: Any, first: Any, n: int = 6) -> list[tuple[float, float]]:
    """Up to ``n`` points inside a province for its name, ``first`` (its label point)
    first, then points of a grid over it nearest to that point."""
    out = [(float(first.x), float(first.y))]
    if shape is None or shapely.is_empty(shape):
        return out
    x0, y0, x1, y1 = shapely.bounds(shape)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 9)[1:-1], np.linspace(y0, y1, 9)[1:-1])
    grid = shapely.points(gx.ravel(), gy.ravel())
    inside = grid[shapely.contains(shape, grid)]
    inside = sorted(inside, key=lambda p: p.distance(first))
    out += [(float(p.x), float(p.y)) for p in inside[: n - 1]]
    return out


_UNIT_SPOTS = ((0, 0), (0, 10), (0, -10), (28, 0), (-28, 0), (0, 20), (0, -20), (28, 14),
               (-28, -14), (28, -14), (-28, 14))
"""Offsets (points) tried in turn for a province's name around its label point."""


def _place_labels(ax: Any, resolved: ResolvedMap, obstacles: Sequence[Any]) -> list[Any]:
    """Names on the map (see :func:`_label_candidates`) with a white halo. A place's name
    goes right, left, above or below its dot, a province's at its label point or just
    above or below it — the first spot whose text box stays inside the map and overlaps
    no name already placed and no ``obstacles`` (display-space boxes: scale bar, north
    arrow, legend); a name with no free spot is left out. Returns the text artists."""
    import matplotlib.patheffects as pe

    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    lons, lats = _TO_LONLAT.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    extent = (min(lons), min(lats), max(lons), max(lats))
    zoom = _equivalent_zoom(ax, extent)
    halo = [pe.withStroke(linewidth=2.4, foreground=palette.LABEL_HALO)]
    taken = [b.expanded(1.0, 1.0) for b in obstacles]
    placed: list[Any] = []
    for cand in _label_candidates(resolved, extent, zoom):
        x, y = _TO_METRIC.transform(cand["lon"], cand["lat"])
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        spots = ([((5, 0), "left", "center"), ((-5, 0), "right", "center"),
                  ((0, 5), "center", "bottom"), ((0, -5), "center", "top")] if cand["dot"]
                 else [((dx, dy), "center", "center") for dx, dy in _UNIT_SPOTS])
        dot_box = None
        if cand["dot"]:
            px, py = ax.transData.transform((x, y))
            r = 3.0 * fig.dpi / 72
            dot_box = Bbox.from_extents(px - r, py - r, px + r, py + r)
            if any(dot_box.overlaps(b) for b in taken):
                continue
        if not cand["dot"]:  # a province: other points inside it, nearest first
            ax_, ay_ = _TO_METRIC.transform(*np.asarray(cand.get("anchors", [(
                cand["lon"], cand["lat"])]), float).reshape(-1, 2).T)
            spots = [(offset, ha, va, (float(px), float(py))) for px, py in zip(
                ax_, ay_, strict=True) for offset, ha, va in spots[:3]] + [
                (offset, ha, va, (x, y)) for offset, ha, va in spots[3:]]
        else:
            spots = [(offset, ha, va, (x, y)) for offset, ha, va in spots]
        def label(offset: tuple[float, float], ha: str, va: str, xy: tuple[float, float],
                  cand: dict[str, Any] = cand) -> Any:
            return ax.annotate(cand["text"], xy, xytext=offset, parse_math=False,
                               textcoords="offset points", ha=ha, va=va, zorder=9,
                               path_effects=halo, gid=cand["gid"], annotation_clip=False,
                               **cand["kw"])

        # the text's size once (one probe artist); each spot's box is that size moved
        probe = label((0, 0), "left", "bottom", (x, y))
        size = probe.get_window_extent(renderer)
        probe.remove()
        w, h = size.width, size.height
        for offset, ha, va, xy in spots:
            px, py = ax.transData.transform(xy)
            px += offset[0] * fig.dpi / 72
            py += offset[1] * fig.dpi / 72
            bx = px - {"left": 0.0, "center": w / 2, "right": w}[ha]
            by = py - {"bottom": 0.0, "center": h / 2, "top": h}[va]
            box = Bbox.from_extents(bx, by, bx + w, by + h).padded(1.5 * fig.dpi / 72)
            inside = (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
                      and box.y1 <= frame.y1)
            if inside and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                if dot_box is not None:
                    taken.append(dot_box)
                    ax.plot(x, y, "o", ms=3.0, color=palette.LABEL_COLOUR,
                            mec=palette.LABEL_HALO, mew=0.7, zorder=9, gid="place_dot")
                placed.append(label(offset, ha, va, xy))
                break
    return placed


def _extra_legend(resolved: ResolvedMap, drawn: Mapping[str, Any]) -> list[LegendEntry]:
    """Briefing-only legend lines: how sites, segments and grid cells are drawn."""
    extra = []
    if "segments" in drawn:
        extra.append(LegendEntry("Other markers", "CPEC segment (colour = band; schematic)",
                                 _NEUTRAL_BAND, "line"))
    if "sites" in drawn:
        extra.append(LegendEntry("Other markers", "Sensitive site (fill = band)",
                                 _NEUTRAL_BAND, "square"))
    if "incident_cells" in drawn:
        extra.append(LegendEntry(
            "Other markers",
            f"Incidents per {AGGREGATE_CELL_DEG}° cell (size = count, colour = top actor)",
            style.FALLBACK_COLOUR, "circle"))
    return extra


def _legend_entries(resolved: ResolvedMap, drawn: Mapping[str, Any]) -> list[LegendEntry]:
    return list(resolved.legend) + _extra_legend(resolved, drawn)


def _draw_legend(ax: Any, entries: Sequence[LegendEntry], top: float, fontsize: float
                 ) -> tuple[float, list[str]]:
    """Legend lines grouped by ``entry.layer`` in a panel axes (0–1 coordinates); long
    groups of short labels run in two columns, a label too long for the panel wraps
    (measured). Returns the y below the legend and the labels drawn."""
    fig_h_pt = ax.bbox.height / ax.figure.dpi * 72
    inch = ax.figure.dpi / ax.bbox.width  # one inch in axes-width units
    panel_pt = ax.bbox.width / ax.figure.dpi * 72
    step = fontsize * 1.55 / fig_h_pt
    label_size = fontsize * 0.92
    extra_line = label_size * 1.2 / fig_h_pt
    swatch_pt = 0.45 * 72
    measure = _TextMeasure(ax.figure, label_size)
    heading_measure = _TextMeasure(ax.figure, fontsize, bold=True)
    y = top
    labels: list[str] = []
    groups: dict[str, list[LegendEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.layer, []).append(entry)
    for heading, items in groups.items():
        heading_text = wrap_text(heading, panel_pt, heading_measure)
        _text(ax, 0.0, y, heading_text, fontsize=fontsize, fontweight="bold", va="top",
              gid="legend_heading", linespacing=1.2)
        y -= step + heading_text.count("\n") * fontsize * 1.2 / fig_h_pt
        column_w = min(0.5, 2.4 * inch)
        column_pt = column_w / inch * 72 - swatch_pt - 4
        two = len(items) > 5 and all(measure(e.label) <= column_pt for e in items)
        rows = -(-len(items) // 2) if two else len(items)
        row_y = y
        for i, entry in enumerate(items):
            col, row = divmod(i, rows) if two else (0, i)
            x = column_w * col
            if two and row == 0:
                row_y = y
            text = entry.label if two else wrap_text(entry.label, panel_pt - swatch_pt - 2,
                                                     measure)
            _legend_swatch(ax, x, row_y - step * 0.35, entry, step, inch)
            _text(ax, x + 0.45 * inch, row_y, text, fontsize=label_size, va="top",
                  gid="legend_label", linespacing=1.2)
            labels.append(entry.label)
            row_y -= step + text.count("\n") * extra_line
        y = (y - rows * step if two else row_y) - step * 0.35
    return y, labels


_SWATCH_MARKERS = {"circle": "o", "square": "s", "diamond": "D"}
"""Legend marker of each point symbol (the shapes of mapspec.palette.SYMBOLS)."""


def _legend_swatch(ax: Any, x: float, y: float, entry: LegendEntry, step: float,
                   inch: float) -> None:
    colour = entry.colour
    if entry.shape == "line":
        ax.add_line(Line2D([x + 0.02 * inch, x + 0.34 * inch], [y, y], color=colour, lw=3,
                           linestyle="--" if "border" in entry.label.lower() else "-",
                           transform=ax.transAxes, gid="legend_swatch"))
    elif entry.shape in _SWATCH_MARKERS:
        ax.add_line(Line2D([x + 0.18 * inch], [y], marker=_SWATCH_MARKERS[entry.shape],
                           markersize=8 if entry.shape == "diamond" else 9,
                           markerfacecolor=colour,
                           markeredgecolor="#444444", linestyle="none",
                           transform=ax.transAxes, gid="legend_swatch"))
    else:
        ax.add_patch(Rectangle((x + 0.02 * inch, y - step * 0.3), 0.32 * inch, step * 0.6,
                               facecolor=colour, edgecolor="#777777", lw=0.6,
                               transform=ax.transAxes, gid="legend_swatch"))


def default_title(resolved: ResolvedMap) -> str:
    """``ISKP Risk Atlas — <what the view frames>``."""
    view = resolved.spec.view
    framed = {
        "all": "Afghanistan and Pakistan",
        "admin1": _area_name(resolved, view.value),
        "route": _route_name(resolved, view.value),
        "bbox": f"area {view.value}",
    }[view.kind]
    return f"ISKP Risk Atlas — risk to Chinese and Pakistani interests: {framed}"


def _area_name(resolved: ResolvedMap, code: str | None) -> str:
    areas = resolved.layer("areas")
    hit = areas.loc[areas["id"] == code, "name"] if "id" in areas.columns else []
    return f"{hit.iloc[0]} ({code})" if len(hit) else str(code)


def _route_name(resolved: ResolvedMap, route: str | None) -> str:
    corridors = resolved.layer("corridors")
    hit = corridors.loc[corridors["route_id"] == route, "name"] \
        if "route_id" in corridors.columns else []
    return str(hit.iloc[0]) if len(hit) else str(route)


def _banner(fig: Figure, text: str, y: float, height: float, fontsize: float = 13) -> None:
    fig.add_artist(Rectangle((0, y), 1, height, transform=fig.transFigure,
                             facecolor=BANNER_COLOUR, edgecolor="none", gid="banner_bar"))
    _text(fig, 0.5, y + height / 2, text.upper(), ha="center", va="center", color="white",
          fontsize=fontsize, fontweight="bold", gid="banner")


# --- The slide ------------------------------------------------------------------------------


def sources_line(resolved: ResolvedMap) -> str:
    """``Sources and licences: name (licence); …`` in one line."""
    return "Sources and licences: " + "; ".join(
        f"{s.get('name', '')} ({s.get('licence', '')})" if s.get("licence")
        else s.get("name", "") for s in data_sources(resolved))


def briefing_figure(resolved: ResolvedMap, options: BriefingOptions | None = None,
                    *, header: bool = True, size_in: tuple[float, float] | None = None
                    ) -> tuple[Figure, BriefingManifest]:
    """The briefing slide as a matplotlib Figure (Agg canvas) and what it shows.

    Layout (16:9): handling banner, title, filter sentence; the map on the left — as wide
    as the page leaves beside a legend column of about a quarter of its width (the view is
    widened to the map's shape, so the neighbours fill the sides) — with scale bar, north
    arrow and names (cities, neighbours, the highest-scoring provinces with their score);
    legend and notes on the right; sources and a footer (version, time, query) at the
    bottom; banner again. ``header=False`` leaves out the banners, title, sentence,
    sources and footer (for the PDF, which prints its own); ``size_in`` sets another
    figure size (the PDF's map area).
    """
    options = options or BriefingOptions()
    width_in, height_in = size_in or SLIDE_SIZE_IN
    margin = 0.2  # inches
    banner_in = 0.34 if header else 0.0
    title = options.title or default_title(resolved)
    sentence = resolved.sentence
    fig = Figure(figsize=(width_in, height_in), dpi=options.width_px / width_in,
                 facecolor="white")
    FigureCanvasAgg(fig)
    text_w_pt = (width_in - 2 * margin) * 72
    title_text = wrap_text(title, text_w_pt, _TextMeasure(fig, TITLE_PT, bold=True))
    sentence_text = wrap_text(sentence, text_w_pt, _TextMeasure(fig, 12.5))

    def fy(inches_from_bottom: float) -> float:
        return inches_from_bottom / height_in

    def fx(inches_from_left: float) -> float:
        return inches_from_left / width_in

    if header:
        _banner(fig, options.banner, fy(height_in - banner_in), fy(banner_in))
        _banner(fig, options.banner, 0.0, fy(banner_in))
        top = height_in - banner_in - 0.1
        _text(fig, fx(margin), fy(top), title_text, fontsize=TITLE_PT, fontweight="bold",
              va="top", gid="title", linespacing=1.15)
        top -= TITLE_PT * 1.15 / 72 * (title_text.count("\n") + 1) + 0.05
        _text(fig, fx(margin), fy(top), sentence_text, fontsize=12.5, va="top",
              color="#222222", gid="sentence", linespacing=1.15)
        top -= 12.5 * 1.15 / 72 * (sentence_text.count("\n") + 1) + 0.1
    else:
        top = height_in - 0.1

    if header:
        footer = (f"ISKP Risk Atlas {product_version()} · generated "
                  f"{utc_timestamp(options.generated)} · query: "
                  f"{urlencode(resolved.spec.to_params()) or '(none: full bundled view)'}")
        sources_text = wrap_text(sources_line(resolved), text_w_pt, _TextMeasure(fig, 7.5))
        bottom = banner_in + 0.06
        _text(fig, fx(margin), fy(bottom), footer, fontsize=7.5, color="#555555",
              va="bottom", gid="footer")
        bottom += 0.16
        _text(fig, fx(margin), fy(bottom), sources_text, fontsize=7.5, color="#444444",
              va="bottom", gid="sources", linespacing=1.25)
        bottom += 7.5 * 1.25 / 72 * (sources_text.count("\n") + 1) + 0.08
    else:
        bottom, footer, sources_text = 0.1, "", ""

    x0, y0, x1, y1 = _extent_metric(resolved.bounds)
    map_h = top - bottom
    panel_w = min(LEGEND_PANEL_IN, 0.3 * width_in)
    map_w = width_in - 2 * margin - 0.25 - panel_w
    ax = fig.add_axes((fx(margin), fy(bottom), fx(map_w), fy(map_h)), gid="map")
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    x0, y0, x1, y1 = _fit_extent((x0, y0, x1, y1), map_w / map_h)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    tolerance = max(x1 - x0, y1 - y0) / 4000
    drawn = _draw_layers(ax, resolved, tolerance)
    context_layers.draw_neighbours(ax, _to_metric, geometry_path)
    scale_bar = ScaleBar(1, "m", location="lower left", length_fraction=0.2, box_alpha=0.85,
                         font_properties={"size": 11}, scale_loc="top")
    ax.add_artist(scale_bar)
    lon0, lat0, lon1, lat1 = resolved.bounds
    arrow = _north_arrow(ax, ((lon0 + lon1) / 2, (lat0 + lat1) / 2))
    renderer = fig.canvas.get_renderer()  # the names avoid the scale bar and north arrow
    # the scale bar's own extent is only its text: its box is reserved by its size
    frame = ax.get_window_extent(renderer)
    bar_box = Bbox.from_extents(frame.x0, frame.y0,
                                frame.x0 + (scale_bar.length_fraction + 0.05) * frame.width,
                                frame.y0 + 0.6 * fig.dpi)
    obstacles = [bar_box, *(a.get_window_extent(renderer).padded(4) for a in arrow)]
    labels = _place_labels(ax, resolved, obstacles)

    panel_left = margin + map_w + 0.25
    panel = fig.add_axes((fx(panel_left), fy(bottom), fx(panel_w), fy(map_h)), gid="panel")
    panel.set_axis_off()
    y, legend_labels = _draw_legend(panel, _legend_entries(resolved, drawn), 1.0, 10.0)
    as_of = f"Scores as of {resolved.as_of.isoformat()}"
    notes = [as_of, SCHEMATIC_NOTE, *resolved.notices]
    # the notes go under the legend and must end above the sources line: the type
    # shrinks (down to 7 pt) until the wrapped lines fit in the height that is left
    room_in = max(y - 0.01, 0.0) * map_h
    size = 9.5
    while True:
        measure = _TextMeasure(fig, size)
        notes_text = "\n".join(wrap_text(n, panel_w * 72, measure) for n in notes)
        lines = notes_text.count("\n") + 1
        if size <= 7.0 or lines * size * 1.3 / 72 <= room_in:
            break
        size = max(7.0, size - 0.5)
    _text(panel, 0.0, y - 0.01, notes_text, fontsize=size, va="top", color="#333333",
          gid="notes", linespacing=1.3)

    manifest = BriefingManifest(
        layers={k: v for k, v in drawn.items() if k != "incident_cells"},
        incident_cells=tuple(drawn.get("incident_cells", ())),
        legend=tuple(legend_labels),
        title=title,
        sentence=sentence,
        banner=options.banner.upper() if header else "",
        as_of=as_of,
        extent_lonlat=tuple(float(v) for v in resolved.bounds),
        texts=tuple(t for t in (notes_text, sources_text, footer) if t),
        labels=tuple(a.get_text() for a in labels),
    )
    return fig, manifest


def _figure_bytes(fig: Figure, fmt: str, dpi: float | None = None,
                  metadata: Mapping[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    extra = {"pil_kwargs": {"compress_level": 4}} if fmt == "png" else {}
    fig.savefig(buffer, format=fmt, dpi=dpi or fig.dpi, metadata=dict(metadata or {}), **extra)
    return buffer.getvalue()


def briefing_png(resolved: ResolvedMap, options: BriefingOptions | None = None) -> bytes:
    """The briefing slide as PNG bytes (``options.width_px`` wide, 16:9)."""
    fig, _ = briefing_figure(resolved, options)
    return _figure_bytes(fig, "png", metadata={
        "Title": fig_title(fig), "Software": f"ISKP Risk Atlas {product_version()}",
        "Description": resolved.sentence})


def fig_title(fig: Figure) -> str:
    """The text of a briefing figure's title artist ('' when there is none)."""
    for text in fig.texts:
        if text.get_gid() == "title":
            return text.get_text()
    return ""


# --- The one-page PDF -----------------------------------------------------------------------


def top_rows(resolved: ResolvedMap, layer: str, level: str, n: int = TOP_N
             ) -> list[dict[str, str]]:
    """The ``n`` highest-scoring rows of a scored layer, with their top contributors. In a
    view framed on one CPEC route, the segments are that route's."""
    frame = resolved.layer(layer)
    if frame.empty or "score" not in frame.columns:
        return []
    view = resolved.spec.view
    if layer == "segments" and view.kind == "route" and "route_id" in frame.columns:
        frame = frame[frame["route_id"] == view.value]
    top = frame.sort_values(["score", "id"], ascending=[False, True], kind="stable").head(n)
    rows = []
    for rec in top.to_dict(orient="records"):
        rows.append({
            "id": str(rec.get("id")),
            "name": str(rec.get("name") or rec.get("id")),
            "score": "" if pd.isna(rec.get("score")) else f"{float(rec['score']):.0f}",
            "band": str(rec.get("band") or ""),
            "trend": "" if pd.isna(rec.get("surge")) else str(rec.get("surge") or ""),
            "contributors": _contributors(resolved, rec, level),
        })
    return rows


def _contributors(resolved: ResolvedMap, rec: Mapping[str, Any], level: str) -> str:
    risk = resolved.risk
    if risk is not None and hasattr(risk, "explain"):
        try:
            explained = risk.explain(str(rec["id"]), level).head(3)
        except (KeyError, ValueError, IndexError):
            explained = None
        if explained is not None and len(explained):
            column = "record_id" if "record_id" in explained.columns else "id"
            total = float(rec.get("load") or 0) or float(explained["contribution"].sum())
            return ", ".join(
                f"{r[column]} {r.get('actor_canonical') or ''} "
                f"({100 * float(r['contribution']) / total:.0f}%)".replace("  ", " ")
                for r in explained.to_dict(orient="records")
                if float(r["contribution"]) >= 0.005 * total)
    top = rec.get("top_contributor")
    return "" if top is None or (isinstance(top, float) and np.isnan(top)) else str(top)


# Table layout: every cell is measured with the renderer's text extents; columns shrink
# from their natural width where that costs the fewest extra lines, and cells wrap (never
# cut). A segment's km range ("km 120–240") and one contributor ("INC-1 ISKP (40%)") are
# never split across lines.

TABLE_KEY = ("Tables: largest contributors are the records (id, actor) that add most to an "
             "area's load, with their share of it; the load sets the 0–100 score. Trend "
             "compares the latest period with the recent past.")
TABLE_FONT_PT = 6.5
TABLE_MIN_FONT_PT = 5.0
TABLE_GAP_PT = 7.0  # white space between two columns
TABLE_LINE = 1.22  # line pitch in font sizes
SWATCH_PT = 7.0  # the band swatch in front of the band's name
_KM_RANGE = re.compile(r"\bkm\s+(?=\d)")
_ID_PARTS = re.compile(r"[^_\-/.:]+[_\-/.:]*|[_\-/.:]+")
_ITEM_END = re.compile(r"(?<=%\)),\s+")


@dataclass(frozen=True)
class _Column:
    key: str
    heading: str
    breaks: str = "words"  # how the cell may wrap: words, id (after _ - / . :), items, never
    align: str = "left"


_TABLE_COLUMNS = (
    _Column("rank", "#", "never", "right"),
    _Column("name", "Name"),
    _Column("id", "ID", "id"),
    _Column("score", "Score", "never", "right"),
    _Column("band", "Band", "never"),
    _Column("trend", "Trend"),
    _Column("contributors", "Largest contributors (share of load)", "items"),
)


MEASURE_DPI = 600


_MEASURING = threading.local()


def _measuring_renderer() -> Any:
    """A small Agg renderer at MEASURE_DPI, one per thread (a web server draws briefings
    in several threads)."""
    if not hasattr(_MEASURING, "renderer"):
        from matplotlib.backends.backend_agg import RendererAgg

        _MEASURING.renderer = RendererAgg(8, 8, MEASURE_DPI)
    return _MEASURING.renderer


class _TextMeasure:
    """Widths in points of single-line strings at one font size (the figure's renderer)."""

    def __init__(self, fig: Figure, fontsize: float, bold: bool = False):
        from matplotlib.font_manager import FontProperties

        # measured at a high resolution, where the glyphs' hinting changes widths by
        # less than 1 %: at the page's 100 dpi, 5-7 pt text measures several % off
        self._renderer = _measuring_renderer()
        self._prop = FontProperties(size=fontsize, weight="bold" if bold else "normal")
        self._scale = 72.0 / MEASURE_DPI
        self._cache: dict[str, float] = {}
        self._space: float | None = None
        self.fontsize = fontsize

    def _word(self, word: str) -> float:
        if word not in self._cache:
            if len(word) > 40:  # e.g. hostile text without spaces: by characters
                self._cache[word] = sum(self._word(ch) for ch in word)
            else:
                w, _, _ = self._renderer.get_text_width_height_descent(
                    word, self._prop, ismath=False)
                self._cache[word] = w * self._scale
        return self._cache[word]

    def __call__(self, text: str) -> float:
        """The width of ``text`` (trailing spaces ignored): its words measured once each
        and cached, plus the spaces between them, plus 1 % for side bearings."""
        words = text.rstrip().split(" ")
        if self._space is None:
            self._space = self._word("x x") - self._word("xx")
        return 1.01 * (sum(self._word(w) for w in words) + self._space * (len(words) - 1))


def _tokens(text: str, breaks: str) -> list[str]:
    """The pieces a cell may wrap between, each with its trailing separator."""
    text = " ".join(str(text).split())
    if not text:
        return [""]
    if breaks == "never":
        return [text]
    if breaks == "id":
        return _ID_PARTS.findall(text)
    if breaks == "items":
        items = _ITEM_END.split(text)
        return [item + (", " if i < len(items) - 1 else "") for i, item in enumerate(items)]
    glued = _KM_RANGE.sub("km\u00a0", text)  # "km 120–240" stays on one line
    return [t.replace("\u00a0", " ") for t in re.findall(r"\S+\s*", glued)]


def _split_wide(token: str, width: float, measure: _TextMeasure) -> list[str]:
    """A token wider than ``width``: first at its spaces, then (a single unbroken run of
    characters, e.g. hostile text) by characters — wrapped, never cut."""
    if measure(token) <= width:
        return [token]
    words = re.findall(r"\S+\s*", token)
    if len(words) > 1:
        return [p for w in words for p in _split_wide(w, width, measure)]
    pieces, current = [], ""
    for ch in token:
        if current and measure(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return [*pieces, current] if current else pieces


def _wrap_measured(tokens: Sequence[str], width: float, measure: _TextMeasure) -> list[str]:
    """Greedy wrap of tokens into lines no wider than ``width`` points."""
    lines: list[str] = []
    current = ""
    for token in (p for t in tokens for p in _split_wide(t, width, measure)):
        if current and measure(current + token) > width:
            lines.append(current.rstrip())
            current = token
        else:
            current += token
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def wrap_text(text: str, width_pt: float, measure: _TextMeasure) -> str:
    """``text`` wrapped at its spaces to lines no wider than ``width_pt`` (measured)."""
    return "\n".join(_wrap_measured(_tokens(text, "words"), width_pt, measure))


@dataclass
class _TableLayout:
    widths: list[float]
    lines: list[list[list[str]]]  # row (0 = header) -> column -> lines

    def row_lines(self, row: int) -> int:
        return max(len(c) for c in self.lines[row])

    @property
    def total_lines(self) -> int:
        return sum(self.row_lines(r) for r in range(len(self.lines)))


def _layout_table(rows: Sequence[Sequence[str]], available: float, measure: _TextMeasure
                  ) -> _TableLayout:
    """Column widths that fit ``available`` points with the fewest wrapped lines: each
    column starts at its natural width (its widest cell on one line); while the table is
    too wide, the column whose narrowing adds the fewest lines is narrowed."""
    n_cols = len(_TABLE_COLUMNS)
    # the header row (rows[0]) wraps between words in every column
    cells = [[_tokens(row[c], "words" if r == 0 else _TABLE_COLUMNS[c].breaks)
              for c in range(n_cols)] for r, row in enumerate(rows)]
    extra = [SWATCH_PT + 2 if col.key == "band" else 0.0 for col in _TABLE_COLUMNS]
    natural = [max(measure("".join(r[c])) for r in cells) + extra[c] for c in range(n_cols)]
    cap = 0.35 * available  # a longer unbroken token wraps by characters
    minimum = [natural[c] if _TABLE_COLUMNS[c].breaks == "never" else
               max(min(max(measure(t) for t in r[c]), cap) for r in cells) + extra[c]
               for c in range(n_cols)]
    room = available - TABLE_GAP_PT * (n_cols - 1)
    cache: dict[tuple[int, float], list[list[str]]] = {}

    def wrapped(c: int, width: float) -> list[list[str]]:
        key = (c, round(width, 2))
        if key not in cache:
            cache[key] = [_wrap_measured(r[c], width - extra[c], measure) for r in cells]
        return cache[key]

    def total(columns: list[list[list[str]]]) -> int:
        return sum(max(len(col[r]) for col in columns) for r in range(len(cells)))

    widths = list(natural)
    columns = [wrapped(c, widths[c]) for c in range(n_cols)]
    step = max(2.0, 0.01 * room)
    while sum(widths) > room:
        best = None
        for c in range(n_cols):
            if widths[c] - minimum[c] < 0.01:
                continue
            target = max(minimum[c], widths[c] - step)
            trial = wrapped(c, target)
            # the column is as wide as its widest wrapped line
            tight = max(measure(line) for cell in trial for line in cell) + extra[c]
            tight = max(min(tight, target), minimum[c])
            score = total([*columns[:c], trial, *columns[c + 1:]])
            if best is None or (score, -widths[c]) < (best[0], -widths[best[1]]):
                best = (score, c, tight, trial)
        if best is None:  # every column at its minimum: the caller takes a smaller font
            break
        _, c, widths[c], columns[c] = best
    lines = [[columns[c][r] for c in range(n_cols)] for r in range(len(cells))]
    return _TableLayout(widths, lines)


def _table_rows(resolved: ResolvedMap, layer: str, level: str) -> list[tuple[str, ...]]:
    return [(str(rank), row["name"], row["id"], row["score"], row["band"], row["trend"],
             row["contributors"])
            for rank, row in enumerate(top_rows(resolved, layer, level), start=1)]


def _draw_table(fig: Figure, layout: _TableLayout, rows: Sequence[Sequence[str]],
                x0: float, y_top: float, fontsize: float, page_h_pt: float,
                page_w_pt: float) -> float:
    """Draw a laid-out table (header row first) from ``y_top`` (figure fraction); returns
    the y under it. Alternate rows are shaded; the band column has its swatch."""
    pitch = fontsize * TABLE_LINE / page_h_pt
    pad = 1.2 / page_h_pt
    xs = [x0]
    for w in layout.widths[:-1]:
        xs.append(xs[-1] + (w + TABLE_GAP_PT) / page_w_pt)
    full_w = (sum(layout.widths) + TABLE_GAP_PT * (len(xs) - 1)) / page_w_pt
    y = y_top
    band_col = [c.key for c in _TABLE_COLUMNS].index("band")
    for r, row_cells in enumerate(layout.lines):
        height = layout.row_lines(r) * pitch + 2 * pad
        if r > 0 and r % 2 == 0:
            fig.add_artist(Rectangle((x0 - 2 / page_w_pt, y - height), full_w + 4 / page_w_pt,
                                     height, transform=fig.transFigure, facecolor="#f1f3f5",
                                     edgecolor="none", zorder=0, gid="table_shade"))
        for c, (column, cell) in enumerate(zip(_TABLE_COLUMNS, row_cells, strict=True)):
            x = xs[c]
            if r > 0 and c == band_col:
                fig.add_artist(Rectangle(
                    (x, y - pad - 0.8 * fontsize / page_h_pt), SWATCH_PT * 0.8 / page_w_pt,
                    0.72 * fontsize / page_h_pt,
                    transform=fig.transFigure, gid="band_swatch",
                    facecolor=style.band_colour(rows[r][c]), edgecolor="#777777", lw=0.3))
                x += (SWATCH_PT + 2) / page_w_pt
            if column.align == "right":
                x, ha = xs[c] + layout.widths[c] / page_w_pt, "right"
            else:
                ha = "left"
            # one artist per line on a common baseline, so the cells of a row line up
            # whatever their glyphs (va="top" aligns each text by its own ink)
            for i, line in enumerate(cell):
                _text(fig, x, y - pad - (0.8 + i * TABLE_LINE) * fontsize / page_h_pt, line,
                      fontsize=fontsize, va="baseline", ha=ha,
                      color="#555555" if r == 0 else "black",
                      gid="table_header" if r == 0 else "table_cell")
        y -= height
    return y


def briefing_pdf_figure(resolved: ResolvedMap, options: BriefingOptions | None = None
                        ) -> tuple[Figure, BriefingManifest]:
    """The one-page PDF as a Figure: map image, sentence, top 10 areas/segments/sites with
    their top contributors, sources. The manifest's ``texts`` hold the table rows.

    The tables are laid out first, with measured text (see :func:`_layout_table`); the
    map image takes the height that is left (at most the page's width at the slide's
    shape). If the tables would leave the map less than a third of the page, their type
    gets smaller (down to 5 pt)."""
    options = options or BriefingOptions()
    title_src = options.title or default_title(resolved)
    page_w, page_h = A4_PORTRAIT_IN
    page_w_pt, page_h_pt = page_w * 72, page_h * 72
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    left, content_w = 0.04, 0.92
    content_pt = content_w * page_w_pt
    banner_h = 0.025
    _banner(fig, options.banner, 1 - banner_h, banner_h)
    _banner(fig, options.banner, 0.0, banner_h)
    title = wrap_text(title_src, content_pt, _TextMeasure(fig, 10.5, bold=True))
    sentence = wrap_text(resolved.sentence, content_pt, _TextMeasure(fig, 8.5))
    y = 1 - banner_h - 0.012
    _text(fig, left, y, title, fontsize=10.5, fontweight="bold", va="top", gid="title",
          linespacing=1.2)
    y -= (title.count("\n") + 1) * 10.5 * 1.2 / page_h_pt + 0.006
    _text(fig, left, y, sentence, fontsize=8.5, va="top", gid="sentence", linespacing=1.2)
    y -= (sentence.count("\n") + 1) * 8.5 * 1.2 / page_h_pt + 0.008
    image_top = y

    footer = (f"ISKP Risk Atlas {product_version()} · generated "
              f"{utc_timestamp(options.generated)} · query: "
              f"{urlencode(resolved.spec.to_params()) or '(none: full bundled view)'}")
    sources = (f"{TABLE_KEY} {SCHEMATIC_NOTE} Scores as of {resolved.as_of.isoformat()}. "
               + sources_line(resolved))
    sources_text = wrap_text(sources, content_pt, _TextMeasure(fig, 5.8))
    footer_text = wrap_text(footer, content_pt, _TextMeasure(fig, 5.8))
    _text(fig, left, banner_h + 0.006, footer_text, fontsize=5.8, va="bottom",
          color="#555555", gid="footer", linespacing=1.25)
    sources_y = banner_h + 0.01 + (footer_text.count("\n") + 1) * 5.8 * 1.25 / page_h_pt
    _text(fig, left, sources_y, sources_text, fontsize=5.8, va="bottom",
          color="#333333", gid="sources", linespacing=1.25)
    sources_top = sources_y + (sources_text.count("\n") + 1) * 5.8 * 1.25 / page_h_pt

    route = (f": {_route_name(resolved, resolved.spec.view.value)}"
             if resolved.spec.view.kind == "route" else "")
    tables = [(heading + (route if layer == "segments" else ""),
               _table_rows(resolved, layer, level)) for layer, level, heading in _LEVELS]
    header = tuple(c.heading for c in _TABLE_COLUMNS)
    slide_ratio = SLIDE_SIZE_IN[1] / SLIDE_SIZE_IN[0]
    image_min = 0.8 * content_w * page_w * slide_ratio / page_h  # about the slide's shape
    image_max = 0.5
    fontsize = TABLE_FONT_PT
    while True:
        measure = _TextMeasure(fig, fontsize)
        layouts = [_layout_table([header, *rows], content_pt, measure) if rows else None
                   for _, rows in tables]
        pitch = fontsize * TABLE_LINE / page_h_pt
        heading_h = 8.5 * 1.45 / page_h_pt
        tables_h = sum(heading_h + (lay.total_lines * pitch + 2.4 / page_h_pt
                                    * len(lay.lines) if lay else pitch)
                       + 0.6 * pitch + 0.004 for lay in layouts)
        fits = all(lay is None or sum(lay.widths) + TABLE_GAP_PT * (len(lay.widths) - 1)
                   <= content_pt + 0.5 for lay in layouts)
        image_h = min(image_max, image_top - 0.012 - tables_h - sources_top - 0.01)
        if (fits and image_h >= image_min) or fontsize <= TABLE_MIN_FONT_PT:
            break
        fontsize = max(TABLE_MIN_FONT_PT, fontsize - 0.25)
    image_h = max(image_h, 0.2)
    # the map area is drawn as a slide as wide as the widescreen one (same type sizes,
    # scaled down alike), as tall as the page leaves: a taller map, not a smaller one
    slide_h = SLIDE_SIZE_IN[0] * image_h * page_h / (content_w * page_w)
    slide, slide_manifest = briefing_figure(
        resolved, BriefingOptions(options.banner, options.title, MIN_WIDTH_PX,
                                  options.generated), header=False,
        size_in=(SLIDE_SIZE_IN[0], slide_h))
    slide.canvas.draw()
    image = np.asarray(slide.canvas.buffer_rgba())
    img_ax = fig.add_axes((left, image_top - image_h, content_w, image_h), gid="map_image")
    img_ax.imshow(image, interpolation="none")
    img_ax.set_axis_off()

    rows_text: list[str] = []
    y = image_top - image_h - 0.012
    for (heading, rows), layout in zip(tables, layouts, strict=True):
        _text(fig, left, y, f"Top {TOP_N}: {heading}", fontsize=8.5, fontweight="bold",
              va="top", gid="table_heading")
        y -= heading_h
        if layout is None:
            _text(fig, left, y, "nothing scored in this view", fontsize=fontsize, va="top",
                  gid="table_cell")
            y -= pitch
        else:
            y = _draw_table(fig, layout, [header, *rows], left, y, fontsize, page_h_pt,
                            page_w_pt)
            rows_text.extend(f"{r[0]} | {r[1]} ({r[2]}) | " + " | ".join(r[3:])
                             for r in rows)
        y -= 0.6 * pitch + 0.004
    manifest = BriefingManifest(
        layers=slide_manifest.layers, incident_cells=slide_manifest.incident_cells,
        legend=slide_manifest.legend, title=slide_manifest.title,
        sentence=resolved.sentence, banner=options.banner.upper(),
        as_of=slide_manifest.as_of, extent_lonlat=slide_manifest.extent_lonlat,
        texts=(*rows_text, sources),
    )
    return fig, manifest


def briefing_pdf(resolved: ResolvedMap, options: BriefingOptions | None = None) -> bytes:
    """The one-page briefing as PDF bytes (A4 portrait)."""
    fig, manifest = briefing_pdf_figure(resolved, options)
    return _figure_bytes(fig, "pdf", dpi=200, metadata={
        "Title": manifest.title, "Subject": resolved.sentence,
        "Creator": f"ISKP Risk Atlas {product_version()}"})
