"""The PDF's tables: the top rows of each level, laid out by measured text widths
(wrapped, never cut, km ranges kept whole, an analyst's band beside the computed one, a
key under the tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mapspec import style
from mapspec.briefing.furniture import draw_text
from mapspec.briefing.options import TOP_N
from mapspec.briefing.textfit import TextMeasure, word_tokens, wrap_measured
from mapspec.resolved import ResolvedMap


def top_rows(resolved: ResolvedMap, layer: str, level: str, n: int = TOP_N) -> list[dict[str, str]]:
    """The ``n`` highest-scoring rows of a scored layer, with their top contributors. In a
    view framed on one CPEC route, the segments are that route's."""
    frame = resolved.layer(layer)
    if frame.empty or "score" not in frame.columns:
        return []
    view = resolved.spec.view
    if layer == "segments" and view.kind == "route" and "route_id" in frame.columns:
        frame = frame[frame["route_id"] == view.value]
    top = frame.sort_values(["score", "id"], ascending=[False, True], kind="stable").head(n)
    rows = []
    for rec in top.to_dict(orient="records"):
        rows.append(
            {
                "id": str(rec.get("id")),
                "name": str(rec.get("name") or rec.get("id")),
                "score": "" if pd.isna(rec.get("score")) else f"{float(rec['score']):.0f}",
                "band": str(rec.get("band") or ""),
                "band_computed": _computed_band(rec),
                "trend": "" if pd.isna(rec.get("surge")) else str(rec.get("surge") or ""),
                "contributors": _contributors(resolved, rec, level),
            }
        )
    return rows


def _computed_band(rec: Mapping[str, Any]) -> str:
    """The band of the score where an analyst's band is in force (the row's
    ``band_override`` note and ``band_computed``, :mod:`geodata.overrides`); else ''."""
    note, computed = rec.get("band_override"), rec.get("band_computed")
    if not isinstance(note, str) or not note.strip() or not isinstance(computed, str):
        return ""
    return computed


ANALYST_MARK = " (analyst; computed: "


def band_cell(band: str, computed: str = "") -> str:
    """The band column's text: the band in force, and with an analyst's band in force the
    computed one after it, "low (analyst; computed: extreme)"."""
    return f"{band}{ANALYST_MARK}{computed})" if computed else band


def band_in_force(cell: str) -> str:
    """The band in force of a :func:`band_cell` text (the one its swatch shows)."""
    return cell.partition(ANALYST_MARK)[0]


def _band_tokens(cell: str) -> list[str]:
    """A band cell's pieces: the band, "(analyst; " and "computed: <band>)" — each kept
    on one line."""
    band, mark, rest = cell.partition(ANALYST_MARK)
    if not mark:
        return [cell]
    return [f"{band} ", "(analyst; ", f"computed: {rest}"]


def _cell_tokens(text: str, breaks: str) -> list[str]:
    return (
        _band_tokens(" ".join(str(text).split())) if breaks == "band" else word_tokens(text, breaks)
    )


def _contributors(resolved: ResolvedMap, rec: Mapping[str, Any], level: str) -> str:
    risk = resolved.risk
    if risk is not None and hasattr(risk, "explain"):
        try:
            explained = risk.explain(str(rec["id"]), level).head(3)
        except (KeyError, ValueError, IndexError):
            explained = None
        if explained is not None and len(explained):
            column = "record_id" if "record_id" in explained.columns else "id"
            total = float(rec.get("load") or 0) or float(explained["contribution"].sum())
            return ", ".join(
                f"{r[column]} {r.get('actor_canonical') or ''} "
                f"({100 * float(r['contribution']) / total:.0f}%)".replace("  ", " ")
                for r in explained.to_dict(orient="records")
                if float(r["contribution"]) >= 0.005 * total
            )
    top = rec.get("top_contributor")
    return "" if top is None or (isinstance(top, float) and np.isnan(top)) else str(top)


# Table layout: every cell is measured with the renderer's text extents; columns shrink
# from their natural width where that costs the fewest extra lines, and cells wrap (never
# cut). A segment's km range ("km 120–240") and one contributor ("INC-1 ISKP (40%)") are
# never split across lines.

