"""The app's one Streamlit helper module: cached data, the shared sidebar, map rendering.

Pages stay thin: ``spec = ui.current_spec(); resolved = ui.resolved(spec)`` then render.
Everything that is not Streamlit lives in geodata, riskmodel and mapspec.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import streamlit as st

from geodata import Bundle, load_bundle
from geodata.actors import ACTORS
from geodata.catalog import DataSource, load_source
from geodata.contract import ATTRIBUTIONS, CONFIDENCE_LEVELS, TARGET_CATEGORIES, is_http_url
from geodata.store_query import StoreQuery
from mapspec import offline, tables
from mapspec.folium_map import LayerData, asset_urls, map_layers, map_parts
from mapspec.playback import (
    aoi_from_drawing,
    frame_spec,
    frames_to_prefetch,
    playback_months,
    shown_frame,
)
from mapspec.resolve import resolve
from mapspec.resolved import ResolvedMap
from mapspec.spec import (
    DEFAULT_LAYERS,
    LAYER_LABELS,
    LAYER_ORDER,
    POINT_MODES,
    MapSpec,
    SpecError,
)
from riskmodel.aoi import AoiError, parse_aoi
from riskmodel.settings import PRESETS
from riskmodel.vocab import ATTACK_TYPES, COUNTRY_NAMES, TARGET_LABELS

APP_DIR = Path(__file__).resolve().parent


LOG = logging.getLogger("iskp_atlas.app")

PAGE_ERROR_MESSAGE = (
    "Something went wrong drawing this page; the details are in the server log — "
    "reference {ref}. Try another filter or page, or open the app without link "
    "parameters; if it persists, give the reference to whoever runs the app."
)
"""What a user sees when a page fails: never the exception text (it can hold record data
or paths), a reference the operator finds in the log next to the full traceback."""


@contextmanager
def friendly_errors(where: str) -> Iterator[None]:
    """Run a page: an unexpected exception becomes a friendly ``st.error`` (the text is
    fixed, no exception detail) and a log line with the traceback for the operator.
    Streamlit's own stop and rerun signals (BaseException, not Exception) pass through."""
    try:
        yield
    except Exception:
        ref = uuid.uuid4().hex[:8]
        LOG.exception("page %s failed (reference %s)", where, ref)
        st.error(PAGE_ERROR_MESSAGE.format(ref=ref))


@st.cache_resource(show_spinner=False)
def _install_offline_assets() -> int:
    """Copy Leaflet/plugin files into ``static/`` (once per process)."""
    return len(offline.install_assets(APP_DIR / "static"))


def prepare_offline_assets() -> int:
    """Copy the Leaflet/plugin files (once) and point folium at them (every run: a few ms,
    and it cannot be skipped because something else in the process reset folium)."""
    written = _install_offline_assets()
    offline.patch_folium()
    return written


@st.cache_resource(show_spinner="Loading data…", max_entries=2)
def _data(signature: tuple[str, str | None], home: str | None, extra: str | None) -> Bundle:
    """Bundled + imported (+ optional extra file) records for one store state, through the
    one loader the CLI uses too (:func:`geodata.catalog.load_current`)."""
    return load_source(DataSource.from_env(home, extra))


def data_signature() -> tuple[str, str | None]:
    """What the loaded data depends on: the store's state and the extra file. Any session's
    import or rollback changes it, so every session sees the new data."""
    return DataSource.from_env().signature()


def data() -> Bundle:
    """The records every page shows. A store or extra file that cannot be read gives an
    error on the page and the bundled data instead of a crash."""
    source = DataSource.from_env()
    try:
        return _data(
            source.signature(),
            str(source.store) if source.store else None,
            str(source.extra) if source.extra else None,
        )
    except (ValueError, OSError) as exc:  # the product's own messages (row, column, fix)
        st.error(
            f"Imported or extra records could not be loaded ({md_escape(exc)}); showing "
            "the bundled data only."
        )
        return load_bundle()
    except Exception:  # anything else: no internals on the page, the traceback in the log
        ref = uuid.uuid4().hex[:8]
        LOG.exception("loading the imported or extra records failed (reference %s)", ref)
        st.error(
            "Imported or extra records could not be loaded; the details are in the "
            f"server log — reference {ref}. Showing the bundled data only."
        )
        return load_bundle()


