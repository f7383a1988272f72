"""Popups that explain a score: its band in words, what the number means, the records that
make it, the next month's forecast and a link to every record of the area.

Every value taken from data is HTML-escaped here (:func:`mapspec.style.esc`); the popup
HTML travels to the browser as JSON text inside the map's fixed templates, never as
template source. What is the same for every area (what the score means) is written once
per map (:func:`popup_notes`) and appended in the browser, so hundreds of segment popups do
not repeat it.

Contributors are read from the scoring result in one vectorised pass
(:func:`top_contributions`), with the same order and numbers as
:meth:`riskmodel.score.RiskResult.explain` (largest contribution first).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import numpy as np
import pandas as pd

from mapspec import style
from riskmodel.bands import LOAD_SCALE_L0, score_from_load

TOP_N = 3
TITLE_CHARS = 90
"""Record titles (the source's headline, else the summary) are cut to this many characters."""
SEGMENT_TITLE_CHARS = 60
RECORDS_PAGE = "records"
"""The Records page's URL path (app.py); the link adds the view's query and ``admin1``."""


@dataclass(frozen=True)
class Contributor:
    """One record behind an area's score: its share of the area's load."""

    id: str
    kind: str  # "incident" or "threat"
    date: str  # YYYY-MM-DD
    title: str  # raw text (escaped when written into a popup)
    share: float  # 0–1 of the area's load


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def top_contributions(
    risk, level: str, n: int = TOP_N, title_frames: tuple[pd.DataFrame | None, ...] = ()
) -> dict[str, list[Contributor]]:
    """Area id → its ``n`` largest contributing records (largest first), for every area
    of ``level`` with a load. One pass over the scoring pairs instead of one
    :meth:`~riskmodel.score.RiskResult.explain` per area (≈300 segments); reads the
    result's record and pair arrays, which ``explain`` reads too. The records are named by
    their row in ``title_frames`` (e.g. the resolved incident and threat layers: the first
    source's headline, else the summary), else by the scored rows' own. Titles are looked up
    for the listed records only (a few per area), never for all records: on 100,000 events
    a title for every record cost seconds per map."""
    table = risk.table(level)
    pairs = risk._pairs[level]
    records = risk._records
    if not len(pairs.area):
        return {}
    order = np.lexsort((-pairs.contribution, pairs.area))  # stable: ties as in explain
    area_sorted = pairs.area[order]
    starts = np.r_[0, np.flatnonzero(np.diff(area_sorted)) + 1]
    rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    keep = order[rank < n]
    load = np.bincount(pairs.area, weights=pairs.contribution, minlength=len(table))
    listed = np.unique(pairs.record[keep])
    names = _titles(records, listed)
    named = record_titles(*title_frames, ids={str(records.ids[r]) for r in listed})
    for r in listed:
        names[int(r)] = named.get(str(records.ids[r])) or names.get(int(r), "")
    ids = table["id"].astype(str).to_numpy()
    dates = dict(
        zip(
            (int(r) for r in listed),
            pd.to_datetime(records.dates[listed]).strftime("%Y-%m-%d"),
            strict=True,
        )
    )
    out: dict[str, list[Contributor]] = {}
    for i in keep:
        area, rec = int(pairs.area[i]), int(pairs.record[i])
        share = float(pairs.contribution[i] / load[area]) if load[area] > 0 else 0.0
        out.setdefault(ids[area], []).append(
            Contributor(
                str(records.ids[rec]),
                "threat" if records.is_threat[rec] else "incident",
                dates[rec],
                names.get(rec, ""),
                share,
            )
        )
    return out


def _title_column(frame: pd.DataFrame) -> pd.Series:
    """Each row's title: its first source's headline, else its summary ('' for none)."""
    empty = pd.Series("", index=frame.index, dtype=object)

    def text(column: str) -> pd.Series:
        if column not in frame.columns:
            return empty
        return frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()

    heads = text("source_1_title")
    return heads.where(heads != "", text("summary"))


def record_titles(*frames: pd.DataFrame | None, ids: set[str] | None = None) -> dict[str, str]:
    """Record id → its title: the first source's headline, else the summary (only the
    records in ``ids`` when given)."""
    out: dict[str, str] = {}
    for frame in frames:
        if frame is None or "id" not in frame.columns:
            continue
        if ids is not None:
            frame = frame[frame["id"].astype(str).isin(ids)]
        out.update(zip(frame["id"].astype(str), _title_column(frame), strict=True))
    return out


def _titles(records, rows: np.ndarray) -> dict[int, str]:
    """The title (:func:`_title_column`) of each scored record in ``rows`` (positions in
    the scoring order: the sources one after the other)."""
    out: dict[int, str] = {}
    offset = 0
    for frame in records.sources:
        if frame is None:
            continue
        mine = rows[(rows >= offset) & (rows < offset + len(frame))]
        if len(mine):
            texts = _title_column(frame.iloc[mine - offset])
            out.update(zip((int(r) for r in mine), texts, strict=True))
        offset += len(frame)
    return out


def _count(value: object, noun: str) -> str:
    if style._missing(value):
        return f"no {noun}s"
    n = int(value)
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def share_text(share: float) -> str:
    """A share of the load in whole per cent ("<1 %" for a sliver)."""
    return "<1 %" if 0 < share < 0.005 else f"{100 * share:.0f} %"


def score_words(score: object, band: object) -> str:
    """ "High — score 89 of 100" (escaped); '' without a score."""
    if style._missing(score):
        return ""
    return f"{style.esc(str(band or '').capitalize())} — score {float(score):.0f} of 100"


def band_words(rec: Mapping[str, object]) -> str:
    """:func:`score_words` of an area's row; with an analyst's band in force (its
    ``band_computed`` column, :mod:`geodata.overrides`) "Low (analyst; computed: Extreme) —
    score 85 of 100" (escaped)."""
    computed = rec.get("band_computed")
    if style._missing(rec.get("band_override")) or style._missing(computed):
        return score_words(rec.get("score"), rec.get("band"))
    if style._missing(rec.get("score")):
        return ""
    return (
        f"{style.esc(str(rec.get('band') or '').capitalize())} (analyst; computed: "
        f"{style.esc(str(computed).capitalize())}) — score "
        f"{float(rec.get('score')):.0f} of 100"
    )


def override_line(note: object, what: str) -> str:
    """'<what> set by an analyst: <who, until when: why>' as an escaped ``<div>`` ('' for
    none): the note of :func:`geodata.overrides.note`."""
    if style._missing(note) or not str(note).strip():
        return ""
    return f"<div class='ap-ov'>{style.esc(what)}: {style.esc(note)}</div>"


def _chip(band: object) -> str:
    return f"<span class='ap-chip' style='background:{style.band_colour(band)}'></span>"


def forecast_line(rec: Mapping[str, object]) -> str:
    """ "Next month: 34 % chance of at least one relevant attack (expected 0.4; 80 %
    interval 0–1)" from the ``forecast_*_1m`` columns; '' when they are absent or NaN."""
    p = rec.get("forecast_p_1m")
    if style._missing(p) or not math.isfinite(float(p)):
        return ""
    text = f"Next month: {100 * float(p):.0f} % chance of at least one relevant attack"
    details = []
    expected = rec.get("forecast_expected_1m")
    if not style._missing(expected) and math.isfinite(float(expected)):
        details.append(f"expected {float(expected):.1f}")
    low, high = rec.get("forecast_low_1m"), rec.get("forecast_high_1m")
    if (
        not (style._missing(low) or style._missing(high))
        and math.isfinite(float(low))
        and math.isfinite(float(high))
    ):
        details.append(f"80 % interval {float(low):g}–{float(high):g}")
    if details:
        text += f" ({'; '.join(details)})"
    return style.esc(text)


def records_href(spec, area_id: str) -> str:
    """``records?<the view's query>&admin1=<CODE>``: the Records page with the current
    filters, narrowed to one unit (any admin1 filter of the view is replaced)."""
    params = {k: v for k, v in spec.to_params().items() if k not in ("admin1", "view")}
    params["admin1"] = str(area_id)
    return f"{RECORDS_PAGE}?{urlencode(params)}"


CONTRIBUTORS_TITLE = "Largest contributors (share of the load)"


def contributor_table(
    top: dict[str, list[Contributor]], limit: int = SEGMENT_TITLE_CHARS
) -> tuple[list[list[str]], dict[str, int]]:
    """Every contributing record once, as ``[id, date, title]`` of escaped HTML (the id
    with ", threat" for threat records), and record id → its index: neighbouring segments
    share their records, so the segment layer lists them once and each segment names
    them by index (about a third of the segment layer's size)."""
    rows: list[list[str]] = []
    index: dict[str, int] = {}
    for items in top.values():
        for c in items:
            if c.id not in index:
                index[c.id] = len(rows)
                rows.append(
                    [
                        style.esc(c.id) + (", threat" if c.kind == "threat" else ""),
                        style.esc(c.date),
                        style.esc(_short(c.title, limit)) or style.esc(c.id),
                    ]
                )
    return rows, index


def _contributors_html(items: list[Contributor], limit: int) -> str:
    if not items:
        return ""
    rows = "".join(
        f"<li><span class='ap-sh'>{style.esc(share_text(c.share))}</span> "
        f"{style.esc(c.date)} · "
        f"{style.esc(_short(c.title, limit)) or style.esc(c.id)} "
        f"<span class='ap-id'>({style.esc(c.id)}{', threat' if c.kind == 'threat' else ''})"
        "</span></li>"
        for c in items
    )
    return f"<div class='ap-h'>{CONTRIBUTORS_TITLE}</div><ol>{rows}</ol>"


def area_popup(
    rec: Mapping[str, object], kind: str, contributors: list[Contributor], href: str | None = None
) -> str:
    """Popup HTML of a province, Pakistani unit or site: name, score in words, trend,
    events, top contributors, the forecast line and the link to its records."""
    name = style.esc(rec.get("name")) or style.esc(rec.get("id"))
    parts = [
        f"<div class='ap'><b>{name}</b> <span class='ap-id'>{style.esc(kind)} · "
        f"{style.esc(rec.get('id'))}</span>"
    ]
    words = band_words(rec)
    if words:
        parts.append(f"<div class='ap-score'>{_chip(rec.get('band'))}{words}</div>")
    parts.append(override_line(rec.get("band_override"), "Band set by an analyst"))
    facts = [_count(rec.get("n_events"), "incident")]
    if not style._missing(rec.get("n_threats")):
        facts.append(_count(rec.get("n_threats"), "threat record"))
    # The counts are of the records that weigh on the score: inside the unit, or near
    # enough for the distance kernel; the Records page lists those located in it.
    trend = "" if style._missing(rec.get("surge")) else f"; trend: {style.esc(rec.get('surge'))}"
    parts.append(
        f"<div>In the score: {' and '.join(facts)} <span class='ap-id'>(inside "
        f"it or near enough to count)</span>{trend}</div>"
    )
    forecast = forecast_line(rec)
    if forecast:
        parts.append(f"<div class='ap-fc'>{forecast}</div>")
    parts.append(_contributors_html(contributors, TITLE_CHARS))
    if not style._missing(rec.get("note")) and str(rec.get("note")):
        parts.append(f"<div class='ap-id'>{style.esc(rec.get('note'))}</div>")
    if href:
        parts.append(
            f"<div><a class='atlas-records' href='{style.esc(href)}' "
            f"data-records='{style.esc(href)}' target='_blank' rel='noopener'>"
            f"Records located in {name}</a></div>"
        )
    parts.append("</div>")
    return "".join(parts)


def segment_popup(rec: Mapping[str, object], contributors: list[Contributor]) -> str:
    """A compact popup of one CPEC segment (hundreds are drawn): id and km range, score in
    words, events, top contributors (shorter titles)."""
    km = f"km {float(rec.get('km_from') or 0):.0f}–{float(rec.get('km_to') or 0):.0f}"
    parts = [
        f"<div class='ap'><b>{style.esc(rec.get('id'))}</b> "
        f"<span class='ap-id'>CPEC segment, {km} (schematic line)</span>"
    ]
    words = score_words(rec.get("score"), rec.get("band"))
    if words:
        parts.append(f"<div class='ap-score'>{_chip(rec.get('band'))}{words}</div>")
    parts.append(
        f"<div>{_count(rec.get('n_events'), 'incident')} within reach, trend: "
        f"{style.esc(rec.get('surge'))}</div>"
    )
    parts.append(_contributors_html(contributors, SEGMENT_TITLE_CHARS))
    parts.append("</div>")
    return "".join(parts)


def popup_notes(settings) -> dict[str, str]:
    """What a score means, written once per map (escaped HTML): ``area`` for provinces and
    units, ``near`` for CPEC segments and sites (records count by distance)."""
    half_life = getattr(settings, "half_life_days", 180.0)
    label = getattr(getattr(settings, "preset", None), "label", None) or "the chosen"
    base = getattr(settings, "severity_base", 1.0)
    death = getattr(settings, "severity_per_death", 3.0)
    injured = getattr(settings, "severity_per_injured", 0.5)
    sixty_three = score_from_load(LOAD_SCALE_L0)
    common = (
        f"relevant attacks (severity {base:g} + {death:g} per death + {injured:g} per "
        f"injured) and threat records under the current filters, each weighted by its "
        f"relevance to the {label} perspective and halved for every {half_life:g} days "
        f"of age. The scale is fixed, not relative to other areas: score = 100 × (1 − "
        f"e^(−load / {LOAD_SCALE_L0:g})), so a load of {LOAD_SCALE_L0:g} scores "
        f"{sixty_three:.0f}."
    )
    where = {
        "area": "What the score means: it grows with the load, the sum over the unit's ",
        "near": "What the score means: it grows with the load, the sum over nearby "
        "(weighted less with distance; none beyond the cut-off) ",
    }
    return {
        key: f"<div class='ap-note'>{style.esc(text + common)}</div>" for key, text in where.items()
    }


POPUP_CSS = (
    ".ap{max-width:360px;font-size:12px;line-height:1.3}.ap li{font-size:11.5px}"
    ".leaflet-popup-content{margin:10px 14px}.ap-id{color:#666;font-size:10px}"
    ".ap-score{font-weight:600;margin:2px 0}.ap-chip{display:inline-block;"
    "width:10px;height:10px;border:1px solid #777;border-radius:2px;"
    "margin-right:4px;vertical-align:middle}.ap-h{margin-top:4px;font-weight:600}"
    ".ap-sh{font-weight:600}.ap ol{margin:2px 0 4px 16px;padding:0}.ap li{margin:1px 0}"
    ".ap-fc{margin-top:3px;color:#045a8d}.ap-note{margin-top:4px;color:#555;"
    "font-size:10px;line-height:1.25}.ap-area{margin-top:4px;border-top:1px solid "
    "#ddd;padding-top:3px}.ap-ov{margin:2px 0;padding:2px 4px;background:#fff4d6;"
    "border-left:3px solid #d08c00;font-size:11px}"
)
"""CSS of the explaining popups, added once per map."""
