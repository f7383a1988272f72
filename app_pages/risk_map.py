"""Risk map: the layered, offline map of the current filters, the time playback, the area
of interest drawn on it, and the top areas."""

import streamlit as st

import ui
from mapspec import tables
from mapspec.playback import frame_spec, next_frame


st.title("Risk map")
_PLAYING = "_playback_playing"


def _following(frame: str, months: list[str], n: int) -> list[str]:
    """The n months after ``frame`` (the ones playback or the next step will show)."""
    out: list[str] = []
    for _ in range(n):
        frame = next_frame(frame, months)
        if frame in out:
            break
        out.append(frame)
    return out


def _moved() -> None:
    """The user moved the month slider (or it was played): that month is shown."""
    st.session_state["w_frame"] = st.session_state["w_frame_slider"]


def _map_and_tables() -> None:
    """One playback step: the month control, the map, the sentence and the top areas. A
    fragment, so stepping (by hand or playing) reruns this part only."""
    ss = st.session_state
    months = ui.frame_months(ui.current_spec())
    frame = ss.get("w_frame") or months[-1]
    if frame not in months:
        frame = months[-1]
    if ss.get(_PLAYING):
        ahead = next_frame(frame, months)
        # step when the next month is ready (prefetched), else show this one a tick longer
        if ui.view_ready(frame_spec(ui.current_spec(), ahead, months)):
            frame = ahead
    if ss.get("w_frame_slider") != frame:
        ss["w_frame_slider"] = frame
    play, month = st.columns([1, 7], vertical_alignment="bottom")
    if play.button("Pause" if ss.get(_PLAYING) else "Play", key="w_play",
                   help="Step through the months: incidents up to the end of each month, "
                        "scores as of then", width="stretch"):
        ss[_PLAYING] = not ss.get(_PLAYING)
        if ss[_PLAYING] and frame == months[-1]:
            ss["w_frame"] = months[0]  # start again from the first month
        st.rerun(scope="app")  # the fragment's timer is set when the page runs
    month.select_slider("Month shown", options=months, key="w_frame_slider",
                        on_change=_moved, disabled=len(months) < 2)
    spec = ui.set_frame(ss["w_frame_slider"], months)
    if ss.get(_PLAYING) and ss["w_frame_slider"] == months[-1]:
        ss[_PLAYING] = False  # played through: stop at the whole view
        st.rerun(scope="app")
    resolved = ui.resolved(spec)
    value = ui.render_map(resolved, draw=True)
    if ui.apply_drawing((value or {}).get("last_active_drawing")):
        ss[_PLAYING] = False
        st.rerun(scope="app")  # the area filters every page: the sidebar and URL follow
    ui.sentence_caption(resolved)
    shown = ss["w_frame_slider"]
    if ss.get(_PLAYING) or shown != months[-1]:  # someone is stepping through time
        ui.prefetch_views([frame_spec(spec, m, months) for m in
                           _following(shown, months, 2 if ss.get(_PLAYING) else 1)])
    for notice in resolved.notices:
        st.info(notice)

    st.subheader("Highest-risk areas and why")
    # Static tables in <details> blocks: an interactive grid or a level switch here would
    # load more script before the map is drawn, and switching would rerun the page. The
    # Records page has the sortable tables.
    st.html("".join(
        tables.collapsible(title, tables.html_table(ui.top_areas(resolved, level, n=10)),
                           open_=level == "province")
        for level, title in (("province", "Provinces / admin-1"),
                             ("segment", "CPEC segments"), ("site", "Sensitive sites"))))


def _guarded() -> None:
    # Inside a fragment an exception would not reach the page's friendly_errors (Streamlit
    # handles it for the fragment): catch it here the same way.
    with ui.friendly_errors("risk-map"):
        _map_and_tables()


st.fragment(_guarded,
            run_every=ui.PLAY_INTERVAL_S if st.session_state.get(_PLAYING) else None)()