@st.cache_resource(show_spinner="Loading data…", max_entries=8)
def _view_data(
    signature: tuple[str, str | None], url: str, extra: str | None, query: StoreQuery
) -> Bundle:
    """The records of one view's date range and area on the team store at ``url``."""
    return load_source(DataSource.from_env(url, extra), filters=query)


def view_data(filters) -> Bundle:
    """The records a view with ``filters`` needs: on a team store, when the filter bounds
    the dates or the area, only the stored records the database selects for it (a superset
    of the filter's, :mod:`geodata.store_query`: the same scores); otherwise :func:`data`."""
    source = DataSource.from_env()
    query = StoreQuery.from_filters(filters) if source.database_url else None
    if query is None:
        return data()
    try:
        return _view_data(
            source.signature(),
            source.database_url,
            str(source.extra) if source.extra else None,
            query,
        )
    except Exception:  # data() shows the error on the page (and falls back) as always
        LOG.exception("the filtered read of the team store failed; reading everything")
        return data()


def _team_store_alone() -> str | None:
    """The team store's URL when it is the only source of extra records (no extra file)."""
    source = DataSource.from_env()
    return source.database_url if source.extra is None else None


def _choices_data() -> Bundle:
    """What the sidebar's choices need (units, routes): on a team store the bundle's
    geography, without reading every stored record; else :func:`data`."""
    return load_bundle() if _team_store_alone() else data()


@st.cache_resource(show_spinner=False, max_entries=2)
def _store_dates(signature: tuple[str, str | None], url: str) -> tuple[date, date] | None:
    from geodata.store_query import incident_dates

    return incident_dates(url)


def record_dates() -> tuple[date, date]:
    """The first and last incident date (the date filter's bounds, the playback months):
    on a team store asked of the database (its date index), else from :func:`data`."""
    url = _team_store_alone()
    if url:
        try:
            stored = _store_dates(data_signature(), url)
        except Exception:  # data() shows the store's error on the page as always
            LOG.exception("reading the team store's dates failed")
        else:
            dates = load_bundle().incidents["date"]
            lo, hi = dates.min().date(), dates.max().date()
            return (lo, hi) if stored is None else (min(lo, stored[0]), max(hi, stored[1]))
    dates = data().incidents["date"]
    return dates.min().date(), dates.max().date()


@st.cache_resource(show_spinner="Scoring…", max_entries=32)
def _resolve_cached(
    params_key: tuple[tuple[str, str], ...], signature: tuple[str, str | None]
) -> ResolvedMap:
    spec = MapSpec.from_params(dict(params_key))
    return resolve(spec, view_data(spec.filters))


def _params_key(spec: MapSpec) -> tuple[tuple[str, str], ...]:
    """A spec as a hashable cache key (its URL parameters, sorted)."""
    return tuple(sorted(spec.to_params().items()))


def _view_key(resolved_map: ResolvedMap) -> tuple:
    """The cache key of what is derived from a resolved view: the same key as the view."""
    return _params_key(resolved_map.spec), data_signature()


def resolved(spec: MapSpec) -> ResolvedMap:
    """The resolved map of a spec (filtered and scored once, cached by its parameters and
    the data's state)."""
    try:
        return _resolve_cached(_params_key(spec), data_signature())
    except SpecError as exc:
        st.error(f"{md_escape(exc)} — showing the default view.")
        return _resolve_cached((), data_signature())


