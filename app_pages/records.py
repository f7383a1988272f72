"""Records: the filtered incidents and threats in analysts' words, with sources and a
timeline coloured by actor as on the map."""

import streamlit as st

import ui
from mapspec import charts, records_view

resolved = ui.resolved(ui.current_spec())
incidents = resolved.layer("incidents")
threats = resolved.layer("threats")
units = ui.data().admin1
unit_names = dict(zip(units["iso_3166_2"], units["name"], strict=True))
_CONFIG = {
    "Date": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
    "Source 1": st.column_config.LinkColumn("Source 1", display_text="open source 1"),
    "Source 2": st.column_config.LinkColumn("Source 2", display_text="open source 2"),
    "Killed": st.column_config.NumberColumn("Killed", format="%d"),
    "Injured": st.column_config.NumberColumn("Injured", format="%d"),
    "Summary": st.column_config.TextColumn("Summary", width="large"),
}

st.title("Records")
ui.sentence_caption(resolved)
st.subheader(f"Incidents ({len(incidents):,})")
st.dataframe(
    records_view.analyst_table(incidents, "incidents", unit_names),
    hide_index=True,
    width="stretch",
    column_config=_CONFIG,
)
st.subheader("Incidents per month by actor")
st.caption("Colours are the actors' colours on the map.")
if incidents.empty:
    st.info("No incidents match the filters.")
else:
    st.altair_chart(charts.monthly_actor_chart(incidents), width="stretch")
st.subheader(f"Threat records ({len(threats):,})")
st.caption(
    "Reported threats, warnings and propaganda naming a target; they raise the score "
    "of the provinces or units they concern."
)
st.dataframe(
    records_view.analyst_table(threats, "threats", unit_names),
    hide_index=True,
    width="stretch",
    column_config=_CONFIG,
)
