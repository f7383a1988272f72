"""Time playback on the Risk map: the Play/Pause button and the month slider, the month's
map, and the months ahead prepared on a background thread.

The page runs as a Streamlit fragment (:func:`run_playback`): a step reruns the map and
its tables only. The month rules (which months, which one is shown, which to prefetch)
are pure, in :mod:`mapspec.playback`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import streamlit as st

from mapspec.playback import frame_spec, frames_to_prefetch, playback_months, shown_frame
from mapspec.resolved import ResolvedMap
from mapspec.spec import MapSpec
from ui.aoi import apply_drawing
from ui.errors import LOG, friendly_errors
from ui.loaders import _params_key, _resolve_cached, data_signature, record_dates
from ui.mapview import _map_layers, render_map, sentence_caption
from ui.state import current_spec
from ui.tables import prepare_top_areas

PLAY_INTERVAL_S = 1.5
"""Seconds between two frames while playing (each step takes well under this)."""

_PLAYING = "_playback_playing"


def frame_months(spec: MapSpec) -> list[str]:
    """The months the playback steps through for ``spec`` (its dates, else the data's)."""
    return playback_months(spec, *record_dates())


PREFETCH_GRACE_S = 0.6
"""A month ahead is prepared no sooner than this after it was asked for: the step that
asked is still being sent and drawn then (about 0.5 s), and on two cores the prefetch's
CPU and GIL slowed it by ~0.05-0.1 s (docs/PERFORMANCE.md). Someone stepping by hand
looks at a month longer than that; a queued month (while playing) does not wait again."""


def _lowest_priority() -> None:
    """Run the prefetch thread at the lowest CPU priority (Linux: a thread's own nice
    value), so the browser and the page's own thread come first; elsewhere unchanged."""
    # not Linux, or not allowed: the same priority as before
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)


# Frames ahead of the one shown are resolved and styled, their layers' JSON written and
# their top-area tables made on one background thread (into the same caches the page
# reads), so a playback step only builds and sends the map and draws the tables (on a
# step that made them itself, the script ran ~1.2 s instead of ~0.13 s and its GIL
# slowed the step). The thread has no script context: it only fills cache entries.
_PREFETCH = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="atlas-playback", initializer=_lowest_priority
)
_PENDING: dict[tuple, Future] = {}
_PENDING_LOCK = threading.Lock()


class _QuietPrefetch(logging.Filter):
    """Drop Streamlit's "missing ScriptRunContext" warning for the prefetch thread (it
    runs without one on purpose)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.threadName.startswith("atlas-playback")


logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    _QuietPrefetch()
)


def _compute_view(
    params_key: tuple[tuple[str, str], ...], signature: tuple[str, str | None], asked_at: float
) -> None:
    wait = asked_at + PREFETCH_GRACE_S - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    try:
        resolved_map = _resolve_cached(params_key, signature)
        for layer in _map_layers(params_key, signature, resolved_map):
            if layer.kind == "geojson":
                layer.json_literal  # noqa: B018 - written now, not by the step that draws it
        prepare_top_areas(params_key, signature, resolved_map)
    except Exception:  # the page computes it again itself and shows any error there
        LOG.exception("prefetching a playback frame failed")


def prefetch_views(specs: list[MapSpec]) -> None:
    """Start resolving and styling these views in the background (once each)."""
    signature = data_signature()
    with _PENDING_LOCK:
        for done in [k for k, f in _PENDING.items() if f.done()]:
            del _PENDING[done]
        for spec in specs:
            key = (_params_key(spec), signature)
            if key not in _PENDING:
                _PENDING[key] = _PREFETCH.submit(_compute_view, *key, time.monotonic())


def view_ready(spec: MapSpec) -> bool:
    """False while a background prefetch of this view is still running."""
    with _PENDING_LOCK:
        future = _PENDING.get((_params_key(spec), data_signature()))
    return future is None or future.done()


def set_frame(frame: str | None, months: list[str]) -> MapSpec:
    """Show ``frame`` (the last month = no frame): the session state, the current spec and
    the URL's ``frame=`` follow, without a full rerun (the playback runs in a fragment)."""
    ss = st.session_state
    spec = frame_spec(current_spec(), frame, months)
    ss["w_frame"] = spec.filters.frame or ""
    ss["spec"] = spec
    if st.query_params.to_dict() != spec.to_params():
        st.query_params.from_dict(spec.to_params())
    return spec


def _moved() -> None:
    """The user moved the month slider (or it was played): that month is shown."""
    st.session_state["w_frame"] = st.session_state["w_frame_slider"]


def playback_month() -> tuple[MapSpec, list[str]]:
    """The Play/Pause button and the month slider of the playback; the spec of the month
    shown (the URL's ``frame=`` follows) and the months. While playing, each tick shows
    the next month once it is ready (prefetched), else this one a tick longer; played
    through, it stops at the whole view."""
    ss = st.session_state
    months = frame_months(current_spec())
    playing = bool(ss.get(_PLAYING))
    frame = shown_frame(
        ss.get("w_frame"),
        months,
        playing,
        lambda m: view_ready(frame_spec(current_spec(), m, months)),
    )
    if ss.get("w_frame_slider") != frame:
        ss["w_frame_slider"] = frame
    play, month = st.columns([1, 7], vertical_alignment="bottom")
    if play.button(
        "Pause" if playing else "Play",
        key="w_play",
        help="Step through the months: incidents up to the end of each month, scores as of then",
        width="stretch",
    ):
        ss[_PLAYING] = not playing
        if ss[_PLAYING] and frame == months[-1]:
            ss["w_frame"] = months[0]  # start again from the first month
        st.rerun(scope="app")  # the fragment's timer is set when the page runs
    month.select_slider(
        "Month shown",
        options=months,
        key="w_frame_slider",
        on_change=_moved,
        disabled=len(months) < 2,
    )
    spec = set_frame(ss["w_frame_slider"], months)
    if ss.get(_PLAYING) and ss["w_frame_slider"] == months[-1]:
        ss[_PLAYING] = False  # played through: stop at the whole view
        st.rerun(scope="app")
    return spec, months


def playback_map(resolved_map: ResolvedMap, months: list[str]) -> None:
    """The Risk map of one playback month: the map with the drawing toolbar (a shape
    drawn becomes the area of interest of every page), the sentence, the months ahead
    prefetched and the view's notices."""
    ss = st.session_state
    value = render_map(resolved_map, draw=True)
    if apply_drawing((value or {}).get("last_active_drawing")):
        ss[_PLAYING] = False
        st.rerun(scope="app")  # the area filters every page: the sidebar and URL follow
    sentence_caption(resolved_map)
    ahead = frames_to_prefetch(ss["w_frame_slider"], months, bool(ss.get(_PLAYING)))
    prefetch_views([frame_spec(resolved_map.spec, m, months) for m in ahead])
    for notice in resolved_map.notices:
        st.info(notice)


def run_playback(body: Callable[[], None], where: str) -> None:
    """Run ``body`` as the page's playback fragment: stepping (by hand or playing) reruns
    this part only, every :data:`PLAY_INTERVAL_S` while playing. Inside a fragment an
    exception would not reach the page's :func:`~ui.errors.friendly_errors` (Streamlit
    handles it for the fragment): it is caught here the same way."""

    def guarded() -> None:
        with friendly_errors(where):
            body()

    st.fragment(guarded, run_every=PLAY_INTERVAL_S if st.session_state.get(_PLAYING) else None)()
