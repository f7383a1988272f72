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
import textwrap
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
from matplotlib_scalebar.scalebar import ScaleBar
from pyproj import Transformer

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
    return drawn


# --- Furniture ------------------------------------------------------------------------------


def _text(target: Any, x: float, y: float, s: str, **kwargs: Any) -> Any:
    """Literal text (no mathtext: '$' in data stays '$')."""
    return target.text(x, y, s, parse_math=False, **kwargs)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False,
                                   break_long_words=False)) or text


def _north_arrow(ax: Any, centre_lonlat: tuple[float, float]) -> None:
    lon, lat = centre_lonlat
    (x0, x1), (y0, y1) = _TO_METRIC.transform([lon, lon], [lat, lat + 0.5])
    dx, dy = x1 - x0, y1 - y0
    norm = float(np.hypot(dx, dy)) or 1.0
    ux, uy = 0.07 * dx / norm, 0.07 * dy / norm
    tip = (0.95, 0.95)
    ax.annotate("", xy=tip, xytext=(tip[0] - ux, tip[1] - uy), xycoords="axes fraction",
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=0.9",
                            "color": "black", "lw": 2.5}, zorder=20, gid="north_arrow")
    _text(ax, tip[0] - ux * 1.0, tip[1] - uy * 1.0 - 0.035, "N", transform=ax.transAxes,
          ha="center", va="center", fontsize=14, fontweight="bold", zorder=20,
          gid="north_arrow_label")


