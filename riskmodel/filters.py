"""One filter language for the whole product: query string ⇄ Filters ⇄ sentence ⇄ rows.

A query such as ``from=2024-01-01&to=2025-12-31&actor=ISKP&target=chinese_nationals&
attribution=claimed,attributed&country=PAK`` is parsed strictly by :func:`parse_query`
into a frozen :class:`Filters`; :func:`to_query` writes it back, :func:`describe` renders
it as one English sentence, and :func:`apply_filters` selects the records.

Each filter is declared once, in :data:`REGISTRY`, with its query key, value parser,
row predicate and phrase. Multi-valued keys take comma-separated values or repeated keys
(``actor=ISKP,TTP`` = ``actor=ISKP&actor=TTP``); values within a key are OR-ed, keys are
AND-ed.

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

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from urllib.parse import parse_qsl, urlencode

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.actors import ACTORS, canonical_actors
from geodata.contract import ATTRIBUTIONS, CONFIDENCE_LEVELS, TARGET_CATEGORIES
from geodata.places import admin1_code, crosswalk
from riskmodel.aoi import Aoi, AoiError, aoi_geojson, aoi_mask, parse_aoi
from riskmodel.settings import PRESETS
from riskmodel.vocab import ATTACK_TYPES, COUNTRY_NAMES, TARGET_LABELS, attack_type_classes

KINDS = ("incidents", "threats")


class QueryError(ValueError):
    """A filter query the user must fix; the message names the key, the value and the
    valid choices."""


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


# --- value parsers -------------------------------------------------------------------------


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


def _error(key: str, value: str, valid: str) -> QueryError:
    return QueryError(f"bad value {value!r} for '{key}'; valid: {valid}")


def _parse_date(key: str) -> Callable[[str], date]:
    def parse(text: str) -> date:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise _error(key, text, "a date written YYYY-MM-DD, e.g. 2024-01-31") from None

    return parse


def _parse_choice(
    key: str, allowed: Iterable[str], aliases: Mapping[str, str] | None = None
) -> Callable[[str], str]:
    allowed = tuple(allowed)
    lookup = {a.lower(): a for a in allowed}
    lookup.update({k.lower(): v for k, v in (aliases or {}).items()})

    def parse(text: str) -> str:
        found = lookup.get(text.lower())
        if found is None:
            raise _error(key, text, _choices(allowed))
        return found

    return parse


def _parse_actor(text: str) -> str:
    exact = {name.lower(): name for name in ACTORS}
    if text.lower() in exact:
        return exact[text.lower()]
    named = canonical_actors(text)
    if len(named) == 1 and named[0] not in ("Other", "Unknown"):
        return named[0]  # an alias such as ISIS-K or "Islamic State Khorasan Province"
    raise _error("actor", text, _choices(ACTORS) + " (or an alias such as ISIS-K)")


def _admin1_table() -> dict[str, str]:
    table = crosswalk()
    return dict(zip(table["iso_3166_2"], table["name"], strict=True))


def _parse_admin1(text: str) -> str:
    codes = _admin1_table()
    upper = text.upper()
    if upper in codes:
        return upper
    code = admin1_code(text)
    if code in codes:
        return code
    raise _error(
        "admin1", text, "an ISO 3166-2 code or name of the 41 units: " + _choices(sorted(codes))
    )


def _parse_country(text: str) -> str:
    upper = text.upper()
    if re.fullmatch(r"[A-Z]{3}", upper):
        return upper
    by_name = {n.lower(): c for c, n in COUNTRY_NAMES.items()}
    if text.lower() in by_name:
        return by_name[text.lower()]
    raise _error("country", text, "an ISO 3166-1 alpha-3 code such as " + _choices(COUNTRY_NAMES))


def _parse_min_fatalities(text: str) -> int:
    if not re.fullmatch(r"\d{1,7}", text):
        raise _error("min_fatalities", text, "a whole number of deaths, 0 or more")
    return int(text)


def _parse_half_life(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value <= 3650:
        raise _error("half_life", text, "a number of days from 1 to 3650, e.g. 180")
    return value


def _parse_aoi(text: str) -> Aoi:
    try:
        return parse_aoi(text)
    except AoiError as exc:
        raise QueryError(str(exc)) from None


def _parse_frame(text: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1900 <= int(match[1]) <= 2100 or not 1 <= int(match[2]) <= 12:
        raise _error("frame", text, "a month written YYYY-MM, e.g. 2025-06")
    return text


def frame_end(frame: str) -> date:
    """The last day of a ``frame`` month (``2025-06`` → 2025-06-30)."""
    return (pd.Period(frame, "M").end_time).date()


def aoi_geometry(f: Filters) -> dict | None:
    """The area of interest of ``f`` as a GeoJSON geometry dict (a Polygon), or None."""
    return aoi_geojson(f.aoi)


# --- row predicates (return a boolean array, or None when the filter keeps every row) ---


def _column(gdf: pd.DataFrame, name: str, key: str) -> pd.Series:
    if name not in gdf.columns:
        raise ValueError(
            f"filter '{key}' needs the column '{name}'; enrich the records with "
            "geodata.enrich_records first"
        )
    return gdf[name]


def _per_unique(series: pd.Series, test: Callable[[object], bool]) -> np.ndarray:
    """Evaluate ``test`` once per distinct value (hashable or list) and spread it."""
    try:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
    except TypeError:  # lists are not hashable
        codes, uniques = pd.factorize(
            series.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v),
            use_na_sentinel=True,
        )
    verdict = np.array([bool(test(u)) for u in uniques] + [False], dtype=bool)
    return verdict[codes]


def target_category_codes(gdf: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, ...]]]:
    """Codes (−1 for missing) and the distinct category tuples of ``target_categories``.

    ``target_categories`` is hashed directly when it holds tuples. When it holds lists (as
    geodata.enrich_records makes them) the text column ``target_category`` it was derived
    from is factorised instead and split the same way (';'-separated, stripped): the same
    result, without converting a million lists.
    """
    cats = _column(gdf, "target_categories", "target")
    try:
        codes, uniques = pd.factorize(cats, use_na_sentinel=True)
        return codes, [tuple(u) for u in uniques]
    except TypeError:
        pass
    if "target_category" in gdf.columns:
        codes, uniques = pd.factorize(gdf["target_category"], use_na_sentinel=True)
        return codes, [tuple(p.strip() for p in str(u).split(";") if p.strip()) for u in uniques]
    codes, uniques = pd.factorize(
        cats.map(lambda v: tuple(v) if isinstance(v, list | np.ndarray) else v),
        use_na_sentinel=True,
    )
    return codes, [tuple(u) for u in uniques]


def _dates(gdf: pd.DataFrame, key: str) -> np.ndarray:
    return pd.to_datetime(_column(gdf, "date", key)).to_numpy("datetime64[ns]")


def _pred_from(gdf, value: date, kind: str) -> np.ndarray:
    return _dates(gdf, "from") >= np.datetime64(value, "ns")


def _pred_to(gdf, value: date, kind: str) -> np.ndarray:
    # 'to' is inclusive of the whole day.
    return _dates(gdf, "to") < np.datetime64(value, "ns") + np.timedelta64(1, "D")


def _pred_actor(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    wanted = set(value)
    return _per_unique(
        _column(gdf, "actors_all", "actor"), lambda names: bool(wanted.intersection(names or ()))
    )


def _pred_target(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    wanted = set(value)
    codes, uniques = target_category_codes(gdf)
    verdict = np.array([bool(wanted.intersection(u)) for u in uniques] + [False], dtype=bool)
    return verdict[codes]


def _incidents_only(test: Callable[[pd.DataFrame, object], np.ndarray]):
    def predicate(gdf, value, kind: str) -> np.ndarray:
        if kind == "threats":
            return np.zeros(len(gdf), dtype=bool)
        return test(gdf, value)

    return predicate


def _attack(gdf, value) -> np.ndarray:
    classes = attack_type_classes(_column(gdf, "attack_type", "attack_type"))
    return np.isin(classes, list(value))


def _attribution(gdf, value) -> np.ndarray:
    return _column(gdf, "attribution", "attribution").isin(value).to_numpy()


def _fatalities(gdf, value) -> np.ndarray:
    deaths = pd.to_numeric(_column(gdf, "fatalities", "min_fatalities"), errors="coerce")
    return deaths.to_numpy(dtype=float, na_value=np.nan) >= value


def _pred_confidence(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    name = "credibility" if kind == "threats" else "confidence"
    return _column(gdf, name, "confidence").isin(value).to_numpy()


def _pred_country(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    return _column(gdf, "country", "country").isin(value).to_numpy()


def scoring_units(gdf: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, unit number, units) from ``admin1_for_scoring``, vectorised.

    ``units[unit number]`` is the ISO 3166-2 code. Rows with a point use their ``admin1``
    (identical to ``admin1_for_scoring`` by construction in geodata.enrich_records), which
    is factorised; only rows without one are exploded.
    """
    units = _column(gdf, "admin1_for_scoring", "admin1")
    n = len(gdf)
    if "admin1" in gdf.columns:
        point_codes, point_units = pd.factorize(gdf["admin1"], use_na_sentinel=True)
        point_units = np.asarray(point_units, dtype=object)
    else:
        point_codes, point_units = np.full(n, -1), np.array([], dtype=object)
    rows_a = np.flatnonzero(point_codes >= 0)
    rest = np.flatnonzero(point_codes < 0)
    exploded = (
        pd.Series(units.to_numpy(dtype=object)[rest], index=rest)
        .map(lambda v: tuple(v) if isinstance(v, list | tuple | np.ndarray) else ())
        .explode()
        .dropna()
    )
    extra_codes, extra_units = pd.factorize(exploded.to_numpy(dtype=object))
    rows = np.concatenate([rows_a, exploded.index.to_numpy(dtype=np.int64)])
    numbers = np.concatenate([point_codes[rows_a], extra_codes + len(point_units)])
    all_units = np.concatenate([point_units, np.asarray(extra_units, dtype=object)])
    return rows.astype(np.int64), numbers.astype(np.int64), all_units


