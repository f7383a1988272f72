"""Joining records to the geography: the unit each point falls in and the units the record
names, the distances to the border and the corridors, and the actors and target categories
read from their text (every record source goes through :func:`enrich_records`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geodata.actors import actor_family, canonical_actors
from geodata.places import admin1_codes
from geodata.spatial import METRIC_CRS, WGS84, assign_admin1, distance_to_km, nearest_line

if TYPE_CHECKING:
    from geodata.bundle import Geography


def enrich_records(records: pd.DataFrame, kind: str, geo: Geography) -> gpd.GeoDataFrame:
    """Join validated records to the geography. Returns a new GeoDataFrame (EPSG:4326).

    Derived columns:
    - ``admin1``: ISO 3166-2 code of the unit the point falls in (coastal points of
      AF/PK records snap to the nearest unit within 5 km; points outside AF/PK and
      records without coordinates get None);
    - ``admin1_stated``: codes of the province(s) the record names (a tuple);
    - ``admin1_mismatch``: True when both are known and the point's unit is not a
      stated one (the point is kept where the source put it);
    - ``admin1_for_scoring``: the point's unit, or the stated units when the record has
      no point (tuple);
    - ``dist_border_km``, ``nearest_corridor``, ``dist_corridor_km``: distances in the
      metric projection :data:`geodata.spatial.METRIC_CRS` (within ~1 % of geodesic);
    - incidents and threats: ``actor_canonical`` (the group named first, ISKP under all
      its aliases), ``actors_all`` (tuple), ``actor_family``, ``target_categories``
      (list of the ';'-separated categories).
    """
    lon, lat = records["longitude"].to_numpy(float), records["latitude"].to_numpy(float)
    has_point = ~(np.isnan(lon) | np.isnan(lat))
    geoms = np.full(len(records), None, dtype=object)
    geoms[has_point] = shapely.points(lon[has_point], lat[has_point])
    out = gpd.GeoDataFrame(
        records.copy(), geometry=gpd.GeoSeries(geoms, crs=WGS84).values, crs=WGS84
    )

    afpak = records["country"].isin(["AFG", "PAK"]).to_numpy()
    admin1 = assign_admin1(out.geometry, geo.admin1, may_snap=afpak).to_numpy()
    # Stated codes, mismatch and scoring units depend only on (province text, AF/PK,
    # geometric unit): compute them once per distinct combination.
    combos = pd.DataFrame(
        {
            "province": records["province"].astype(object).to_numpy(),
            "afpak": afpak,
            "admin1": admin1,
        }
    )
    codes, uniques = pd.factorize(
        pd.MultiIndex.from_frame(combos.fillna({"province": ""}).astype({"admin1": object}))
    )
    stated_u, mismatch_u, scoring_u = [], [], []
    for province, is_afpak, unit in uniques:
        stated = _cached_codes(province or None) if is_afpak else ()
        unit = None if unit is None or (isinstance(unit, float) and unit != unit) else unit
        stated_u.append(stated)
        mismatch_u.append(unit is not None and bool(stated) and unit not in stated)
        scoring_u.append((unit,) if unit is not None else stated)
    out["admin1"] = pd.Series(admin1, index=out.index, dtype=object)
    out["admin1_stated"] = pd.Series(_take(stated_u, codes), index=out.index, dtype=object)
    out["admin1_mismatch"] = np.asarray(mismatch_u, dtype=bool)[codes]
    out["admin1_for_scoring"] = pd.Series(_take(scoring_u, codes), index=out.index, dtype=object)

    pts_m = np.full(len(records), None, dtype=object)
    if has_point.any():
        pts_m[has_point] = gpd.GeoSeries(geoms[has_point], crs=WGS84).to_crs(METRIC_CRS).values
    border_m = geo.border.to_crs(METRIC_CRS).geometry.values[0]
    out["dist_border_km"] = np.round(distance_to_km(pts_m, border_m), 3)
    corridor_ids, corridor_km = nearest_line(pts_m, geo.corridors.to_crs(METRIC_CRS), "route_id")
    out["nearest_corridor"] = corridor_ids
    out["dist_corridor_km"] = np.round(corridor_km, 3)

    if kind in ("incidents", "threats"):
        actor_codes, actor_texts = pd.factorize(records["actor"].astype(object), sort=False)
        actors_u = [canonical_actors(t) for t in actor_texts]
        out["actors_all"] = pd.Series(_take(actors_u, actor_codes), index=out.index, dtype=object)
        out["actor_canonical"] = np.asarray([a[0] for a in actors_u], dtype=object)[actor_codes]
        out["actor_family"] = np.asarray([actor_family(a[0]) for a in actors_u], dtype=object)[
            actor_codes
        ]
        cat_codes, cat_texts = pd.factorize(records["target_category"].astype(object))
        cats_u = [_split_categories(t) for t in cat_texts]
        # Lists (the contract's documented type); each row gets its own list object.
        out["target_categories"] = pd.Series(
            [list(cats_u[c]) for c in cat_codes], index=out.index, dtype=object
        )
    return out


def _take(values: list, codes: np.ndarray) -> np.ndarray:
    """``values[code]`` for every code, as an object array (tuples stay whole)."""
    table = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):  # item by item: numpy would unpack tuples
        table[i] = value
    return table[codes]


def _cached_codes(text: object) -> tuple[str, ...]:
    return admin1_codes(None if text is None else str(text))


def _split_categories(text: object) -> list[str]:
    return [p.strip() for p in str(text).split(";") if p.strip()]
