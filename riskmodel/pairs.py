"""Record ↔ area pairs: which records count for which province, segment or site, and how much.

A province takes the records located in it (a record spread over k provinces counts 1/k
in each, the ``split``); a segment or site takes the records with a point within the
cut-off distance, weighted by the Gaussian ``kernel`` of the distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.spatial import METRIC_CRS, WGS84
from riskmodel.filters import scoring_units
from riskmodel.records import _Records
from riskmodel.settings import RiskSettings

NATIONWIDE_COUNTRIES: tuple[str, ...] = ("AFG", "PAK")


@dataclass
class _Pairs:
    """One row per (record, area) with a non-zero contribution."""

    record: np.ndarray
    area: np.ndarray
    distance_km: np.ndarray
    kernel: np.ndarray
    split: np.ndarray
    contribution: np.ndarray


def _province_pairs(records: _Records, admin1: gpd.GeoDataFrame) -> _Pairs:
    codes_index = pd.Index(admin1["iso_3166_2"].to_numpy(dtype=object))
    rows_all: list[np.ndarray] = []
    codes_all: list[np.ndarray] = []
    offset = 0
    for frame in records.sources:
        if frame is None:
            continue
        rows, numbers, units_seen = scoring_units(frame)
        rows_all.append(rows + offset)
        codes_all.append(codes_index.get_indexer(units_seen)[numbers])
        # Records in AF/PK with no unit at all (nationwide statements): spread over the
        # country's units.
        nation = frame["country"].to_numpy(dtype=object)
        has_unit = np.zeros(len(frame), dtype=bool)
        has_unit[rows] = True
        for country in NATIONWIDE_COUNTRIES:
            lone = np.flatnonzero(~has_unit & (nation == country))
            units = (
                admin1.loc[admin1["country"] == country, "iso_3166_2"].to_numpy(object)
                if "country" in admin1.columns
                else np.array([], dtype=object)
            )
            if len(lone) and len(units):
                rows_all.append(np.repeat(lone, len(units)) + offset)
                codes_all.append(np.tile(codes_index.get_indexer(units), len(lone)))
        offset += len(frame)
    rows = np.concatenate(rows_all) if rows_all else np.zeros(0, np.int64)
    area = np.concatenate(codes_all) if codes_all else np.zeros(0, np.int64)
    rows, area = rows[area >= 0], area[area >= 0]
    split = 1.0 / np.bincount(rows, minlength=len(records))[rows]
    contribution = records.base[rows] * split
    ones = np.ones(len(rows))
    keep = contribution > 0
    return _Pairs(
        rows[keep],
        area[keep],
        np.full(keep.sum(), np.nan),
        ones[keep],
        split[keep],
        contribution[keep],
    )


def _padded_vertices(targets_metric: np.ndarray) -> np.ndarray:
    """Array [n_targets, max_vertices, 2]; short lines repeat their last vertex."""
    coords, owner = shapely.get_coordinates(targets_metric, return_index=True)
    counts = np.bincount(owner, minlength=len(targets_metric))
    if (counts == 0).any():
        raise ValueError("a segment or site has no coordinates")
    width = int(counts.max())
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    pos = np.minimum(np.arange(width)[None, :], (counts - 1)[:, None]) + starts[:, None]
    return coords[pos]


def _kernel_pairs(
    records: _Records, targets: list[gpd.GeoDataFrame], settings: RiskSettings
) -> list[_Pairs]:
    """Record points within the cut-off of each target (lines or points), with the kernel.

    All target layers share one STRtree query, so the records are scanned once.
    """
    sigma_km, cutoff_km = settings.bandwidth_km, settings.cutoff_km
    sizes = [len(t) for t in targets]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    has = np.flatnonzero(~np.isnan(records.x))
    empty = np.zeros(0)
    if not len(has) or not offsets[-1]:
        return [
            _Pairs(empty.astype(np.int64), empty.astype(np.int64), empty, empty, empty, empty)
            for _ in targets
        ]
    wgs = np.concatenate([np.asarray(t.to_crs(WGS84).geometry.values) for t in targets])
    metric = np.concatenate([np.asarray(t.to_crs(METRIC_CRS).geometry.values) for t in targets])
    # Candidate pairs from an STRtree of the targets' envelopes widened by the cut-off in
    # degrees (generously: 1.1 × the km-per-degree at the poleward edge), then exact
    # distances in the metric CRS.
    minx, miny, maxx, maxy = shapely.bounds(wgs).T
    dlat = cutoff_km / 110.5 * 1.1
    poleward = np.minimum(np.maximum(np.abs(miny), np.abs(maxy)) + dlat, 89.0)
    dlon = cutoff_km / (111.32 * np.cos(np.radians(poleward))) * 1.1
    tree = shapely.STRtree(shapely.box(minx - dlon, miny - dlat, maxx + dlon, maxy + dlat))
    verts = _padded_vertices(metric)
    # Records in chunks, to bound the temporary arrays (a loop over chunks, not rows).
    found = [
        _near_pairs(records, has[i : i + _CHUNK], tree, verts, sigma_km, cutoff_km)
        for i in range(0, len(has), _CHUNK)
    ]
    rec, target, dist_km, kernel, contribution = (
        np.concatenate(parts) for parts in zip(*found, strict=True)
    )
    out = []
    for i in range(len(targets)):
        mine = (target >= offsets[i]) & (target < offsets[i + 1])
        out.append(
            _Pairs(
                rec[mine],
                target[mine] - offsets[i],
                dist_km[mine],
                kernel[mine],
                np.ones(int(mine.sum())),
                contribution[mine],
            )
        )
    return out


_CHUNK = 250_000


def _near_pairs(
    records: _Records,
    rows: np.ndarray,
    tree: shapely.STRtree,
    verts: np.ndarray,
    sigma_km: float,
    cutoff_km: float,
) -> tuple[np.ndarray, ...]:
    """(record, target, distance km, kernel, contribution) for ``rows`` within the cut-off."""
    hit, target = tree.query(records.geoms[rows])
    rec = rows[hit]
    px, py = records.x[rec], records.y[rec]
    best = (px - verts[target, 0, 0]) ** 2 + (py - verts[target, 0, 1]) ** 2
    for k in range(verts.shape[1] - 1):  # loop over vertex slots, vectorised over pairs
        ax, ay = verts[target, k, 0], verts[target, k, 1]
        dx, dy = verts[target, k + 1, 0] - ax, verts[target, k + 1, 1] - ay
        length2 = dx * dx + dy * dy
        t = np.clip(
            ((px - ax) * dx + (py - ay) * dy) / np.where(length2 > 0, length2, 1.0), 0.0, 1.0
        )
        best = np.minimum(best, (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2)
    dist_km = np.sqrt(best) / 1000.0
    within = dist_km <= cutoff_km
    rec, target, dist_km = rec[within], target[within], dist_km[within]
    kernel = np.exp(-0.5 * (dist_km / sigma_km) ** 2)
    contribution = records.base[rec] * kernel
    keep = contribution > 0
    return rec[keep], target[keep], dist_km[keep], kernel[keep], contribution[keep]
