"""Briefing PNG/PDF: what is drawn (read from the matplotlib artists, not pixels)."""

from __future__ import annotations

import dataclasses
import re
import struct
import subprocess
import sys
from datetime import UTC, datetime

import numpy as np
import pytest
from fixtures.exports.small_map import small_resolved
from matplotlib_scalebar.scalebar import ScaleBar

from mapspec import briefing, style
from mapspec.folium_map import aggregate_points
from mapspec.spec import MapSpec

OPTIONS = briefing.BriefingOptions(generated=datetime(2025, 7, 1, tzinfo=UTC))


def _texts(fig) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_gid")):
        out.setdefault(str(text.get_gid()), []).append(text.get_text())
    return out


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _artist(fig, gid: str):
    found = fig.findobj(lambda a: a.get_gid() == gid)
    assert len(found) == 1, (gid, found)
    return found[0]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_png_is_wide_enough_for_a_slide():
    assert _png_size(briefing.briefing_png(small_resolved(), OPTIONS)) == (2000, 1125)
    wide = dataclasses.replace(OPTIONS, width_px=1600)
    assert _png_size(briefing.briefing_png(small_resolved(), wide))[0] == 1600


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"width_px": 1200}, "at least 1600"),
        ({"banner": "  "}, "banner needs some text"),
    ],
)
def test_bad_options_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        briefing.BriefingOptions(**changes)


def test_slide_carries_title_sentence_banner_as_of_sources_and_note():
    resolved = small_resolved()
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    texts = _texts(fig)
    assert [_one_line(t) for t in texts["sentence"]] == [_one_line(resolved.sentence)]
    assert "$5" in texts["sentence"][0]  # literal text, no mathtext
    assert texts["banner"] == ["PUBLIC SOURCES", "PUBLIC SOURCES"]
    assert _one_line(texts["title"][0]) == manifest.title
    assert "Afghanistan and Pakistan" in manifest.title
    notes = _one_line(texts["notes"][0])
    assert "Scores as of 2025-06-30" in notes
    assert "CPEC routes are schematic" in notes
    assert resolved.notices[0] in notes
    sources = _one_line(texts["sources"][0])
    assert "Test boundaries (public domain)" in sources
    assert "generated 2025-07-01T00:00:00Z" in texts["footer"][0]


def test_banner_and_title_can_be_changed():
    options = dataclasses.replace(OPTIONS, banner="Official-Sensitive", title="My slide")
    fig, manifest = briefing.briefing_figure(small_resolved(), options)
    texts = _texts(fig)
    assert texts["banner"] == ["OFFICIAL-SENSITIVE"] * 2
    assert texts["title"] == ["My slide"] and manifest.banner == "OFFICIAL-SENSITIVE"


def test_legend_has_every_entry_of_the_resolved_legend():
    resolved = small_resolved()
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    drawn = [_one_line(t) for t in _texts(fig)["legend_label"]]  # long labels wrap
    wanted = [entry.label for entry in resolved.legend]
    assert drawn[: len(wanted)] == wanted
    assert drawn == list(manifest.legend)
    assert "Sensitive site (fill = band)" in drawn
    headings = _texts(fig)["legend_heading"]
    assert headings == list(dict.fromkeys(e.layer for e in resolved.legend))
    assert len(fig.findobj(lambda a: a.get_gid() == "legend_swatch")) == len(drawn)


def test_scale_bar_and_north_arrow_are_on_the_map():
    fig, _ = briefing.briefing_figure(small_resolved(), OPTIONS)
    axes = _artist(fig, "map")
    assert any(isinstance(a, ScaleBar) for a in axes.artists)
    assert _artist(fig, "north_arrow_label").get_text() == "N"
    _artist(fig, "north_arrow")


def test_drawn_features_are_the_resolved_ones():
    resolved = small_resolved()
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    assert manifest.layers["areas"] == ("AF-AAA", "AF-BBB", "PK-CCC")
    assert manifest.layers["segments"] == ("R1-001", "R1-002")
    assert manifest.layers["sites"] == ("S-1", "S-2")
    assert manifest.layers["threats"] == ("T-1",)  # only the located one
    assert manifest.layers["border"] == ("Durand Line",)
    # the image is a derived product: the licence-restricted incident I-5 is drawn
    assert set(manifest.layers["incidents"]) == {"I-1", "I-2", "I-3", "I-4", "I-5"}
    for gid in ("areas", "segments", "border"):
        assert len(_artist(fig, gid).get_paths()) == len(manifest.layers[gid])
    for gid in ("sites", "threats", "incidents"):
        assert len(_artist(fig, gid).get_offsets()) == len(manifest.layers[gid])