def md_escape(text: object) -> str:
    """Text safe for Streamlit's Markdown (warnings, errors, captions): every Markdown
    control character is backslash-escaped, so text from URLs or data cannot become a
    link, an image (a network request) or formatting."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~$:])", r"\\\1", str(text))


# --- Sidebar -----------------------------------------------------------------------------

_MULTI = {
    "actor": ("Actor", lambda: [a for a in ACTORS]),
    "target": ("Target category", lambda: list(TARGET_CATEGORIES)),
    "attack_type": ("Attack type", lambda: list(ATTACK_TYPES)),
    "attribution": ("Attribution", lambda: list(ATTRIBUTIONS)),
    "confidence": ("Confidence / credibility", lambda: list(CONFIDENCE_LEVELS)),
    "country": ("Country", lambda: list(COUNTRY_NAMES)),
}
_FORMAT = {
    "target": lambda v: TARGET_LABELS.get(v, v),
    "country": lambda v: f"{COUNTRY_NAMES.get(v, v)} ({v})",
    "attack_type": lambda v: ATTACK_TYPES.get(v, v),
}


def _spec_from_url() -> MapSpec:
    try:
        return MapSpec.from_params(st.query_params.to_dict())
    except (SpecError, ValueError) as exc:
        st.session_state["url_warning"] = (
            f"The link's parameters could not be used ({md_escape(exc)}). Showing the default view."
        )
        return MapSpec()


# The sidebar always shows the main filters; the others (and the map options) appear when
# "More filters and map options" is switched on. Fewer widgets on first paint draw the map
# sooner. While hidden, their values live in st.session_state["w_hidden"] (and the URL).
_MAIN_KEYS = ("from", "to", "actor", "target", "perspective")


# The area of interest and the playback month belong to the map (drawn, typed, played):
# kept in their own session keys, never hidden behind "More filters".
_MAP_KEYS = ("aoi", "frame")


def _secondary(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in _MAIN_KEYS and k not in _MAP_KEYS}


def _map_params() -> dict[str, str]:
    ss = st.session_state
    return {k: ss[f"w_{k}"] for k in _MAP_KEYS if ss.get(f"w_{k}")}


def _seed_widgets(spec: MapSpec, bundle: Bundle, main: bool = True, secondary: bool = True) -> None:
    params = spec.to_params()
    f = spec.filters
    if main:
        lo, hi = record_dates()
        st.session_state["w_date_bounds"] = (lo, hi)
        st.session_state["w_dates"] = (f.date_from or lo, f.date_to or hi)
        st.session_state["w_perspective"] = f.perspective or "all"
    for key in _MULTI:
        if (key in _MAIN_KEYS and main) or (key not in _MAIN_KEYS and secondary):
            st.session_state[f"w_{key}"] = [v for v in params.get(key, "").split(",") if v]
    if secondary:
        st.session_state["w_admin1"] = list(f.admin1 or ())
        st.session_state["w_min_fatalities"] = int(f.min_fatalities or 0)
        st.session_state["w_half_life"] = float(f.half_life or 0)
        st.session_state["w_layers"] = list(spec.visible_layers())
        st.session_state["w_colour"] = spec.colour_by
        st.session_state["w_points"] = spec.point_mode
        st.session_state["w_view"] = spec.view.to_param()


def _main_params() -> dict[str, str]:
    ss = st.session_state
    params: dict[str, str] = {}
    d_from, d_to = [*ss["w_dates"], None, None][:2]
    lo, hi = ss["w_date_bounds"]
    if isinstance(d_from, date) and d_from != lo:
        params["from"] = d_from.isoformat()
    if isinstance(d_to, date) and d_to != hi:
        params["to"] = d_to.isoformat()
    for key in ("actor", "target"):
        if ss[f"w_{key}"]:
            params[key] = ",".join(ss[f"w_{key}"])
    if ss["w_perspective"] != "all":
        params["perspective"] = ss["w_perspective"]
    return params


def _secondary_params() -> dict[str, str]:
    ss = st.session_state
    params: dict[str, str] = {}
    for key in _MULTI:
        if key not in _MAIN_KEYS and ss[f"w_{key}"]:
            params[key] = ",".join(ss[f"w_{key}"])
    if ss["w_admin1"]:
        params["admin1"] = ",".join(ss["w_admin1"])
    if ss["w_min_fatalities"]:
        params["min_fatalities"] = str(int(ss["w_min_fatalities"]))
    if ss["w_half_life"]:
        params["half_life"] = f"{float(ss['w_half_life']):g}"
    if list(ss["w_layers"]) != list(DEFAULT_LAYERS):
        params["layers"] = ",".join(n for n in LAYER_ORDER if n in ss["w_layers"]) or "none"
    if ss["w_colour"] != "actor":
        params["colour"] = ss["w_colour"]
    if ss["w_points"] != "auto":
        params["points"] = ss["w_points"]
    if ss["w_view"] != "all":
        params["view"] = ss["w_view"]
    return params


def _view_choices(bundle: Bundle) -> list[str]:
    units = sorted(bundle.admin1["iso_3166_2"])
    return (
        ["all"]
        + [f"admin1:{c}" for c in units]
        + [f"route:{r}" for r in bundle.corridors["route_id"]]
    )


def spec_from_state() -> MapSpec:
    """The spec of this run, from the sidebar's widget state (seeded from the URL when the
    session starts) and, while they are hidden, the kept values of the secondary filters.
    Written back to the URL, so a copied link restores the view.

    Called before the page, while :func:`sidebar` draws the widgets after it: the map's
    data then reaches the browser before the widgets' (a faster first map)."""
    ss = st.session_state
    bundle = _choices_data()
    if "w_seeded" not in ss:  # a new session: the link decides
        spec = _spec_from_url()
        _seed_widgets(spec, bundle)
        ss["w_hidden"] = _secondary(spec.to_params())
        for key in _MAP_KEYS:
            ss[f"w_{key}"] = spec.to_params().get(key, "")
        ss["w_aoi_text"] = ss["w_aoi"]
        ss["w_more"] = bool(ss["w_hidden"])  # a link with such filters shows them
        ss["w_more_shown"] = ss["w_more"]
        ss["w_seeded"] = True
    elif ss.get("w_more") and not ss.get("w_more_shown"):  # just switched on
        _seed_widgets(MapSpec.from_params({**_main_params(), **ss["w_hidden"]}), bundle, main=False)
    warning = ss.pop("url_warning", None)  # shown once, on the seeding run
    if warning:
        st.warning(warning)
    if ss.get("w_more"):
        view = ss["w_view"]
        if view not in _view_choices(bundle) and not view.startswith("bbox:"):
            st.warning(
                f"The link frames the map on {md_escape(view)}, which does not "
                "exist; showing all of Afghanistan and Pakistan."
            )
            ss["w_view"] = "all"
        ss["w_hidden"] = _secondary_params()
    ss["w_more_shown"] = bool(ss.get("w_more"))
    try:
        spec = MapSpec.from_params({**_main_params(), **ss["w_hidden"], **_map_params()})
    except (SpecError, ValueError) as exc:
        st.warning(f"Those filters cannot be applied ({md_escape(exc)}); showing the default view.")
        spec = MapSpec()
    if st.query_params.to_dict() != spec.to_params():
        st.query_params.from_dict(spec.to_params())
    return spec


