"""The shared sidebar: the widgets of :data:`ui.state.WIDGETS` (the filters' multiselects
drawn from their entries, the others one by one) and the area-of-interest controls. Their
values are read by :func:`ui.state.spec_from_state` at the start of the next run."""

from __future__ import annotations

from datetime import date

import streamlit as st

from mapspec.spec import COLOUR_MODES, LAYER_LABELS, LAYER_ORDER, POINT_MODES
from riskmodel.settings import PRESETS
from ui.aoi import aoi_controls
from ui.loaders import choices_data
from ui.state import WIDGETS, Widget, view_choices, widget


def _filter_multiselects(container, bundle, main: bool) -> None:
    """The filters' multiselects of :data:`ui.state.WIDGETS` (the main ones or the others),
    in the table's order, each with its label and its choices for ``bundle``."""
    for w in WIDGETS:
        if w.choices is not None and w.main == main:
            _multiselect(container, w, w.choices(bundle))


def _multiselect(container, w: Widget, choices) -> None:
    container.multiselect(
        w.label,
        list(choices),
        key=w.key,
        format_func=lambda v: choices.get(v, v),
        placeholder="any",
    )


def sidebar() -> None:
    """Draw the shared sidebar's widgets (their state is read by
    :func:`ui.state.spec_from_state` at the start of the next run)."""
    bundle = choices_data()
    ss = st.session_state
    sb = st.sidebar
    sb.header("Filters")
    lo, hi = ss["w_date_bounds"]
    chosen = [d for d in ss["w_dates"] if isinstance(d, date)]
    sb.date_input(
        "Date range",
        key="w_dates",
        min_value=min([lo, date(2000, 1, 1), *chosen]),
        max_value=max([hi, date.today(), *chosen]),
    )
    _filter_multiselects(sb, bundle, main=True)
    sb.selectbox(
        "Risk perspective",
        list(PRESETS),
        key=widget("perspective").key,
        format_func=lambda p: PRESETS[p].label,
    )
    aoi_controls(sb)
    hidden = ss.get("w_hidden", {})
    sb.toggle(
        "More filters and map options",
        key="w_more",
        help="Attack type, attribution, confidence, place, fatalities, half-life, "
        "layers and framing" + (f" (now set: {', '.join(sorted(hidden))})" if hidden else ""),
    )
    if not ss.get("w_more"):
        return
    _filter_multiselects(sb, bundle, main=False)
    sb.number_input("Minimum fatalities", min_value=0, step=1, key=widget("min_fatalities").key)
    sb.number_input(
        "Half-life in days (0 = default)",
        min_value=0.0,
        max_value=36500.0,
        step=30.0,
        key=widget("half_life").key,
    )
    sb.header("Map")
    sb.multiselect(
        "Layers",
        list(LAYER_ORDER),
        key=widget("layers").key,
        format_func=lambda n: LAYER_LABELS[n],
    )
    sb.radio("Colour incidents by", list(COLOUR_MODES), key=widget("colour").key, horizontal=True)
    sb.selectbox(
        "Incident drawing",
        list(POINT_MODES),
        key=widget("points").key,
        help="auto draws points up to a limit, then a grid aggregate",
    )
    views = view_choices(bundle)
    if ss["w_view"] not in views:  # a bbox from a link
        views.append(ss["w_view"])
    sb.selectbox(
        "Frame the map on",
        views,
        key=widget("view").key,
        format_func=lambda v: "All of Afghanistan and Pakistan" if v == "all" else v,
    )
