"""Load the bundled geography and records as validated, joined GeoDataFrames (cached on
disk under a key of the bundled files, the code and the library versions)."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geodata.contract import DataContractError, Problem, validate_records
from geodata.diskcache import cache_dir as cache_dir
from geodata.diskcache import cache_disabled as cache_disabled
from geodata.diskcache import hash_code
from geodata.diskcache import read_pickle as read_pickle
from geodata.diskcache import write_pickle as write_pickle
from geodata.enrich import enrich_records as enrich_records
from geodata.spatial import WGS84, geodesic_length_km

BORDER_REFERENCE_LENGTH_KM = 2640.0
"""Length usually given for the Af-Pak boundary; the bundled line is generalised."""

CORRIDOR_NAMES: dict[str, str] = {
    "KKH_N35": "Karakoram Highway (N-35): Kashgar – Khunjerab – Havelian – Rawalpindi",
    "WESTERN_ALIGNMENT": "CPEC western alignment: Hakla – D.I. Khan – Zhob – Quetta – Gwadar",
    "CENTRAL_ALIGNMENT": "CPEC central alignment: Hakla – D.G. Khan – Khuzdar – Gwadar",
    "EASTERN_ALIGNMENT_NHA": "CPEC eastern alignment (NHA): Islamabad – Multan – Sukkur – "
    "Khuzdar – Gwadar",
    "EASTERN_MOTORWAY_KARACHI_VARIANT": "Eastern motorways via Karachi: Islamabad – Lahore – "
    "Multan – Sukkur – Karachi – Gwadar (N-10)",
}

RECORD_FILES = {"incidents": "incidents.csv", "threats": "threats.csv", "sites": "assets.csv"}


def data_path(name: str) -> Path:
    """Path of a bundled data file (inside the installed ``geodata`` package)."""
    return Path(str(resources.files("geodata") / "data" / name))


@dataclass(frozen=True)
class Geography:
    """The reference layers every record is joined to."""

    provinces: gpd.GeoDataFrame
    pak_admin1: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame  # the 41 units together
    countries: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    waypoints: gpd.GeoDataFrame


@dataclass(frozen=True)
class Bundle:
    """Every bundled layer, validated, in EPSG:4326.

    ``incidents``, ``threats`` and ``sites`` carry every column of their reference file
    plus the derived columns described in :func:`enrich_records`. Use
    :meth:`with_records` to add imported records (it returns a new bundle).
    """

    provinces: gpd.GeoDataFrame
    pak_admin1: gpd.GeoDataFrame
    admin1: gpd.GeoDataFrame
    countries: gpd.GeoDataFrame
    border: gpd.GeoDataFrame
    corridors: gpd.GeoDataFrame
    waypoints: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    threats: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame

    @property
    def geography(self) -> Geography:
        """The reference layers, for joining new records."""
        return Geography(
            self.provinces,
            self.pak_admin1,
            self.admin1,
            self.countries,
            self.border,
            self.corridors,
            self.waypoints,
        )

    def with_records(self, **frames: gpd.GeoDataFrame) -> Bundle:
        """A new bundle with the given enriched record layers appended to the bundled ones.

        Ids must stay unique: a clash raises :class:`DataContractError`.
        """
        updates = {}
        for kind, extra in frames.items():
            base = getattr(self, kind)
            clash = sorted(set(base["id"]) & set(extra["id"]))
            if clash:
                raise DataContractError(
                    kind,
                    [
                        Problem(
                            None,
                            clash[0],
                            "id",
                            clash[0],
                            f"{len(clash)} id(s) already exist in the bundled {kind}; "
                            "give imported records their own ids",
                        )
                    ],
                )
            updates[kind] = gpd.GeoDataFrame(
                pd.concat([base, extra], ignore_index=True), geometry="geometry", crs=WGS84
            )
        return dataclasses.replace(self, **updates)


# --- Geography -----------------------------------------------------------------------------


def _read_units(name: str) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(data_path(name))
    gdf = gdf.set_crs(WGS84, allow_override=True)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    out = gpd.GeoDataFrame(
        {
            "iso_3166_2": gdf["iso_3166_2"].astype(str),
            "name": gdf["name"].astype(str),
        },
        geometry=gdf.geometry.values,
        crs=WGS84,
    )
    from geodata.places import crosswalk

    local = crosswalk().set_index("iso_3166_2")["pycountry_name"]
    out["name_local"] = (
        out["iso_3166_2"].map(local).where(lambda s: s.notna() & (s != out["name"]), None)
    )
    out["country"] = np.where(out["iso_3166_2"].str.startswith("AF"), "AFG", "PAK")
    if "PK-JK" in set(out["iso_3166_2"]) or "PK-GB" in set(out["iso_3166_2"]):
        out["disputed_note"] = np.where(
            out["iso_3166_2"].isin(["PK-JK", "PK-GB"]),
            "Pakistan-administered part of disputed Kashmir",
            None,
        )
    return out.sort_values("iso_3166_2", ignore_index=True)[
        [
            c
            for c in ("iso_3166_2", "name", "name_local", "country", "disputed_note")
            if c in out.columns
        ]
        + ["geometry"]
    ]


def _countries(provinces: gpd.GeoDataFrame, pak: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for iso3, iso2, name, units in (
        ("AFG", "AF", "Afghanistan", provinces),
        ("PAK", "PK", "Pakistan", pak),
    ):
        shape = shapely.make_valid(shapely.union_all(units.geometry.values, grid_size=1e-6))
        rows.append({"iso3": iso3, "iso_3166_1": iso2, "name": name, "geometry": shape})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


def _border() -> gpd.GeoDataFrame:
    raw = pyogrio.read_dataframe(data_path("afg_pak_border.geojson"))
    geom = shapely.line_merge(shapely.make_valid(raw.geometry.values[0]))
    return gpd.GeoDataFrame(
        {
            "name": [str(raw["name"].iloc[0])],
            "length_km": [round(geodesic_length_km(geom), 1)],
            "reference_length_km": [BORDER_REFERENCE_LENGTH_KM],
            "generalised": [True],
            "note": [
                "Natural Earth 10m line, generalised: it measures about 2,245 km, while the "
                "boundary is usually given as about 2,640 km."
            ],
        },
        geometry=[geom],
        crs=WGS84,
    )


def _waypoints() -> gpd.GeoDataFrame:
    wp = pd.read_csv(data_path("cpec_waypoints.csv"), dtype={"geonameid": str, "admin1": str})
    wp["stand_in"] = wp["note"].fillna("").str.contains("STAND-IN", case=False)
    return gpd.GeoDataFrame(wp, geometry=gpd.points_from_xy(wp["lon"], wp["lat"]), crs=WGS84)


def _corridors(waypoints: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for route_id, group in waypoints.groupby("route", sort=False):
        group = group.sort_values("seq")
        line = shapely.LineString(np.column_stack([group["lon"], group["lat"]]))
        stand_ins = group.loc[group["stand_in"], "waypoint"].tolist()
        rows.append(
            {
                "route_id": route_id,
                "name": CORRIDOR_NAMES.get(route_id, route_id),
                "description": group["route_description"].iloc[0],
                "n_waypoints": len(group),
                "waypoints": " – ".join(group["waypoint"]),
                "stand_in_waypoints": "; ".join(stand_ins) if stand_ins else None,
                "length_km": round(geodesic_length_km(line), 1),
                "schematic": True,
                "geometry": line,
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=WGS84)


@lru_cache(maxsize=1)
def load_geography() -> Geography:
    """The reference layers (cached per process; treat as read-only)."""
    provinces = _read_units("afg_adm1.geojson")
    pak = _read_units("pak_adm1.geojson")
    admin1 = gpd.GeoDataFrame(pd.concat([provinces, pak], ignore_index=True), crs=WGS84)
    waypoints = _waypoints()
    return Geography(
        provinces=provinces.drop(columns=["disputed_note"], errors="ignore"),
        pak_admin1=pak,
        admin1=admin1,
        countries=_countries(provinces, pak),
        border=_border(),
        corridors=_corridors(waypoints),
        waypoints=waypoints,
    )


# --- Records ------------------------------------------------------------------------------


def read_record_csv(path: Path | str) -> pd.DataFrame:
    """Read a product-format CSV as text (the contract converts types after checking)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def load_records(
    path: Path | str, kind: str, geo: Geography, source: str | None = None
) -> gpd.GeoDataFrame:
    """Read, validate and enrich one product-format CSV of ``kind``."""
    raw = read_record_csv(path)
    typed = validate_records(raw, kind, source or Path(path).name)
    return enrich_records(typed, kind, geo)