def sidebar() -> None:
    """Draw the shared sidebar's widgets (their state is read by :func:`spec_from_state`
    at the start of the next run)."""
    bundle = _choices_data()
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
    for key in ("actor", "target"):
        label, options = _MULTI[key]
        sb.multiselect(
            label, options(), key=f"w_{key}", format_func=_FORMAT.get(key, str), placeholder="any"
        )
    sb.selectbox(
        "Risk perspective",
        list(PRESETS),
        key="w_perspective",
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
    for key, (label, options) in _MULTI.items():
        if key not in _MAIN_KEYS:
            sb.multiselect(
                label,
                options(),
                key=f"w_{key}",
                format_func=_FORMAT.get(key, str),
                placeholder="any",
            )
    units = bundle.admin1[["iso_3166_2", "name"]]
    names = dict(zip(units["iso_3166_2"], units["name"], strict=True))
    sb.multiselect(
        "Province / admin-1",
        sorted(names),
        key="w_admin1",
        format_func=lambda c: f"{names.get(c, c)} ({c})",
        placeholder="any",
    )
    sb.number_input("Minimum fatalities", min_value=0, step=1, key="w_min_fatalities")
    sb.number_input(
        "Half-life in days (0 = default)",
        min_value=0.0,
        max_value=36500.0,
        step=30.0,
        key="w_half_life",
    )
    sb.header("Map")
    sb.multiselect(
        "Layers", list(LAYER_ORDER), key="w_layers", format_func=lambda n: LAYER_LABELS[n]
    )
    sb.radio("Colour incidents by", ["actor", "attribution"], key="w_colour", horizontal=True)
    sb.selectbox(
        "Incident drawing",
        list(POINT_MODES),
        key="w_points",
        help="auto draws points up to a limit, then a grid aggregate",
    )
    views = _view_choices(bundle)
    if ss["w_view"] not in views:  # a bbox from a link
        views.append(ss["w_view"])
    sb.selectbox(
        "Frame the map on",
        views,
        key="w_view",
        format_func=lambda v: "All of Afghanistan and Pakistan" if v == "all" else v,
    )


# --- Area of interest -------------------------------------------------------------------


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
    import json

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


@st.cache_resource(show_spinner=False, max_entries=32)
def _map_layers(
    params_key: tuple[tuple[str, str], ...],
    signature: tuple[str, str | None],
    _resolved: ResolvedMap,
) -> tuple[LayerData, ...]:
    """The styled GeoJSON of a resolved view, cached by the same key as the view (the
    resolved map itself is not hashed). Shared read-only between sessions."""
    return map_layers(_resolved)


def _add_drawing(fmap, resolved_map: ResolvedMap) -> None:
    """Leaflet.draw's toolbar (rectangle and polygon only; served offline like every
    asset) and the current area of interest as a dashed outline that takes no clicks."""
    import folium
    from folium.plugins import Draw

    shape = {"shapeOptions": {"color": "#1f4e9c", "weight": 2, "fillOpacity": 0.05}}
    Draw(
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": shape,
            "polygon": {**shape, "allowIntersection": False},
        },
        edit_options={"edit": False, "remove": False},
    ).add_to(fmap)
    aoi = resolved_map.spec.filters.aoi
    if aoi is not None:
        outline = folium.FeatureGroup(name="Area of interest", control=False)
        folium.GeoJson(
            aoi.geojson(),
            interactive=False,
            style_function=lambda _: {
                "color": "#1f4e9c",
                "weight": 2.5,
                "dashArray": "6 4",
                "fill": False,
            },
        ).add_to(outline)
        outline.add_to(fmap)


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
    toolbar and the area outline, and returns st_folium's value (only a drawing reruns
    the app: ``returned_objects`` is the last drawing alone).

    The map goes to the browser in two parts (:func:`mapspec.folium_map.map_parts`): the
    base map, which does not change from one playback month to the next, and the month's
    layers as ``feature_group_to_add``. While the base map stays the same, streamlit-folium
    keeps the Leaflet map in the browser (its zoom, its pan, the legend's fold) and only
    swaps the layers, so a playback step does not blank the map."""
    from streamlit_folium import st_folium

    layers = _map_layers(*_view_key(resolved_map), resolved_map)
    if transform is not None:
        layers = tuple(transform(layer) for layer in layers)
    fmap, groups, control = map_parts(resolved_map, height_px=height, layers=layers)
    if draw:
        _add_drawing(fmap, resolved_map)
    # fail loudly
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


# --- Time playback ------------------------------------------------------------------------

PLAY_INTERVAL_S = 1.5
"""Seconds between two frames while playing (each step takes well under this)."""


def frame_months(spec: MapSpec) -> list[str]:
    """The months the playback steps through for ``spec`` (its dates, else the data's)."""
    return playback_months(spec, *record_dates())


# Frames ahead of the one shown are resolved and styled on one background thread (into
# the same caches the page reads), so a playback step only builds and sends the map. The
# thread has no script context: it only fills st.cache_resource entries.
_PREFETCH = ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-playback")
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
    params_key: tuple[tuple[str, str], ...], signature: tuple[str, str | None]
) -> None:
    try:
        _map_layers(params_key, signature, _resolve_cached(params_key, signature))
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
                _PENDING[key] = _PREFETCH.submit(_compute_view, *key)


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


_PLAYING = "_playback_playing"


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
    exception would not reach the page's :func:`friendly_errors` (Streamlit handles it
    for the fragment): it is caught here the same way."""

    def guarded() -> None:
        with friendly_errors(where):
            body()

    st.fragment(guarded, run_every=PLAY_INTERVAL_S if st.session_state.get(_PLAYING) else None)()


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
            for level, title in (
                ("province", "Provinces / admin-1"),
                ("segment", "CPEC segments"),
                ("site", "Sensitive sites"),
            )
        )
    )


def sentence_caption(resolved_map: ResolvedMap) -> None:
    """The filter sentence, under every map and export."""
    st.caption(f"**{md_escape(resolved_map.sentence)}** · as of {resolved_map.as_of}")


def records_table(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Columns for a display table: lists joined, source URLs kept for LinkColumn."""
    out = frame[[c for c in columns if c in frame.columns]].copy()
    for col in out.columns:
        if out[col].dtype == object and out[col].map(lambda v: isinstance(v, tuple | list)).any():
            out[col] = out[col].map(lambda v: ", ".join(v) if isinstance(v, tuple | list) else v)
    return out


