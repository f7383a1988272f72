"""URL parameters <-> the sidebar's widget state <-> :class:`~mapspec.spec.MapSpec`.

One table, :data:`WIDGETS`, says for each widget which parameter it edits, how a spec
sets its value (seeding, from a link) and how its value becomes the parameter again
(the next run's spec); for a filter's multiselect also its label and choices, which
:func:`ui.widgets.sidebar` draws. A widget adds its parameter only when its value differs
from its value for the default ``MapSpec()``: the defaults are the spec's, not written here
again.
The date range is the one widget whose default is the data's (its first and last day).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import streamlit as st

from geodata.actors import ACTORS
from geodata.contract import ATTRIBUTIONS, CONFIDENCE_LEVELS, TARGET_CATEGORIES
from mapspec.spec import LAYER_ORDER, MapSpec, SpecError, ViewSpec
from riskmodel.settings import settings_from_filters
from riskmodel.vocab import ATTACK_TYPES, COUNTRY_NAMES, TARGET_LABELS
from ui.errors import md_escape
from ui.loaders import choices_data, record_dates

_DEFAULT_SPEC = MapSpec()


@dataclass(frozen=True)
class Widget:
    """One sidebar widget (session key ``w_<param>``) and the URL parameter it edits."""

    param: str
    read: Callable[[MapSpec], object]
    """The widget's value for a spec."""
    write: Callable[[object], str | None]
    """The parameter's text for a widget value (None: the parameter is left out)."""
    main: bool = False
    """Always shown (else only with "More filters and map options")."""
    label: str = ""
    """A filter multiselect's label."""
    choices: Callable[[object], Mapping[str, str]] | None = None
    """A filter multiselect's choices for the data (the bundle), in order, each with the text
    it is shown as; None for the other widgets (drawn one by one in :mod:`ui.widgets`)."""

    @property
    def key(self) -> str:
        return f"w_{self.param}"

    def param_text(self, value: object) -> str | None:
        """The parameter for ``value``; None when it is what the default spec shows."""
        text = self.write(value)
        return None if text == self.write(self.read(_DEFAULT_SPEC)) else text


def _listed(
    param: str,
    label: str,
    choices: Callable[[object], Mapping[str, str]],
    main: bool = False,
) -> Widget:
    """A multiselect of one multi-valued filter (comma-separated in the URL)."""
    return Widget(
        param,
        lambda spec: [v for v in spec.to_params().get(param, "").split(",") if v],
        lambda values: ",".join(values) or None,
        main,
        label,
        choices,
    )


def _as_is(values) -> dict[str, str]:
    """Choices shown as they are written."""
    return {v: v for v in values}


def _units(bundle) -> dict[str, str]:
    """The provinces and Pakistani units of the data, by code: "Kabul (AF-KAB)"."""
    names = dict(zip(bundle.admin1["iso_3166_2"], bundle.admin1["name"], strict=True))
    return {c: f"{names[c]} ({c})" for c in sorted(names)}


def _number(value: object, text: Callable[[object], str]) -> str | None:
    return text(value) if value else None  # 0 = the model's default


WIDGETS: tuple[Widget, ...] = (
    _listed("actor", "Actor", lambda _: _as_is(ACTORS), main=True),
    _listed(
        "target",
        "Target category",
        lambda _: {v: TARGET_LABELS.get(v, v) for v in TARGET_CATEGORIES},
        main=True,
    ),
    Widget(
        "perspective",
        lambda spec: settings_from_filters(spec.filters).perspective,
        str,
        main=True,
    ),
    _listed("attack_type", "Attack type", lambda _: dict(ATTACK_TYPES)),
    _listed("attribution", "Attribution", lambda _: _as_is(ATTRIBUTIONS)),
    _listed("confidence", "Confidence / credibility", lambda _: _as_is(CONFIDENCE_LEVELS)),
    _listed("country", "Country", lambda _: {v: f"{n} ({v})" for v, n in COUNTRY_NAMES.items()}),
    _listed("admin1", "Province / admin-1", _units),
    Widget(
        "min_fatalities",
        lambda spec: int(spec.filters.min_fatalities or 0),
        lambda v: _number(v, lambda n: str(int(n))),
    ),
    Widget(
        "half_life",
        lambda spec: float(spec.filters.half_life or 0),
        lambda v: _number(v, lambda n: f"{float(n):g}"),
    ),
    Widget(
        "layers",
        lambda spec: list(spec.visible_layers()),
        lambda shown: ",".join(n for n in LAYER_ORDER if n in shown) or "none",
    ),
    Widget("colour", lambda spec: spec.colour_by, str),
    Widget("points", lambda spec: spec.point_mode, str),
    Widget("view", lambda spec: spec.view.to_param(), str),
)
"""Every widget of the sidebar but the date range, in the sidebar's order."""