def test_areas_and_incidents_use_the_map_colours():
    resolved = small_resolved()
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    areas = _artist(fig, "areas").get_facecolors()
    expected = [style.band_colour(b) for b in resolved.layers["areas"]["band"]]
    from matplotlib.colors import to_hex

    assert [to_hex(c) for c in areas] == expected
    incidents = resolved.layers["incidents"].set_index("id")
    drawn = [to_hex(c, keep_alpha=False) for c in _artist(fig, "incidents").get_facecolors()]
    order = list(manifest.layers["incidents"])
    wanted = style.point_colours(incidents.loc[order].reset_index(), "actor")
    assert drawn == list(wanted)
    sizes = _artist(fig, "incidents").get_sizes()
    assert np.all(np.diff(sizes) <= 0)  # largest drawn first, small ones stay visible


def test_hidden_layers_are_not_drawn():
    spec = MapSpec.from_params({"layers": "areas,incidents"})
    fig, manifest = briefing.briefing_figure(small_resolved(spec=spec), OPTIONS)
    assert set(manifest.layers) == {"areas", "incidents"}
    assert not fig.findobj(lambda a: a.get_gid() in ("sites", "threats", "segments"))


def test_aggregate_mode_draws_the_map_grid_cells():
    resolved = small_resolved(point_mode="aggregate")
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    cells = aggregate_points(resolved.layers["incidents"])
    assert [c[2] for c in manifest.incident_cells] == cells["count"].tolist()
    assert len(_artist(fig, "incident_cells").get_offsets()) == len(cells)
    assert "incidents" not in manifest.layers


def test_extent_covers_the_view_bounds():
    resolved = small_resolved(bounds=(69.0, 34.0, 70.0, 35.0))
    fig, manifest = briefing.briefing_figure(resolved, OPTIONS)
    axes = _artist(fig, "map")
    x0, x1 = axes.get_xlim()
    y0, y1 = axes.get_ylim()
    corner = briefing._TO_METRIC.transform([69.0, 70.0], [34.0, 35.0])
    assert x0 <= min(corner[0]) and max(corner[0]) <= x1
    assert y0 <= min(corner[1]) and max(corner[1]) <= y1
    assert (x1 - x0) < 400_000  # framed on the view, not on all of AF/PK
    assert manifest.extent_lonlat == (69.0, 34.0, 70.0, 35.0)


def test_caller_map_is_not_changed():
    resolved = small_resolved()
    before = {k: v.copy(deep=True) for k, v in resolved.layers.items()}
    briefing.briefing_png(resolved, OPTIONS)
    for name, frame in resolved.layers.items():
        assert frame.equals(before[name])


def test_pdf_is_one_page_with_tables_and_sources():
    resolved = small_resolved()
    data = briefing.briefing_pdf(resolved, OPTIONS)
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == 1
    fig, manifest = briefing.briefing_pdf_figure(resolved, OPTIONS)
    texts = _texts(fig)
    assert _one_line(texts["sentence"][0]) == _one_line(resolved.sentence)
    assert texts["table_heading"] == [
        "Top 10: Provinces / admin-1 units",
        "Top 10: CPEC segments (about 25 km)",
        "Top 10: Sensitive sites",
    ]
    rows = [t for t in manifest.texts if " | " in t]
    assert rows[0].startswith("1 | Gamma (PK-CCC) | 86 | extreme")
    assert rows[0].endswith("| I-1")  # no risk result: the top_contributor column
    assert "1 | R1-002 (R1-002) | 86 | extreme | large increase | I-1" in rows
    assert "Test boundaries (public domain)" in _one_line(texts["sources"][0])
    assert _artist(fig, "map_image").images


def test_briefing_does_not_touch_pyplot():
    code = "import sys, mapspec.briefing; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_notes_under_the_legend_end_above_the_sources_line(bundle):
    """With every legend entry and a notice (threats without a point), the notes under the
    legend used to run into the sources line at the bottom of the image."""
    from mapspec.briefing import briefing_figure
    from mapspec.resolve import resolve
    from mapspec.spec import MapSpec

    resolved = resolve(MapSpec(), bundle)
    assert resolved.notices  # the case that made the notes long
    fig, _ = briefing_figure(resolved)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = {
        t.get_gid(): t.get_window_extent(renderer)
        for t in fig.findobj(
            lambda a: (
                hasattr(a, "get_gid")
                and a.get_gid() in ("notes", "sources")
                and hasattr(a, "get_window_extent")
            )
        )
    }
    assert boxes["notes"].y0 > boxes["sources"].y1  # display y grows upwards
