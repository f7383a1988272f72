"""The tables next to a map, cached with their view: the top areas under the Risk map and
a route's segments on the CPEC page (the tables themselves are :mod:`mapspec.tables`)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from mapspec import tables
from mapspec.resolved import ResolvedMap
from ui.loaders import view_key


@st.cache_data(show_spinner=False, max_entries=128)
def _top_areas(
    params_key: tuple, signature: tuple, level: str, n: int, _resolved: ResolvedMap
) -> pd.DataFrame:
    return tables.top_areas(_resolved, level, n)


def top_areas(resolved_map: ResolvedMap, level: str, n: int = 10) -> pd.DataFrame:
    """The n highest-scoring areas of a level with their top contributors (cached with
    the view)."""
    return _top_areas(*view_key(resolved_map), level, n, resolved_map)


TOP_AREA_LEVELS = (
    ("province", "Provinces / admin-1"),
    ("segment", "CPEC segments"),
    ("site", "Sensitive sites"),
)


def prepare_top_areas(params_key: tuple, signature: tuple, resolved_map: ResolvedMap) -> None:
    """Fill the top-area tables' cache for a view (the playback prefetch does it for the
    months ahead, so a step only draws them)."""
    for level, _ in TOP_AREA_LEVELS:
        _top_areas(params_key, signature, level, 10, resolved_map)


def top_area_tables(resolved_map: ResolvedMap) -> None:
    """The ten highest-scoring provinces, CPEC segments and sites with their top
    contributors. Static tables in <details> blocks: an interactive grid or a level switch
    here would load more script before the map is drawn, and switching would rerun the
    page. The Records page has the sortable tables."""
    st.html(
        "".join(
            tables.collapsible(
                title,
                tables.html_table(top_areas(resolved_map, level, n=10)),
                open_=level == "province",
            )
            for level, title in TOP_AREA_LEVELS
        )
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _segment_table(
    params_key: tuple, signature: tuple, route_id: str, _resolved: ResolvedMap
) -> pd.DataFrame:
    return tables.segment_table(_resolved, route_id)


def segment_table(resolved_map: ResolvedMap, route_id: str) -> pd.DataFrame:
    """Segments of one route with score and contributing records (cached with the view)."""
    return _segment_table(*view_key(resolved_map), route_id, resolved_map)
