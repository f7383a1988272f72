"""Hostile record text stays text on the map, the pages and in every export (issue 11).

One incident, one threat and one site whose every free-text field (ids included) holds
Jinja (``{{ 7*7 }}``, ``{% if %}``, ``{# x``, ``{%raw%}``, a ``cycler.__init__.__globals__``
code-execution payload that would create a tmp file), HTML/JS and spreadsheet formulas
(see tests/fixtures/hostile.py). Nothing may be evaluated, nothing may crash, the text must
show once-escaped, CSV cells must be neutralised.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from fixtures import hostile
from fixtures.apptest import failures

from geodata.csvcells import FORMULA_START
from mapspec import briefing, tables
from mapspec import export as exports
from mapspec.folium_map import build_map, map_layers
from mapspec.resolve import resolve, resolve_query
from mapspec.spec import MapSpec

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = [
    "app_pages/risk_map.py",
    "app_pages/corridors.py",
    "app_pages/records.py",
    "app_pages/export.py",
    "app_pages/data.py",
    "app_pages/methodology.py",
]
HX = hostile.record_id("incidents")
KABUL_2025 = "from=2024-06-01&country=AFG"


@pytest.fixture(scope="module")
def pwned(tmp_path_factory) -> Path:
    """The path the code-execution payloads would create (both forms, see
    :mod:`fixtures.hostile`)."""
    path = tmp_path_factory.mktemp("pwned") / "PWNED"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(hostile.PWNED_ENV, str(path))
        yield path
    assert not path.exists(), "a template payload ran code on the server"


@pytest.fixture(scope="module")
def hostile_bundle(bundle, pwned):
    return hostile.with_hostile_records(bundle, pwned)


def _no_evaluation(text: str, pwned: Path) -> None:
    assert not pwned.exists(), "a template payload ran code on the server"
    assert hostile.EVALUATED not in text, "{{ 123456*1000 }} was evaluated"


def _json_in_script(text: str) -> str:
    """``text`` as folium/Jinja's ``tojson`` writes it inside a <script>."""
    return (
        json.dumps(text)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("'", "\\u0027")
    )


def _in_layer_string(text: str) -> str:
    """``text`` as a map layer writes it: a JSON string value inside the single-quoted
    JavaScript string the browser hands to ``JSON.parse`` (backslashes and quotes escaped,
    ``<``, ``>``, ``&`` as ``\\x`` escapes)."""
    value = json.dumps(text, ensure_ascii=False)[1:-1]
    for char, escape in (
        ("\\", "\\\\"),
        ("'", "\\'"),
        ("<", "\\x3c"),
        (">", "\\x3e"),
        ("&", "\\x26"),
    ):
        value = value.replace(char, escape)
    return value


# --- The folium map --------------------------------------------------------------------------


@pytest.mark.parametrize("points", ["points", "aggregate", "heat"])
def test_map_html_keeps_every_payload_as_text(hostile_bundle, pwned, points):
    resolved = resolve_query(f"points={points}", hostile_bundle)
    assert HX in set(resolved.layer("incidents")["id"])
    html = build_map(resolved).get_root().render()
    _no_evaluation(html, pwned)
    # the raw HTML/JS payloads never reach the page as markup
    assert "<img src=x onerror" not in html and "<svg onload" not in html
    assert "</script><script>alert(1)" not in html
    # the popups carry the payloads as once-escaped HTML inside JSON text, which a layer
    # hands the browser as one JavaScript string to JSON.parse
    kinds = ("threats", "incidents") if points == "points" else ("threats",)
    for kind in kinds:
        summary = hostile.rows(pwned)[kind][0]["summary"].strip()
        assert _in_layer_string(html_escape(summary, quote=True)) in html, kind


def test_map_through_streamlit_folium_keeps_payloads_as_text(hostile_bundle, pwned):
    """st_folium renders the map itself (``render()``, then each element's script macro):
    the path the app takes."""
    from streamlit_folium import _get_header, _get_html, _get_map_string

    fmap = build_map(resolve(MapSpec(), hostile_bundle))
    fmap.render()
    text = _get_html(fmap) + _get_header(fmap) + _get_map_string(fmap)
    _no_evaluation(text, pwned)
    assert "{{ 7*7 }}" in text and "<img src=x onerror" not in text


