"""The bundled layers: counts, codes, CRS, validity, and joins on known rows."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import enrich_records, load_geography, validate_records
from geodata.spatial import METRIC_CRS, geodesic_distance_km

AF_CODES = {
    "AF-BDS",
    "AF-BDG",
    "AF-BGL",
    "AF-BAL",
    "AF-BAM",
    "AF-DAY",
    "AF-FRA",
    "AF-FYB",
    "AF-GHA",
    "AF-GHO",
    "AF-HEL",
    "AF-HER",
    "AF-JOW",
    "AF-KAB",
    "AF-KAN",
    "AF-KAP",
    "AF-KHO",
    "AF-KNR",
    "AF-KDZ",
    "AF-LAG",
    "AF-LOG",
    "AF-NAN",
    "AF-NIM",
    "AF-NUR",
    "AF-PKA",
    "AF-PIA",
    "AF-PAN",
    "AF-PAR",
    "AF-SAM",
    "AF-SAR",
    "AF-TAK",
    "AF-URU",
    "AF-WAR",
    "AF-ZAB",
}
PK_CODES = {"PK-BA", "PK-GB", "PK-IS", "PK-JK", "PK-KP", "PK-PB", "PK-SD"}
LAYERS = (
    "provinces",
    "pak_admin1",
    "countries",
    "border",
    "corridors",
    "incidents",
    "threats",
    "sites",
)


def test_layer_counts_and_codes(bundle):
    assert set(bundle.provinces["iso_3166_2"]) == AF_CODES
    assert len(bundle.provinces) == 34
    assert set(bundle.pak_admin1["iso_3166_2"]) == PK_CODES
    assert len(bundle.pak_admin1) == 7
    assert list(bundle.countries["iso3"]) == ["AFG", "PAK"]
    assert (len(bundle.incidents), len(bundle.threats), len(bundle.sites)) == (68, 23, 30)
    names = dict(zip(bundle.provinces["iso_3166_2"], bundle.provinces["name"], strict=True))
    assert names["AF-DAY"] == "Daykundi" and names["AF-PAN"] == "Panjshir"
    assert names["AF-URU"] == "Uruzgan" and names["AF-PAR"] == "Parwan"
    assert "Khyber Pakhtunkhwa" in set(bundle.pak_admin1["name"])


@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_is_wgs84_and_valid(bundle, layer):
    gdf = getattr(bundle, layer)
    assert gdf.crs.to_epsg() == 4326
    present = gdf.geometry[~gdf.geometry.isna() & ~gdf.geometry.is_empty]
    assert present.is_valid.all()
    bounds = present.total_bounds
    assert -180 <= bounds[0] <= bounds[2] <= 180 and -90 <= bounds[1] <= bounds[3] <= 90


def test_records_keep_every_reference_column(bundle):
    for layer, fname in (
        ("incidents", "incidents.csv"),
        ("threats", "threats.csv"),
        ("sites", "assets.csv"),
    ):
        from geodata import data_path

        header = pd.read_csv(data_path(fname), nrows=0).columns
        assert set(header) <= set(getattr(bundle, layer).columns)
    assert pd.api.types.is_datetime64_any_dtype(bundle.incidents["date"])


def test_border_length_and_generalisation(bundle):
    length = float(bundle.border["length_km"].iloc[0])
    assert 2100 <= length <= 2800
    assert bool(bundle.border["generalised"].iloc[0])


def test_corridors_from_waypoints(bundle):
    c = bundle.corridors
    assert len(c) >= 4 and c["length_km"].sum() >= 4000
    assert c["schematic"].all()
    assert (c.geometry.geom_type == "LineString").all()
    central = c.set_index("route_id").loc["CENTRAL_ALIGNMENT"]
    assert "Wangu Hills" in central["stand_in_waypoints"]
    # Route order and coordinates are the waypoints', never invented.
    wp = bundle.waypoints[bundle.waypoints["route"] == "KKH_N35"].sort_values("seq")
    coords = np.asarray(c.set_index("route_id").loc["KKH_N35"].geometry.coords)
    np.testing.assert_allclose(coords, wp[["lon", "lat"]].to_numpy())


def _row(bundle, layer, rid):
    gdf = getattr(bundle, layer)
    return gdf[gdf["id"] == rid].iloc[0]


def test_known_joins(bundle):
    assert _row(bundle, "incidents", "INC-023")["admin1"] == "AF-KAB"  # Longan Hotel
    besham = _row(bundle, "incidents", "INC-040")
    assert besham["admin1"] == "PK-KP"
    assert besham["nearest_corridor"] == "KKH_N35" and besham["dist_corridor_km"] < 10
    assert _row(bundle, "incidents", "INC-004")["admin1"] == "PK-BA"  # Gwadar convoy
    assert _row(bundle, "incidents", "INC-062")["admin1"] == "AF-KAB"  # Kabul restaurant


def test_torkham_is_flagged_not_moved(bundle):
    torkham = _row(bundle, "sites", "AST-013")
    assert torkham["admin1_stated"] == ("AF-NAN",)
    assert torkham["admin1"] != "AF-NAN"
    assert torkham["admin1_mismatch"]
    assert torkham.geometry.equals(shapely.Point(71.08472, 34.11472))


def test_points_outside_afpak_get_no_admin1(bundle):
    tajik = bundle.incidents[bundle.incidents["country"] == "TJK"]
    assert len(tajik) >= 1
    assert tajik["admin1"].isna().all()


def _one_record(lat, lon, country="PAK", province="Sindh"):
    row = {
        "id": "T-1",
        "date": "2024-01-02",
        "country": country,
        "province": province,
        "latitude": str(lat),
        "longitude": str(lon),
        "geo_precision": "2",
        "actor": "ISIS-K",
        "attribution": "claimed",
        "attack_type": "IED",
        "target_category": "civilians",
        "fatalities": "1",
        "summary": "test",
        "source_1_url": "https://example.org/a",
        "confidence": "high",
    }
    return validate_records(pd.DataFrame([row]), "incidents", "fixture.csv")


def test_tajikistan_point_gets_no_admin1_and_coastal_point_snaps():
    geo = load_geography()
    dushanbe = enrich_records(_one_record(38.56, 68.77, "TJK", "Dushanbe"), "incidents", geo)
    assert dushanbe["admin1"].iloc[0] is None
    # Just off the generalised Karachi coastline (within 5 km): snaps to Sindh.
    coast = geo.admin1[geo.admin1["iso_3166_2"] == "PK-SD"].geometry.iloc[0]
    probe = shapely.Point(66.98, 24.80)
    assert not coast.contains(probe)
    near = enrich_records(_one_record(24.80, 66.98), "incidents", geo)
    assert near["admin1"].iloc[0] == "PK-SD"
    far = enrich_records(_one_record(24.2, 66.0, "PAK", "Sindh"), "incidents", geo)
    assert far["admin1"].iloc[0] is None


def test_threats_without_point_keep_stated_places(bundle):
    no_point = bundle.threats[bundle.threats.geometry.isna()]
    assert len(no_point) == 17
    thr4 = _row(bundle, "threats", "THR-004")
    assert thr4["admin1_for_scoring"] == ("AF-BDS", "AF-BGL", "AF-TAK")
    assert np.isnan(thr4["dist_border_km"])


def test_actor_canonical_merges_iskp_aliases(bundle):
    inc = bundle.incidents
    iskp_raw = inc.loc[inc["actor_canonical"] == "ISKP", "actor"]
    assert iskp_raw.nunique() >= 10  # many spellings, one canonical value
    assert set(inc["actor_canonical"]) >= {"ISKP", "BLA", "TTP", "Unknown"}
    pishin = inc[inc["actor"].str.contains("Wikipedia: IS Pakistan Province")]
    assert set(pishin["actor_canonical"]) == {"ISPP"}
    assert all(isinstance(t, list) and t for t in inc["target_categories"])


def test_metric_distances_match_geodesic_within_one_percent():
    kabul, islamabad, gwadar = (69.2075, 34.5553), (73.04329, 33.72148), (62.32541, 25.12163)
    pts = gpd.GeoSeries(
        [shapely.Point(kabul), shapely.Point(islamabad), shapely.Point(gwadar)], crs=4326
    ).to_crs(METRIC_CRS)
    for a, b, pa_, pb in (
        (0, 1, kabul, islamabad),
        (0, 2, kabul, gwadar),
        (1, 2, islamabad, gwadar),
    ):
        metric = pts.iloc[a].distance(pts.iloc[b]) / 1000
        geodesic = float(geodesic_distance_km(*pa_, *pb))
        assert abs(metric - geodesic) / geodesic < 0.01


def test_disk_cache_gives_the_same_bundle_and_ignores_a_broken_file(tmp_path, monkeypatch):
    from geodata import bundle as bundle_mod
    from geodata import settings as settings_mod

    monkeypatch.setenv(settings_mod.CACHE_DIR_ENV, str(tmp_path))
    fresh = bundle_mod.build_bundle()
    path = bundle_mod.cache_path()
    assert path.parent == tmp_path
    bundle_mod._write_cache(path, fresh)
    cached = bundle_mod._read_cache(path)
    for layer in LAYERS:
        a, b = getattr(cached, layer), getattr(fresh, layer)
        pd.testing.assert_frame_equal(
            pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        )
        assert list(a.geometry.to_wkb()) == list(b.geometry.to_wkb())
    path.write_bytes(b"not a pickle")
    assert bundle_mod._read_cache(path) is None


def test_cache_key_follows_the_bundled_files(tmp_path, monkeypatch):
    import shutil

    from geodata import bundle as bundle_mod

    copy = tmp_path / "data"
    shutil.copytree(bundle_mod.data_path(""), copy)
    monkeypatch.setattr(bundle_mod, "data_path", lambda name: copy / name)
    before = bundle_mod.cache_key()
    with (copy / "incidents.csv").open("a", encoding="utf-8") as handle:
        handle.write("\n")
    assert bundle_mod.cache_key() != before


def test_groups_named_only_as_context_of_an_unknown_actor_are_not_the_perpetrator(bundle):
    from geodata.actors import canonical_actors

    # INC-065: the Taliban ministry is the source and a faction is blamed by one outlet
    chah_ab = _row(bundle, "incidents", "INC-065")
    assert chah_ab["actor_canonical"] == "Unknown"
    assert "Taliban" in chah_ab["actors_all"]
    # a suspicion stated outside the parenthesis still names the group first
    assert canonical_actors("Unknown; Islamic State suspected (TTP denied)") == ("ISKP",)
    assert canonical_actors("Unknown gunmen") == ("Unknown",)
