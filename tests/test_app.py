"""The Streamlit app headless (AppTest): every page, filters, links, bad links, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixtures.apptest import failures
from streamlit.testing.v1 import AppTest

from geodata import load_bundle
from mapspec.offline import remote_urls
from mapspec.resolve import resolve_query
from ui import md_escape

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = [
    "app_pages/risk_map.py",
    "app_pages/corridors.py",
    "app_pages/records.py",
    "app_pages/forecast.py",
    "app_pages/export.py",
    "app_pages/data.py",
    "app_pages/methodology.py",
    "app_pages/watch.py",
]


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)


def _app(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


def _map_args(at: AppTest) -> dict:
    components = at.get("component_instance")
    assert components, "no map component on the page"
    return json.loads(components[0].proto.json_args)


def _map_text(at: AppTest) -> str:
    """Everything the map draws: the base map's script and the layers sent with it
    (``feature_group``: the part a playback step swaps)."""
    args = _map_args(at)
    return args["script"] + (args.get("feature_group") or "")


def _sentence(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("**"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page):
    at = _app()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not failures(at), failures(at)
    assert not at.warning


def test_map_assets_are_all_local():
    args = _map_args(_app())
    links = [*args["js_links"], *args["css_links"]]
    assert links
    assert remote_urls(links) == []
    assert remote_urls(args["header"]) == []
    assert "tile" not in args["script"].lower() or "tileLayer" not in args["script"]


def test_changing_a_filter_changes_the_map_and_the_sentence():
    at = _app()
    before_script, before_sentence = _map_text(at), _sentence(at)
    at.sidebar.multiselect(key="w_actor").set_value(["BLA"]).run()
    after_script, after_sentence = _map_text(at), _sentence(at)
    assert after_sentence != before_sentence and "BLA" in after_sentence
    assert after_script != before_script
    expected = resolve_query("actor=BLA", load_bundle())
    assert set(expected.layer("incidents")["id"]) == {
        i for i in set(load_bundle().incidents["id"]) if f"rec-{i}" in after_script
    }
    assert at.query_params["actor"] in ("BLA", ["BLA"])


def test_link_restores_the_view():
    query = {
        "actor": "ISKP",
        "target": "shia_hazara",
        "country": "AFG",
        "perspective": "shia_hazara",
        "layers": "areas,incidents",
    }
    at = _app(query)
    assert not failures(at)
    expected = resolve_query("&".join(f"{k}={v}" for k, v in query.items()), load_bundle())
    assert md_escape(expected.sentence) in _sentence(at)
    assert at.sidebar.multiselect(key="w_actor").value == ["ISKP"]
    assert at.sidebar.selectbox(key="w_perspective").value == "shia_hazara"
    assert at.sidebar.multiselect(key="w_layers").value == ["areas", "incidents"]
    script = _map_text(at)
    shown = set(expected.layer("incidents")["id"])
    assert shown and all(f"rec-{i}" in script for i in shown)
    # Hidden layers stay in the layer control (switchable) but are not drawn: the real
    # browser test checks what is drawn.


@pytest.mark.parametrize(
    "params",
    [
        {"actor": "Martians"},
        {"from": "yesterday"},
        {"zoom": "9"},
        {"layers": "satellite"},
        {"[click](https://evil.example)": "1"},
    ],
)
def test_bad_link_warns_and_falls_back(params):
    at = _app(params)
    assert not failures(at)
    assert at.warning and "default view" in at.warning[0].value
    assert "](https" not in at.warning[0].value  # no Markdown link from the URL
    assert _sentence(at).startswith("**All attacks and threats, all dates")
    # The warning belongs to the link: it goes once the user changes something.
    at.sidebar.multiselect(key="w_actor").set_value(["BLA"]).run()
    assert not at.warning


def test_link_to_a_missing_view_warns_and_frames_everything():
    at = _app({"view": "admin1:ZZ-XXX"})
    assert not failures(at)
    assert at.warning and "does not exist" in at.warning[0].value
    assert at.sidebar.selectbox(key="w_view").value == "all"


@pytest.mark.parametrize(
    "params",
    [{"from": "1990-01-01", "to": "2031-01-01"}, {"country": "IND"}, {"half_life": "100.5"}],
)
def test_valid_links_outside_the_widgets_defaults_are_kept(params):
    at = _app(params)
    assert not failures(at) and not at.warning
    assert {k: v for k, v in at.query_params.items()} == {
        k: [v] if isinstance(at.query_params[k], list) else v for k, v in params.items()
    }


@pytest.mark.parametrize("page", PAGES)
def test_every_page_survives_an_empty_result(page):
    at = _app({"actor": "TTP", "min_fatalities": "100000", "points": "aggregate"})
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not failures(at), failures(at)


def test_top_areas_table_is_under_the_map_and_escaped():
    at = _app()
    tables = [h.proto.body for h in at.get("html")]
    top = next(t for t in tables if "atlas-table" in t)
    # provinces (open), CPEC segments and sites: header + the ten highest-scoring each
    assert top.count("<details") == 3 and top.count("<details open") == 1
    assert top.count("<tr>") == 3 * 11


def test_hidden_filters_stay_applied_and_come_back():
    """The secondary filters hide behind a toggle (fewer widgets: a faster first map);
    hiding them must not drop them, and showing them again shows what is applied."""
    at = _app()
    assert not at.sidebar.toggle(key="w_more").value
    assert not [w for w in at.sidebar.multiselect if w.key == "w_attribution"]
    at.sidebar.toggle(key="w_more").set_value(True).run()
    at.sidebar.multiselect(key="w_attribution").set_value(["claimed"]).run()
    applied = _sentence(at)
    assert "laimed" in applied and at.query_params["attribution"] in ("claimed", ["claimed"])
    at.sidebar.toggle(key="w_more").set_value(False).run()
    assert not [w for w in at.sidebar.multiselect if w.key == "w_attribution"]
    at.sidebar.multiselect(key="w_actor").set_value(["ISKP"]).run()
    assert "laimed" in _sentence(at) and "ISKP" in _sentence(at)
    assert at.query_params["attribution"] in ("claimed", ["claimed"])
    at.sidebar.toggle(key="w_more").set_value(True).run()
    assert at.sidebar.multiselect(key="w_attribution").value == ["claimed"]
    assert at.sidebar.multiselect(key="w_actor").value == ["ISKP"]