@pytest.mark.parametrize(
    "text",
    [
        "Price {{ x",
        "{% if %}",
        "{# comment",
        "{%raw%}",
        "{% endraw %}",
        "{{ 123456*1000 }}",
        "rce",
        hostile.RCE_NO_QUOTES,
    ],
)
def test_one_template_payload_alone_stays_text(bundle, pwned, text):
    """Each payload on its own in one summary (the other fields plain): unbalanced ones
    crashed the map, balanced ones were evaluated."""
    import geodata

    text = hostile.rce(pwned) if text == "rce" else text
    row = {c: v for c, v in hostile.rows(pwned)["incidents"][0].items()}
    row.update(
        {
            c: "plain"
            for c in (
                "actor",
                "place",
                "district",
                "attack_type",
                "notes",
                "target_detail",
                "source_1_title",
                "source_2_title",
            )
        }
    )
    row.update({"id": "ONE-1", "summary": text})
    typed = geodata.validate_records(pd.DataFrame([row]), "incidents", "one.csv")
    data = bundle.with_records(
        incidents=geodata.enrich_records(typed, "incidents", geodata.load_geography())
    )
    html = build_map(resolve(MapSpec(), data)).get_root().render()
    _no_evaluation(html, pwned)
    assert _in_layer_string(html_escape(text, quote=True)) in html


def test_popup_titles_show_the_id_escaped_once(hostile_bundle, pwned):
    layers = {layer.css_class: layer for layer in map_layers(resolve(MapSpec(), hostile_bundle))}
    for css_class, kind in (("incident", "incidents"), ("threat", "threats")):
        props = next(
            f["properties"]
            for f in layers[css_class].data["features"]
            if f["properties"]["id"] == hostile.record_id(kind)
        )
        title = props["popup"].split("<b>", 1)[1].split("</b>", 1)[0]
        assert title.startswith(
            f"{hostile.ID_PREFIX[kind]} &lt;img src=x onerror=alert(1)&gt; {{{{ 7*7 }}}}"
        )
        assert "&amp;lt;" not in props["popup"], "text escaped twice shows &lt; literally"
        assert "<img" not in props["popup"] and "<script" not in props["popup"]
    site = next(
        f["properties"]
        for f in layers["site"].data["features"]
        if f["properties"]["id"] == hostile.record_id("sites")
    )
    assert "&amp;lt;" not in site["popup"] and "<img" not in site["popup"]


def test_the_map_refuses_an_element_that_would_compile_its_output(hostile_bundle):
    import folium

    from mapspec import folium_map

    fmap = build_map(resolve(MapSpec(), hostile_bundle))
    folium.Marker([34.5, 69.2]).add_to(fmap)
    with pytest.raises(TypeError, match="LiteralMacro"):
        folium_map.check_literal(fmap)


# --- Tables ----------------------------------------------------------------------------------


def test_top_area_tables_escape_the_payloads(hostile_bundle, pwned):
    resolved = resolve_query(KABUL_2025, hostile_bundle)
    frame = tables.top_areas(resolved, "province", n=41)
    kabul = frame[frame["id"] == "AF-KAB"].iloc[0]
    assert HX in kabul["top contributors (record, date, actor, load)"]
    html = tables.collapsible("<b>t</b> {{ 7*7 }}", tables.html_table(frame))
    _no_evaluation(html, pwned)
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;t&lt;/b&gt; {{ 7*7 }}" in html
    segments = tables.segment_table(resolved, resolved.layer("segments")["route_id"].iloc[0])
    assert "<img" not in tables.html_table(segments)


# --- Exports ---------------------------------------------------------------------------------


def _hostile_values(pwned: Path, kind: str) -> dict[str, str]:
    row = hostile.rows(pwned)[kind][0]
    return {k: v for k, v in row.items() if "{{ 7*7 }}" in v}


@pytest.mark.parametrize(
    ("layer", "kind"), [("incidents", "incidents"), ("threats", "threats"), ("sites", "sites")]
)
def test_geojson_export_keeps_the_text_exactly(hostile_bundle, pwned, layer, kind):
    resolved = resolve(MapSpec(), hostile_bundle)
    raw = exports.geojson_bytes(resolved, layer)
    _no_evaluation(raw.decode("utf-8"), pwned)
    assert b"<" not in raw and b">" not in raw  # written as \u003c / \u003e
    collection = json.loads(raw, parse_constant=_refuse_constant)
    props = next(
        f["properties"]
        for f in collection["features"]
        if f["properties"]["id"] == hostile.record_id(kind)
    )
    for column, value in _hostile_values(pwned, kind).items():
        if column in props:
            assert props[column] == value.strip(), column


