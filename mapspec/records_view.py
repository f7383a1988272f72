"""The Records page's tables in analysts' words: human column titles and values (names of
countries, provinces and targets instead of codes). Pure pandas, no Streamlit."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geodata.contract import is_http_url
from riskmodel.vocab import COUNTRY_NAMES, target_names

PRECISION_WORDS = {1: "exact site", 2: "town or city", 3: "district or region (approximate)"}

OVERRIDE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("actor_computed", "Actor (computed)"),
    ("actor_override", "Actor set by an analyst"),
    ("confidence_computed", "Confidence (computed)"),
    ("confidence_override", "Confidence set by an analyst"),
)
"""Present only while an analyst's override is in force (:mod:`geodata.overrides`)."""

# (source column, title shown) in the order shown
INCIDENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Record"),
    ("date", "Date"),
    ("country", "Country"),
    ("admin1", "Province / unit"),
    ("place", "Place"),
    ("actor_canonical", "Actor"),
    *OVERRIDE_COLUMNS[:2],
    ("actor", "Actor as reported"),
    ("attribution", "Attribution"),
    ("attack_type", "Attack"),
    ("target_categories", "Targets"),
    ("fatalities", "Killed"),
    ("injured", "Injured"),
    ("confidence", "Confidence"),
    *OVERRIDE_COLUMNS[2:],
    ("geo_precision", "Location precision"),
    ("summary", "Summary"),
    ("source_1_url", "Source 1"),
    ("source_2_url", "Source 2"),
)
THREAT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "Record"),
    ("date", "Date"),
    ("country", "Country"),
    ("admin1_for_scoring", "Provinces / units concerned"),
    ("actor_canonical", "Actor"),
    *OVERRIDE_COLUMNS[:2],
    ("threat_type", "Kind of threat"),
    ("target_categories", "Targets"),
    ("reported_by", "Reported by"),
    ("credibility", "Credibility"),
    ("credibility_computed", "Credibility (computed)"),
    ("credibility_override", "Credibility set by an analyst"),
    ("summary", "Summary"),
    ("source_1_url", "Source 1"),
)
LINK_TITLES = ("Source 1", "Source 2")


def _names(value: object, mapping: Mapping[str, str]) -> object:
    if isinstance(value, tuple | list):
        return ", ".join(str(mapping.get(str(v), v)) for v in value)
    if value is None or (isinstance(value, float) and value != value):
        return None
    return mapping.get(str(value), value)


def analyst_table(frame: pd.DataFrame, kind: str, unit_names: Mapping[str, str]) -> pd.DataFrame:
    """The records of ``kind`` ("incidents" or "threats") with human titles and values:
    country and unit names, target phrases, precision in words, source URLs kept only
    when they are http(s) links (for a link column)."""
    columns = INCIDENT_COLUMNS if kind == "incidents" else THREAT_COLUMNS
    out = pd.DataFrame(index=frame.index)
    for source, title in columns:
        if source not in frame.columns:
            continue
        col = frame[source]
        if source == "country":
            col = col.map(lambda v: _names(v, COUNTRY_NAMES))
        elif source in ("admin1", "admin1_for_scoring"):
            col = col.map(lambda v: _names(v, unit_names))
        elif source == "target_categories":
            col = col.map(target_names)
        elif source == "geo_precision":
            col = pd.to_numeric(col, errors="coerce").map(
                lambda v: PRECISION_WORDS.get(int(v)) if v == v else None
            )
        elif source == "threat_type":
            col = col.map(lambda v: str(v).replace("_", " ") if isinstance(v, str) else v)
        elif source in ("source_1_url", "source_2_url"):
            col = col.where(col.map(is_http_url), None)
        elif col.dtype == object:
            col = col.map(lambda v: ", ".join(map(str, v)) if isinstance(v, tuple | list) else v)
        out[title] = col
    return out.reset_index(drop=True)