_BY_PARAM = {w.param: w for w in WIDGETS}

_MAIN_KEYS = ("from", "to", *(w.param for w in WIDGETS if w.main))
"""The sidebar always shows the main filters; the others (and the map options) appear when
"More filters and map options" is switched on. Fewer widgets on first paint draw the map
sooner. While hidden, their values live in ``st.session_state["w_hidden"]`` (and the URL)."""

_MAP_KEYS = ("aoi", "frame")
"""The area of interest and the playback month belong to the map (drawn, typed, played):
kept in their own session keys, never hidden behind "More filters"."""


def widget(param: str) -> Widget:
    """The table's entry of a parameter."""
    return _BY_PARAM[param]


def _spec_from_url() -> MapSpec:
    try:
        return MapSpec.from_params(st.query_params.to_dict())
    except (SpecError, ValueError) as exc:
        st.session_state["url_warning"] = (
            f"The link's parameters could not be used ({md_escape(exc)}). Showing the default view."
        )
        return MapSpec()


def _secondary(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in _MAIN_KEYS and k not in _MAP_KEYS}


def _map_params() -> dict[str, str]:
    ss = st.session_state
    return {k: ss[f"w_{k}"] for k in _MAP_KEYS if ss.get(f"w_{k}")}


def _seed_widgets(spec: MapSpec, main: bool = True, secondary: bool = True) -> None:
    """Set the widgets' values from a spec (the main ones, the others, or both)."""
    ss = st.session_state
    if main:
        f = spec.filters
        lo, hi = record_dates()
        ss["w_date_bounds"] = (lo, hi)
        ss["w_dates"] = (f.date_from or lo, f.date_to or hi)
    for w in WIDGETS:
        if main if w.main else secondary:
            ss[w.key] = w.read(spec)


def _widget_params(main: bool) -> dict[str, str]:
    """The parameters of the main widgets (with the date range) or of the others."""
    ss = st.session_state
    params: dict[str, str] = {}
    if main:
        d_from, d_to = [*ss["w_dates"], None, None][:2]
        lo, hi = ss["w_date_bounds"]
        if isinstance(d_from, date) and d_from != lo:
            params["from"] = d_from.isoformat()
        if isinstance(d_to, date) and d_to != hi:
            params["to"] = d_to.isoformat()
    for w in WIDGETS:
        if w.main == main:
            text = w.param_text(ss[w.key])
            if text is not None:
                params[w.param] = text
    return params


def view_choices(bundle) -> list[str]:
    """What the map can be framed on: all, each unit, each CPEC route."""
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

    Called before the page, while :func:`ui.widgets.sidebar` draws the widgets after it: the
    map's data then reaches the browser before the widgets' (a faster first map)."""
    ss = st.session_state
    bundle = choices_data()
    if "w_seeded" not in ss:  # a new session: the link decides
        spec = _spec_from_url()
        _seed_widgets(spec)
        ss["w_hidden"] = _secondary(spec.to_params())
        for key in _MAP_KEYS:
            ss[f"w_{key}"] = spec.to_params().get(key, "")
        ss["w_aoi_text"] = ss["w_aoi"]
        ss["w_more"] = bool(ss["w_hidden"])  # a link with such filters shows them
        ss["w_more_shown"] = ss["w_more"]
        ss["w_seeded"] = True
    elif ss.get("w_more") and not ss.get("w_more_shown"):  # just switched on
        _seed_widgets(MapSpec.from_params({**_widget_params(True), **ss["w_hidden"]}), main=False)
    warning = ss.pop("url_warning", None)  # shown once, on the seeding run
    if warning:
        st.warning(warning)
    if ss.get("w_more"):
        view = ss["w_view"]
        if view not in view_choices(bundle) and not view.startswith("bbox:"):
            st.warning(
                f"The link frames the map on {md_escape(view)}, which does not "
                "exist; showing all of Afghanistan and Pakistan."
            )
            ss["w_view"] = "all"
        ss["w_hidden"] = _widget_params(False)
    ss["w_more_shown"] = bool(ss.get("w_more"))
    try:
        spec = MapSpec.from_params({**_widget_params(True), **ss["w_hidden"], **_map_params()})
    except (SpecError, ValueError) as exc:
        st.warning(f"Those filters cannot be applied ({md_escape(exc)}); showing the default view.")
        spec = MapSpec()
    if st.query_params.to_dict() != spec.to_params():
        st.query_params.from_dict(spec.to_params())
    return spec


def current_spec() -> MapSpec:
    """The spec the sidebar built on this run."""
    return st.session_state.get("spec") or MapSpec()


def with_view(spec: MapSpec, kind: str, value: str | None) -> MapSpec:
    """The same spec framed on another view."""
    return replace(spec, view=ViewSpec(kind, value))
