"""Risk map: the layered, offline map of the current filters, the time playback, the area
of interest drawn on it, and the top areas."""

import streamlit as st

import ui

st.title("Risk map")


def _map_and_tables() -> None:
    """One playback step: the month control, the map, the sentence and the top areas."""
    spec, months = ui.playback_month()
    resolved = ui.resolved(spec)
    ui.playback_map(resolved, months)
    st.subheader("Highest-risk areas and why")
    ui.top_area_tables(resolved)


ui.run_playback(_map_and_tables, "risk-map")
