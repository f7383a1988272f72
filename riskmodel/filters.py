"""One filter language for the whole product: query string ⇄ Filters ⇄ sentence ⇄ rows.

A query such as ``from=2024-01-01&to=2025-12-31&actor=ISKP&target=chinese_nationals&
attribution=claimed,attributed&country=PAK`` is parsed strictly by :func:`parse_query`
into a frozen :class:`Filters`; :func:`to_query` writes it back, :func:`describe` renders
it as one English sentence, and :func:`apply_filters` selects the records.

Each filter is declared once, in :data:`REGISTRY` (:mod:`riskmodel.filter_registry`), with
its query key, value parser (:mod:`riskmodel.filter_values`), row predicate
(:mod:`riskmodel.filter_rows`) and phrase. Multi-valued keys take comma-separated values or
repeated keys (``actor=ISKP,TTP`` = ``actor=ISKP&actor=TTP``); values within a key are
OR-ed, keys are AND-ed.

How the filters apply to threat records (which have a credibility instead of a confidence,
and no attribution, attack type or casualties):

- ``from``, ``to``, ``actor``, ``target``, ``country``, ``admin1``: as for incidents;
- ``confidence``: matched against the threat's ``credibility`` (same three levels);
- ``attribution``, ``attack_type``, ``min_fatalities``: these describe an attack that
  happened, which a threat record does not; when any of them is set, threat records are
  left out (the sentence then speaks of "attacks" instead of "attacks and threats");
- ``aoi`` (area of interest, ``aoi=W,S,E,N`` or ``aoi=poly:<encoded polygon>``, see
  :mod:`riskmodel.aoi`): a record with a point is in when the point is inside the area (or
  on its edge); a record without a point (located to a province or unit only, as most
  threats are) is in when one of the units it is scored in intersects the area; the
  sensitive sites are limited to the area the same way (:func:`sites_in`);
- ``frame`` (``frame=YYYY-MM``, the map's time playback): records up to the end of that
  month, and the scores as of then (:attr:`Filters.end_date`); with ``to`` the earlier
  of the two ends;
- ``perspective`` and ``half_life`` select no rows: they are risk settings carried in the
  same query (see :func:`riskmodel.settings.settings_from_filters`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import parse_qsl, urlencode

import geopandas as gpd
import numpy as np
import pandas as pd

from riskmodel.aoi import Aoi, aoi_geojson, aoi_mask
from riskmodel.filter_registry import _BY_KEY, FILTER_KEYS, REGISTRY, FilterSpec, _or
from riskmodel.filter_rows import scoring_units, target_category_codes
from riskmodel.filter_values import QueryError, _admin1_table, _choices, frame_end
from riskmodel.vocab import COUNTRY_NAMES

__all__ = [
    "FILTER_KEYS",
    "KINDS",
    "REGISTRY",
    "FilterSpec",
    "Filters",
    "QueryError",
    "aoi_geometry",
    "apply_filters",
    "describe",
    "filter_mask",
    "frame_end",
    "parse_query",
    "scoring_units",
    "sites_in",
    "target_category_codes",
    "to_params",
    "to_query",
]

KINDS = ("incidents", "threats")


@dataclass(frozen=True)
class Filters:
    """A filter state. Multi-valued fields are tuples (OR within a field), None = any.

    Values are validated and normalised on construction (lists become tuples, duplicates
    are dropped, actor aliases become canonical names, province names become ISO 3166-2
    codes), so any Filters round-trips through :func:`to_query`/:func:`parse_query`.
    """

    date_from: date | None = None
    date_to: date | None = None
    actors: tuple[str, ...] | None = None
    targets: tuple[str, ...] | None = None
    attack_types: tuple[str, ...] | None = None
    attributions: tuple[str, ...] | None = None
    confidences: tuple[str, ...] | None = None
    min_fatalities: int | None = None
    countries: tuple[str, ...] | None = None
    admin1: tuple[str, ...] | None = None
    aoi: Aoi | None = None
    frame: str | None = None
    perspective: str | None = None
    half_life: float | None = None

    def __post_init__(self) -> None:
        for spec in REGISTRY:
            raw = getattr(self, spec.field)
            if raw is None:
                continue
            if spec.multi:
                items = [raw] if isinstance(raw, str) else list(raw)
                values: list[object] = []
                for item in items:
                    value = (
                        spec.parse(str(item).strip())
                        if isinstance(item, str)
                        else spec.parse(spec.format(item))
                    )
                    if value not in values:
                        values.append(value)
                normalised: object = tuple(values) if values else None
            else:
                text = raw if isinstance(raw, str) else spec.format(raw)
                normalised = spec.parse(text.strip())
            object.__setattr__(self, spec.field, normalised)
        if self.min_fatalities == 0:
            object.__setattr__(self, "min_fatalities", None)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError(f"'from' ({self.date_from}) is after 'to' ({self.date_to}); swap them")

    @property
    def end_date(self) -> date | None:
        """The last day included: ``to``, or the last day of the ``frame`` month, whichever
        is earlier (None when neither is set)."""
        ends = [d for d in (self.date_to, frame_end(self.frame) if self.frame else None) if d]
        return min(ends) if ends else None

    @property
    def incidents_only(self) -> bool:
        """True when a filter on attack properties leaves threat records out."""
        return bool(self.attributions or self.attack_types or self.min_fatalities)


def aoi_geometry(f: Filters) -> dict | None:
    """The area of interest of ``f`` as a GeoJSON geometry dict (a Polygon), or None."""
    return aoi_geojson(f.aoi)


def _place_phrase(f: Filters) -> str | None:
    names = _admin1_table()
    countries = [COUNTRY_NAMES.get(c, c) for c in f.countries or ()]
    if f.admin1:
        units = _or(names.get(c, c) for c in f.admin1)
        return f"in {units}" + (f" ({_or(countries)})" if countries else "")
    return f"in {_or(countries)}" if countries else None


assert {f.name for f in fields(Filters)} == {s.field for s in REGISTRY}


# --- public functions --------------------------------------------------------------------


def parse_query(qs: str | Mapping[str, str | list[str]]) -> Filters:
    """Parse a query string (``a=b&c=d``, a leading ``?`` is fine) or a mapping such as
    Streamlit's ``st.query_params`` (values a string or a list of strings).

    Strict: an unknown key, an empty or bad value, or a single-valued key given twice
    raises :class:`QueryError` naming the key and listing the valid choices.
    """
    pairs: list[tuple[str, str]] = []
    if isinstance(qs, str):
        text = qs.strip().lstrip("?")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False)
        if text and not pairs:
            raise QueryError(
                f"cannot read {qs!r} as a query; write key=value&key=value "
                f"with keys: {_choices(FILTER_KEYS)}"
            )
    elif isinstance(qs, Mapping):
        for key in qs:
            raw = qs[key]
            if hasattr(qs, "get_all"):  # st.query_params keeps repeated keys this way
                raw = qs.get_all(key) or raw
            for value in [raw] if isinstance(raw, str) else list(raw):
                pairs.append((str(key), str(value)))
    else:
        raise QueryError(f"a query must be a string or a mapping, got {type(qs).__name__}")

    collected: dict[str, list[str]] = {}
    for key, value in pairs:
        key = key.strip()
        if key not in _BY_KEY:
            raise QueryError(f"unknown filter key {key!r}; valid keys: {_choices(FILTER_KEYS)}")
        spec = _BY_KEY[key]
        parts = [p.strip() for p in value.split(",")] if spec.multi else [value.strip()]
        if any(not p for p in parts):
            raise QueryError(
                f"empty value for '{key}'; give a value ({spec.help}) or leave the key out for any"
            )
        if not spec.multi and key in collected:
            raise QueryError(f"'{key}' is given more than once; give it once")
        collected.setdefault(key, []).extend(parts)

    values: dict[str, object] = {}
    for key, texts in collected.items():
        spec = _BY_KEY[key]
        parsed = [spec.parse(t) for t in texts]
        values[spec.field] = tuple(parsed) if spec.multi else parsed[0]
    return Filters(**values)


def to_params(f: Filters) -> dict[str, str]:
    """The non-default filters as query parameters (multi-values comma-separated)."""
    out: dict[str, str] = {}
    for spec in REGISTRY:
        value = getattr(f, spec.field)
        if value is None:
            continue
        out[spec.key] = (
            ",".join(spec.format(v) for v in value) if spec.multi else spec.format(value)
        )
    return out


def to_query(f: Filters) -> str:
    """The query string of ``f`` (defaults omitted); ``parse_query(to_query(f)) == f``."""
    return urlencode(to_params(f), safe=",/")


def describe(f: Filters) -> str:
    """One English sentence for the filter state, e.g. "Claimed or attributed ISKP attacks
    on Chinese nationals in Pakistan, 2024-01-01 to 2025-12-31"."""
    words: list[str] = []
    if f.attributions:
        words.append(_BY_KEY["attribution"].phrase(f.attributions))
    if f.actors:
        words.append(_BY_KEY["actor"].phrase(f.actors))
    if f.attack_types:
        words.append(_BY_KEY["attack_type"].phrase(f.attack_types))
    else:
        words.append("attacks" if f.incidents_only else "attacks and threats")
    if len(words) == 1:
        words.insert(0, "all")
    if f.targets:
        words.append(_BY_KEY["target"].phrase(f.targets))
    place = _place_phrase(f)
    if place:
        words.append(place)
    if f.aoi:
        words.append(_BY_KEY["aoi"].phrase(f.aoi))
    sentence = " ".join(words)
    if f.date_from and f.date_to:
        sentence += f", {f.date_from} to {f.date_to}"
    elif f.date_from:
        sentence += f", since {f.date_from}"
    elif f.date_to:
        sentence += f", up to {f.date_to}"
    else:
        sentence += ", all dates"
    if f.frame:
        sentence += ", " + _BY_KEY["frame"].phrase(f.frame)
    for key, field_name in (("min_fatalities", "min_fatalities"), ("confidence", "confidences")):
        value = getattr(f, field_name)
        if value:
            sentence += ", " + _BY_KEY[key].phrase(value)
    settings = [
        _BY_KEY[k].phrase(getattr(f, n))
        for k, n in (("perspective", "perspective"), ("half_life", "half_life"))
        if getattr(f, n) is not None
    ]
    if settings:
        sentence += "; " + ", ".join(settings)
    return sentence[0].upper() + sentence[1:]


