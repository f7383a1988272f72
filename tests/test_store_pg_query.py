"""The filtered read (geodata.store_query): on a team store the database is asked for the
current filter's records instead of every stored record — and the records, scores, as-of
date and forecasts are exactly those of the in-memory filter on everything (both engines:
on SQLite the same call reads everything, as before)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geodata.catalog import load_current
from geodata.store import import_bytes
from geodata.synth import synthesize, to_csv_text
from mapspec.resolve import resolve
from mapspec.spec import MapSpec
from riskmodel.aoi import polygon_aoi
from riskmodel.filters import Filters, parse_query

FIXTURES = Path(__file__).parent / "fixtures" / "import"

QUERIES = [
    "from=2023-01-01&to=2024-06-30",
    "aoi=68,33,71.5,35.5",
    "aoi=68,33,71.5,35.5&from=2022-01-01&actor=ISKP",
    "from=2023-06-01&frame=2024-03&target=civilians",
    "to=2021-12-31&actor=TTP,ISKP",
    # far from every stored record: the store gives (almost) nothing, the clock stays
    "aoi=44,25.5,50,30",
]


def _synthetic_csv(n: int, seed: int) -> bytes:
    """``n`` clearly marked synthetic incidents (ids SYN-…), some exactly on the edge of
    the test's area of interest, one newer than every bundled record."""
    frame = synthesize(n, seed=seed)
    frame.loc[frame.index[:3], "longitude"] = 68.0  # on the west edge of aoi=68,33,71.5,35.5
    frame.loc[frame.index[:3], "latitude"] = [33.0, 34.0, 35.5]
    frame.loc[frame.index[:3], "country"] = "AFG"
    # the newest record of all (after the bundled ones): the as-of date of every view
    frame.loc[frame.index[3], "date"] = pd.Timestamp("2026-06-15")
    return to_csv_text(frame).encode("utf-8")


@pytest.fixture()
def filled(store_home, monkeypatch, tmp_path):
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    import_bytes((FIXTURES / "acled_sample.csv").read_bytes(), "acled.csv", home=store_home)
    ucdp = import_bytes(
        (FIXTURES / "ucdp_hdx_sample.csv").read_bytes(), "ucdp.csv", home=store_home
    )
    assert ucdp.plan.counts()["merged"] == 1  # UCDP-990001 merged into ACLED-AFG90004
    import_bytes(_synthetic_csv(600, seed=5), "synthetic.csv", home=store_home)
    return store_home


def _source(store) -> dict:
    return {"database_url": store} if isinstance(store, str) else {"home": store}


def _poly_query() -> str:
    aoi = polygon_aoi([(68.5, 33.2), (71.0, 33.0), (71.4, 35.3), (69.0, 35.0)])
    return f"aoi={aoi.to_param()}"


def _same_view(full, narrow, query: str) -> None:
    spec = MapSpec.from_params(
        dict(pd.Series(dict(p.split("=", 1) for p in query.split("&"))).items())
    )
    a, b = resolve(spec, full), resolve(spec, narrow)
    assert a.as_of == b.as_of, query
    for kind in ("incidents", "threats"):
        ids_a = sorted(a.layers[kind]["id"].astype(str))
        ids_b = sorted(b.layers[kind]["id"].astype(str))
        assert ids_a == ids_b, (query, kind)
    for level in ("province", "segment", "site"):
        ta = a.risk.table(level).drop(columns="geometry").set_index("id").sort_index()
        tb = b.risk.table(level).drop(columns="geometry").set_index("id").sort_index()
        pd.testing.assert_frame_equal(ta, tb, check_like=True, obj=f"{query} {level}")
    areas_a = a.layers["areas"].drop(columns="geometry").set_index("id").sort_index()
    areas_b = b.layers["areas"].drop(columns="geometry").set_index("id").sort_index()
    forecast = [c for c in areas_a.columns if c.startswith("forecast_")]
    pd.testing.assert_frame_equal(areas_a[forecast], areas_b[forecast], obj=query)
    merged_a = a.layers["incidents"].set_index("id")["merged_from"].dropna().sort_index()
    merged_b = b.layers["incidents"].set_index("id")["merged_from"].dropna().sort_index()
    assert merged_a.astype(object).to_dict() == merged_b.astype(object).to_dict(), query


