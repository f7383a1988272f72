"""Briefing layout read back from the output: no two words of the PDF overlap or run
together, a CPEC segment's km range is printed in full, nothing leaves the page, and the
PNG's texts (title, legend, notes, map names) do not overlap — on the bundled data, on
a data set with long names and on real imported records."""

from __future__ import annotations

import dataclasses
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fixtures.exports.small_map import small_resolved
from matplotlib.text import Text

from mapspec import briefing
from mapspec.resolve import resolve
from mapspec.spec import MapSpec

pdfplumber = pytest.importorskip("pdfplumber", reason="pip install -e '.[test]' (pdfplumber)")

OPTIONS = briefing.BriefingOptions(generated=datetime(2025, 7, 1, tzinfo=UTC))
REAL = Path(__file__).resolve().parents[1].parent / "shared/data/real"
GED_SAMPLE = REAL / "ucdp_ged231_sample_1000.csv"
KM_RANGE = re.compile(r"km \d[\d.,]*–\d[\d.,]*")
UNBROKEN = "Z" * 150  # a name with no place to break


def long_text_resolved():
    """The small map with long names everywhere a table shows text."""
    resolved = small_resolved()
    layers = {k: v.copy() for k, v in resolved.layers.items()}
    layers["areas"]["name"] = [
        "Islamabad Capital Territory and the federally administered surroundings",
        "Khyber Pakhtunkhwa (formerly North-West Frontier Province, merged tribal districts)",
        UNBROKEN,
    ]
    layers["areas"]["surge"] = ["too few events to say", "moderate increase", "limited change"]
    layers["areas"]["top_contributor"] = [
        None,
        "UCDP-GED-2023-000123456 Tehrik-i-Taliban Pakistan and affiliated groups (61%)",
        "ACLED-PAK-00004242 Balochistan Liberation Army (Jeeyand faction) (40%), INC-1 ISKP (7%)",
    ]
    layers["segments"]["name"] = [
        "CPEC western alignment through the Makran coastal belt and Turbat, km 0–120",
        "Eastern motorways via Karachi, Hyderabad and the Sukkur–Multan motorway, km 120–240",
    ]
    layers["segments"]["id"] = [
        "EASTERN_MOTORWAY_KARACHI_VARIANT_LONG_NAME-001",
        "EASTERN_MOTORWAY_KARACHI_VARIANT_LONG_NAME-002",
    ]
    layers["sites"]["name"] = [
        "Kabul International Airport (ex-HKIA) and adjacent military airport, terminal "
        "and the road to the Chinese embassy compound",
        "=cmd|' /C calc'!A0 " + "x" * 90,
    ]
    return dataclasses.replace(resolved, layers=layers)


def _pdf_page(resolved, options=OPTIONS):
    data = briefing.briefing_pdf(resolved, options)
    pdf = pdfplumber.open(io.BytesIO(data))
    assert len(pdf.pages) == 1
    return pdf.pages[0]


def _words(page):
    # a small x tolerance: words split at every space, so two cells that run together
    # ("insignificantlimited") come out as one word that is in no cell
    return page.extract_words(x_tolerance=1.0, y_tolerance=1.0)


def _overlapping(boxes: np.ndarray, slack: float = 0.4) -> list[tuple[int, int]]:
    """Pairs of boxes (x0, top, x1, bottom) that overlap by more than ``slack`` points
    both across and down."""
    x0, t, x1, b = (boxes[:, i][:, None] for i in range(4))
    across = np.minimum(x1, x1.T) - np.maximum(x0, x0.T)
    down = np.minimum(b, b.T) - np.maximum(t, t.T)
    hit = (across > slack) & (down > slack)
    np.fill_diagonal(hit, False)
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(np.triu(hit)), strict=True)]


def _cell_texts(resolved) -> list[str]:
    texts = [c.heading for c in briefing._TABLE_COLUMNS]
    for layer, level, heading in briefing._LEVELS:
        texts.append(f"Top {briefing.TOP_N}: {heading}")
        for row in briefing._table_rows(resolved, layer, level):
            texts.extend(row)
    return texts


def check_pdf(resolved, options=OPTIONS) -> None:
    page = _pdf_page(resolved, options)
    words = _words(page)
    assert words
    boxes = np.array([[w["x0"], w["top"], w["x1"], w["bottom"]] for w in words])
    clashes = _overlapping(boxes)
    assert not clashes, [(words[i]["text"], words[j]["text"]) for i, j in clashes[:5]]
    chars = [c for c in page.chars if c["text"].strip()]
    char_boxes = np.array([[c["x0"], c["top"], c["x1"], c["bottom"]] for c in chars])
    # kerning ("Ta", "To") lets two neighbouring letters of one word overlap a little
    clashes = [
        (i, j)
        for i, j in _overlapping(char_boxes, slack=0.6)
        if j != i + 1
        or min(char_boxes[i, 2], char_boxes[j, 2]) - max(char_boxes[i, 0], char_boxes[j, 0]) > 1.5
    ]
    assert not clashes, [
        (chars[i]["text"], chars[j]["text"], chars[i]["top"]) for i, j in clashes[:5]
    ]
    # nothing runs off the page
    assert boxes[:, 0].min() >= 0 and boxes[:, 2].max() <= float(page.width)
    assert boxes[:, 1].min() >= 0 and boxes[:, 3].max() <= float(page.height)

    # every word of the tables is (part of) a word of one cell: no two cells run together
    cell_words = {w for text in _cell_texts(resolved) for w in text.split()}
    headings = [w for w in words if w["text"] == "Top" and w["top"] > page.height * 0.3]
    assert len(headings) == 3
    table_top = headings[0]["top"]
    sources_top = min(w["top"] for w in words if w["text"] == "Tables:")
    heading_tops = [h["top"] for h in headings]
    in_tables = [
        w["text"]
        for w in words
        if table_top <= w["top"] < sources_top
        and not any(abs(w["top"] - t) < 1.0 for t in heading_tops)
    ]
    strays = [t for t in in_tables if not any(t in cw for cw in cell_words)]
    assert not strays, strays[:10]

    # each segment row shows its km range in full, on one line
    lines = page.extract_text(x_tolerance=1.0).splitlines()
    for row in briefing.top_rows(resolved, "segments", "segment"):
        found = KM_RANGE.search(row["name"])
        if found:
            assert any(found.group(0) in line for line in lines), (found.group(0), row)
    # and every name is there in full (wrapped, never cut: no ellipsis)
    text = " ".join(w["text"] for w in words)
    assert "…" not in text
    for layer, level, _ in briefing._LEVELS:
        for row in briefing.top_rows(resolved, layer, level):
            for word in row["name"].split():
                if len(word) < 40:
                    assert word in text, (word, row["name"])