def _refuse_constant(name: str):
    raise AssertionError(f"not strict JSON: {name}")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell == cell.strip()


def _neutralised(cell: str) -> bool:
    """A cell a spreadsheet cannot run: it does not look like a formula, or is quoted (a
    number such as -100.0 in a numeric column is a number, not a formula)."""
    text = unicodedata.normalize("NFKC", cell).lstrip()
    risky = cell.startswith(("\t", "\r")) or text.startswith(FORMULA_START)
    return not risky or cell.startswith("'") or _is_number(cell)


@pytest.mark.parametrize(
    ("layer", "kind"), [("incidents", "incidents"), ("threats", "threats"), ("sites", "sites")]
)
def test_csv_export_neutralises_every_formula_cell(hostile_bundle, pwned, layer, kind):
    text = exports.to_csv(resolve(MapSpec(), hostile_bundle), layer)
    _no_evaluation(text, pwned)
    table = list(csv.DictReader(io.StringIO(text)))
    row = next(r for r in table if r["id"].endswith(hostile.record_id(kind)))
    checked = 0
    for column, value in _hostile_values(pwned, kind).items():
        if column not in row:
            continue
        cell = row[column]
        assert _neutralised(cell), (column, cell)
        assert cell.lstrip("'") == value.strip(), column  # only the quote is added
        checked += 1
    assert checked >= 4
    assert any(row[c].startswith("'＝1+1") for c in row), "full-width ＝ not neutralised"
    assert all(_neutralised(cell) for r in table for cell in r.values())


def test_geopackage_export_keeps_the_text(hostile_bundle, pwned, tmp_path):
    resolved = resolve(MapSpec(), hostile_bundle)
    path = tmp_path / "x.gpkg"
    path.write_bytes(exports.to_geopackage(resolved, ["incidents", "threats", "sites"]))
    assert not pwned.exists()
    for kind in ("incidents", "threats", "sites"):
        frame = pyogrio.read_dataframe(path, layer=kind)
        row = frame[frame["id"] == hostile.record_id(kind)].iloc[0]
        for column, value in _hostile_values(pwned, kind).items():
            if column in frame.columns:
                assert row[column] == value.strip(), column
    meta = pyogrio.read_info(path, layer="incidents")["dataset_metadata"]
    json.loads(meta["ISKP_ATLAS_METADATA"], parse_constant=_refuse_constant)


def test_briefing_png_and_pdf_with_payloads(hostile_bundle, pwned):
    resolved = resolve_query(KABUL_2025, hostile_bundle)
    options = briefing.BriefingOptions(
        banner="PUBLIC {{ 7*7 }} <b>x</b>", title=hostile.payload(1, pwned)[:120]
    )
    png = briefing.briefing_png(resolved, options)
    pdf = briefing.briefing_pdf(resolved, options)
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    assert not pwned.exists()


# --- Every page of the app (AppTest) ---------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_home(tmp_path_factory, pwned) -> Path:
    home = tmp_path_factory.mktemp("hostile_home")
    hostile.import_hostile(home, pwned)
    return home


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_the_hostile_store(page, hostile_home, pwned, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ISKP_ATLAS_HOME", str(hostile_home))
    monkeypatch.delenv("ISKP_ATLAS_EXTRA_INCIDENTS", raising=False)
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["from"] = "2024-06-01"
    at.run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not failures(at), failures(at)
    assert not at.error, [e.value for e in at.error]
    assert not pwned.exists()
    shown = " ".join(str(getattr(e, "value", "")) for e in at.main)
    assert hostile.EVALUATED not in shown
    if page in ("app_pages/risk_map.py", "app_pages/corridors.py"):
        args = json.loads(at.get("component_instance")[0].proto.json_args)
        # the base map and the layers sent with it (the part a playback step swaps)
        drawn = (
            args["script"] + (args.get("feature_group") or "") + (args.get("layer_control") or "")
        )
        assert hostile.EVALUATED not in drawn
        if page == "app_pages/risk_map.py":
            assert "{{ 7*7 }}" in drawn  # the records are drawn, as text
            assert "<img src=x onerror" not in drawn
