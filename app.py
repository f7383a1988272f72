"""ISKP Risk Atlas — Streamlit entry point: ``streamlit run app.py``."""

from __future__ import annotations

import streamlit as st

from geodata import load_bundle

st.set_page_config(page_title="ISKP Risk Atlas", layout="wide")


@st.cache_resource(show_spinner="Loading bundled data…")
def bundle():
    """The bundled layers, loaded once per server process."""
    return load_bundle()


def overview() -> None:
    data = bundle()
    st.title("ISKP Risk Atlas")
    st.write(
        "Bundled layers: "
        + ", ".join(
            f"{name} ({len(getattr(data, name))})"
            for name in ("provinces", "pak_admin1", "border", "corridors", "incidents",
                         "threats", "sites")
        )
    )


st.navigation([st.Page(overview, title="Overview", default=True)]).run()
