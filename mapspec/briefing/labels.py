"""The map's names on the briefing image: places, countries and the top provinces, placed
without collisions with each other or with the map's furniture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from matplotlib.transforms import Bbox

from geodata import context
from mapspec import palette
from mapspec.briefing.options import TO_LONLAT, TO_METRIC, TOP_LABELS
from mapspec.resolved import ResolvedMap


def _equivalent_zoom(ax: Any, extent_lonlat: Sequence[float]) -> float:
    """The web map's zoom at which the view's width in degrees takes the map's width
    (at 96 px per inch): which place names the web map would show at this scale."""
    lon0, _, lon1, _ = extent_lonlat
    width_px = ax.get_window_extent().width / ax.figure.dpi * 96
    return float(np.log2(max(width_px, 1.0) * 360.0 / (256.0 * max(lon1 - lon0, 1e-6))))


def _label_candidates(
    resolved: ResolvedMap, extent: Sequence[float], zoom: float
) -> list[dict[str, Any]]:
    """Every name the slide may show, in the web map's order (capital, country, city; then
    the highest-scoring provinces, then towns — a province's score is what a briefing is
    about, a town only locates it), each group by importance."""
    lon0, lat0, lon1, lat1 = extent
    out: list[dict[str, Any]] = []
    gazetteer = context.places()
    gazetteer = gazetteer[gazetteer["min_zoom"] <= zoom + 0.5].sort_values(
        "population", ascending=False, kind="stable"
    )
    by_rank = {r: gazetteer[gazetteer["rank"] == r] for r in ("capital", "city", "town")}
    for rank in ("capital", "country", "city", "unit", "town"):
        if rank == "country":
            for rec in context.neighbour_countries().itertuples(index=False):
                out.append(
                    {
                        "lon": rec.label_lon,
                        "lat": rec.label_lat,
                        "dot": False,
                        "text": rec.name.upper(),
                        "gid": "country_label",
                        "kw": {"fontsize": 9.0, "color": palette.COUNTRY_LABEL_COLOUR},
                    }
                )
        elif rank == "unit":
            areas = resolved.layer("areas")
            if "score" not in areas.columns or not resolved.visible("areas"):
                continue
            top = (
                areas[areas["score"] > 0]
                .sort_values(["score", "id"], ascending=[False, True], kind="stable")
                .head(TOP_LABELS)
            )
            if not len(top):
                continue
            points = context.unit_label_points(top)
            for rec, score, shape in zip(
                points.itertuples(index=False), top["score"], top.geometry, strict=True
            ):
                out.append(
                    {
                        "lon": rec.geometry.x,
                        "lat": rec.geometry.y,
                        "dot": False,
                        "anchors": _inner_points(shape, rec.geometry),
                        "text": f"{rec.name} ({float(score):.0f})",
                        "gid": "unit_label",
                        "kw": {
                            "fontsize": 9.0,
                            "color": "#1f1f1f",
                            "style": "italic",
                            "fontweight": "bold",
                        },
                    }
                )
        else:
            for rec in by_rank[rank].itertuples(index=False):
                out.append(
                    {
                        "lon": rec.geometry.x,
                        "lat": rec.geometry.y,
                        "dot": True,
                        "text": rec.label,
                        "gid": "place_label",
                        "kw": {
                            "fontsize": 9.5 if rank != "town" else 8.5,
                            "color": palette.LABEL_COLOUR,
                            "fontweight": "bold" if rank == "capital" else "normal",
                        },
                    }
                )
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


_UNIT_SPOTS = (
    (0, 0),
    (0, 10),
    (0, -10),
    (28, 0),
    (-28, 0),
    (0, 20),
    (0, -20),
    (28, 14),
    (-28, -14),
    (28, -14),
    (-28, 14),
)
"""Offsets (points) tried in turn for a province's name around its label point."""


def place_labels(ax: Any, resolved: ResolvedMap, obstacles: Sequence[Any]) -> list[Any]:
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
    lons, lats = TO_LONLAT.transform([x0, x1, x0, x1], [y0, y0, y1, y1])
    extent = (min(lons), min(lats), max(lons), max(lats))
    zoom = _equivalent_zoom(ax, extent)
    halo = [pe.withStroke(linewidth=2.4, foreground=palette.LABEL_HALO)]
    taken = [b.expanded(1.0, 1.0) for b in obstacles]
    placed: list[Any] = []
    for cand in _label_candidates(resolved, extent, zoom):
        x, y = TO_METRIC.transform(cand["lon"], cand["lat"])
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            continue
        spots = (
            [
                ((5, 0), "left", "center"),
                ((-5, 0), "right", "center"),
                ((0, 5), "center", "bottom"),
                ((0, -5), "center", "top"),
            ]
            if cand["dot"]
            else [((dx, dy), "center", "center") for dx, dy in _UNIT_SPOTS]
        )
        dot_box = None
        if cand["dot"]:
            px, py = ax.transData.transform((x, y))
            r = 3.0 * fig.dpi / 72
            dot_box = Bbox.from_extents(px - r, py - r, px + r, py + r)
            if any(dot_box.overlaps(b) for b in taken):
                continue
        if not cand["dot"]:  # a province: other points inside it, nearest first
            ax_, ay_ = TO_METRIC.transform(
                *np.asarray(cand.get("anchors", [(cand["lon"], cand["lat"])]), float)
                .reshape(-1, 2)
                .T
            )
            spots = [
                (offset, ha, va, (float(px), float(py)))
                for px, py in zip(ax_, ay_, strict=True)
                for offset, ha, va in spots[:3]
            ] + [(offset, ha, va, (x, y)) for offset, ha, va in spots[3:]]
        else:
            spots = [(offset, ha, va, (x, y)) for offset, ha, va in spots]

        def label(
            offset: tuple[float, float],
            ha: str,
            va: str,
            xy: tuple[float, float],
            cand: dict[str, Any] = cand,
        ) -> Any:
            return ax.annotate(
                cand["text"],
                xy,
                xytext=offset,
                parse_math=False,
                textcoords="offset points",
                ha=ha,
                va=va,
                zorder=9,
                path_effects=halo,
                gid=cand["gid"],
                annotation_clip=False,
                **cand["kw"],
            )

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
            inside = (
                frame.x0 <= box.x0
                and box.x1 <= frame.x1
                and frame.y0 <= box.y0
                and box.y1 <= frame.y1
            )
            if inside and not any(box.overlaps(b) for b in taken):
                taken.append(box)
                if dot_box is not None:
                    taken.append(dot_box)
                    ax.plot(
                        x,
                        y,
                        "o",
                        ms=3.0,
                        color=palette.LABEL_COLOUR,
                        mec=palette.LABEL_HALO,
                        mew=0.7,
                        zorder=9,
                        gid="place_dot",
                    )
                placed.append(label(offset, ha, va, xy))
                break
    return placed
