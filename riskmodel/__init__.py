"""Explainable, time-decayed risk scores (pure functions; no streamlit, no folium)."""
