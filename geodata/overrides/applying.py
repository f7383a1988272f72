"""Applying the overrides in force to the data: a new bundle with the analysts' values and
the computed ones beside them (see :mod:`geodata.overrides` for the columns)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.actors import actor_family
from geodata.bundle import Bundle
from geodata.overrides.stored import active_overrides
from geodata.overrides.values import AREA_KIND, CONFIDENCE_COLUMN, RECORD_KINDS


def note(row: pd.Series | dict) -> str:
    """'analyst alice, until 2027-03-31: <reason>' — who, until when, why (plain text)."""
    r = dict(row)
    return f"analyst {r['author']}, until {r['expires_on']}: {r['reason']}"


def _apply_records(frame: gpd.GeoDataFrame, kind: str, active: pd.DataFrame) -> gpd.GeoDataFrame:
    mine = active[active["target_kind"] == kind]
    if mine.empty or frame.empty:
        return frame
    ids = frame["id"].astype(str)
    mine = mine[mine["target_id"].astype(str).isin(set(ids))]
    if mine.empty:
        return frame
    out = frame.copy()
    for field, rows in mine.groupby("field", sort=True):
        values = dict(zip(rows["target_id"].astype(str), rows["value"], strict=True))
        notes = dict(
            zip(rows["target_id"].astype(str), [note(r) for _, r in rows.iterrows()], strict=True)
        )
        hit = ids.isin(set(values)).to_numpy()
        new = ids[hit].map(values)
        if field == "confidence":
            column = CONFIDENCE_COLUMN[kind]
            out[f"{column}_computed"] = out[column].astype(object)
            out[f"{column}_override"] = ids.map(notes).astype(object).where(hit, None)
            col = out[column].astype(object)
            col[hit] = new.to_numpy()
            out[column] = col
        elif field == "attribution" and "actor_canonical" in out.columns:
            out["actor_computed"] = out["actor_canonical"].astype(object)
            out["actor_override"] = ids.map(notes).astype(object).where(hit, None)
            positions = np.flatnonzero(hit)
            for column, make in (
                ("actor_canonical", str),
                ("actor_family", actor_family),
                ("actors_all", lambda a: (a,)),
            ):
                if column not in out.columns:
                    continue
                arr = out[column].to_numpy(dtype=object).copy()
                for p, actor in zip(positions, new.to_numpy(), strict=True):
                    arr[p] = make(actor)
                out[column] = pd.Series(arr, index=out.index, dtype=object)
    return out


def _apply_areas(admin1: gpd.GeoDataFrame, active: pd.DataFrame) -> gpd.GeoDataFrame:
    mine = active[(active["target_kind"] == AREA_KIND) & (active["field"] == "band")]
    codes = admin1["iso_3166_2"].astype(str)
    mine = mine[mine["target_id"].astype(str).isin(set(codes))]
    if mine.empty:
        return admin1
    values = dict(zip(mine["target_id"].astype(str), mine["value"], strict=True))
    notes = dict(
        zip(mine["target_id"].astype(str), [note(r) for _, r in mine.iterrows()], strict=True)
    )
    out = admin1.copy()
    out["analyst_band"] = codes.map(values).astype(object).where(codes.isin(set(values)), None)
    out["analyst_band_note"] = codes.map(notes).astype(object).where(codes.isin(set(notes)), None)
    return out


def apply_overrides(bundle: Bundle, active: pd.DataFrame) -> Bundle:
    """``bundle`` with the ``active`` overrides (:func:`active_overrides`) applied — a new
    bundle; ``bundle`` is not changed. See :mod:`geodata.overrides` for the columns."""
    if active is None or active.empty:
        return bundle
    updates = {kind: _apply_records(getattr(bundle, kind), kind, active) for kind in RECORD_KINDS}
    updates["admin1"] = _apply_areas(bundle.admin1, active)
    return replace(bundle, **updates)


def load_with_overrides(
    bundle: Bundle, home: Path | str | None, today: date | None = None
) -> Bundle:
    """The overrides in force on ``today`` in the store ``home``, applied to ``bundle``."""
    return apply_overrides(bundle, active_overrides(home, today))