@pytest.mark.parametrize("query", [*QUERIES, "poly"])
def test_the_filtered_read_gives_the_records_and_scores_of_the_in_memory_filter(filled, query):
    query = _poly_query() if query == "poly" else query
    filters = parse_query(query)
    full = load_current(**_source(filled))
    narrow = load_current(**_source(filled), filters=filters)
    _same_view(full, narrow, query)
    stored_full = int(full.incidents["import_batch"].notna().sum())
    stored_narrow = int(narrow.incidents["import_batch"].notna().sum())
    if isinstance(filled, str):  # the team store was asked for fewer records
        assert stored_narrow < stored_full, query
    else:  # SQLite: everything, as before
        assert stored_narrow == stored_full


def test_the_kept_record_shows_its_merged_twin_even_when_the_twin_lies_outside(filled):
    # the UCDP twin of ACLED-AFG90004 is merged into it; a filter that keeps the kept
    # record by its own date still lists the twin's citation
    full = load_current(**_source(filled)).incidents.set_index("id")
    day = pd.Timestamp(full.loc["ACLED-AFG90004", "date"]).date()
    narrow = load_current(**_source(filled), filters=Filters(date_from=day, date_to=day))
    kept = narrow.incidents.set_index("id").loc["ACLED-AFG90004"]
    assert kept["merged_from"] == "UCDP-990001"
    assert "UCDP-990001" not in narrow.incidents["id"].to_numpy()


def test_the_cli_scores_and_export_on_a_team_store_match_the_in_memory_filter(
    filled, tmp_path, capsys
):
    from atlas_cli.main import main

    where = ["--database-url", filled] if isinstance(filled, str) else ["--home", str(filled)]
    query = "aoi=68,33,71.5,35.5&from=2022-01-01"
    assert main(["scores", "--level", "province", "--query", query, "--format", "csv", *where]) == 0
    cli = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("id").sort_index()
    spec = MapSpec.from_params({"aoi": "68,33,71.5,35.5", "from": "2022-01-01"})
    expected = resolve(spec, load_current(**_source(filled))).risk.table("province")
    expected = expected.set_index("id").sort_index()
    assert np.allclose(cli["score"].to_numpy(float), expected["score"].to_numpy(float), atol=0.051)
    out = tmp_path / "incidents.csv"
    assert (
        main(
            [
                "export",
                "--layer",
                "incidents",
                "--format",
                "csv",
                "--query",
                query,
                "-o",
                str(out),
                *where,
            ]
        )
        == 0
    )
    from mapspec.export import export_file

    everything = export_file(resolve(spec, load_current(**_source(filled))), ["incidents"], "csv")
    ids = pd.read_csv(out, comment="#")["id"].astype(str)
    expected_ids = pd.read_csv(io.BytesIO(everything.data), comment="#")["id"].astype(str)
    assert len(ids) > 0 and sorted(ids) == sorted(expected_ids)


def test_incident_dates_come_from_the_store_index(filled):
    if not isinstance(filled, str):
        pytest.skip("a team-store query (SQLite reads its records)")
    from geodata.store_query import incident_dates

    stored = load_current(database_url=filled).incidents
    stored = pd.to_datetime(stored.loc[stored["import_batch"].notna(), "date"])
    assert incident_dates(filled) == (stored.min().date(), stored.max().date())


def test_the_app_on_a_store_opens_a_filtered_link_with_the_same_map(filled, monkeypatch):
    from datetime import date

    from fixtures.apptest import failures
    from streamlit.testing.v1 import AppTest

    if isinstance(filled, str):
        monkeypatch.setenv("ISKP_ATLAS_DATABASE_URL", filled)
    else:
        monkeypatch.setenv("ISKP_ATLAS_HOME", str(filled))
    link = {"from": "2022-01-01", "aoi": "68,33,71.5,35.5"}
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=180)
    for key, value in link.items():
        at.query_params[key] = value
    at.run()
    assert not failures(at)
    # the date filter reaches the newest stored record (2026-06-15), read from the store
    assert at.session_state["w_date_bounds"][1] == date(2026, 6, 15)
    assert at.get("component_instance"), "no map on the page"
    # the highest-risk areas under the map: the same first province as on everything
    expected = resolve(MapSpec.from_params(link), load_current(**_source(filled)))
    top = expected.risk.table("province").sort_values("score", ascending=False)
    tables = [h.proto.body for h in at.get("html")]
    provinces = next(t for t in tables if "atlas-table" in t).split("<details")[1]
    first_row = provinces.split("<tr>")[2]
    assert str(top["name"].iat[0]) in first_row
    assert top["score"].iat[0] > top["score"].iat[1]  # no tie: the first row is decided
