"""Time playback of the Risk map: which months can be shown, a spec for one month, the next
month, and an area of interest from a shape drawn on the map. Pure logic (no streamlit).

A frame is a month ``YYYY-MM`` (the filter ``frame=``): the map then shows the records up
to the end of that month and the scores as of then (see :mod:`riskmodel.filters`). The
last month of the range is the view without a frame, so a link only carries ``frame=``
when the user moved back in time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from itertools import pairwise

import pandas as pd

from mapspec.spec import MapSpec
from riskmodel.aoi import Aoi, bbox_aoi, polygon_aoi


def playback_months(spec: MapSpec, first: date, last: date) -> list[str]:
    """The months from the filter's ``from`` (else ``first``, the oldest record) to its
    ``to`` (else ``last``, the newest record), as ``YYYY-MM``, oldest first."""
    f = spec.filters
    start = pd.Period(f.date_from or first, "M")
    end = pd.Period(min(f.date_to, last) if f.date_to else last, "M")
    if end < start:
        end = start
    return [str(p) for p in pd.period_range(start, end, freq="M")]


def frame_spec(spec: MapSpec, frame: str | None, months: list[str]) -> MapSpec:
    """``spec`` showing ``frame``; the last month (or none) is the view without a frame."""
    value = frame if frame and months and frame != months[-1] and frame in months else None
    return replace(spec, filters=replace(spec.filters, frame=value))


def next_frame(frame: str | None, months: list[str]) -> str | None:
    """The month after ``frame`` (the first month after the last: playback loops), or None
    when there are no months."""
    if not months:
        return None
    if frame not in months:
        return months[0]
    i = months.index(frame)
    return months[(i + 1) % len(months)]


def following(frame: str | None, months: list[str], n: int) -> list[str]:
    """The n months after ``frame`` (the ones playback or the next step will show; fewer
    when the months run out, playback looping to the first)."""
    out: list[str] = []
    for _ in range(n):
        frame = next_frame(frame, months)
        if frame is None or frame in out:
            break
        out.append(frame)
    return out


def shown_frame(
    stored: str | None, months: list[str], playing: bool, next_ready: Callable[[str], bool]
) -> str | None:
    """The month a playback tick shows: the one in the session (``stored``; none or one
    out of range is the last month), or, while playing, the month after it when that one
    is ready (``next_ready``: prefetched); else the same month a tick longer."""
    if not months:
        return None
    frame = stored if stored in months else months[-1]
    if playing:
        ahead = next_frame(frame, months)
        if ahead is not None and next_ready(ahead):
            frame = ahead
    return frame


def frames_to_prefetch(shown: str, months: list[str], playing: bool) -> list[str]:
    """The months to resolve ahead: two while playing, the next one while someone steps
    by hand (a month before the last is shown), none on the whole view."""
    if playing:
        return following(shown, months, 2)
    if months and shown != months[-1]:
        return following(shown, months, 1)
    return []


def aoi_from_drawing(feature: Mapping | None) -> Aoi | None:
    """The area of interest of a shape drawn with Leaflet.draw (st_folium's
    ``last_active_drawing``: a GeoJSON Feature): a bounding box for a rectangle (an
    axis-aligned ring of four corners), else a polygon. None for anything else (a point, a
    line, nothing). Raises ValueError (riskmodel.aoi.AoiError) for a polygon that cannot be
    used, e.g. one that crosses itself."""
    if not isinstance(feature, Mapping):
        return None
    geometry = feature.get("geometry") if feature.get("type") == "Feature" else feature
    if not isinstance(geometry, Mapping) or geometry.get("type") != "Polygon":
        return None
    rings = geometry.get("coordinates") or []
    if not rings or not isinstance(rings[0], list):
        return None
    ring = [(float(p[0]), float(p[1])) for p in rings[0]]
    corners = set(ring)
    xs = sorted({x for x, _ in corners})
    ys = sorted({y for _, y in corners})
    axis_aligned = all(a[0] == b[0] or a[1] == b[1] for a, b in pairwise(ring))
    if len(corners) == 4 and len(xs) == 2 and len(ys) == 2 and axis_aligned:
        # 4 decimals (~10 m): a mouse cannot place a corner more closely at any zoom
        return bbox_aoi(*(round(v, 4) for v in (xs[0], ys[0], xs[1], ys[1])))
    return polygon_aoi(ring)
