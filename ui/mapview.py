"""The map on the page: the offline Leaflet files, the styled layers of a view (cached
with it) and the st_folium call; the filter sentence under every map."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from mapspec import offline
from mapspec.drawing import add_drawing
from mapspec.folium_map import LayerData, asset_urls, map_layers, map_parts
from mapspec.resolved import ResolvedMap
from ui.errors import md_escape
from ui.loaders import APP_DIR, view_key


@st.cache_resource(show_spinner=False)
def _install_offline_assets() -> int:
    """Copy Leaflet/plugin files into ``static/`` (once per process)."""
    return len(offline.install_assets(APP_DIR / "static"))


def prepare_offline_assets() -> int:
    """Copy the Leaflet/plugin files into the app's ``static/`` folder (once per process;
    each map points at them itself: :func:`mapspec.offline.localise` in :func:`render_map`)."""
    return _install_offline_assets()


@st.cache_resource(show_spinner=False, max_entries=32)
def _map_layers(
    params_key: tuple[tuple[str, str], ...],
    signature: tuple[str, str | None],
    _resolved: ResolvedMap,
) -> tuple[LayerData, ...]:
    """The styled GeoJSON of a resolved view, cached by the same key as the view (the
    resolved map itself is not hashed). Shared read-only between sessions."""
    return map_layers(_resolved)


def render_map(
    resolved_map: ResolvedMap,
    key: str = "risk_map",
    height: int = 620,
    transform: Callable[[LayerData], LayerData] | None = None,
    draw: bool = False,
) -> dict | None:
    """Draw the folium map without reruns on pan/zoom. ``transform`` may restyle a layer
    (it gets the cached, shared layers: it must return new ones, e.g.
    :func:`mapspec.context_layers.highlight_route`). With ``draw`` the map has the drawing
    toolbar and the area outline (:func:`mapspec.drawing.add_drawing`), and returns
    st_folium's value (only a drawing reruns the app: ``returned_objects`` is the last
    drawing alone).

    The map goes to the browser in two parts (:func:`mapspec.folium_map.map_parts`): the
    base map, which does not change from one playback month to the next, and the month's
    layers as ``feature_group_to_add``. While the base map stays the same, streamlit-folium
    keeps the Leaflet map in the browser (its zoom, its pan, the legend's fold) and only
    swaps the layers, so a playback step does not blank the map."""
    from streamlit_folium import st_folium

    layers = _map_layers(*view_key(resolved_map), resolved_map)
    if transform is not None:
        layers = tuple(transform(layer) for layer in layers)
    fmap, groups, control = map_parts(resolved_map, height_px=height, layers=layers)
    if draw:
        add_drawing(fmap, resolved_map.spec.filters.aoi)
    # every asset from the app itself (the map's own elements point at the local copies;
    # folium's classes stay as shipped); fail loudly if anything would still go out
    offline.localise(fmap, *groups)
    offline.assert_no_remote_urls(
        asset_urls(fmap) + [u for g in groups for u in asset_urls(g)], "the risk map"
    )
    # render=False: st_folium renders the map itself once more anyway; letting it also
    # render the whole figure first only doubles the work (same HTML either way). The
    # scripts are loaded once, with the base map: a point mode with its own script (heat)
    # is another base map.
    return st_folium(
        fmap,
        key=f"{key}-{resolved_map.point_mode}",
        height=height,
        use_container_width=True,
        feature_group_to_add=groups,
        layer_control=control,
        returned_objects=["last_active_drawing"] if draw else [],
        render=False,
    )


def sentence_caption(resolved_map: ResolvedMap) -> None:
    """The filter sentence, under every map and export."""
    st.caption(f"**{md_escape(resolved_map.sentence)}** · as of {resolved_map.as_of}")