def current_spec() -> MapSpec:
    """The spec the sidebar built on this run."""
    return st.session_state.get("spec") or MapSpec()


def with_view(spec: MapSpec, kind: str, value: str | None) -> MapSpec:
    """The same spec framed on another view."""
    from dataclasses import replace

    from mapspec.spec import ViewSpec

    return replace(spec, view=ViewSpec(kind, value))


@st.cache_data(show_spinner=False, max_entries=128)
def _top_areas(
    params_key: tuple, signature: tuple, level: str, n: int, _resolved: ResolvedMap
) -> pd.DataFrame:
    return tables.top_areas(_resolved, level, n)


def top_areas(resolved_map: ResolvedMap, level: str, n: int = 10) -> pd.DataFrame:
    """The n highest-scoring areas of a level with their top contributors (cached with
    the view)."""
    return _top_areas(*_view_key(resolved_map), level, n, resolved_map)


@st.cache_data(show_spinner=False, max_entries=64)
def _segment_table(
    params_key: tuple, signature: tuple, route_id: str, _resolved: ResolvedMap
) -> pd.DataFrame:
    return tables.segment_table(_resolved, route_id)


def segment_table(resolved_map: ResolvedMap, route_id: str) -> pd.DataFrame:
    """Segments of one route with score and contributing records (cached with the view)."""
    return _segment_table(*_view_key(resolved_map), route_id, resolved_map)


