"""Tables shown next to a map: the top areas with their contributors, a route's segments.

Pure functions of a :class:`~mapspec.resolved.ResolvedMap` (the app caches them per view).
"""

from __future__ import annotations

import pandas as pd

from mapspec import style
from mapspec.resolved import ResolvedMap

LEVEL_LAYER = {"province": "areas", "segment": "segments", "site": "sites"}


def top_areas(resolved_map: ResolvedMap, level: str, n: int = 10) -> pd.DataFrame:
    """The n highest-scoring areas of a level with their three largest contributors."""
    layer = resolved_map.layer(LEVEL_LAYER[level])
    top = layer.sort_values(["score", "id"], ascending=[False, True]).head(n)
    analyst = "band_override" in layer.columns and layer["band_override"].notna().any()
    rows = []
    for rec in top.itertuples(index=False):
        explained = resolved_map.risk.explain(rec.id, level).head(3)
        contributors = "; ".join(
            f"{r.id} {r.date:%Y-%m-%d} {r.actor_canonical} ({r.contribution:.2f})"
            for r in explained.itertuples(index=False)
        )
        row = {
            "id": rec.id,
            "name": rec.name,
            "score": round(float(rec.score), 1),
            "band": rec.band,
        }
        if analyst:  # an analyst's band in force somewhere: the computed band beside it
            note = rec.band_override
            given = isinstance(note, str) and bool(note)
            row["computed band"] = rec.band_computed
            row["band set by an analyst"] = note if given else None
        row.update(
            {
                "trend": rec.surge,
                "events": rec.n_events,
                "top contributors (record, date, actor, load)": contributors,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


def segment_table(resolved_map: ResolvedMap, route_id: str) -> pd.DataFrame:
    """Segments of one route with score and contributing records, and the segment
    forecast (``forecast_p_1m``, ``forecast_p_3m``: P of at least one relevant attack within
    the score's cut-off distance in the next 1 / 3 months; :mod:`mapspec.analysis_layers`)."""
    seg = resolved_map.layer("segments")
    seg = seg[seg["route_id"] == route_id].sort_values("km_from")
    forecast = resolved_map.layers.get("forecast_segments")
    by_id = (
        pd.DataFrame(forecast.drop(columns="geometry")).set_index("id")
        if forecast is not None and len(forecast)
        else pd.DataFrame(columns=["p_any_1m", "p_any_3m"])
    )
    rows = []
    for rec in seg.itertuples(index=False):
        explained = resolved_map.risk.explain(rec.id, "segment")
        known = rec.id in by_id.index
        rows.append(
            {
                "segment": rec.id,
                "km": f"{rec.km_from:.0f}–{rec.km_to:.0f}",
                "score": round(float(rec.score), 1),
                "band": rec.band,
                "events": rec.n_events,
                "contributing records": ", ".join(explained["id"].head(8)),
                "forecast_p_1m": float(by_id.at[rec.id, "p_any_1m"]) if known else None,
                "forecast_p_3m": float(by_id.at[rec.id, "p_any_3m"]) if known else None,
            }
        )
    return pd.DataFrame(rows)


def html_table(
    frame: pd.DataFrame, band_column: str | None = "band", caption: str | None = None
) -> str:
    """A static HTML table of ``frame``, every cell escaped, band cells with their colour.

    Lighter in the browser than an interactive data grid (no grid script to load), for
    short ranked tables under a map."""
    head = "".join(f"<th>{style.esc(c)}</th>" for c in frame.columns)
    rows = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, rec, strict=True):
            text = style.esc(value)
            if col == band_column and text:
                chip = (
                    f"<span style='display:inline-block;width:10px;height:10px;"
                    f"border-radius:2px;margin-right:4px;vertical-align:middle;"
                    f"background:{style.band_colour(value)}'></span>"
                )
                text = chip + text
            short = col in ("id", band_column, "score", "events", "trend")
            cells.append(f"<td class='nw'>{text}</td>" if short else f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{style.esc(caption)}</caption>" if caption else ""
    css = (
        "<style>.atlas-table{border-collapse:collapse;width:100%;font-size:0.85rem}"
        ".atlas-table th,.atlas-table td{border-bottom:1px solid #ddd;padding:3px 6px;"
        "text-align:left;vertical-align:top}.atlas-table th{background:#f3f5f7}"
        ".atlas-table td.nw{white-space:nowrap}"
        ".atlas-table caption{caption-side:bottom;text-align:left;color:#666;"
        "font-size:0.8rem}</style>"
    )
    if not rows:
        return css + "<p>No rows.</p>"
    return (
        f"{css}<table class='atlas-table'>{cap}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def collapsible(title: str, body_html: str, open_: bool = False) -> str:
    """An HTML ``<details>`` block: the (escaped) title, the given HTML body. Switching
    between such blocks needs no round trip to the server."""
    return (
        f"<details{' open' if open_ else ''} style='margin-bottom:6px'>"
        f"<summary style='cursor:pointer;font-weight:600;padding:2px 0'>"
        f"{style.esc(title)}</summary>{body_html}</details>"
    )
