"""Risk map: the layered, offline map of the current filters, and the top areas."""

import streamlit as st

import ui
from mapspec import tables

ui.page_frame()  # the app's frame, also for a deep link on a fresh server

resolved = ui.resolved(ui.current_spec())
st.title("Risk map")
ui.render_map(resolved)
ui.sentence_caption(resolved)
for notice in resolved.notices:
    st.info(notice)

st.subheader("Highest-risk areas and why")
# Static tables in <details> blocks: an interactive grid or a level switch here would load
# more script before the map is drawn, and switching would rerun the page. The Records
# page has the sortable tables.
st.html("".join(
    tables.collapsible(title, tables.html_table(ui.top_areas(resolved, level, n=10)),
                       open_=level == "province")
    for level, title in (("province", "Provinces / admin-1"), ("segment", "CPEC segments"),
                         ("site", "Sensitive sites"))))
