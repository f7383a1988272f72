"""Colours, sizes and popup text shared by every renderer (folium map and briefing image).

One place for each visual choice, so the interactive map and the slide look alike.
All text taken from data is HTML-escaped here before it can reach a browser, and only
http(s) URLs become links.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geodata.contract import is_http_url
from mapspec.palette import (  # noqa: F401 (re-exported: one palette for every renderer)
    ACTOR_COLOURS,
    ATTRIBUTION_COLOURS,
    BORDER_COLOUR,
    COUNTRY_OUTLINE,
    FALLBACK_COLOUR,
    NO_DATA_COLOUR,
    SITE_OUTLINE,
    THREAT_COLOUR,
)
from riskmodel.bands import BAND_COLOURS
from riskmodel.vocab import target_names

PRECISION_LABELS = {1: "exact site", 2: "town or city", 3: "district or region (approximate)"}


def band_colour(band: str | None) -> str:
    """Fill colour of a risk band."""
    return BAND_COLOURS.get(str(band), NO_DATA_COLOUR)


def point_colours(frame: pd.DataFrame, colour_by: str) -> np.ndarray:
    """Colour of each incident: by canonical actor or by attribution."""
    if colour_by == "attribution":
        table, column = ATTRIBUTION_COLOURS, "attribution"
    else:
        table, column = ACTOR_COLOURS, "actor_canonical"
    if column not in frame.columns:
        return np.full(len(frame), FALLBACK_COLOUR, dtype=object)
    return frame[column].map(table).fillna(FALLBACK_COLOUR).to_numpy(dtype=object)


def severity(frame: pd.DataFrame) -> np.ndarray:
    """GTI-style severity 1 + 3·deaths + 0.5·injured (missing counts as 0)."""
    deaths = pd.to_numeric(frame.get("fatalities"), errors="coerce")
    injured = pd.to_numeric(frame.get("injured"), errors="coerce")
    d = np.nan_to_num(np.asarray(deaths, float)) if deaths is not None else 0.0
    i = np.nan_to_num(np.asarray(injured, float)) if injured is not None else 0.0
    return 1.0 + 3.0 * d + 0.5 * i


def point_radius(sev: np.ndarray) -> np.ndarray:
    """Marker radius in pixels: grows with log(severity), 4–26 px."""
    return np.clip(4.0 + 3.2 * np.log1p(np.asarray(sev, float)), 4.0, 26.0)


def cell_radius(counts: np.ndarray) -> np.ndarray:
    """Grid-cell marker radius in pixels: grows with the square root of its incidents,
    3–30 px (map and briefing alike)."""
    return np.clip(3 + 2.2 * np.sqrt(np.asarray(counts, float)), 3, 30)


# --- Escaped text ---------------------------------------------------------------------------


def esc(value: object) -> str:
    """HTML-escaped text of a value ('' for missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, tuple | list):
        return html.escape(", ".join(str(v) for v in value))
    return html.escape(str(value), quote=True)


def safe_link(url: object, label: object | None = None) -> str:
    """An <a> for http(s) URLs only; anything else is shown as escaped text."""
    text = "" if url is None or (isinstance(url, float) and math.isnan(url)) else str(url)
    shown = esc(label) if not _missing(label) and str(label) != "" else esc(text)
    if is_http_url(text):
        return (
            f'<a href="{html.escape(text, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{shown}</a>'
        )
    return shown


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def table_html(title_html: str, rows: Iterable[tuple[str, str]]) -> str:
    """A small popup table. The title and the values must already be escaped HTML (built
    with :func:`esc`; escaping them again would show ``&lt;`` literally); the row labels
    are plain text."""
    body = "".join(
        f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows if v not in ("", None)
    )
    return f"<div class='ap'><b>{title_html}</b><table>{body}</table></div>"


POPUP_CSS = (
    ".ap{max-width:360px}.ap th{text-align:left;padding-right:6px;"
    "vertical-align:top;font-weight:600}.ap td{vertical-align:top}"
)
"""CSS for :func:`table_html`, added once per map (not repeated in every popup)."""


def _casualties(rec: Mapping[str, object]) -> str:
    parts = []
    f, lo, hi = rec.get("fatalities"), rec.get("fatalities_low"), rec.get("fatalities_high")
    if not _missing(f):
        span = ""
        if not _missing(lo) and not _missing(hi) and (lo != f or hi != f):
            span = f" (reported {esc(lo)}–{esc(hi)})"
        parts.append(f"{esc(f)} killed{span}")
    if not _missing(rec.get("injured")):
        parts.append(f"{esc(rec.get('injured'))} injured")
    return "; ".join(parts)


