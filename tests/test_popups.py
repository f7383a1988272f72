"""Popups that explain, the small units' symbols and the legend of what is drawn."""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from mapspec import palette, popups
from mapspec.context_layers import highlight_route
from mapspec.folium_map import SMALL_UNIT_PX, build_map, map_layers, small_unit_data
from mapspec.legend import BANDS_GROUP, drawn_legend, legend_html
from mapspec.resolve import resolve, resolve_query
from mapspec.spec import MapSpec
from tests.test_folium_map import _hostile_bundle


def _features(resolved, key: str) -> dict[str, dict]:
    layer = next(la for la in map_layers(resolved) if la.key == key)
    return {f["properties"]["id"]: f["properties"] for f in layer.data["features"]}


@pytest.mark.parametrize("level", ["province", "segment", "site"])
def test_top_contributors_are_those_of_explain(bundle, level):
    resolved = resolve_query("actor=ISKP", bundle)
    top = popups.top_contributions(resolved.risk, level)
    table = resolved.risk.table(level)
    with_load = table[table["load"] > 0]
    assert len(with_load) and set(top) == set(with_load["id"])
    for area_id, load in zip(with_load["id"], with_load["load"], strict=True):
        explained = resolved.risk.explain(area_id, level).head(3)
        assert [c.id for c in top[area_id]] == list(explained["id"])
        shares = [c.share for c in top[area_id]]
        assert np.allclose(shares, explained["contribution"] / load)


def test_area_popup_says_score_band_contributors_forecast_and_links(bundle):
    resolved = resolve_query("target=chinese_interests&from=2022-01-01", bundle)
    areas = resolved.layer("areas").set_index("id")
    props = _features(resolved, "areas")
    for area_id in ("PK-IS", "AF-KAB"):
        popup, row = props[area_id]["popup"], areas.loc[area_id]
        assert f"{row['band'].capitalize()} — score {row['score']:.0f} of 100" in popup
        assert props[area_id]["note"] == "area"
        ids = list(resolved.risk.explain(area_id).head(3)["id"])
        positions = [popup.index(f"({i}") for i in ids]
        assert positions == sorted(positions), "largest contributor first"
        href = popup.split("href='", 1)[1].split("'", 1)[0].replace("&amp;", "&")
        url = urlparse(href)
        assert url.path == "records" and "target='_blank'" in popup
        query = parse_qs(url.query)
        assert query["admin1"] == [area_id] and query["target"] == ["chinese_interests"]
        assert query["from"] == ["2022-01-01"]
        p = row.get("forecast_p_1m")
        if p is not None and math.isfinite(float(p)):
            assert f"Next month: {100 * float(p):.0f} % chance" in popup
    # what the score means is written once per map, for the popups to append
    html = build_map(resolved).get_root().render()
    assert html.count("What the score means") == 2  # "area" and "near", once each


def test_the_records_link_replaces_an_admin1_filter(bundle):
    spec = MapSpec.from_params({"admin1": "AF-NAN", "actor": "ISKP"})
    query = parse_qs(urlparse(popups.records_href(spec, "AF-KAB")).query)
    assert query == {"admin1": ["AF-KAB"], "actor": ["ISKP"]}


def test_forecast_line_only_with_a_forecast():
    line = popups.forecast_line(
        {
            "forecast_p_1m": 0.34,
            "forecast_expected_1m": 0.42,
            "forecast_low_1m": 0,
            "forecast_high_1m": 1,
        }
    )
    assert line == (
        "Next month: 34 % chance of at least one relevant attack (expected 0.4; 80 % interval 0–1)"
    )
    assert popups.forecast_line({"forecast_p_1m": float("nan")}) == ""
    assert popups.forecast_line({}) == ""


def test_segment_popups_name_their_contributors_once_per_layer(bundle):
    resolved = resolve(MapSpec(), bundle)
    layer = next(la for la in map_layers(resolved) if la.key == "corridors")
    top = popups.top_contributions(resolved.risk, "segment")
    scored = [f["properties"] for f in layer.data["features"] if f["properties"]["id"] in top]
    assert scored
    for props in scored:
        named = [layer.records[i][0].split(",")[0] for i, _ in props["top"]]
        assert named == [c.id for c in top[props["id"]]]
        assert [s for _, s in props["top"]] == [round(100 * c.share) for c in top[props["id"]]]
    ids = [row[0] for row in layer.records]
    assert len(ids) == len(set(ids)), "each contributing record listed once"


def test_record_titles_in_popups_are_escaped(bundle):
    # the hostile incident (Kabul, 2025-01-02) alone in the date range
    resolved = resolve_query("from=2025-01-02&to=2025-01-02", _hostile_bundle(bundle))
    popup = _features(resolved, "areas")["AF-KAB"]["popup"]
    assert "X-1" in popup  # the hostile incident contributes to Kabul
    assert "<script>" not in popup and "&lt;script&gt;" in popup