def test_bundled_briefing_pdf_has_no_colliding_or_cut_text(bundle):
    resolved = resolve(MapSpec(), bundle)
    assert len(briefing.top_rows(resolved, "segments", "segment")) == briefing.TOP_N
    check_pdf(resolved)


def test_a_route_briefing_lists_that_routes_segments(bundle):
    from mapspec.resolve import resolve_query

    resolved = resolve_query("view=route:KKH_N35", bundle)
    rows = briefing.top_rows(resolved, "segments", "segment")
    assert rows and all(r["id"].startswith("KKH_N35-") for r in rows)
    check_pdf(resolved)
    fig, _ = briefing.briefing_pdf_figure(resolved, OPTIONS)
    headings = [t.get_text() for t in fig.texts if t.get_gid() == "table_heading"]
    assert headings[1].startswith("Top 10: CPEC segments (about 25 km): Karakoram Highway")


def test_long_names_wrap_instead_of_colliding_or_being_cut():
    resolved = long_text_resolved()
    check_pdf(resolved)
    # the unbroken 150-character name is wrapped by characters, every one printed
    page = _pdf_page(resolved)
    assert page.extract_text().replace("\n", "").count("Z") >= len(UNBROKEN)


def test_real_imported_records_brief_without_collisions(tmp_path, bundle):
    if not GED_SAMPLE.is_file():
        pytest.skip(f"real test file {GED_SAMPLE.name} not found in {REAL}")
    from geodata.catalog import load_current
    from geodata.store import import_file

    import_file(GED_SAMPLE, home=tmp_path / "home")
    resolved = resolve(MapSpec(), load_current(home=tmp_path / "home", extra=None))
    # the imported records are in the view (old ones: they add little to the scores)
    assert len(resolved.layer("incidents")) > len(resolve(MapSpec(), bundle).layer("incidents"))
    check_pdf(resolved)


def _text_boxes(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_gid() not in (None, "banner")
    ]
    boxes = np.array([list(t.get_window_extent(renderer).extents) for t in texts])
    return texts, boxes


def check_png(fig) -> None:
    texts, boxes = _text_boxes(fig)
    # display y grows upwards: (x0, y0, x1, y1) as (x0, top, x1, bottom) works alike
    clashes = _overlapping(boxes, slack=0.5)
    assert not clashes, [
        (texts[i].get_text()[:30], texts[j].get_text()[:30]) for i, j in clashes[:5]
    ]
    width, height = fig.canvas.get_width_height()
    assert boxes[:, 0].min() >= 0 and boxes[:, 2].max() <= width
    assert boxes[:, 1].min() >= 0 and boxes[:, 3].max() <= height


def test_bundled_png_names_cities_and_top_provinces_without_overlaps(bundle):
    resolved = resolve(MapSpec(), bundle)
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    check_png(fig)
    for city in ("Kabul", "Islamabad", "Peshawar", "Quetta", "Gwadar", "Karachi"):
        assert city in manifest.labels
    assert {"IRAN", "CHINA", "TAJIKISTAN"} <= set(manifest.labels)
    areas = resolved.layer("areas")
    top = areas.nlargest(briefing.TOP_LABELS, "score")
    named = [
        f"{n} ({s:.0f})"
        for n, s in zip(top["name"], top["score"], strict=True)
        if f"{n} ({s:.0f})" in manifest.labels
    ]
    assert len(named) >= 4, manifest.labels  # most of the highest-scoring provinces
    # the map takes most of the slide's width
    ax = next(a for a in fig.axes if a.get_gid() == "map")
    assert ax.get_position().width > 0.6


def test_long_title_and_text_do_not_overlap_on_the_png():
    options = dataclasses.replace(OPTIONS, title="A very long briefing title " * 8)
    fig, _ = briefing.briefing_figure(long_text_resolved(), options)
    check_png(fig)
    # the PDF is read back from the PDF itself: its text is vector text, whose widths
    # the 100 dpi Agg canvas of its figure gives only roughly
    check_pdf(long_text_resolved(), options)


def test_grid_cell_legend_wraps_inside_the_slide():
    """The aggregate mode's long legend line ("Incidents per 0.25° cell (size = count,
    colour = top actor)") used to run off the right edge of the slide."""
    fig, manifest = briefing.briefing_figure(small_resolved(point_mode="aggregate"), OPTIONS)
    check_png(fig)
    assert any(label.startswith("Incidents per") for label in manifest.legend)
