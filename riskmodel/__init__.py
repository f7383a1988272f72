"""Explainable, time-decayed risk scores (pure functions; no streamlit, no folium).

Public façade::

    from riskmodel import parse_query, score, settings_from_filters
    f = parse_query("actor=ISKP&target=chinese_nationals&perspective=china_cpec")
    result = score(load_bundle(), f, settings_from_filters(f))
    result.provinces            # 41 rows: id, name, load, score, band, surge, ...
    result.explain("AF-KAB", "province")   # contributions summing to the load

Method and every number: docs/METHODOLOGY.md.
"""

from riskmodel.bands import BANDS, LOAD_SCALE_L0, Band, band_for, score_from_load
from riskmodel.filters import (
    FILTER_KEYS,
    REGISTRY,
    Filters,
    QueryError,
    apply_filters,
    describe,
    parse_query,
    to_params,
    to_query,
)
from riskmodel.score import LEVELS, RiskResult, recency_weight, score
from riskmodel.segments import segment_corridors
from riskmodel.settings import PRESETS, Perspective, RiskSettings, settings_from_filters
from riskmodel.vocab import ATTACK_TYPES, attack_type_class

__all__ = [
    "ATTACK_TYPES",
    "BANDS",
    "FILTER_KEYS",
    "LEVELS",
    "LOAD_SCALE_L0",
    "PRESETS",
    "REGISTRY",
    "Band",
    "Filters",
    "Perspective",
    "QueryError",
    "RiskResult",
    "RiskSettings",
    "apply_filters",
    "attack_type_class",
    "band_for",
    "describe",
    "parse_query",
    "recency_weight",
    "score",
    "score_from_load",
    "segment_corridors",
    "settings_from_filters",
    "to_params",
    "to_query",
]
