"""The filter registry: every filter's query key, field, parser, formatter, predicate, phrase.

Each filter is declared once here; :class:`riskmodel.filters.Filters`, the query string
(:func:`~riskmodel.filters.parse_query`, :func:`~riskmodel.filters.to_query`), the
sentence (:func:`~riskmodel.filters.describe`) and the row mask
(:func:`~riskmodel.filters.filter_mask`) all read it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.actors import ACTORS
from geodata.contract import ATTRIBUTIONS, CONFIDENCE_LEVELS, TARGET_CATEGORIES
from riskmodel.filter_rows import (
    _attack,
    _attribution,
    _fatalities,
    _incidents_only,
    _no_rows,
    _pred_actor,
    _pred_admin1,
    _pred_aoi,
    _pred_confidence,
    _pred_country,
    _pred_frame,
    _pred_from,
    _pred_target,
    _pred_to,
)
from riskmodel.filter_values import (
    _choices,
    _date_text,
    _parse_actor,
    _parse_admin1,
    _parse_aoi,
    _parse_choice,
    _parse_country,
    _parse_date,
    _parse_frame,
    _parse_half_life,
    _parse_min_fatalities,
    _text,
)
from riskmodel.settings import PRESETS
from riskmodel.vocab import ATTACK_TYPES, COUNTRY_NAMES, TARGET_LABELS


def _or(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _actor_phrase(value: tuple[str, ...]) -> str:
    labels = {"Unknown": "unattributed", "Other": "other-actor"}
    return _or(labels.get(a, a) for a in value)


@dataclass(frozen=True)
class FilterSpec:
    """One filter: query key, Filters field, parser, formatter, predicate, phrase."""

    key: str
    field: str
    multi: bool
    parse: Callable[[str], object]
    format: Callable[[object], str]
    predicate: Callable[[pd.DataFrame, object, str], np.ndarray | None]
    phrase: Callable[[object], str]
    help: str


REGISTRY: tuple[FilterSpec, ...] = (
    FilterSpec(
        "from",
        "date_from",
        False,
        _parse_date("from"),
        _date_text,
        _pred_from,
        lambda v: f"from {v}",
        "first day included, YYYY-MM-DD",
    ),
    FilterSpec(
        "to",
        "date_to",
        False,
        _parse_date("to"),
        _date_text,
        _pred_to,
        lambda v: f"to {v}",
        "last day included, YYYY-MM-DD",
    ),
    FilterSpec(
        "actor",
        "actors",
        True,
        _parse_actor,
        str,
        _pred_actor,
        _actor_phrase,
        "any group named: " + _choices(ACTORS),
    ),
    FilterSpec(
        "target",
        "targets",
        True,
        _parse_choice("target", TARGET_CATEGORIES),
        str,
        _pred_target,
        lambda v: "on " + _or(TARGET_LABELS[t] for t in v),
        "any target category: " + _choices(TARGET_CATEGORIES),
    ),
    FilterSpec(
        "attack_type",
        "attack_types",
        True,
        _parse_choice("attack_type", ATTACK_TYPES),
        str,
        _incidents_only(_attack),
        lambda v: _or(ATTACK_TYPES[t] for t in v),
        "attack class: " + _choices(ATTACK_TYPES),
    ),
    FilterSpec(
        "attribution",
        "attributions",
        True,
        _parse_choice("attribution", ATTRIBUTIONS),
        str,
        _incidents_only(_attribution),
        _or,
        _choices(ATTRIBUTIONS),
    ),
    FilterSpec(
        "confidence",
        "confidences",
        True,
        _parse_choice("confidence", CONFIDENCE_LEVELS),
        str,
        _pred_confidence,
        lambda v: f"{_or(v)} confidence",
        _choices(CONFIDENCE_LEVELS) + " (threats: credibility)",
    ),
    FilterSpec(
        "min_fatalities",
        "min_fatalities",
        False,
        _parse_min_fatalities,
        str,
        _incidents_only(_fatalities),
        lambda v: f"with at least {v} death{'s' if v != 1 else ''}",
        "whole number of deaths",
    ),
    FilterSpec(
        "country",
        "countries",
        True,
        _parse_country,
        str,
        _pred_country,
        str,
        "ISO 3166-1 alpha-3, e.g. " + _choices(COUNTRY_NAMES),
    ),
    FilterSpec(
        "admin1",
        "admin1",
        True,
        _parse_admin1,
        str,
        _pred_admin1,
        str,
        "ISO 3166-2 code or name of a province/unit, e.g. AF-KAB, PK-BA",
    ),
    FilterSpec(
        "aoi",
        "aoi",
        False,
        _parse_aoi,
        lambda v: v.to_param(),
        _pred_aoi,
        lambda v: v.phrase(),
        "area of interest: W,S,E,N in degrees (e.g. 60.5,29,75,37) or poly: and an encoded polygon",
    ),
    FilterSpec(
        "frame",
        "frame",
        False,
        _parse_frame,
        str,
        _pred_frame,
        lambda v: f"shown up to the end of {v}",
        "playback month, YYYY-MM",
    ),
    FilterSpec(
        "perspective",
        "perspective",
        False,
        _parse_choice("perspective", PRESETS),
        str,
        _no_rows,
        lambda v: f"weighted for {PRESETS[v].label}",
        _choices(PRESETS),
    ),
    FilterSpec(
        "half_life",
        "half_life",
        False,
        _parse_half_life,
        _text,
        _no_rows,
        lambda v: f"half-life {v:g} days",
        "days, 1–3650",
    ),
)
"""Every filter, in the order of the query string."""

FILTER_KEYS: tuple[str, ...] = tuple(s.key for s in REGISTRY)
_BY_KEY = {s.key: s for s in REGISTRY}