def build_bundle() -> Bundle:
    """Read, validate and join every bundled file (no cache)."""
    geo = load_geography()
    records: Mapping[str, gpd.GeoDataFrame] = {
        kind: load_records(data_path(fname), kind, geo) for kind, fname in RECORD_FILES.items()
    }
    return Bundle(
        provinces=geo.provinces,
        pak_admin1=geo.pak_admin1,
        admin1=geo.admin1,
        countries=geo.countries,
        border=geo.border,
        corridors=geo.corridors,
        waypoints=geo.waypoints,
        incidents=records["incidents"],
        threats=records["threats"],
        sites=records["sites"],
    )


# --- On-disk cache of the validated bundle -------------------------------------------------
# Building the bundle means validating every record against the contract and joining it
# to the geography. The result depends only on the bundled files, the code that builds it
# and the library versions, so it is kept on disk under a key made of all three; any
# change gives a new key and the bundle is validated again. ISKP_ATLAS_NO_CACHE=1 turns
# the cache off; ISKP_ATLAS_CACHE_DIR moves it (:mod:`geodata.diskcache`).


_KEY_CODE = (
    "bundle.py",
    "enrich.py",
    "diskcache.py",
    "contract*.py",
    "spatial.py",
    "actors.py",
    "places.py",
)
"""The code the bundle is built by (globs relative to ``geodata/``: every module of the
contract, however it is split)."""