def _pred_admin1(gdf, value: tuple[str, ...], kind: str) -> np.ndarray:
    rows, numbers, units = scoring_units(gdf)
    keep = np.zeros(len(gdf), dtype=bool)
    keep[rows[np.isin(units, list(value))[numbers]]] = True
    return keep


def _pred_aoi(gdf, value: Aoi, kind: str) -> np.ndarray:
    return aoi_mask(gdf, value)


def _pred_frame(gdf, value: str, kind: str) -> np.ndarray:
    return _dates(gdf, "frame") < np.datetime64(frame_end(value), "ns") + np.timedelta64(1, "D")


def _no_rows(gdf, value, kind: str) -> None:
    return None


# --- phrases ---------------------------------------------------------------------------


def _or(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 2:
        return " or ".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


def _actor_phrase(value: tuple[str, ...]) -> str:
    labels = {"Unknown": "unattributed", "Other": "other-actor"}
    return _or(labels.get(a, a) for a in value)


def _place_phrase(f: Filters) -> str | None:
    names = _admin1_table()
    countries = [COUNTRY_NAMES.get(c, c) for c in f.countries or ()]
    if f.admin1:
        units = _or(names.get(c, c) for c in f.admin1)
        return f"in {units}" + (f" ({_or(countries)})" if countries else "")
    return f"in {_or(countries)}" if countries else None


# --- the registry ------------------------------------------------------------------------


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


def _date_text(value: object) -> str:
    return str(value)[:10]  # date, datetime or Timestamp → YYYY-MM-DD


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


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