_RECORD_COLUMNS = {
    "incidents": [
        "id",
        "date",
        "country",
        "admin1",
        "place",
        "actor_canonical",
        "actor",
        "attribution",
        "attack_type",
        "target_categories",
        "fatalities",
        "injured",
        "confidence",
        "geo_precision",
        "summary",
        "source_1_url",
        "source_2_url",
    ],
    "threats": [
        "id",
        "date",
        "country",
        "admin1_for_scoring",
        "actor_canonical",
        "threat_type",
        "target_categories",
        "credibility",
        "summary",
        "source_1_url",
    ],
}


def records_dataframe(frame: pd.DataFrame, kind: str) -> None:
    """A sortable table; source columns are links only for http(s) URLs."""
    table = records_table(frame, _RECORD_COLUMNS[kind])
    for col in ("source_1_url", "source_2_url"):
        if col in table.columns:
            table[col] = table[col].where(table[col].map(is_http_url), None)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "source_1_url": st.column_config.LinkColumn("source 1"),
            "source_2_url": st.column_config.LinkColumn("source 2"),
            "date": st.column_config.DateColumn("date", format="YYYY-MM-DD"),
        },
    )


def monthly_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per month (rows) by canonical actor (columns)."""
    if incidents.empty:
        return pd.DataFrame()
    months = incidents["date"].dt.to_period("M").dt.to_timestamp()
    return pd.crosstab(months, incidents["actor_canonical"]).rename_axis(
        index="month", columns="actor"
    )


def methodology_documents() -> list[tuple[str, str]]:
    """(title, markdown) of the methodology and provenance documents in the repository."""
    from geodata import data_path

    docs = [
        ("Risk model (docs/METHODOLOGY.md)", APP_DIR / "docs" / "METHODOLOGY.md"),
        ("Data provenance and licences", data_path("PROVENANCE.md")),
        ("Geometry provenance", data_path("PROVENANCE_GEO.md")),
        ("Reference records: conventions, confidence, conflicts", data_path("NOTES_REFERENCE.md")),
    ]
    out = []
    for title, path in docs:
        text = (
            Path(path).read_text(encoding="utf-8")
            if Path(path).exists()
            else (f"_{path.name} is missing from this installation._")
        )
        out.append((title, text))
    return out