TABLE_KEY = (
    "Tables: largest contributors are the records (id, actor) that add most to an "
    "area's load, with their share of it; the load sets the 0–100 score. Trend "
    "compares the latest period with the recent past."
)
ANALYST_KEY = (
    "A band such as “low (analyst; computed: extreme)” is one an analyst set, with a reason "
    "and an expiry date, in place of the band the score gives (“extreme”); its swatch shows "
    "the analyst's band."
)


def analyst_bands(resolved: ResolvedMap) -> list[tuple[str, str, str]]:
    """(name, band in force, computed band) of every unit whose band an analyst set, in
    score order (empty when no override is in force)."""
    areas = resolved.layer("areas")
    if areas.empty or "band_override" not in areas.columns:
        return []
    set_ = areas[areas["band_override"].fillna("").astype(str) != ""]
    set_ = set_.sort_values(["score", "id"], ascending=[False, True], kind="stable")
    return [
        (str(r.get("name") or r.get("id")), str(r.get("band")), str(r.get("band_computed")))
        for r in set_.to_dict(orient="records")
    ]


def analyst_note(resolved: ResolvedMap) -> str:
    """A sentence naming every unit whose band an analyst set (the map's fill shows that
    band, in the tables or not), or "" when none is."""
    bands = analyst_bands(resolved)
    if not bands:
        return ""
    listed = "; ".join(f"{name}: {band} (computed: {computed})" for name, band, computed in bands)
    return f"Band set by an analyst (the map's fill shows it): {listed}."


TABLE_FONT_PT = 6.5
TABLE_MIN_FONT_PT = 5.0
TABLE_GAP_PT = 7.0  # white space between two columns
TABLE_LINE = 1.22  # line pitch in font sizes
SWATCH_PT = 7.0  # the band swatch in front of the band's name


@dataclass(frozen=True)
class _Column:
    key: str
    heading: str
    # how the cell may wrap: words, id (after _ - / . :), items, never, band (a band never;
    # an analyst's mark after it, see band_cell)
    breaks: str = "words"
    align: str = "left"


TABLE_COLUMNS = (
    _Column("rank", "#", "never", "right"),
    _Column("name", "Name"),
    _Column("id", "ID", "id"),
    _Column("score", "Score", "never", "right"),
    _Column("band", "Band", "band"),
    _Column("trend", "Trend"),
    _Column("contributors", "Largest contributors (share of load)", "items"),
)


@dataclass
class _TableLayout:
    widths: list[float]
    lines: list[list[list[str]]]  # row (0 = header) -> column -> lines

    def row_lines(self, row: int) -> int:
        return max(len(c) for c in self.lines[row])

    @property
    def total_lines(self) -> int:
        return sum(self.row_lines(r) for r in range(len(self.lines)))


def layout_table(
    rows: Sequence[Sequence[str]], available: float, measure: TextMeasure
) -> _TableLayout:
    """Column widths that fit ``available`` points with the fewest wrapped lines: each
    column starts at its natural width (its widest cell on one line); while the table is
    too wide, the column whose narrowing adds the fewest lines is narrowed."""
    n_cols = len(TABLE_COLUMNS)
    # the header row (rows[0]) wraps between words in every column
    cells = [
        [
            _cell_tokens(row[c], "words" if r == 0 else TABLE_COLUMNS[c].breaks)
            for c in range(n_cols)
        ]
        for r, row in enumerate(rows)
    ]
    extra = [SWATCH_PT + 2 if col.key == "band" else 0.0 for col in TABLE_COLUMNS]
    natural = [max(measure("".join(r[c])) for r in cells) + extra[c] for c in range(n_cols)]
    cap = 0.35 * available  # a longer unbroken token wraps by characters
    minimum = [
        natural[c]
        if TABLE_COLUMNS[c].breaks == "never"
        else max(min(max(measure(t) for t in r[c]), cap) for r in cells) + extra[c]
        for c in range(n_cols)
    ]
    room = available - TABLE_GAP_PT * (n_cols - 1)
    cache: dict[tuple[int, float], list[list[str]]] = {}

    def wrapped(c: int, width: float) -> list[list[str]]:
        key = (c, round(width, 2))
        if key not in cache:
            cache[key] = [wrap_measured(r[c], width - extra[c], measure) for r in cells]
        return cache[key]

    def total(columns: list[list[list[str]]]) -> int:
        return sum(max(len(col[r]) for col in columns) for r in range(len(cells)))

    widths = list(natural)
    columns = [wrapped(c, widths[c]) for c in range(n_cols)]
    step = max(2.0, 0.01 * room)
    while sum(widths) > room:
        best = None
        for c in range(n_cols):
            if widths[c] - minimum[c] < 0.01:
                continue
            target = max(minimum[c], widths[c] - step)
            trial = wrapped(c, target)
            # the column is as wide as its widest wrapped line
            tight = max(measure(line) for cell in trial for line in cell) + extra[c]
            tight = max(min(tight, target), minimum[c])
            score = total([*columns[:c], trial, *columns[c + 1 :]])
            if best is None or (score, -widths[c]) < (best[0], -widths[best[1]]):
                best = (score, c, tight, trial)
        if best is None:  # every column at its minimum: the caller takes a smaller font
            break
        _, c, widths[c], columns[c] = best
    lines = [[columns[c][r] for c in range(n_cols)] for r in range(len(cells))]
    return _TableLayout(widths, lines)


