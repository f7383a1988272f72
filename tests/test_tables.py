"""Tables under the map: ranked areas with their contributors, escaped HTML."""

from __future__ import annotations

import pandas as pd

from mapspec import tables
from mapspec.resolve import resolve
from mapspec.spec import MapSpec
from riskmodel.bands import BAND_COLOURS


def test_top_areas_are_ranked_and_name_their_contributors(bundle):
    resolved = resolve(MapSpec(), bundle)
    top = tables.top_areas(resolved, "province", n=5)
    areas = resolved.layer("areas").sort_values("score", ascending=False)
    assert list(top["score"]) == [round(float(s), 1) for s in areas["score"].head(5)]
    first = top.iloc[0]
    best = resolved.risk.explain(first["id"], "province").iloc[0]
    assert str(best["id"]) in first["top contributors (record, date, actor, load)"]


def test_route_segments_run_from_start_to_end(bundle):
    resolved = resolve(MapSpec(), bundle)
    route = resolved.layer("segments")["route_id"].iloc[0]
    table = tables.segment_table(resolved, route)
    starts = [float(km.split("–")[0]) for km in table["km"]]
    assert starts == sorted(starts) and starts[0] == 0


def test_html_table_escapes_every_cell_and_colours_bands():
    frame = pd.DataFrame(
        [{"name": "<b>Kabul</b> & co", "band": "high", "note": "<img src=x onerror=alert(1)>"}]
    )
    html = tables.html_table(frame)
    assert "<b>Kabul</b>" not in html and "&lt;b&gt;Kabul&lt;/b&gt; &amp; co" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert BAND_COLOURS["high"] in html
    assert "No rows" in tables.html_table(frame.iloc[0:0])


def test_collapsible_escapes_its_title():
    html = tables.collapsible("<b>Sites</b>", "<p>body</p>", open_=True)
    assert html.startswith("<details open") and "&lt;b&gt;Sites&lt;/b&gt;" in html
    assert "<p>body</p>" in html
