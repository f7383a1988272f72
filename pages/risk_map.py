"""Risk map: the layered, offline map of the current filters, and the top areas."""

import streamlit as st

import ui
from mapspec import tables

resolved = ui.resolved(ui.current_spec())
st.title("Risk map")
ui.render_map(resolved)
ui.sentence_caption(resolved)
for notice in resolved.notices:
    st.info(notice)

st.subheader("Highest-risk areas and why")
level = st.radio("Level", ["province", "segment", "site"], horizontal=True,
                 format_func={"province": "Provinces / admin-1", "segment": "CPEC segments",
                              "site": "Sensitive sites"}.get)
# A static table: an interactive grid here would load ~1 MB of grid script before the
# map is drawn. The Records page has the sortable tables.
st.html(tables.html_table(ui.top_areas(resolved, level, n=10)))
