"""The result of a score: the tables of every level and the records behind each area."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.places import admin1_code
from riskmodel.filters import Filters
from riskmodel.pairs import _Pairs
from riskmodel.records import _Records
from riskmodel.settings import RiskSettings

LEVELS: tuple[str, ...] = ("province", "segment", "site")
EXPLAIN_COLUMNS: tuple[str, ...] = (
    "id",
    "kind",
    "date",
    "actor_canonical",
    "summary",
    "severity",
    "recency",
    "relevance",
    "distance_km",
    "kernel",
    "split",
    "contribution",
)


@dataclass(frozen=True)
class RiskResult:
    """Scores at every level, with what produced them and how to explain each one.

    ``provinces``, ``segments`` and ``sites`` are GeoDataFrames (EPSG:4326) with
    ``id, name, load, score, band, surge, surge_window, surge_change_pct, surge_latest,
    surge_baseline_mean, n_events, n_threats, top_contributor, top_share`` (+ ``country``
    for provinces, ``route_id, seq, km_from, km_to`` for segments, ``asset_type, country``
    for sites) and ``geometry``. With an analyst's band override in force for a province
    or unit (:mod:`geodata.overrides`) its table adds ``band_computed`` and
    ``band_override``, and ``band`` is the analyst's (the score stays computed).
    """

    provinces: gpd.GeoDataFrame | None
    segments: gpd.GeoDataFrame | None
    sites: gpd.GeoDataFrame | None
    filters: Filters
    settings: RiskSettings
    as_of: date
    description: str
    _records: _Records = field(repr=False, compare=False)
    _pairs: dict[str, _Pairs] = field(repr=False, compare=False)

    def table(self, level: str) -> gpd.GeoDataFrame:
        """The score table of ``level`` (province, segment or site)."""
        _check_level(level)
        out = {"province": self.provinces, "segment": self.segments, "site": self.sites}[level]
        if out is None:
            raise ValueError(f"level {level!r} was not scored; pass it in levels=")
        return out

    def area_index(self, area_id: str, level: str) -> int:
        """Row of ``area_id`` in the table (province names work too, e.g. "Kabul")."""
        table = self.table(level)
        ids = table["id"].astype(str)
        text = str(area_id).strip()
        hits = np.flatnonzero(ids.str.upper().to_numpy() == text.upper())
        if not len(hits) and level == "province":
            code = admin1_code(text)
            hits = np.flatnonzero(ids.to_numpy() == code)
        if not len(hits):
            raise ValueError(
                f"no {level} with id {text!r}; ids look like "
                + ", ".join(ids.head(3))
                + f" (see: iskp-atlas scores --level "
                f"{level})"
            )
        return int(hits[0])

    def explain(self, area_id: str, level: str = "province") -> pd.DataFrame:
        """The records behind one area's load, largest contribution first.

        Columns: id, kind (incident/threat), date, actor_canonical, summary, severity
        (threats: credibility weight × threat weight), recency, relevance, distance_km
        (segments/sites), kernel, split, contribution. The contributions sum to the area's
        ``load`` (to float precision).
        """
        idx = self.area_index(area_id, level)
        pairs = self._pairs[level]
        sel = np.flatnonzero(pairs.area == idx)
        rec = pairs.record[sel]
        r = self._records
        actors = np.full(len(rec), None, dtype=object)
        summaries = np.full(len(rec), None, dtype=object)
        for is_threat, frame in ((False, r.sources[0]), (True, r.sources[1])):
            if frame is None:
                continue
            mine = r.is_threat[rec] == is_threat
            pos = rec[mine] - (r.n_incidents if is_threat else 0)
            for name, target in (("actor_canonical", actors), ("summary", summaries)):
                if name in frame.columns:
                    target[mine] = frame[name].to_numpy(dtype=object)[pos]
        out = pd.DataFrame(
            {
                "id": r.ids[rec],
                "kind": np.where(r.is_threat[rec], "threat", "incident"),
                "date": pd.to_datetime(r.dates[rec]),
                "actor_canonical": actors,
                "summary": summaries,
                "severity": r.severity[rec],
                "recency": r.recency[rec],
                "relevance": r.relevance[rec],
                "distance_km": pairs.distance_km[sel],
                "kernel": pairs.kernel[sel],
                "split": pairs.split[sel],
                "contribution": pairs.contribution[sel],
            }
        )
        return out.sort_values("contribution", ascending=False, kind="stable", ignore_index=True)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}; use one of: {', '.join(LEVELS)}")
