"""De-duplication across sources: the same event reported by two datasets becomes one record.

Rule (documented in docs/IMPORTING.md; thresholds are parameters):

A new record and an existing record (bundled or already imported) *from a different
source dataset* are the same event only when all three hold:

1. **same actor family** (``Unknown`` matches ``Unknown``; ISKP and ISPP share the family
   "Islamic State"),
2. **dates within ``days``** (1 day), and
3. **points within ``km``** (10 km, geodesic distance on WGS84).

A **shared source URL is supporting evidence only, never enough on its own**: when the two
records also cite the same article (URLs compared without scheme, ``www.``, fragment,
tracking parameters and trailing slash; the dataset-level citation URLs the importers use
when a row has no URL of its own never count) the merge reason says "same article", and
such a pair is preferred over another candidate at the same distance in days. The window
is not widened for a shared URL: articles are often cited for several events (a round-up,
a follow-up), so two events citing one article 8, 260 or 1,126 days apart stay separate.

Matching is one-to-one: candidate pairs are taken in order (fewest days apart, then same
article, then distance); each new record merges into at most one existing record and each
existing record absorbs at most one record of the batch. The existing record is kept
(first come); the new one is stored with ``merged_into`` pointing at it, and the kept record
shows ``merged_from`` and both citations. Records of the same dataset are never merged
(a dataset's own events are distinct by its coding). Pairs a user has undone ("import as
new", :func:`geodata.store.unmerge`) are passed as ``never`` and not proposed again.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geodata.importers.common import DATASET_URLS, normalise_url
from geodata.spatial import geodesic_distance_km

DEDUP_DAYS = 1
"""Largest difference in days between two records of the same event."""
DEDUP_KM = 10.0
"""Largest geodesic distance in km between two records of the same event."""
RULE = "actor-date-place"
MERGE_COLUMNS = (
    "merged_id",
    "kept_id",
    "rule",
    "days_apart",
    "distance_km",
    "family",
    "same_article",
    "reason",
)
KEY_COLUMNS = (
    "id",
    "source_dataset",
    "actor_family",
    "date",
    "latitude",
    "longitude",
    "source_1_url",
    "source_2_url",
)
"""Columns :func:`find_duplicates` reads from both frames (``date`` as datetime64)."""

_URL_MATCH_KEYS = {normalise_url(u) for u in DATASET_URLS}


def merge_reason(
    family: object, days_apart: object, distance_km: object, same_article: bool
) -> str:
    """The reason shown for a merge, e.g. 'same family Islamic State, 0 days, 2.1 km,
    same article'."""
    fam = "Unknown" if family is None or pd.isna(family) else str(family)
    days = "?" if days_apart is None or pd.isna(days_apart) else int(days_apart)
    unit = "day" if days == 1 else "days"
    km = "?" if distance_km is None or pd.isna(distance_km) else f"{float(distance_km):.1f}"
    text = f"same family {fam}, {days} {unit}, {km} km"
    return text + (", same article" if same_article else "")


def _urls(frame: pd.DataFrame, side: str) -> pd.DataFrame:
    parts = []
    for col in ("source_1_url", "source_2_url"):
        if col in frame.columns:
            parts.append(pd.DataFrame({side: frame["id"].to_numpy(), "url": frame[col].to_numpy()}))
    if not parts:
        return pd.DataFrame(columns=[side, "url"])
    out = pd.concat(parts, ignore_index=True).dropna()
    out = out[out["url"].astype(str).str.strip() != ""]
    out["url"] = out["url"].astype(str).map(normalise_url)
    return out[~out["url"].isin(_URL_MATCH_KEYS)].drop_duplicates()


def _shared_url(pairs: pd.DataFrame, new: pd.DataFrame, existing: pd.DataFrame) -> np.ndarray:
    """For each candidate pair: do the two records cite the same article?"""
    if pairs.empty:
        return np.zeros(0, dtype=bool)
    new = new[new["id"].isin(set(pairs["merged_id"]))]  # only the candidates' URLs
    existing = existing[existing["id"].isin(set(pairs["kept_id"]))]
    shared = _urls(new, "merged_id").merge(_urls(existing, "kept_id"), on="url")
    keys = set(zip(shared["merged_id"], shared["kept_id"], strict=True))
    return np.array(
        [(m, k) in keys for m, k in zip(pairs["merged_id"], pairs["kept_id"], strict=True)],
        dtype=bool,
    )


