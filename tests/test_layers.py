"""The layer registry, and the forecast and hot-spot layers on the map, in the popups, in
exports and in the CLI (``forecast --level segment|site``)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyogrio
import pytest

from mapspec import export as exports
from mapspec import layers as registry
from mapspec import palette
from mapspec.folium_map import build_map, map_layers
from mapspec.resolve import resolve_query
from mapspec.spec import DEFAULT_LAYERS, LAYER_LABELS, LAYER_ORDER, MapSpec

REAL = Path(__file__).resolve().parents[1] / "../shared/data/real"
UCDP_WEB = REAL / "ucdp_web_export_pakistan_1989_2019.csv"
POPUP_COLUMNS = (
    "forecast_p_1m",
    "forecast_expected_1m",
    "forecast_low_1m",
    "forecast_high_1m",
    "forecast_model",
)


# --- the registry ----------------------------------------------------------------------


def test_every_layer_has_what_the_map_the_briefing_and_the_exports_need(bundle):
    resolved = resolve_query("layers=" + ",".join(LAYER_ORDER), bundle)
    for layer in registry.LAYERS:
        builder = registry.function(layer.folium_builder)
        assert callable(builder), layer.id
        if layer.briefing_drawer is not None:
            assert callable(registry.function(layer.briefing_drawer)), layer.id
        if layer.legend is not None:
            assert callable(registry.function(layer.legend)), layer.id
        for frame in layer.frames:  # every frame it reads is in the resolved map
            assert frame in resolved.layers, (layer.id, frame)
        assert builder(resolved).key == layer.id  # visibility follows the layer's own id
        for export in layer.exports:
            assert export.frame in resolved.layers, export.name
            assert export.name in exports.ALL_EXPORT_LAYERS
    # spec, labels and exports are views of the registry, without disagreeing names
    assert tuple(layer.id for layer in registry.LAYERS) == LAYER_ORDER
    assert set(LAYER_LABELS) == set(LAYER_ORDER)
    assert set(exports.ALL_EXPORT_LAYERS) == {e.name for la in registry.LAYERS for e in la.exports}
    assert set(exports.EXPORT_LAYERS) <= set(exports.ALL_EXPORT_LAYERS)
    assert set(exports.LAYER_LABELS) == set(exports.ALL_EXPORT_LAYERS)


def test_corridors_means_segments_on_the_map_and_routes_in_exports():
    corridors = registry.BY_ID["corridors"]
    assert corridors.frames[0] == "segments"
    assert registry.EXPORTS["corridors"].frame == "corridors"
    assert registry.EXPORTS["segments"].frame == "segments"
    assert registry.layer_of_frame("segments") == "corridors"


def test_analysis_layers_are_off_by_default_and_old_links_mean_the_same():
    assert "forecast" not in DEFAULT_LAYERS and "hotspots" not in DEFAULT_LAYERS
    default = MapSpec()
    assert "forecast" not in default.visible_layers()
    assert default.to_params() == {}
    old = MapSpec.from_params({"layers": "areas,incidents"})
    assert old.visible_layers() == ("areas", "incidents")
    assert old.to_params() == {"layers": "areas,incidents"}
    on = MapSpec.from_params({"layers": "areas,forecast"})
    assert on.visible_layers() == ("areas", "forecast")
    assert MapSpec.from_params(on.to_params()) == on
    assert MapSpec.from_dict(json.loads(json.dumps(on.to_dict()))) == on
    # a saved spec from before the analysis layers reads back with them hidden
    saved = {"layers": [{"name": n, "visible": True} for n in DEFAULT_LAYERS]}
    assert MapSpec.from_dict(saved) == MapSpec()


# --- the map --------------------------------------------------------------------------


def test_default_map_does_not_compute_the_forecast_layers(bundle):
    resolved = resolve_query("", bundle)
    keys = [layer.key for layer in map_layers(resolved)]
    assert "forecast" not in keys and "hotspots" not in keys
    assert not any(e.layer.startswith("Forecast") for e in resolved.legend)


def test_forecast_layer_draws_every_cell_with_its_probability(bundle):
    resolved = resolve_query("layers=areas,forecast", bundle)
    grid = resolved.layer("forecast_grid")
    layer = next(la for la in map_layers(resolved) if la.key == "forecast")
    features = layer.data["features"]
    assert len(features) == len(grid) > 100  # 0.5° cells over AF/PK
    by_id = {f["properties"]["id"]: f["properties"] for f in features}
    busiest = grid.sort_values("p_any_1m").iloc[-1]
    props = by_id[busiest["id"]]
    assert props["p"] == pytest.approx(busiest["p_any_1m"])
    assert props["style"]["fillColor"] == palette.forecast_colour(busiest["p_any_1m"])
    assert f"{busiest['p_any_1m'] * 100:.1f} %" in props["popup"]
    assert 0 < grid["p_any_1m"].max() <= 1
    html = build_map(resolved).get_root().render()
    assert busiest["id"] in html
    legend = [e for e in resolved.legend if e.layer.startswith("Forecast")]
    assert [e.colour for e in legend] == [c for _, _, c in palette.FORECAST_CLASSES]


def test_a_flat_forecast_map_says_so(bundle):
    from mapspec.analysis_layers import FLAT_FORECAST

    for query in ("layers=forecast", "layers=forecast&from=2024-01-01&actor=ISKP"):
        resolved = resolve_query(query, bundle)
        p = resolved.layer("forecast_grid")["p_any_1m"]
        flat = float(p.max() - p.min()) < FLAT_FORECAST
        said = any("does not tell the cells apart" in n for n in resolved.notices)
        assert said == flat, query


def test_hotspot_layer_says_when_there_are_too_few_events(bundle):
    # one actor, a few months: far below the events Gi* needs
    resolved = resolve_query("layers=areas,hotspots&actor=BLA&from=2025-01-01", bundle)
    frame = resolved.layer("hotspots_grid")
    assert (frame["status"] == "too few events").all()
    layer = next(la for la in map_layers(resolved) if la.key == "hotspots")
    assert layer.data["features"] == []
    assert any("too few events" in n for n in resolved.notices)
    assert any("too few events" in e.label for e in resolved.legend)


def test_hotspot_layer_draws_the_significant_cells_in_their_class_colour(bundle):
    resolved = resolve_query("layers=areas,hotspots", bundle)
    frame = resolved.layer("hotspots_grid")
    if (frame["status"] != "ok").any():
        pytest.skip(f"the bundled data do not reach Gi*'s minimum: {frame.attrs['status']}")
    significant = frame[frame["hotspot"] != "not significant"]
    layer = next(la for la in map_layers(resolved) if la.key == "hotspots")
    drawn = {
        f["properties"]["id"]: f["properties"]["style"]["fillColor"] for f in layer.data["features"]
    }
    assert drawn == {r.id: palette.hotspot_colour(r.hotspot) for r in significant.itertuples()}


def test_briefing_draws_the_forecast_cells_when_the_layer_is_on(bundle):
    from mapspec.briefing import briefing_figure

    resolved = resolve_query("layers=areas,forecast", bundle)
    _, manifest = briefing_figure(resolved)
    assert set(manifest.layers["forecast"]) == set(resolved.layer("forecast_grid")["id"])
    _, off = briefing_figure(resolve_query("layers=areas", bundle))
    assert "forecast" not in off.layers


# --- popups: the same numbers as the CLI ------------------------------------------------


@pytest.mark.parametrize("query", ["", "actor=ISKP&perspective=china_cpec"])
def test_popup_forecast_columns_equal_the_cli_json(bundle, query, tmp_path, monkeypatch, capsys):
    from atlas_cli.main import main

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    areas = resolve_query(query, bundle).layer("areas").set_index("id")
    for column in POPUP_COLUMNS:
        assert column in areas.columns
    assert main(["forecast", "--format", "json", "--query", query]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["forecasts"]) == len(areas)
    for row in data["forecasts"]:
        area = areas.loc[row["id"]]
        assert area["forecast_p_1m"] == pytest.approx(row["p_any"])
        assert area["forecast_expected_1m"] == pytest.approx(row["expected"])
        assert (area["forecast_low_1m"], area["forecast_high_1m"]) == (row["low"], row["high"])
        assert area["forecast_model"] == data["method"]["model"]
    assert areas["forecast_p_1m"].min() >= 0 and areas["forecast_p_1m"].max() <= 1


def test_popup_forecast_is_missing_outside_a_country_filter(bundle):
    areas = resolve_query("country=PAK", bundle).layer("areas")
    afghan = areas[areas["id"].str.startswith("AF")]
    pakistani = areas[areas["id"].str.startswith("PK")]
    assert afghan["forecast_p_1m"].isna().all() and afghan["forecast_model"].isna().all()
    assert pakistani["forecast_p_1m"].notna().all()


# --- exports --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["forecast_admin1", "forecast_grid", "forecast_segments", "hotspots_grid"]
)
def test_analysis_layers_export_with_their_method(bundle, name):
    resolved = resolve_query("", bundle)
    doc = json.loads(exports.export_file(resolved, name, "geojson").data)
    frame = resolved.layer(registry.EXPORTS[name].frame)
    assert len(doc["features"]) == len(frame) > 0
    method = doc["metadata"]["methods"][name]
    assert method["data_to"] and method["description"]
    if name.startswith("forecast"):
        assert method["model"] in ("hawkes", "eb", "glm")
        assert method["horizons_months"] == [1, 3]
        assert "iskp-atlas backtest" in method["backtest"]
        props = doc["features"][0]["properties"]
        assert 0 <= props["p_any_1m"] <= props["p_any_3m"] <= 1
    else:
        assert "Gi*" in method["method"] and "status" in method


@pytest.mark.filterwarnings("ignore:.*non conformant file extension:RuntimeWarning")
def test_geopackage_holds_a_forecast_layer_and_its_method(bundle):
    resolved = resolve_query("", bundle)
    data = exports.export_file(resolved, ["provinces", "forecast_grid"], "gpkg").data
    names = [row[0] for row in pyogrio.list_layers(io.BytesIO(data))]
    assert names == ["provinces", "forecast_grid"]
    table = pyogrio.read_dataframe(io.BytesIO(data), layer="forecast_grid")
    assert len(table) == len(resolved.layer("forecast_grid"))
    meta = json.loads(
        pyogrio.read_info(io.BytesIO(data), layer="provinces")["dataset_metadata"][
            "ISKP_ATLAS_METADATA"
        ]
    )
    assert meta["methods"]["forecast_grid"]["model"] == "eb"
    assert "provinces" not in meta["methods"]


def test_record_layer_exports_carry_no_method(bundle):
    doc = json.loads(exports.export_file(resolve_query("", bundle), "incidents", "geojson").data)
    assert "methods" not in doc["metadata"]


def test_cli_exports_a_forecast_layer(tmp_path, monkeypatch, capsys):
    from atlas_cli.main import main

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    out = tmp_path / "fc.csv"
    assert main(["export", "--layer", "forecast_admin1", "-o", str(out)]) == 0
    header = out.read_text("utf-8").splitlines()[0].split(",")
    assert {"id", "p_any_1m", "low_1m", "high_1m", "p_any_3m", "model"} <= set(header)
    assert main(["export", "--layer", "tiles", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "forecast_grid" in err[-1]  # the message lists the analysis layers too


# --- segment and site forecasts -------------------------------------------------------


def _cli_json(args: list[str], capsys) -> dict:
    from atlas_cli.main import main

    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("level", ["segment", "site"])
def test_cli_forecast_segments_and_sites_on_the_bundled_data(
    level, tmp_path, monkeypatch, capsys, bundle
):
    from riskmodel.score import layers_from

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    one = _cli_json(["forecast", "--level", level, "--format", "json"], capsys)
    three = _cli_json(["forecast", "--level", level, "--format", "json", "--horizon", "3"], capsys)
    units = layers_from(bundle).segments if level == "segment" else bundle.sites
    assert len(one["forecasts"]) == len(units)
    assert one["method"]["model"] == "eb" and one["method"]["level"] == level
    assert "km of its point" in one["method"]["description"]
    p1 = {r["id"]: r for r in one["forecasts"]}
    for row in three["forecasts"]:
        first = p1[row["id"]]
        assert 0 <= first["p_any"] <= row["p_any"] <= 1  # 3 months at least as likely
        assert 0 <= row["low"] <= row["high"]
    # a unit with attacks nearby in the last year is never forecast below one with none
    # (the empirical-Bayes prior shrinks sparse units strongly: they may tie)
    near = [r for r in one["forecasts"] if r["last_12_months"] > 0]
    far = [r for r in one["forecasts"] if r["last_12_months"] == 0]
    assert near, "the bundled data have attacks near some units"
    if far:
        assert min(r["p_any"] for r in near) >= max(r["p_any"] for r in far)


@pytest.fixture(scope="module")
def ucdp_home(tmp_path_factory):
    if not UCDP_WEB.is_file():
        pytest.skip(f"real data not present: {UCDP_WEB}")
    from geodata import store
    from geodata.importers.reading import ImportFileError

    home = tmp_path_factory.mktemp("ucdp-home-layers")
    mp = pytest.MonkeyPatch()
    mp.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path_factory.mktemp("ucdp-cache-layers")))
    try:
        store.import_file(UCDP_WEB, home=home)
    except (ImportFileError, ValueError) as exc:
        mp.undo()
        pytest.skip(
            f"the importer does not read the UCDP web-export layout yet: "
            f"{str(exc).splitlines()[0][:200]}"
        )
    yield home
    mp.undo()


def test_cli_forecast_segments_on_the_real_ucdp_file(ucdp_home, capsys):
    data = _cli_json(
        [
            "forecast",
            "--level",
            "segment",
            "--format",
            "json",
            "--home",
            str(ucdp_home),
            "--query",
            "country=PAK&to=2019-12-31",
        ],
        capsys,
    )
    rows = data["forecasts"]
    assert data["method"]["n_events"] > 100  # UCDP's Pakistan events near CPEC
    assert data["method"]["data_to"].startswith("2019")
    ps = [r["p_any"] for r in rows]
    assert max(ps) > min(ps)  # the data separate the segments
    busy = max(rows, key=lambda r: r["last_12_months"])
    assert busy["last_12_months"] > 0 and busy["p_any"] == max(ps)
