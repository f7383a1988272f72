"""Risk settings and perspective presets (relevance weights per target category).

Every number here is published in docs/METHODOLOGY.md (a test checks that every preset
and every setting field is named there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from geodata.contract import CONFIDENCE_LEVELS, TARGET_CATEGORIES


@dataclass(frozen=True)
class Perspective:
    """A named set of relevance weights (0–1) for the 13 target categories."""

    name: str
    label: str
    weights: Mapping[str, float]
    description: str

    def __post_init__(self) -> None:
        missing = sorted(set(TARGET_CATEGORIES) - set(self.weights))
        extra = sorted(set(self.weights) - set(TARGET_CATEGORIES))
        if missing or extra:
            raise ValueError(f"perspective {self.name}: weights missing {missing}, unknown {extra}")
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))


def _weights(default: float, **specific: float) -> dict[str, float]:
    return {c: specific.get(c, default) for c in TARGET_CATEGORIES}


PRESETS: dict[str, Perspective] = {
    p.name: p
    for p in (
        Perspective(
            "all",
            "All targets",
            _weights(1.0),
            "Every target category counts fully: the plain time-decayed severity of attacks.",
        ),
        Perspective(
            "china_cpec",
            "Chinese nationals & CPEC",
            _weights(
                0.1,
                chinese_nationals=1.0,
                chinese_interests=1.0,
                cpec=1.0,
                foreign_nationals=0.5,
                diplomatic=0.5,
                security_forces=0.3,
                pakistani_state=0.2,
                taliban_government=0.2,
                civilians=0.2,
            ),
            "Chinese nationals, Chinese projects and CPEC assets first; attacks on other "
            "foreigners and diplomats count half (the same attackers, the same exposure); "
            "escort forces and authorities count a little; sectarian attacks barely.",
        ),
        Perspective(
            "pakistan_state",
            "Pakistani state",
            _weights(
                0.2,
                pakistani_state=1.0,
                security_forces=1.0,
                political=0.7,
                cpec=0.6,
                diplomatic=0.5,
                chinese_nationals=0.4,
                chinese_interests=0.4,
                civilians=0.3,
                religious_minority=0.3,
                shia_hazara=0.3,
                sufi=0.3,
            ),
            "Pakistani security forces, officials and Pakistani interests in Afghanistan "
            "(the embassy in Kabul) first; political gatherings and CPEC, which the state "
            "protects, follow; other targets count little.",
        ),
        Perspective(
            "shia_hazara",
            "Shia/Hazara civilians",
            _weights(
                0.1,
                shia_hazara=1.0,
                religious_minority=0.8,
                sufi=0.6,
                civilians=0.4,
            ),
            "Shia and Hazara civilians and their places of worship first; other religious "
            "minorities and Sufi gatherings (the same sectarian targeting) follow; attacks on "
            "civilians in general count partly.",
        ),
    )
}
"""The perspective presets by name."""

CREDIBILITY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"high": 1.0, "medium": 0.5, "low": 0.25}
)
"""Default weight of a threat record by its ``credibility``."""


def _frozen_mapping(
    value: Mapping[str, float] | Iterable[tuple[str, float]] | None,
    allowed: Iterable[str],
    what: str,
) -> Mapping[str, float]:
    items = dict(value.items() if isinstance(value, Mapping) else (value or ()))
    allowed = tuple(allowed)
    unknown = sorted(set(items) - set(allowed))
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; use: {', '.join(allowed)}")
    out: dict[str, float] = {}
    for key, raw in items.items():
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{what} '{key}' must be a number, got {raw!r}") from None
        if not number >= 0:
            raise ValueError(f"{what} '{key}' must be 0 or more, got {raw!r}")
        out[key] = number
    return MappingProxyType(out)


@dataclass(frozen=True, eq=False)
class RiskSettings:
    """How records become loads. Immutable; build variants with :meth:`replace`.

    Fields (each documented in docs/METHODOLOGY.md):

    - ``as_of``: the date recency is measured from; None = the filter's ``to`` date if
      given (capped at the newest record), else the newest record date in the data.
    - ``half_life_days``: recency weight ``2^(−age/half_life)``.
    - ``severity_base``, ``severity_per_death``, ``severity_per_injured``:
      ``sev = base + per_death·D + per_injured·I``.
    - ``bandwidth_km``: σ of the Gaussian distance kernel for segments and sites;
      ``cutoff_sigmas``: records farther than ``cutoff_sigmas·σ`` do not count.
    - ``perspective``: a key of :data:`PRESETS`; ``weight_overrides``: category → weight
      replacing the preset's weight.
    - ``include_threats``, ``threat_weight``, ``credibility_weights``: threat records
      count ``credibility_weight · recency · relevance · threat_weight``.
    - ``surge_min_baseline_events``: the trend flag uses the first window (week vs 4
      weeks, month vs 3 months, month vs 12 months) whose baseline holds at least this
      many incidents, else says "too few events to say" (riskmodel.trend).
    """

    as_of: date | None = None
    half_life_days: float = 180.0
    severity_base: float = 1.0
    severity_per_death: float = 3.0
    severity_per_injured: float = 0.5
    bandwidth_km: float = 25.0
    cutoff_sigmas: float = 3.0
    perspective: str = "all"
    weight_overrides: Mapping[str, float] = field(default_factory=dict)
    include_threats: bool = True
    threat_weight: float = 2.0
    credibility_weights: Mapping[str, float] = field(
        default_factory=lambda: dict(CREDIBILITY_WEIGHTS)
    )
    surge_min_baseline_events: int = 6

    def __post_init__(self) -> None:
        if self.perspective not in PRESETS:
            raise ValueError(
                f"unknown perspective {self.perspective!r}; use one of: {', '.join(PRESETS)}"
            )
        for name in ("half_life_days", "bandwidth_km", "cutoff_sigmas"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        for name in (
            "severity_base",
            "severity_per_death",
            "severity_per_injured",
            "threat_weight",
        ):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
                raise ValueError(f"{name} must be a number of 0 or more, got {value!r}")
        for name in ("surge_min_baseline_events",):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number of 1 or more, got {value!r}")
        if self.as_of is not None:
            as_of = self.as_of
            if isinstance(as_of, str):
                try:
                    as_of = date.fromisoformat(as_of)
                except ValueError:
                    raise ValueError(f"as_of must be a date YYYY-MM-DD, got {as_of!r}") from None
            if hasattr(as_of, "date") and callable(as_of.date):  # datetime / Timestamp
                as_of = as_of.date()
            object.__setattr__(self, "as_of", as_of)
        object.__setattr__(
            self,
            "weight_overrides",
            _frozen_mapping(self.weight_overrides, TARGET_CATEGORIES, "target category"),
        )
        credibility = {
            **CREDIBILITY_WEIGHTS,
            **dict(
                _frozen_mapping(self.credibility_weights, CONFIDENCE_LEVELS, "credibility level")
            ),
        }
        object.__setattr__(self, "credibility_weights", MappingProxyType(credibility))

    def __hash__(self) -> int:
        values = tuple(
            tuple(sorted(v.items())) if isinstance(v, Mapping) else v
            for v in (getattr(self, f.name) for f in dataclasses.fields(self))
        )
        return hash(values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RiskSettings):
            return NotImplemented
        return all(
            _plain(getattr(self, f.name)) == _plain(getattr(other, f.name))
            for f in dataclasses.fields(self)
        )

    @property
    def preset(self) -> Perspective:
        """The perspective preset these settings start from."""
        return PRESETS[self.perspective]

    @property
    def weights(self) -> Mapping[str, float]:
        """The effective relevance weight of every target category (preset + overrides)."""
        return MappingProxyType({**self.preset.weights, **self.weight_overrides})

    @property
    def cutoff_km(self) -> float:
        """Distance beyond which a record does not count for a segment or site."""
        return self.bandwidth_km * self.cutoff_sigmas

    def changed_weights(self) -> dict[str, tuple[float, float]]:
        """Category → (preset weight, weight used) for every weight the user changed."""
        base = self.preset.weights
        return {c: (base[c], w) for c, w in self.weight_overrides.items() if w != base[c]}

    def describe(self) -> str:
        """Names the preset and every changed weight, e.g. for a map caption."""
        text = f"Perspective: {self.preset.label} ({self.perspective})"
        changed = self.changed_weights()
        if changed:
            parts = [f"{c} {old:g} → {new:g}" for c, (old, new) in changed.items()]
            text += "; changed weights: " + ", ".join(parts)
        return text + f"; half-life {self.half_life_days:g} days"

    def replace(self, **changes: Any) -> RiskSettings:
        """A copy with ``changes`` applied (validated like the constructor)."""
        return dataclasses.replace(self, **changes)


def _plain(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else value


SETTING_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RiskSettings))


def settings_from_filters(filters: Any, **overrides: Any) -> RiskSettings:
    """Settings for a :class:`riskmodel.filters.Filters`: its perspective and half-life.

    ``overrides`` are RiskSettings fields and win over the filter (unknown names raise
    ValueError listing the valid ones).
    """
    unknown = sorted(set(overrides) - set(SETTING_FIELDS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; valid: {', '.join(SETTING_FIELDS)}")
    values: dict[str, Any] = {}
    if getattr(filters, "perspective", None):
        values["perspective"] = filters.perspective
    if getattr(filters, "half_life", None):
        values["half_life_days"] = float(filters.half_life)
    values.update(overrides)
    return RiskSettings(**values)