def _place_pairs(new: pd.DataFrame, existing: pd.DataFrame, days: int) -> pd.DataFrame:
    left = pd.DataFrame(
        {
            "merged_id": new["id"].to_numpy(),
            "family": new["actor_family"].fillna("Unknown").to_numpy(),
            "day": new["date"].to_numpy().astype("datetime64[D]"),
        }
    )
    right = pd.DataFrame(
        {
            "kept_id": existing["id"].to_numpy(),
            "family": existing["actor_family"].fillna("Unknown").to_numpy(),
            "day": existing["date"].to_numpy().astype("datetime64[D]"),
        }
    )
    parts = []
    for shift in range(-days, days + 1):
        shifted = right.assign(day=right["day"] + np.timedelta64(shift, "D"))
        parts.append(left.merge(shifted, on=["family", "day"])[["merged_id", "kept_id", "family"]])
    return pd.concat(parts, ignore_index=True).drop_duplicates(["merged_id", "kept_id"])


def find_duplicates(
    new: pd.DataFrame,
    existing: pd.DataFrame,
    days: int = DEDUP_DAYS,
    km: float = DEDUP_KM,
    never: Iterable[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Pairs (merged_id from ``new``, kept_id from ``existing``) that are the same event.

    Both frames need :data:`KEY_COLUMNS`; ``never`` lists (merged_id, kept_id) pairs not to
    propose (undone merges). Returns a new frame with :data:`MERGE_COLUMNS`; neither
    argument is modified.
    """
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in MERGE_COLUMNS})
    if new.empty or existing.empty:
        return empty
    pairs = _place_pairs(new, existing, days)
    blocked = set(never)
    if blocked and len(pairs):
        keep = [
            (m, k) not in blocked for m, k in zip(pairs["merged_id"], pairs["kept_id"], strict=True)
        ]
        pairs = pairs[np.array(keep, dtype=bool)]
    if pairs.empty:
        return empty
    n = new.drop_duplicates("id").set_index("id")
    e = existing.drop_duplicates("id").set_index("id")
    n_ds = n.loc[pairs["merged_id"], "source_dataset"].to_numpy()
    e_ds = e.loc[pairs["kept_id"], "source_dataset"].to_numpy()
    pairs = pairs[n_ds != e_ds].reset_index(drop=True)
    if pairs.empty:
        return empty
    nl, el = n.loc[pairs["merged_id"]], e.loc[pairs["kept_id"]]
    pairs["distance_km"] = np.round(
        geodesic_distance_km(
            nl["longitude"].to_numpy(float),
            nl["latitude"].to_numpy(float),
            el["longitude"].to_numpy(float),
            el["latitude"].to_numpy(float),
        ),
        3,
    )
    pairs["days_apart"] = np.abs(
        (nl["date"].to_numpy() - el["date"].to_numpy()).astype("timedelta64[D]").astype(int)
    )
    pairs = pairs[(pairs["distance_km"] <= km) & (pairs["days_apart"] <= days)]
    if pairs.empty:
        return empty
    pairs = pairs.reset_index(drop=True)
    pairs["same_article"] = _shared_url(pairs, new, existing)
    pairs["rule"] = RULE
    pairs = pairs.assign(_other=(~pairs["same_article"]).astype(int))
    pairs = pairs.sort_values(
        ["days_apart", "_other", "distance_km", "merged_id", "kept_id"], kind="stable"
    )
    chosen, used_new, used_old = [], set(), set()
    for row in pairs.itertuples(index=False):
        if row.merged_id in used_new or row.kept_id in used_old:
            continue
        used_new.add(row.merged_id)
        used_old.add(row.kept_id)
        chosen.append(row)
    if not chosen:
        return empty
    out = pd.DataFrame(chosen)
    out["same_article"] = out["same_article"].astype(bool)
    out["reason"] = [
        merge_reason(f, d, k, s)
        for f, d, k, s in zip(
            out["family"], out["days_apart"], out["distance_km"], out["same_article"], strict=True
        )
    ]
    return out[list(MERGE_COLUMNS)].reset_index(drop=True)