def cache_key() -> str:
    """Hash of the bundled files, the geodata code and the library versions."""
    import numpy
    import shapely as shp

    digest = hashlib.sha256()
    for path in sorted(data_path("").iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    hash_code(digest, *_KEY_CODE)
    for version in (pd.__version__, gpd.__version__, shp.__version__, numpy.__version__):
        digest.update(version.encode())
    return digest.hexdigest()[:24]


def cache_path() -> Path:
    """Where the validated bundle is cached for the current key."""
    return cache_dir() / f"bundle-{cache_key()}.pickle"


def read_cached_bundle(path: Path) -> Bundle | None:
    """A bundle cached at ``path``, or None if missing or unreadable."""
    return _read_cache(path)


def write_cached_bundle(path: Path, bundle: Bundle) -> None:
    """Cache a bundle at ``path`` atomically (silently skipped if not writable)."""
    _write_cache(path, bundle)


def _read_cache(path: Path) -> Bundle | None:
    return read_pickle(path, Bundle)


def _write_cache(path: Path, bundle: Bundle) -> None:
    write_pickle(path, bundle)


@lru_cache(maxsize=1)
def _cached_bundle() -> Bundle:
    if cache_disabled():
        return build_bundle()
    path = cache_path()
    cached = _read_cache(path)
    if cached is not None:
        return cached
    bundle = build_bundle()
    _write_cache(path, bundle)
    return bundle


def load_bundle() -> Bundle:
    """Every bundled layer as validated GeoDataFrames joined to the geography.

    Cached per process: the frames are shared, so treat them as read-only (copy before
    changing anything).
    """
    return _cached_bundle()