def filter_mask(gdf: pd.DataFrame, f: Filters, kind: str = "incidents") -> np.ndarray:
    """The boolean row mask of :func:`apply_filters` (all filters AND-ed)."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}; use one of: {', '.join(KINDS)}")
    mask = np.ones(len(gdf), dtype=bool)
    for spec in REGISTRY:
        value = getattr(f, spec.field)
        if value is None or not mask.any():
            continue
        keep = spec.predicate(gdf, value, kind)
        if keep is not None:
            mask &= np.asarray(keep, dtype=bool)
    return mask


def sites_in(sites: gpd.GeoDataFrame, f: Filters) -> gpd.GeoDataFrame:
    """The sensitive sites a view shows: with an area of interest only the sites inside it
    (a site's point inside the area or on its edge, as for a record with a point); the
    other filters select records, not places, and keep every site. The map's sites layer,
    the site tables and scores and the exports all take their sites from here."""
    if f.aoi is None or sites is None or not len(sites):
        return sites
    points = (
        sites if sites.crs is None or sites.crs.to_epsg() == 4326 else sites.to_crs("EPSG:4326")
    )
    mask = aoi_mask(points, f.aoi)
    return sites.iloc[np.flatnonzero(mask)] if not mask.all() else sites


def apply_filters(gdf: gpd.GeoDataFrame, f: Filters, kind: str = "incidents") -> gpd.GeoDataFrame:
    """The rows of ``gdf`` (enriched incidents or threats) that pass every filter.

    Returns a new frame (the argument is not modified); the index is kept so rows can be
    traced back. See the module docstring for how each filter applies to threats.
    """
    mask = filter_mask(gdf, f, kind)
    return gdf.iloc[np.flatnonzero(mask)] if not mask.all() else gdf.copy(deep=False)