def _draw_context(ax: Any, resolved: ResolvedMap) -> None:
    """Neighbouring countries (grey, under everything) and names: countries, capitals and
    big cities, and the six highest-scoring provinces (mapspec.context_layers)."""
    context_layers.draw_neighbours(ax, _to_metric, geometry_path)
    areas = resolved.layer("areas")
    top = areas[areas["score"] > 0].nlargest(6, "score") if "score" in areas else areas.head(0)
    lon0, lat0, lon1, lat1 = resolved.bounds
    pad = 0.15 * max(lon1 - lon0, lat1 - lat0)
    context_layers.draw_place_labels(
        ax, _TO_METRIC.transform, (lon0 - pad, lat0 - pad, lon1 + pad, lat1 + pad),
        fontsize=9.0, unit_points=context_layers.unit_label_points(top) if len(top) else None)


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
    groups run in two columns. Returns the y below the legend and the labels drawn."""
    fig_h_pt = ax.bbox.height / ax.figure.dpi * 72
    inch = ax.figure.dpi / ax.bbox.width  # one inch in axes-width units
    step = fontsize * 1.55 / fig_h_pt
    y = top
    labels: list[str] = []
    groups: dict[str, list[LegendEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.layer, []).append(entry)
    for heading, items in groups.items():
        _text(ax, 0.0, y, heading, fontsize=fontsize, fontweight="bold", va="top",
              gid="legend_heading")
        y -= step
        columns = 2 if len(items) > 5 else 1
        rows = -(-len(items) // columns)
        for i, entry in enumerate(items):
            col, row = divmod(i, rows)
            x = min(0.5, 2.4 * inch) * col
            yy = y - row * step
            _legend_swatch(ax, x, yy - step * 0.35, entry, step, inch)
            _text(ax, x + 0.45 * inch, yy, entry.label, fontsize=fontsize * 0.92, va="top",
                  gid="legend_label")
            labels.append(entry.label)
        y -= rows * step + step * 0.35
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


def _chars(width_in: float, fontsize: float, bold: bool = False) -> int:
    """About how many characters of DejaVu Sans at ``fontsize`` fit in ``width_in``."""
    return max(20, int(width_in * 72 / (fontsize * (0.64 if bold else 0.56))))


def sources_line(resolved: ResolvedMap) -> str:
    """``Sources and licences: name (licence); …`` in one line."""
    return "Sources and licences: " + "; ".join(
        f"{s.get('name', '')} ({s.get('licence', '')})" if s.get("licence")
        else s.get("name", "") for s in data_sources(resolved))


def briefing_figure(resolved: ResolvedMap, options: BriefingOptions | None = None,
                    *, header: bool = True) -> tuple[Figure, BriefingManifest]:
    """The briefing slide as a matplotlib Figure (Agg canvas) and what it shows.

    Layout (16:9): handling banner, title, filter sentence; the map on the left (its width
    follows the view's shape) with scale bar and north arrow; legend and notes on the
    right; sources and a footer (version, time, query) at the bottom; banner again.
    ``header=False`` leaves out the banners, title and sentence (for the PDF, which
    prints its own) and makes the figure shorter by as much.
    """
    options = options or BriefingOptions()
    width_in, height_in = SLIDE_SIZE_IN
    margin = 0.2  # inches
    banner_in = 0.34 if header else 0.0
    title = options.title or default_title(resolved)
    sentence = resolved.sentence
    title_text = _wrap(title, _chars(width_in - 2 * margin, 18, bold=True))
    sentence_text = _wrap(sentence, _chars(width_in - 2 * margin, 12.5))
    header_in = 0.12 + 0.36 * (title_text.count("\n") + 1) + 0.06 \
        + 0.23 * (sentence_text.count("\n") + 1) + 0.12
    if not header:
        height_in -= 2 * 0.34 + header_in - 0.15
    fig = Figure(figsize=(width_in, height_in), dpi=options.width_px / width_in,
                 facecolor="white")
    FigureCanvasAgg(fig)

    def fy(inches_from_bottom: float) -> float:
        return inches_from_bottom / height_in

    def fx(inches_from_left: float) -> float:
        return inches_from_left / width_in

    if header:
        _banner(fig, options.banner, fy(height_in - banner_in), fy(banner_in))
        _banner(fig, options.banner, 0.0, fy(banner_in))
        top = height_in - banner_in - 0.12
        _text(fig, fx(margin), fy(top), title_text, fontsize=18, fontweight="bold",
              va="top", gid="title")
        top -= 0.36 * (title_text.count("\n") + 1) + 0.06
        _text(fig, fx(margin), fy(top), sentence_text, fontsize=12.5, va="top",
              color="#222222", gid="sentence")
        top = height_in - banner_in - header_in
    else:
        top = height_in - 0.15

    sources_text = _wrap(sources_line(resolved), _chars(width_in - 2 * margin, 7.5))
    footer = (f"ISKP Risk Atlas {product_version()} · generated "
              f"{utc_timestamp(options.generated)} · query: "
              f"{urlencode(resolved.spec.to_params()) or '(none: full bundled view)'}")
    bottom = banner_in + 0.08
    _text(fig, fx(margin), fy(bottom), footer, fontsize=7.5, color="#555555", va="bottom",
          gid="footer")
    bottom += 0.17
    _text(fig, fx(margin), fy(bottom), sources_text, fontsize=7.5, color="#444444",
          va="bottom", gid="sources", linespacing=1.25)
    bottom += 0.145 * (sources_text.count("\n") + 1) + 0.1

    x0, y0, x1, y1 = _extent_metric(resolved.bounds)
    map_h = top - bottom
    map_w = float(np.clip(map_h * (x1 - x0) / (y1 - y0), 0.45 * width_in, 0.66 * width_in))
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
    _draw_context(ax, resolved)
    ax.add_artist(ScaleBar(1, "m", location="lower left", length_fraction=0.22,
                           box_alpha=0.85, font_properties={"size": 11}, scale_loc="top"))
    lon0, lat0, lon1, lat1 = resolved.bounds
    _north_arrow(ax, ((lon0 + lon1) / 2, (lat0 + lat1) / 2))

    panel_left = margin + map_w + 0.3
    panel_w = width_in - margin - panel_left
    panel = fig.add_axes((fx(panel_left), fy(bottom), fx(panel_w), fy(map_h)), gid="panel")
    panel.set_axis_off()
    y, labels = _draw_legend(panel, _legend_entries(resolved, drawn), 1.0, 10.5)
    as_of = f"Scores as of {resolved.as_of.isoformat()}"
    notes = [as_of, SCHEMATIC_NOTE, *resolved.notices]
    # the notes go under the legend and must end above the sources line: the type
    # shrinks (down to 7 pt) until the wrapped lines fit in the height that is left
    room_in = max(y - 0.01, 0.0) * map_h
    size = 9.5
    while True:
        notes_text = "\n".join(_wrap(n, _chars(panel_w, size)) for n in notes)
        lines = notes_text.count("\n") + 1
        if size <= 7.0 or lines * size * 1.3 / 72 <= room_in:
            break
        size = max(7.0, size - 0.5)
    _text(panel, 0.0, y - 0.01, notes_text, fontsize=size, va="top", color="#333333",
          gid="notes", linespacing=1.3)

    manifest = BriefingManifest(
        layers={k: v for k, v in drawn.items() if k != "incident_cells"},
        incident_cells=tuple(drawn.get("incident_cells", ())),
        legend=tuple(labels),
        title=title,
        sentence=sentence,
        banner=options.banner.upper() if header else "",
        as_of=as_of,
        extent_lonlat=tuple(float(v) for v in resolved.bounds),
        texts=(notes_text, sources_text, footer),
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
    """The ``n`` highest-scoring rows of a scored layer, with their top contributors."""
    frame = resolved.layer(layer)
    if frame.empty or "score" not in frame.columns:
        return []
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


_COLUMNS_X = (0.04, 0.065, 0.385, 0.445, 0.51, 0.62)  # rank, name, score, band, trend, who


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def briefing_pdf_figure(resolved: ResolvedMap, options: BriefingOptions | None = None
                        ) -> tuple[Figure, BriefingManifest]:
    """The one-page PDF as a Figure: map image, sentence, top 10 areas/segments/sites with
    their top contributors, sources. The manifest's ``texts`` hold the table rows."""
    options = options or BriefingOptions()
    slide, slide_manifest = briefing_figure(
        resolved, BriefingOptions(options.banner, options.title, MIN_WIDTH_PX,
                                  options.generated), header=False)
    slide.canvas.draw()
    image = np.asarray(slide.canvas.buffer_rgba())
    page_w, page_h = A4_PORTRAIT_IN
    fig = Figure(figsize=A4_PORTRAIT_IN, dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    _banner(fig, options.banner, 0.975, 0.025)
    _banner(fig, options.banner, 0.0, 0.025)
    _text(fig, 0.04, 0.962, slide_manifest.title, fontsize=10.5, fontweight="bold", va="top",
          gid="title")
    _text(fig, 0.04, 0.942, _wrap(resolved.sentence, 120), fontsize=8.5, va="top",
          gid="sentence")
    img_h = 0.92 * page_w * image.shape[0] / image.shape[1] / page_h
    img_ax = fig.add_axes((0.04, 0.915 - img_h, 0.92, img_h), gid="map_image")
    img_ax.imshow(image, interpolation="none")
    img_ax.set_axis_off()

    rows_text: list[str] = []
    y = 0.915 - img_h - 0.015
    line = 0.0128
    for layer, level, heading in _LEVELS:
        rows = top_rows(resolved, layer, level)
        _text(fig, 0.04, y, f"Top {TOP_N}: {heading}", fontsize=8.5, fontweight="bold",
              va="top", gid="table_heading")
        y -= line * 1.15
        header = ("#", "name (id)", "score", "band", "trend", "largest contributors "
                  "(record, actor, share of load)")
        for x, label in zip(_COLUMNS_X, header, strict=True):
            _text(fig, x, y, label, fontsize=6.5, color="#555555", va="top", gid="table_cell")
        y -= line
        for rank, row in enumerate(rows, start=1):
            name = f"{_clip(row['name'], 47 - len(row['id']))} ({row['id']})"
            cells = (str(rank), name, row["score"], row["band"], _clip(row["trend"], 20),
                     _clip(row["contributors"], 62))
            fig.add_artist(Rectangle((_COLUMNS_X[3] - 0.013, y - line * 0.8), 0.008, line * 0.7,
                                     transform=fig.transFigure, gid="band_swatch",
                                     facecolor=style.band_colour(row["band"]),
                                     edgecolor="#777777", lw=0.3))
            for x, cell in zip(_COLUMNS_X, cells, strict=True):
                _text(fig, x, y, cell, fontsize=6.5, va="top", gid="table_cell")
            rows_text.append(" | ".join(cells))
            y -= line
        if not rows:
            _text(fig, 0.065, y, "nothing scored in this view", fontsize=6.5, va="top",
                  gid="table_cell")
            y -= line
        y -= line * 0.6
    sources = (f"{SCHEMATIC_NOTE} Scores as of {resolved.as_of.isoformat()}. "
               "Sources and licences: " + "; ".join(
                   f"{s.get('name', '')} ({s.get('licence', '')})"
                   for s in data_sources(resolved)))
    _text(fig, 0.04, 0.033, _wrap(sources, 175), fontsize=5.8, va="bottom",
          color="#333333", gid="sources")
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
