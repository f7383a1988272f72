"""The layers drawn on the briefing map (areas, segments, border, sites, threats,
incidents or their grid cells), named by ``gid`` so tests can read what is drawn."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from matplotlib.collections import PathCollection

from geodata.spatial import has_geometry
from mapspec import palette, style
from mapspec.briefing.geometry import geometry_path, to_metric
from mapspec.briefing.options import MARKER_PT_PER_PX, TO_METRIC
from mapspec.folium_map import aggregate_points
from mapspec.resolved import ResolvedMap

# --- Drawing layers -------------------------------------------------------------------------


def _ids(frame: pd.DataFrame, column: str = "id") -> tuple[str, ...]:
    if column not in frame.columns:
        return tuple(str(i) for i in range(len(frame)))
    return tuple(str(v) for v in frame[column])


def shape_layer(
    ax: Any,
    frame: pd.DataFrame,
    *,
    gid: str,
    tolerance: float,
    facecolors: Any,
    edgecolors: Any,
    linewidths: float,
    zorder: float,
    linestyle: str = "solid",
    id_column: str = "id",
) -> tuple[str, ...]:
    geoms = frame.geometry.to_numpy() if len(frame) else np.array([], dtype=object)
    keep = has_geometry(geoms)
    if not keep.any():
        return ()
    metric = to_metric(geoms[keep])
    metric = shapely.simplify(metric, tolerance, preserve_topology=True)
    metric = shapely.orient_polygons(metric, exterior_cw=False)
    paths = [geometry_path(g) for g in metric]
    if not isinstance(facecolors, str):
        facecolors = np.asarray(facecolors, dtype=object)[keep].tolist()
    if not isinstance(edgecolors, str):
        edgecolors = np.asarray(edgecolors, dtype=object)[keep].tolist()
    ax.add_collection(
        PathCollection(
            paths,
            facecolors=facecolors,
            edgecolors=edgecolors,
            linewidths=linewidths,
            linestyles=linestyle,
            zorder=zorder,
            gid=gid,
            capstyle="round",
            joinstyle="round",
        ),
        autolim=False,
    )
    return tuple(np.asarray(_ids(frame, id_column), dtype=object)[keep].tolist())


def point_xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    geoms = frame.geometry.to_numpy() if len(frame) else np.array([], dtype=object)
    keep = has_geometry(geoms)
    if keep.any():
        x, y = TO_METRIC.transform(shapely.get_x(geoms[keep]), shapely.get_y(geoms[keep]))
        return keep, np.column_stack([x, y])
    return keep, np.zeros((0, 2))


def _marker_area(radius_px: np.ndarray) -> np.ndarray:
    """Scatter marker area (pt²) of a web-map marker radius in px (see MARKER_PT_PER_PX)."""
    return (2.0 * MARKER_PT_PER_PX * np.asarray(radius_px, float)) ** 2


def draw_layers(ax: Any, resolved: ResolvedMap, tolerance: float) -> dict[str, Any]:
    drawn: dict[str, Any] = {}
    areas = resolved.layer("areas")
    ax.add_collection(
        PathCollection(
            [
                geometry_path(g)
                for g in to_metric(
                    areas.geometry.to_numpy()[has_geometry(areas.geometry.to_numpy())]
                )
            ],
            facecolors="none",
            edgecolors="#9e9e9e",
            linewidths=0.4,
            zorder=0.5,
            gid="basemap",
        ),
        autolim=False,
    )
    if resolved.visible("areas"):
        drawn["areas"] = shape_layer(
            ax,
            areas,
            gid="areas",
            tolerance=tolerance,
            facecolors=[style.band_colour(b) for b in areas.get("band", [None] * len(areas))],
            edgecolors=style.COUNTRY_OUTLINE,
            linewidths=0.5,
            zorder=1,
        )
    if resolved.visible("border"):
        drawn["border"] = shape_layer(
            ax,
            resolved.layer("border"),
            gid="border",
            tolerance=tolerance,
            facecolors="none",
            edgecolors=style.BORDER_COLOUR,
            linewidths=1.6,
            zorder=3,
            linestyle="--",
            id_column="name",
        )
    if resolved.visible("segments"):
        seg = resolved.layer("segments")
        shape_layer(
            ax,
            seg,
            gid="segments_casing",
            tolerance=tolerance / 4,
            facecolors="none",
            edgecolors="#333333",
            linewidths=4.8,
            zorder=3.9,
        )
        drawn["segments"] = shape_layer(
            ax,
            seg,
            gid="segments",
            tolerance=tolerance / 4,
            facecolors="none",
            edgecolors=[style.band_colour(b) for b in seg.get("band", [None] * len(seg))],
            linewidths=3.2,
            zorder=4,
        )
    if resolved.visible("sites"):
        sites = resolved.layer("sites")
        keep, xy = point_xy(sites)
        colours = [style.band_colour(b) for b in sites.get("band", [None] * len(sites))]
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=90,
            marker=palette.SYMBOLS["sites"].mpl_marker,
            c=np.asarray(colours, dtype=object)[keep].tolist() or None,
            edgecolors=style.SITE_OUTLINE,
            linewidths=1.4,
            zorder=5,
            gid="sites",
        )
        drawn["sites"] = tuple(np.asarray(_ids(sites), dtype=object)[keep].tolist())
    if resolved.visible("threats"):
        threats = resolved.layer("threats")
        keep, xy = point_xy(threats)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=95,
            marker=palette.SYMBOLS["threats"].mpl_marker,
            c=style.THREAT_COLOUR,
            edgecolors="#444444",
            linewidths=1.4,
            linestyles="--",
            zorder=6,
            gid="threats",
        )
        drawn["threats"] = tuple(np.asarray(_ids(threats), dtype=object)[keep].tolist())
    if resolved.visible("incidents"):
        incidents = resolved.layer("incidents")
        if resolved.point_mode == "points":
            keep, xy = point_xy(incidents)
            shown = incidents[keep]
            colours = style.point_colours(shown, resolved.spec.colour_by)
            sizes = _marker_area(style.point_radius(style.severity(shown)))
            order = np.argsort(-sizes, kind="stable")  # big markers under small ones
            ax.scatter(
                xy[order, 0],
                xy[order, 1],
                s=sizes[order],
                c=colours[order].tolist() or None,
                edgecolors="white",
                linewidths=0.7,
                alpha=0.9,
                zorder=7,
                gid="incidents",
            )
            drawn["incidents"] = tuple(np.asarray(_ids(shown), dtype=object)[order].tolist())
        else:
            cells = aggregate_points(incidents)
            x, y = TO_METRIC.transform(cells["lon"].to_numpy(float), cells["lat"].to_numpy(float))
            radius = style.cell_radius(cells["count"])
            colours = [
                style.ACTOR_COLOURS.get(str(a), style.FALLBACK_COLOUR) for a in cells["top_actor"]
            ]
            ax.scatter(
                x,
                y,
                s=_marker_area(radius),
                c=colours or None,
                edgecolors="white",
                linewidths=0.7,
                alpha=0.85,
                zorder=7,
                gid="incident_cells",
            )
            drawn["incident_cells"] = tuple(
                (float(lon), float(lat), int(n))
                for lon, lat, n in zip(cells["lon"], cells["lat"], cells["count"], strict=True)
            )
    from mapspec import layers as registry  # layers with their own drawer (mapspec.layers)

    for layer in registry.LAYERS:
        if layer.briefing_drawer is not None and resolved.visible(layer.id):
            registry.function(layer.briefing_drawer)(ax, resolved, tolerance, drawn)
    return drawn
