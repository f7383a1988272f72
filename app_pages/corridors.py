"""CPEC corridors: one route framed and highlighted on the map, its score along the route
on a fixed 0–100 axis, and the segments with the records behind them."""

import streamlit as st

import ui
from mapspec import charts
from mapspec.context_layers import highlight_route

spec = ui.current_spec()
bundle = ui.data()
routes = bundle.corridors
st.title("CPEC corridors")
st.caption(
    "Routes are schematic: straight lines between sourced waypoints, not surveyed "
    "roads. Segments are about 25 km long."
)
names = dict(zip(routes["route_id"], routes["name"], strict=True))
route_id = st.selectbox("Route", list(routes["route_id"]), format_func=names.get)
route = routes[routes["route_id"] == route_id].iloc[0]
resolved = ui.resolved(ui.with_view(spec, "route", route_id))
segments = resolved.layer("segments")
profile = segments[segments["route_id"] == route_id].sort_values("km_from")

st.subheader("Risk along the route")
st.caption(
    "Score of each ~25 km segment from the start of the route (0–100, fixed scale; "
    "the shaded bands are the map's risk bands). Dashed lines mark the waypoints."
)
waypoints = charts.waypoint_km(bundle.waypoints, route_id, float(route["length_km"]))
st.altair_chart(charts.profile_chart(profile.drop(columns="geometry"), waypoints), width="stretch")

st.subheader("Map")
st.caption(f"{names[route_id]} is drawn wide in its risk colours; the other corridors are grey.")
ui.render_map(
    resolved,
    key="corridor_map",
    height=520,
    transform=lambda layer: highlight_route(layer, route_id) if layer.key == "corridors" else layer,
)
ui.sentence_caption(resolved)
for notice in resolved.notices:
    st.caption(notice)

st.subheader("Segments and their contributing records")
table = ui.segment_table(resolved, route_id)
if table.empty:
    st.info("This route has no segments.")
else:
    scored = int((table["score"] > 0).sum())
    st.caption(
        f"Highest scores first ({scored:,} of {len(table):,} segments score above 0); "
        "click a column title to sort by it."
    )
    table = table.assign(km_from=table["km"].str.split("–").str[0].astype(float))
    table = table.sort_values(["score", "km_from"], ascending=[False, True])
    st.dataframe(
        table[["segment", "km_from", "km", "score", "band", "events", "contributing records"]],
        hide_index=True,
        width="stretch",
        column_config={
            "segment": st.column_config.TextColumn("Segment"),
            "km_from": st.column_config.NumberColumn("From km", format="%d"),
            "km": st.column_config.TextColumn("km range"),
            "score": st.column_config.ProgressColumn(
                "Score (0–100)", min_value=0, max_value=100, format="%.1f"
            ),
            "band": st.column_config.TextColumn("Band"),
            "events": st.column_config.NumberColumn("Events"),
            "contributing records": st.column_config.TextColumn(
                "Contributing records", width="large"
            ),
        },
    )
