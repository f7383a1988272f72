"""An analyst's band override in the briefing PDF (issue 13): the row of the overridden
province shows the analyst's band and the computed one, read back from the PDF; its swatch
has the analyst's band's colour; rows without an override carry no analyst mark; the
page still has no colliding or cut text."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from matplotlib.colors import to_rgba

from geodata import overrides as ov
from geodata.catalog import load_current
from mapspec import briefing, style
from mapspec.resolve import resolve, resolve_query
from mapspec.spec import MapSpec
from tests.test_briefing_layout import check_pdf

pdfplumber = pytest.importorskip("pdfplumber", reason="pip install -e '.[test]' (pdfplumber)")

OPTIONS = briefing.BriefingOptions(generated=datetime(2025, 7, 1, tzinfo=UTC))


@pytest.fixture(scope="module")
def overridden(tmp_path_factory):
    """The bundled view with Kabul's band set to low by an analyst (computed: extreme)."""
    home = tmp_path_factory.mktemp("briefing_overrides") / "home"
    later = ov.today_utc() + timedelta(days=30)
    ov.set_override(
        home, "area", "AF-KAB", "band", "low", reason="disputed", expires_on=later, author="alice"
    )
    view = resolve_query("", load_current(home))
    areas = view.layer("areas").set_index("id")
    assert (areas.loc["AF-KAB", "band"], areas.loc["AF-KAB", "band_computed"]) == (
        "low",
        "extreme",
    )
    assert areas.loc["PK-BA", "band"] == "extreme" and areas.loc["PK-BA", "band_computed"]
    return view


def _row_words(page, row_id: str) -> list[str]:
    """The words of a table row, from the line of its id down to the next row's line."""
    words = page.extract_words(x_tolerance=1.0, y_tolerance=1.0)
    start = next(w for w in words if w["text"] == row_id)
    ids = sorted(
        w["top"]
        for w in words
        if w["top"] > start["top"] + 1 and abs(w["x0"] - start["x0"]) < 1.0  # the ID column
    )
    end = ids[0] if ids else float("inf")
    row = [w for w in words if start["top"] - 1 <= w["top"] < end - 1]
    return [w["text"] for w in sorted(row, key=lambda w: (round(w["top"]), w["x0"]))]


def test_the_overridden_row_shows_the_analysts_band_and_the_computed_one(overridden):
    page = pdfplumber.open(io.BytesIO(briefing.briefing_pdf(overridden, OPTIONS))).pages[0]
    kabul = _row_words(page, "AF-KAB")
    # the band in force first, after the score; the computed band beside it
    assert kabul[kabul.index("AF-KAB") + 1 : kabul.index("AF-KAB") + 3] == ["85", "low"]
    assert {"(analyst;", "computed:", "extreme)"} <= set(kabul), kabul
    assert kabul.index("(analyst;") < kabul.index("computed:") < kabul.index("extreme)")
    # a row without an override: its band alone, no analyst mark
    balochistan = _row_words(page, "PK-BA")
    assert "extreme" in balochistan
    assert not any("analyst" in w or "computed" in w for w in balochistan), balochistan
    # the key under the tables explains the mark
    key = " ".join(page.extract_text().split())
    assert "“low (analyst; computed: extreme)” is one an analyst set" in key


def test_the_swatch_and_the_manifest_show_the_band_in_force(overridden):
    fig, manifest = briefing.briefing_pdf_figure(overridden, OPTIONS)
    rows = {t.split(" | ")[1]: t for t in manifest.texts if " | " in t}
    assert rows["Kabul (AF-KAB)"].startswith("4 | Kabul (AF-KAB) | 85 | low (analyst; computed:")
    assert " | extreme | " in rows["Balochistan (PK-BA)"]
    assert "analyst" not in rows["Balochistan (PK-BA)"]
    cells = fig.findobj(lambda a: a.get_gid() == "table_cell")
    swatches = fig.findobj(lambda a: a.get_gid() == "band_swatch")

    def swatch_of(row_id: str) -> str:
        y = next(c.get_position()[1] for c in cells if c.get_text() == row_id)
        (found,) = [s for s in swatches if abs(s.get_y() - y) < 1e-9]
        return found.get_facecolor()

    assert swatch_of("AF-KAB") == to_rgba(style.band_colour("low"))
    assert swatch_of("PK-BA") == to_rgba(style.band_colour("extreme"))


def test_a_briefing_with_an_override_has_no_colliding_or_cut_text(overridden):
    check_pdf(overridden, OPTIONS)


def test_without_an_override_no_row_carries_an_analyst_mark(bundle):
    resolved = resolve(MapSpec(), bundle)
    assert "band_override" not in resolved.layer("areas").columns
    for layer, level, _ in briefing.LEVELS:
        for row in briefing.table_rows(resolved, layer, level):
            assert "analyst" not in row[4], row


def test_the_map_notes_name_the_units_whose_fill_an_analyst_set(overridden, bundle):
    """The map's fill shows the analyst's band (in the tables or not): the PNG's notes
    under the legend and the PDF's key name the unit with both bands; a briefing without
    an override says nothing of analysts."""
    _, manifest = briefing.briefing_figure(overridden, OPTIONS)
    notes = " ".join(" ".join(manifest.texts).split())
    assert "Band set by an analyst (the map's fill shows it): Kabul: low (computed: extreme)." in (
        notes
    )
    page = pdfplumber.open(io.BytesIO(briefing.briefing_pdf(overridden, OPTIONS))).pages[0]
    assert "Kabul: low (computed: extreme)" in " ".join(page.extract_text().split())

    plain = resolve(MapSpec(), bundle)
    _, manifest = briefing.briefing_figure(plain, OPTIONS)
    assert "analyst" not in " ".join(manifest.texts)
    page = pdfplumber.open(io.BytesIO(briefing.briefing_pdf(plain, OPTIONS))).pages[0]
    assert "analyst" not in page.extract_text()
