"""Charts of the Records and CPEC corridors pages (Altair specs, no Streamlit).

Colours come from :mod:`mapspec.palette`, so an actor or a band has the same colour in a
chart as on the map.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
from pyproj import Geod

from mapspec import palette

_GEOD = Geod(ellps="WGS84")


def monthly_by_actor(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per month and canonical actor, long form: ``month``, ``actor``,
    ``incidents``."""
    if incidents.empty:
        return pd.DataFrame(
            {
                "month": pd.Series(dtype="datetime64[ns]"),
                "actor": pd.Series(dtype=str),
                "incidents": pd.Series(dtype=int),
            }
        )
    months = incidents["date"].dt.to_period("M").dt.to_timestamp()
    return (
        pd.DataFrame({"month": months, "actor": incidents["actor_canonical"].astype(str)})
        .groupby(["month", "actor"])
        .size()
        .rename("incidents")
        .reset_index()
    )


def actor_colour_scale(actors) -> alt.Scale:
    """An Altair colour scale giving each actor its map colour."""
    domain, colours = palette.actor_scale(actors)
    return alt.Scale(domain=domain, range=colours)


def monthly_actor_chart(incidents: pd.DataFrame) -> alt.Chart:
    """Stacked bars: incidents per month, coloured by actor as on the map."""
    counts = monthly_by_actor(incidents)
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("yearmonth(month):T", title="Month"),
            y=alt.Y("sum(incidents):Q", title="Incidents", axis=alt.Axis(tickMinStep=1)),
            color=alt.Color("actor:N", title="Actor", scale=actor_colour_scale(counts["actor"])),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month"),
                alt.Tooltip("actor:N", title="Actor"),
                alt.Tooltip("incidents:Q", title="Incidents"),
            ],
        )
        .properties(height=260)
    )


def waypoint_km(waypoints: pd.DataFrame, route_id: str, length_km: float) -> pd.DataFrame:
    """Each waypoint of a route with its distance from the start in km (geodesic along
    the schematic line, scaled to the route's stated length): ``km``, ``name``."""
    wp = waypoints[waypoints["route"] == route_id].sort_values("seq")
    if wp.empty:
        return pd.DataFrame({"km": [], "name": []})
    lon, lat = wp["lon"].to_numpy(float), wp["lat"].to_numpy(float)
    legs = _GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])[2] / 1000.0 if len(wp) > 1 else []
    km = np.concatenate([[0.0], np.cumsum(legs)])
    if km[-1] > 0 and length_km:
        km = km * float(length_km) / km[-1]
    names = wp["waypoint"].astype(str).str.replace(r"\s*\(.*\)$", "", regex=True)
    return pd.DataFrame({"km": km.round(1), "name": names.to_numpy()})


def profile_chart(profile: pd.DataFrame, waypoints_km: pd.DataFrame) -> alt.LayerChart:
    """Score by km along a route on a fixed 0–100 axis, the five bands shaded behind it and
    the waypoints named along the km axis."""
    bands = pd.DataFrame(
        [{"band": b.name, "lower": b.lower, "upper": b.upper} for b in palette.BANDS]
    )
    km_max = float(
        max(
            profile["km_to"].max() if len(profile) else 0,
            waypoints_km["km"].max() if len(waypoints_km) else 0,
            1,
        )
    )
    x_scale = alt.Scale(domain=[0, km_max], nice=False)
    y_scale = alt.Scale(domain=[0, 100], nice=False, clamp=True)
    shade = (
        alt.Chart(bands)
        .mark_rect(opacity=0.35)
        .encode(
            y=alt.Y("lower:Q", scale=y_scale, title="Risk score (0–100)"),
            y2="upper:Q",
            color=alt.Color(
                "band:N",
                title="Band",
                scale=alt.Scale(
                    domain=list(palette.BAND_NAMES),
                    range=[palette.BAND_COLOURS[n] for n in palette.BAND_NAMES],
                ),
            ),
        )
    )
    steps = profile.assign(km_mid=(profile["km_from"] + profile["km_to"]) / 2)
    line = (
        alt.Chart(steps)
        .mark_line(
            interpolate="step",
            color="#222222",
            strokeWidth=2,
            point=alt.OverlayMarkDef(size=18, color="#222222"),
        )
        .encode(
            x=alt.X("km_mid:Q", scale=x_scale, title="km from the start of the route"),
            y=alt.Y("score:Q", scale=y_scale),
            tooltip=[
                alt.Tooltip("id:N", title="Segment"),
                alt.Tooltip("km_from:Q", title="from km", format=".0f"),
                alt.Tooltip("km_to:Q", title="to km", format=".0f"),
                alt.Tooltip("score:Q", title="Score", format=".1f"),
                alt.Tooltip("band:N", title="Band"),
                alt.Tooltip("n_events:Q", title="Events"),
            ],
        )
    )
    rules = (
        alt.Chart(waypoints_km)
        .mark_rule(color="#888888", strokeDash=[2, 3])
        .encode(x=alt.X("km:Q", scale=x_scale))
    )
    # waypoint names written up along their rules, from the top of the plot; a name closer
    # than 1/45 of the route to the previous one shown is left out (its rule stays)
    keep, last = [], -np.inf
    for km in waypoints_km["km"]:
        keep.append(km - last >= km_max / 45)
        if keep[-1]:
            last = km
    named = waypoints_km[keep] if len(waypoints_km) else waypoints_km
    names = (
        alt.Chart(named)
        .mark_text(angle=270, align="right", baseline="bottom", dy=-2, fontSize=9, color="#333333")
        .encode(x=alt.X("km:Q", scale=x_scale), y=alt.value(3), text="name:N")
    )
    return (
        alt.layer(shade, rules, line, names)
        .properties(height=300)
        .resolve_scale(color="independent")
    )