def test_incident_popups_offer_the_unit_underneath(bundle):
    resolved = resolve(MapSpec(), bundle)
    incidents = resolved.layer("incidents").set_index("id")
    for rec_id, props in _features(resolved, "incidents").items():
        unit = incidents.loc[rec_id, "admin1"]
        if isinstance(unit, str) and unit:
            assert f"data-area='{unit}'" in props["popup"]
    hidden = resolve_query("layers=border,incidents", bundle)
    assert all("atlas-open-area" not in p["popup"] for p in _features(hidden, "incidents").values())


def test_small_units_are_the_ones_too_small_to_click_at_the_default_zoom(bundle):
    units = {u[2]: u for u in small_unit_data(resolve(MapSpec(), bundle).layer("areas"))}

    def pixels(u, zoom=5.5):  # the browser's rule: side of an equal-area square in px
        metres = 40075016.686 * math.cos(math.radians(u[0])) / (256 * 2**zoom)
        return math.sqrt(u[3] * 1e6) / metres

    assert len(units) == 41
    assert pixels(units["PK-IS"]) < SMALL_UNIT_PX and pixels(units["AF-KAB"]) < SMALL_UNIT_PX
    assert pixels(units["AF-HEL"]) > SMALL_UNIT_PX and pixels(units["PK-BA"]) > SMALL_UNIT_PX
    assert pixels(units["AF-KAB"], zoom=8) > SMALL_UNIT_PX  # zoomed in, no symbol
    assert 700 < units["PK-IS"][3] < 1100  # km²: Islamabad Capital Territory is ~906 km²


def _groups(entries) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in entries:
        out.setdefault(e.layer, []).append(e.label)
    return out


def test_legend_lists_only_what_is_drawn(bundle):
    full = resolve(MapSpec(), bundle)
    entries = drawn_legend(full, map_layers(full))
    shapes = {e.label: e.shape for e in entries}
    assert shapes["sensitive site"] == "sites" and shapes["threat record"] == "threats"
    assert palette.SYMBOLS["sites"].shape == "square"
    assert palette.SYMBOLS["threats"].shape == "diamond"
    actors = set(full.layer("incidents")["actor_canonical"])
    incident_group = next(g for g in _groups(entries) if g.startswith("Incidents by actor"))
    assert set(_groups(entries)[incident_group]) == actors & set(palette.ACTOR_COLOURS)

    some = resolve_query("layers=areas,border", bundle)
    labels = [e.label for e in drawn_legend(some, map_layers(some))]
    assert "Af-Pak border" in labels and "small unit (click)" in labels
    for gone in ("sensitive site", "threat record", "CPEC segment", *actors):
        assert gone not in labels
    assert not any(g.startswith("Incidents") for g in _groups(drawn_legend(some, map_layers(some))))
    none = resolve_query("layers=border", bundle)
    assert BANDS_GROUP not in _groups(drawn_legend(none, map_layers(none)))


def test_legend_of_the_corridor_page_names_the_muted_routes(bundle):
    resolved = resolve_query("view=route:KKH_N35", bundle)
    layers = tuple(
        highlight_route(la, "KKH_N35") if la.key == "corridors" else la
        for la in map_layers(resolved)
    )
    labels = [e.label for e in drawn_legend(resolved, layers)]
    assert "other corridors" in labels
    assert "other corridors" not in [e.label for e in drawn_legend(resolved, map_layers(resolved))]
    html = legend_html(drawn_legend(resolved, layers), "a <b> sentence", open_=False)
    assert "<details class" in html and "<details open" not in html
    assert "a &lt;b&gt; sentence" in html


def test_bundled_map_payload_stays_small(bundle):
    html = build_map(resolve(MapSpec(), bundle)).get_root().render()
    assert len(html.encode()) / 1000 < 1000


def test_record_popups_name_the_targets_in_words_and_escape_unknown_ones():
    """Analysts read "Chinese nationals, CPEC", not the stored codes; a category the atlas
    has no phrase for is shown as it is, escaped."""
    from mapspec import style

    incident = style.incident_popup(
        {"id": "INC-1", "date": "2025-01-02", "target_categories": ("chinese_nationals", "cpec")}
    )
    assert "<th>Target</th><td>Chinese nationals, CPEC</td>" in incident
    assert "chinese_nationals" not in incident
    threat = style.threat_popup(
        {"id": "THR-1", "date": "2025-01-02", "target_categories": ("diplomatic", "<img src=x>")}
    )
    assert "Diplomatic targets, &lt;img src=x&gt;" in threat
    assert "<img" not in threat
