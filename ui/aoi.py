"""The area of interest in the session: typed as W,S,E,N in the sidebar, drawn on the Risk
map, cleared by a button. The next run's spec (and the URL) carry it as ``aoi=``."""

from __future__ import annotations

import json

import streamlit as st

from mapspec.playback import aoi_from_drawing
from riskmodel.aoi import AoiError, parse_aoi
from ui.errors import md_escape


def set_aoi(param: str) -> bool:
    """Make ``param`` (the text after ``aoi=``, "" for none) the area of interest of the
    session; True when it changed. The next run writes it to the URL."""
    ss = st.session_state
    changed = ss.get("w_aoi", "") != param
    ss["w_aoi"] = param
    ss["w_aoi_text"] = param
    return changed


def _typed_aoi() -> None:
    ss = st.session_state
    text = str(ss.get("w_aoi_text") or "").strip()
    if not text:
        set_aoi("")
        return
    try:
        set_aoi(parse_aoi(text).to_param())
    except AoiError as exc:
        ss["aoi_warning"] = str(exc)
        ss["w_aoi_text"] = ss.get("w_aoi", "")


def _clear_aoi() -> None:
    set_aoi("")


def aoi_controls(container) -> None:
    """The typed bounding box and the "Clear area" button (drawing is on the Risk map)."""
    ss = st.session_state
    ss.setdefault("w_aoi_text", ss.get("w_aoi", ""))
    container.text_input(
        "Area of interest (W,S,E,N)",
        key="w_aoi_text",
        on_change=_typed_aoi,
        placeholder="e.g. 68,33,72,36 — or draw on the Risk map",
        help="A bounding box in degrees (west, south, east, north), or poly: and an "
        "encoded polygon. Records, scores, tables, the forecast and every export are "
        "limited to it.",
    )
    warning = ss.pop("aoi_warning", None)
    if warning:
        container.warning(md_escape(warning))
    if ss.get("w_aoi"):
        container.button("Clear area", key="w_aoi_clear", on_click=_clear_aoi)


def apply_drawing(drawing: object) -> bool:
    """React to st_folium's ``last_active_drawing`` once per new shape (its value stays the
    same over reruns and map redraws, so only a change is a new drawing): a rectangle sets
    ``aoi=W,S,E,N``, a polygon ``aoi=poly:…``. True when the area changed (rerun then)."""
    ss = st.session_state
    signature = json.dumps(drawing, sort_keys=True, default=str) if drawing else ""
    if signature == ss.get("_aoi_drawing_seen", ""):
        return False
    ss["_aoi_drawing_seen"] = signature
    try:
        aoi = aoi_from_drawing(drawing)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        ss["aoi_warning"] = str(exc)
        st.warning(f"That shape cannot be used as an area: {md_escape(exc)}")
        return False
    return aoi is not None and set_aoi(aoi.to_param())
