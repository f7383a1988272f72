"""The declarative map spec, filtering and renderers (no streamlit)."""
