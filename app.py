"""ISKP Risk Atlas — Streamlit entry point: ``streamlit run app.py``.

The frame only: page config, offline assets, the shared sidebar (-> MapSpec) and the
navigation. Pages live in ``app_pages/`` (not ``pages/``: Streamlit would also
run that folder as a legacy multipage app) and stay thin.
"""

from __future__ import annotations

import streamlit as st

import ui

# No page_icon or page icons: Streamlit fetches those from a font CDN.
st.set_page_config(page_title="ISKP Risk Atlas", layout="wide")
ui.prepare_offline_assets()

pages = [
    st.Page("app_pages/risk_map.py", title="Risk map", default=True, url_path="risk-map"),
    st.Page("app_pages/corridors.py", title="CPEC corridors", url_path="corridors"),
    st.Page("app_pages/records.py", title="Records", url_path="records"),
    st.Page("app_pages/forecast.py", title="Forecast", url_path="forecast"),
    st.Page("app_pages/export.py", title="Export", url_path="export"),
    st.Page("app_pages/data.py", title="Data", url_path="data"),
    st.Page("app_pages/watch.py", title="Watch", url_path="watch"),
    st.Page("app_pages/methodology.py", title="Methodology", url_path="methodology"),
]
navigation = st.navigation(pages)
with ui.friendly_errors("filters"):
    st.session_state["spec"] = ui.spec_from_state()
try:
    with ui.friendly_errors(navigation.url_path or "risk-map"):
        navigation.run()
finally:
    # After the page, so the map reaches the browser before the widgets; in `finally`,
    # so the sidebar stays even when a page stops early or fails.
    with ui.friendly_errors("sidebar"):
        ui.sidebar()
