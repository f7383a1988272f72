"""Records: the filtered incidents and threats, sortable, with sources and a timeline."""

import streamlit as st

import ui

ui.page_frame()  # the app's frame, also for a deep link on a fresh server

resolved = ui.resolved(ui.current_spec())
incidents = resolved.layer("incidents")
threats = resolved.layer("threats")
st.title("Records")
ui.sentence_caption(resolved)
st.subheader(f"Incidents ({len(incidents):,})")
ui.records_dataframe(incidents, "incidents")
st.subheader("Events per month by actor")
st.bar_chart(ui.monthly_counts(incidents), x_label="month", y_label="incidents")
st.subheader(f"Threat records ({len(threats):,})")
ui.records_dataframe(threats, "threats")
