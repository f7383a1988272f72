"""De-duplication across sources: the same event reported by two datasets becomes one record.

Rule (documented in docs/IMPORTING.md; thresholds are parameters):

A new record and an existing record (bundled or already imported) *from a different
source dataset* are the same event when either

1. **shared source URL** — they cite the same article (URLs compared without scheme,
   ``www.``, fragment, tracking parameters and trailing slash; the dataset-level citation
   URLs the importers use when a row has no URL of its own never count), or
2. **same actor family, dates within ``days`` (1) and points within ``km`` (10 km)**
   (geodesic distance on WGS84; ``Unknown`` matches ``Unknown``; ISKP and ISPP share the
   family "Islamic State").

Matching is one-to-one: candidate pairs are taken in order (URL matches first, then by
days apart, then by distance); each new record merges into at most one existing record and
each existing record absorbs at most one record of the batch. The existing record is kept
(first come); the new one is stored with ``merged_into`` pointing at it, and the kept record
shows ``merged_from`` and both citations. Records of the same dataset are never merged
(a dataset's own events are distinct by its coding).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.importers.common import DATASET_URLS, normalise_url
from geodata.spatial import geodesic_distance_km

DEDUP_DAYS = 1
DEDUP_KM = 10.0
MERGE_COLUMNS = ("merged_id", "kept_id", "rule", "days_apart", "distance_km")
KEY_COLUMNS = ("id", "source_dataset", "actor_family", "date", "latitude", "longitude",
               "source_1_url", "source_2_url")
"""Columns :func:`find_duplicates` reads from both frames (``date`` as datetime64)."""

_URL_MATCH_KEYS = {normalise_url(u) for u in DATASET_URLS}


def _url_pairs(new: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    def urls(frame: pd.DataFrame, side: str) -> pd.DataFrame:
        parts = []
        for col in ("source_1_url", "source_2_url"):
            if col in frame.columns:
                parts.append(pd.DataFrame({side: frame["id"].to_numpy(),
                                           "url": frame[col].to_numpy()}))
        if not parts:
            return pd.DataFrame(columns=[side, "url"])
        out = pd.concat(parts, ignore_index=True).dropna()
        out = out[out["url"].astype(str).str.strip() != ""]
        out["url"] = out["url"].astype(str).map(normalise_url)
        return out[~out["url"].isin(_URL_MATCH_KEYS)].drop_duplicates()

    pairs = urls(new, "merged_id").merge(urls(existing, "kept_id"), on="url")
    pairs = pairs.drop(columns="url").drop_duplicates()
    pairs["rule"] = "source-url"
    return pairs


def _place_pairs(new: pd.DataFrame, existing: pd.DataFrame, days: int) -> pd.DataFrame:
    left = pd.DataFrame({"merged_id": new["id"].to_numpy(),
                         "family": new["actor_family"].to_numpy(),
                         "day": new["date"].to_numpy().astype("datetime64[D]")})
    right = pd.DataFrame({"kept_id": existing["id"].to_numpy(),
                          "family": existing["actor_family"].to_numpy(),
                          "day": existing["date"].to_numpy().astype("datetime64[D]")})
    parts = []
    for shift in range(-days, days + 1):
        shifted = right.assign(day=right["day"] + np.timedelta64(shift, "D"))
        parts.append(left.merge(shifted, on=["family", "day"])[["merged_id", "kept_id"]])
    pairs = pd.concat(parts, ignore_index=True)
    pairs["rule"] = "actor-date-place"
    return pairs


def find_duplicates(new: pd.DataFrame, existing: pd.DataFrame, days: int = DEDUP_DAYS,
                    km: float = DEDUP_KM) -> pd.DataFrame:
    """Pairs (merged_id from ``new``, kept_id from ``existing``) that are the same event.

    Both frames need :data:`KEY_COLUMNS`. Returns a new frame with
    :data:`MERGE_COLUMNS`; neither argument is modified.
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MERGE_COLUMNS})
    if new.empty or existing.empty:
        return empty
    pairs = pd.concat([_url_pairs(new, existing), _place_pairs(new, existing, days)],
                      ignore_index=True)
    if pairs.empty:
        return empty
    n = new.set_index("id")
    e = existing.set_index("id")
    n_ds = n.loc[pairs["merged_id"], "source_dataset"].to_numpy()
    e_ds = e.loc[pairs["kept_id"], "source_dataset"].to_numpy()
    pairs = pairs[n_ds != e_ds].reset_index(drop=True)
    if pairs.empty:
        return empty
    nl, el = n.loc[pairs["merged_id"]], e.loc[pairs["kept_id"]]
    pairs["distance_km"] = np.round(geodesic_distance_km(
        nl["longitude"].to_numpy(float), nl["latitude"].to_numpy(float),
        el["longitude"].to_numpy(float), el["latitude"].to_numpy(float)), 3)
    pairs["days_apart"] = np.abs(
        (nl["date"].to_numpy() - el["date"].to_numpy()).astype("timedelta64[D]").astype(int))
    near = (pairs["distance_km"] <= km) | (pairs["rule"] == "source-url")
    pairs = pairs[near]
    pairs = pairs.assign(_url_first=(pairs["rule"] != "source-url").astype(int))
    pairs = pairs.sort_values(["_url_first", "days_apart", "distance_km", "merged_id",
                               "kept_id"], kind="stable")
    chosen, used_new, used_old = [], set(), set()
    for row in pairs.itertuples(index=False):
        if row.merged_id in used_new or row.kept_id in used_old:
            continue
        used_new.add(row.merged_id)
        used_old.add(row.kept_id)
        chosen.append(row)
    if not chosen:
        return empty
    out = pd.DataFrame(chosen)[list(MERGE_COLUMNS)]
    return out.reset_index(drop=True)
