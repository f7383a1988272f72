"""CPEC corridors: score profile along each route and the events behind each segment."""

import streamlit as st

import ui

ui.page_frame()  # the app's frame, also for a deep link on a fresh server

spec = ui.current_spec()
routes = ui.data().corridors
st.title("CPEC corridors")
st.caption("Routes are schematic: straight lines between sourced waypoints, not surveyed "
           "roads. Segments are about 25 km long.")
route_id = st.selectbox("Route", list(routes["route_id"]),
                        format_func=dict(zip(routes["route_id"], routes["name"],
                                             strict=True)).get)
resolved = ui.resolved(ui.with_view(spec, "route", route_id))
segments = resolved.layer("segments")
profile = segments[segments["route_id"] == route_id].sort_values("km_from")
st.line_chart(profile.set_index("km_from")["score"], x_label="km from start",
              y_label="risk score (0–100)")
ui.render_map(resolved, key="corridor_map", height=480)
ui.sentence_caption(resolved)
st.subheader("Segments and their contributing events")
st.dataframe(ui.segment_table(resolved, route_id), hide_index=True, width="stretch")
