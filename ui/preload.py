"""An empty component drawn in the sidebar before the page, so the browser has loaded
Streamlit's component runtime when the map arrives.

Streamlit loads the script that runs custom components (``ComponentInstance``) only when
the first component is drawn, and React shows that element only after the script has
come and its Suspense reveal throttle has passed. The map (streamlit-folium) was that
first component: measured in Chromium on the bundled data, the map's iframe was created
0.7–2.0 s after its message had arrived (the sidebar's widget scripts loading in the
same React commit). With this component drawn first, 0.14–0.7 s (docs/PERFORMANCE.md).

The component is a fixed local page (``component_runtime/index.html``): it tells
Streamlit it is ready, takes no height and is given no data.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components

_RUNTIME = components.declare_component(
    "atlas_component_runtime", path=str(Path(__file__).resolve().parent / "component_runtime")
)


def preload_component_runtime() -> None:
    """Draw the empty component at the top of the sidebar (call before the page)."""
    with st.sidebar:
        _RUNTIME(key="atlas_component_runtime", default=None)