def _sources(rec: Mapping[str, object]) -> str:
    links = []
    for n in (1, 2):
        url = rec.get(f"source_{n}_url")
        if not _missing(url) and str(url).strip():
            links.append(safe_link(url, rec.get(f"source_{n}_title")))
    return "<br>".join(links)


def overridden(rec: Mapping[str, object], column: str, computed: str, note: str) -> str:
    """The value of ``column`` (escaped); when an analyst's override is in force for it
    (its ``note`` column, :mod:`geodata.overrides`) "low (analyst; computed: medium) —
    analyst alice, until 2027-03-31: <reason>", every part escaped."""
    value = esc(rec.get(column))
    if _missing(rec.get(note)) or not str(rec.get(note)).strip():
        return value
    return (
        f"{value} <span class='ap-ov'>(analyst; computed: {esc(rec.get(computed))}) — "
        f"{esc(rec.get(note))}</span>"
    )


def incident_popup(rec: Mapping[str, object]) -> str:
    """Popup HTML of one incident (every value escaped, links only for http(s))."""
    precision = rec.get("geo_precision")
    precision_text = "" if _missing(precision) else PRECISION_LABELS.get(int(precision), "")
    actor = overridden(rec, "actor_canonical", "actor_computed", "actor_override")
    raw = esc(rec.get("actor"))
    return table_html(
        f"{esc(rec.get('id'))} · {esc(rec.get('date'))}",
        [
            ("Place", esc(rec.get("place")) or esc(rec.get("province"))),
            ("Actor", f"{actor} <span style='color:#666'>({raw})</span>" if raw else actor),
            ("Attack", esc(rec.get("attack_type"))),
            ("Target", esc(target_names(rec.get("target_categories")))),
            ("Casualties", _casualties(rec)),
            ("Attribution", esc(rec.get("attribution"))),
            (
                "Confidence",
                overridden(rec, "confidence", "confidence_computed", "confidence_override"),
            ),
            ("Coordinates", esc(precision_text)),
            ("Summary", esc(rec.get("summary"))),
            ("Sources", _sources(rec)),
        ],
    )


def threat_popup(rec: Mapping[str, object]) -> str:
    """Popup HTML of one threat record."""
    return table_html(
        f"{esc(rec.get('id'))} · {esc(rec.get('date'))} · threat record",
        [
            ("Type", esc(rec.get("threat_type"))),
            (
                "Actor",
                esc(rec.get("actor"))
                + (
                    f" <span class='ap-ov'>(attributed by an analyst to "
                    f"{overridden(rec, 'actor_canonical', 'actor_computed', 'actor_override')})"
                    "</span>"
                    if not _missing(rec.get("actor_override"))
                    else ""
                ),
            ),
            ("Target", esc(target_names(rec.get("target_categories")))),
            ("Reported by", esc(rec.get("reported_by"))),
            (
                "Credibility",
                overridden(rec, "credibility", "credibility_computed", "credibility_override"),
            ),
            ("Summary", esc(rec.get("summary"))),
            ("Sources", _sources(rec)),
        ],
    )


def segment_popup(rec: Mapping[str, object]) -> str:
    """A compact popup of one CPEC segment (hundreds are drawn: keep it short)."""
    score = rec.get("score")
    risk = "" if _missing(score) else f"{float(score):.0f}/100, {esc(rec.get('band'))}"
    return (
        f"<b>{esc(rec.get('id'))}</b> · km {float(rec.get('km_from') or 0):.0f}–"
        f"{float(rec.get('km_to') or 0):.0f} (schematic line)<br>Risk {risk} · "
        f"{esc(rec.get('surge'))} · {esc(rec.get('n_events'))} events · top "
        f"{esc(rec.get('top_contributor'))}"
    )


def area_popup(rec: Mapping[str, object], kind: str = "Area") -> str:
    """Popup HTML of a scored area, segment or site."""
    score = rec.get("score")
    score_text = "" if _missing(score) else f"{float(score):.0f} / 100 ({esc(rec.get('band'))})"
    return table_html(
        f"{esc(rec.get('name'))}",
        [
            ("Kind", esc(kind)),
            ("Id", esc(rec.get("id"))),
            ("Risk", score_text),
            ("Load", "" if _missing(rec.get("load")) else f"{float(rec.get('load')):.2f}"),
            ("Trend", esc(rec.get("surge"))),
            ("Events", esc(rec.get("n_events"))),
            ("Top contributor", esc(rec.get("top_contributor"))),
            ("Note", esc(rec.get("note"))),
        ],
    )