def table_rows(resolved: ResolvedMap, layer: str, level: str) -> list[tuple[str, ...]]:
    return [
        (
            str(rank),
            row["name"],
            row["id"],
            row["score"],
            band_cell(row["band"], row.get("band_computed", "")),
            row["trend"],
            row["contributors"],
        )
        for rank, row in enumerate(top_rows(resolved, layer, level), start=1)
    ]


def draw_table(
    fig: Figure,
    layout: _TableLayout,
    rows: Sequence[Sequence[str]],
    x0: float,
    y_top: float,
    fontsize: float,
    page_h_pt: float,
    page_w_pt: float,
) -> float:
    """Draw a laid-out table (header row first) from ``y_top`` (figure fraction); returns
    the y under it. Alternate rows are shaded; the band column has the swatch of the band
    in force."""
    pitch = fontsize * TABLE_LINE / page_h_pt
    pad = 1.2 / page_h_pt
    xs = [x0]
    for w in layout.widths[:-1]:
        xs.append(xs[-1] + (w + TABLE_GAP_PT) / page_w_pt)
    full_w = (sum(layout.widths) + TABLE_GAP_PT * (len(xs) - 1)) / page_w_pt
    y = y_top
    band_col = [c.key for c in TABLE_COLUMNS].index("band")
    for r, row_cells in enumerate(layout.lines):
        height = layout.row_lines(r) * pitch + 2 * pad
        if r > 0 and r % 2 == 0:
            fig.add_artist(
                Rectangle(
                    (x0 - 2 / page_w_pt, y - height),
                    full_w + 4 / page_w_pt,
                    height,
                    transform=fig.transFigure,
                    facecolor="#f1f3f5",
                    edgecolor="none",
                    zorder=0,
                    gid="table_shade",
                )
            )
        for c, (column, cell) in enumerate(zip(TABLE_COLUMNS, row_cells, strict=True)):
            x = xs[c]
            if r > 0 and c == band_col:
                fig.add_artist(
                    Rectangle(
                        (x, y - pad - 0.8 * fontsize / page_h_pt),
                        SWATCH_PT * 0.8 / page_w_pt,
                        0.72 * fontsize / page_h_pt,
                        transform=fig.transFigure,
                        gid="band_swatch",
                        facecolor=style.band_colour(band_in_force(rows[r][c])),
                        edgecolor="#777777",
                        lw=0.3,
                    )
                )
                x += (SWATCH_PT + 2) / page_w_pt
            if column.align == "right":
                x, ha = xs[c] + layout.widths[c] / page_w_pt, "right"
            else:
                ha = "left"
            # one artist per line on a common baseline, so the cells of a row line up
            # whatever their glyphs (va="top" aligns each text by its own ink)
            for i, line in enumerate(cell):
                draw_text(
                    fig,
                    x,
                    y - pad - (0.8 + i * TABLE_LINE) * fontsize / page_h_pt,
                    line,
                    fontsize=fontsize,
                    va="baseline",
                    ha=ha,
                    color="#555555" if r == 0 else "black",
                    gid="table_header" if r == 0 else "table_cell",
                )
        y -= height
    return y
