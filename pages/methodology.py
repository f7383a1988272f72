"""Methodology: formulas, presets, weights, bands, provenance and licences (rendered from
the documents in the repository, not copied)."""

import streamlit as st

import ui

ui.page_frame()  # the app's frame, also for a deep link on a fresh server

st.title("Methodology and sources")
for title, text in ui.methodology_documents():
    with st.expander(title, expanded=title.startswith("Risk model")):
        st.markdown(text)
