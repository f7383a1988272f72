"""The one object that carries the user's intent: a frozen, versioned :class:`MapSpec`.

A spec holds the filter state (the risk model's filter language), the ordered layers
with their visibility and style, how points are drawn, and the view. It round-trips
through a plain dict (saved into every export) and through URL query parameters (a
shareable link): the filter keys of :mod:`riskmodel.filters` plus ``layers``,
``colour``, ``points`` and ``view``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from mapspec import layers as layer_registry
from riskmodel.filters import FILTER_KEYS, Filters, QueryError, parse_query, to_params

SPEC_VERSION = 1

LAYER_ORDER: tuple[str, ...] = layer_registry.map_layer_ids()
"""Layers bottom to top (a view of :data:`mapspec.layers.LAYERS`). ``areas`` = Afghan
provinces and Pakistani units by risk band."""

DEFAULT_LAYERS: tuple[str, ...] = layer_registry.default_visible_ids()
"""The layers shown when a link does not say ``layers=`` (the analysis layers, forecast and
hot spots, are off unless switched on)."""

LAYER_LABELS: dict[str, str] = {layer.id: layer.label for layer in layer_registry.LAYERS}
COLOUR_MODES: tuple[str, ...] = ("actor", "attribution")
POINT_MODES: tuple[str, ...] = ("auto", "points", "aggregate", "heat")
VIEW_KINDS: tuple[str, ...] = ("all", "admin1", "route", "bbox")
SPEC_KEYS: tuple[str, ...] = ("layers", "colour", "points", "view")


class SpecError(ValueError):
    """A spec (dict or URL parameters) that cannot be read; the message says what to fix."""


@dataclass(frozen=True)
class ViewSpec:
    """What the map frames: all of AF/PK, one admin-1 unit, one CPEC route, or a bbox."""

    kind: str = "all"
    value: str | None = None  # ISO 3166-2 code, route id, or "minlon,minlat,maxlon,maxlat"

    def __post_init__(self) -> None:
        if self.kind not in VIEW_KINDS:
            raise SpecError(f"view kind {self.kind!r} is not one of {', '.join(VIEW_KINDS)}")
        if self.kind == "all" and self.value is not None:
            raise SpecError("view 'all' takes no value")
        if self.kind != "all" and not self.value:
            raise SpecError(f"view '{self.kind}' needs a value, e.g. view={self.kind}:VALUE")
        if self.kind == "bbox":
            parts = str(self.value).split(",")
            try:
                x0, y0, x1, y1 = (float(p) for p in parts)
            except ValueError:
                raise SpecError(
                    "view bbox must be four numbers minlon,minlat,maxlon,maxlat"
                ) from None
            if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
                raise SpecError("view bbox must satisfy minlon < maxlon and minlat < maxlat")

    def to_param(self) -> str:
        """``all`` or ``kind:value``."""
        return "all" if self.kind == "all" else f"{self.kind}:{self.value}"

    @classmethod
    def from_param(cls, text: str) -> ViewSpec:
        """Parse ``all`` / ``admin1:AF-KAB`` / ``route:KKH_N35`` / ``bbox:60,23,78,39``."""
        kind, _, value = text.strip().partition(":")
        return cls(kind=kind, value=value or None)


@dataclass(frozen=True)
class LayerSpec:
    """One layer: its name and whether it is shown."""

    name: str
    visible: bool = True

    def __post_init__(self) -> None:
        if self.name not in LAYER_ORDER:
            raise SpecError(f"layer {self.name!r} is not one of {', '.join(LAYER_ORDER)}")


def default_layers() -> tuple[LayerSpec, ...]:
    """Every layer in drawing order, the :data:`DEFAULT_LAYERS` visible."""
    return tuple(LayerSpec(name, name in DEFAULT_LAYERS) for name in LAYER_ORDER)


@dataclass(frozen=True)
class MapSpec:
    """Filters, layers, styles and view: everything the map, the files and the slide share."""

    filters: Filters = field(default_factory=Filters)
    layers: tuple[LayerSpec, ...] = field(default_factory=default_layers)
    colour_by: str = "actor"
    point_mode: str = "auto"
    view: ViewSpec = field(default_factory=ViewSpec)
    version: int = SPEC_VERSION

    def __post_init__(self) -> None:
        if self.colour_by not in COLOUR_MODES:
            raise SpecError(f"colour {self.colour_by!r} is not one of {', '.join(COLOUR_MODES)}")
        if self.point_mode not in POINT_MODES:
            raise SpecError(f"points {self.point_mode!r} is not one of {', '.join(POINT_MODES)}")
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise SpecError("each layer may appear once")
        if self.version != SPEC_VERSION:
            raise SpecError(
                f"spec version {self.version} is not supported (this is version {SPEC_VERSION})"
            )

    # -- convenience ------------------------------------------------------------------
    def visible_layers(self) -> tuple[str, ...]:
        """Names of the shown layers, in drawing order."""
        return tuple(layer.name for layer in self.layers if layer.visible)

    def with_filters(self, filters: Filters) -> MapSpec:
        """A copy with other filters."""
        return replace(self, filters=filters)

    # -- dict ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (saved into exports); :meth:`from_dict` reads it back."""
        return {
            "version": self.version,
            "filters": to_params(self.filters),
            # a hidden layer that is off by default is left out (links and files made
            # before the analysis layers existed read the same)
            "layers": [
                {"name": la.name, "visible": la.visible}
                for la in self.layers
                if la.visible or la.name in DEFAULT_LAYERS
            ],
            "colour_by": self.colour_by,
            "point_mode": self.point_mode,
            "view": {"kind": self.view.kind, "value": self.view.value},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MapSpec:
        """Read a dict written by :meth:`to_dict`; raises :class:`SpecError`."""
        unknown = set(data) - {"version", "filters", "layers", "colour_by", "point_mode", "view"}
        if unknown:
            raise SpecError(f"unknown spec field(s) {sorted(unknown)}")
        try:
            filters = parse_query(dict(data.get("filters", {})))
        except QueryError as exc:
            raise SpecError(str(exc)) from None
        listed = [
            LayerSpec(str(item["name"]), bool(item.get("visible", True)))
            for item in data.get("layers", [{"name": n} for n in DEFAULT_LAYERS])
        ]
        names = {layer.name for layer in listed}
        if len(names) != len(listed):
            raise SpecError("each layer may appear once")
        # layers off by default that the dict does not list are there, hidden
        listed += [
            LayerSpec(n, False) for n in LAYER_ORDER if n not in names and n not in DEFAULT_LAYERS
        ]
        layers = tuple(sorted(listed, key=lambda layer: LAYER_ORDER.index(layer.name)))
        view = data.get("view") or {}
        return cls(
            filters=filters,
            layers=layers,
            colour_by=str(data.get("colour_by", "actor")),
            point_mode=str(data.get("point_mode", "auto")),
            view=ViewSpec(str(view.get("kind", "all")), view.get("value")),
            version=int(data.get("version", SPEC_VERSION)),
        )

    # -- URL -------------------------------------------------------------------------
    def to_params(self) -> dict[str, str]:
        """URL query parameters; defaults are left out so links stay short."""
        params = dict(to_params(self.filters))
        if self.visible_layers() != DEFAULT_LAYERS:
            params["layers"] = ",".join(self.visible_layers()) or "none"
        if self.colour_by != "actor":
            params["colour"] = self.colour_by
        if self.point_mode != "auto":
            params["points"] = self.point_mode
        if self.view.kind != "all":
            params["view"] = self.view.to_param()
        return params

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]]) -> MapSpec:
        """Read URL query parameters strictly; raises :class:`SpecError` naming the bad one."""
        flat = {k: (v[-1] if isinstance(v, list) else v) for k, v in params.items()}
        filter_params = {k: v for k, v in params.items() if k in FILTER_KEYS}
        unknown = sorted(set(flat) - set(FILTER_KEYS) - set(SPEC_KEYS))
        if unknown:
            raise SpecError(
                f"unknown parameter {unknown[0]!r}; valid parameters: "
                + ", ".join((*FILTER_KEYS, *SPEC_KEYS))
            )
        try:
            # Repeated filter keys are kept (OR-ed), as in the filter language.
            filters = parse_query(filter_params)
        except QueryError as exc:
            raise SpecError(str(exc)) from None
        layers = default_layers()
        if "layers" in flat:
            shown = [] if flat["layers"] in ("", "none") else flat["layers"].split(",")
            bad = [name for name in shown if name not in LAYER_ORDER]
            if bad:
                raise SpecError(
                    f"layers: {bad[0]!r} is not a layer; use any of {', '.join(LAYER_ORDER)}"
                )
            layers = tuple(LayerSpec(name, name in shown) for name in LAYER_ORDER)
        return cls(
            filters=filters,
            layers=layers,
            colour_by=flat.get("colour", "actor"),
            point_mode=flat.get("points", "auto"),
            view=ViewSpec.from_param(flat["view"]) if "view" in flat else ViewSpec(),
        )
