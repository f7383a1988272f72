"""The web map's legend: an entry for every symbol drawn, none for what is not drawn.

:func:`drawn_legend` reads the layers as they are drawn (:class:`~mapspec.folium_map.
LayerData`, after any restyling such as the corridor page's highlighted route) and the
spec's visibility: a layer switched off (``layers=`` in the URL) or empty has no entry.
Every shape and colour comes from :data:`mapspec.palette.SYMBOLS` and the palette, the one
symbol table of the map, the briefing image and the PDF.

:func:`legend_html` writes the entries as escaped HTML in a ``<details>`` block (a toggle
that works offline, no script or CDN): compact (the bands in one row, two columns of
symbols) and, where it would cover what the view is about (a framed unit or route) or the
map is small, collapsed at first.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from mapspec import palette, popups, style
from mapspec.resolved import LegendEntry, ResolvedMap

BANDS_GROUP = "Risk band (units, CPEC segments, sites)"
SYMBOLS_GROUP = "Symbols"


def _actors_group(resolved: ResolvedMap, mode: str) -> str:
    if resolved.spec.colour_by == "attribution" and mode == "points":
        return "Incidents by attribution (size = severity)"
    return {
        "points": "Incidents by actor (size = severity)",
        "aggregate": "Grid cells by most frequent actor (size = incidents)",
        "heat": "Heat layer: incident density",
    }.get(mode, "Incidents")


def _has_features(layer) -> bool:
    data = layer.data
    if layer.kind == "grid" and isinstance(data, dict):
        return bool(data.get("cells"))
    if isinstance(data, dict):
        return bool(data.get("features", data.get("cells", True)))
    return bool(len(data))


def _incident_entries(resolved: ResolvedMap, layer) -> list[LegendEntry]:
    group = _actors_group(resolved, resolved.point_mode)
    if layer.kind == "heat":
        return [LegendEntry(group, "more incidents: warmer colour", "#f03b20", "fill")]
    incidents = resolved.layer("incidents")
    if resolved.spec.colour_by == "attribution" and layer.kind != "grid":
        column, table = "attribution", palette.ATTRIBUTION_COLOURS
    else:
        column, table = "actor_canonical", palette.ACTOR_COLOURS
    present = set(incidents[column].dropna().astype(str)) if column in incidents else set()
    entries = [
        LegendEntry(group, name, colour, "circle")
        for name, colour in table.items()
        if name in present
    ]
    others = sorted(present - set(table))
    if others:  # drawn in the fallback grey
        entries.append(
            LegendEntry(
                group,
                "other: " + ", ".join(others[:3]) + (" …" if len(others) > 3 else ""),
                palette.FALLBACK_COLOUR,
                "circle",
            )
        )
    return entries


def _muted_routes(layer) -> bool:
    return any(
        f["properties"].get("style", {}).get("color") == palette.MUTED_ROUTE_COLOUR
        for f in layer.data.get("features", [])
    )


def drawn_legend(resolved: ResolvedMap, layers: Iterable) -> tuple[LegendEntry, ...]:
    """Legend entries for the layers drawn: visible in the spec and not empty. Bands first
    (when any banded layer is drawn), then the incidents' colours, then one line per
    symbol, then the analysis layers' own entries (forecast, hot spots)."""
    drawn = {
        layer.key: layer for layer in layers if resolved.visible(layer.key) and _has_features(layer)
    }
    entries: list[LegendEntry] = []
    if drawn.keys() & {"areas", "corridors", "sites"}:
        entries += [
            LegendEntry(BANDS_GROUP, band.name, band.colour, "fill") for band in palette.BANDS
        ]
    if "incidents" in drawn:
        entries += _incident_entries(resolved, drawn["incidents"])
    symbols = []
    if "areas" in drawn:
        symbols.append(("small_units", "small unit (click)"))
    if "sites" in drawn:
        symbols.append(("sites", "sensitive site"))
    if "threats" in drawn:
        symbols.append(("threats", "threat record"))
    if "corridors" in drawn:
        symbols.append(("segments", "CPEC segment"))
        if _muted_routes(drawn["corridors"]):
            symbols.append(("muted_routes", "other corridors"))
    if "border" in drawn:
        symbols.append(("border", "Af-Pak border"))
    symbols.append(("neighbours", "other country"))
    for key, label in symbols:
        symbol = palette.SYMBOLS[key]
        colour = symbol.fill or (
            palette.BAND_COLOURS["high"] if key != "muted_routes" else symbol.outline
        )
        entries.append(LegendEntry(SYMBOLS_GROUP, label, colour, key))
    entries += _analysis_entries(resolved)
    return tuple(entries)


def _analysis_entries(resolved: ResolvedMap) -> list[LegendEntry]:
    """The legend lines of the registry's analysis layers that are shown (their own legend
    functions, as the resolver calls them)."""
    try:
        from mapspec import layers as registry
    except ImportError:  # an older tree without the layer registry
        return []
    out: list[LegendEntry] = []
    for layer in registry.LAYERS:
        if layer.legend is not None and layer.id in resolved.spec.visible_layers():
            entries, _notices = registry.function(layer.legend)(resolved.layers)
            out.extend(entries)
    return out


# --- HTML -----------------------------------------------------------------------------------


def _swatch(entry: LegendEntry) -> str:
    """A small inline sample of an entry's symbol (CSS only)."""
    symbol = palette.SYMBOLS.get(entry.shape)
    colour = html.escape(entry.colour)
    base = "display:inline-block;vertical-align:middle;margin-right:4px;"
    if symbol is None:  # a plain fill or circle (bands, actors, analysis classes)
        radius = "50%" if entry.shape == "circle" else "2px"
        edge = "#ffffff;box-shadow:0 0 0 1px #999" if entry.shape == "circle" else "#777"
        return (
            f"<span class='lg-s' style='{base}width:11px;height:11px;"
            f"background:{colour};border-radius:{radius};border:1px solid {edge}'></span>"
        )
    dash = "dashed" if symbol.dashed else "solid"
    if symbol.shape == "line":
        line = html.escape(
            symbol.outline if entry.shape in ("border", "muted_routes") else entry.colour
        )
        return (
            f"<span class='lg-s' style='{base}width:16px;height:0;"
            f"border-top:3px {dash} {line}'></span>"
        )
    if symbol.shape == "fill":
        return (
            f"<span class='lg-s' style='{base}width:13px;height:10px;background:{colour};"
            f"border:1px solid {html.escape(symbol.outline)}'></span>"
        )
    size, extra = "10px", ""
    if symbol.shape == "diamond":
        size, extra = "8px", "transform:rotate(45deg);margin-left:2px;margin-right:6px;"
    radius = "50%" if symbol.shape in ("circle", "ring") else "0"
    width = "2px" if symbol.shape == "ring" else "1.5px"
    if symbol.shape == "ring":  # a band-coloured dot in a white and a dark ring
        extra += "box-shadow:inset 0 0 0 2px #ffffff;"
    return (
        f"<span class='lg-s' style='{base}{extra}width:{size};height:{size};"
        f"background:{colour};border-radius:{radius};"
        f"border:{width} {dash} {html.escape(symbol.outline)}'></span>"
    )


_LEGEND_CSS = (
    ".atlas-legend details>summary{cursor:pointer;font-weight:600;list-style:none;"
    "padding:1px 2px}.atlas-legend details>summary::-webkit-details-marker{display:none}"
    ".atlas-legend details>summary::before{content:'\\25B8 ';}"
    ".atlas-legend details[open]>summary::before{content:'\\25BE ';}"
    ".lg-g{margin-top:3px;font-weight:600}.lg-row{display:flex;gap:2px}"
    ".lg-band{flex:1;text-align:center;font-size:9.5px}.lg-band span{display:block;"
    "height:9px;border:1px solid #777;margin-bottom:1px}"
    ".lg-cols{display:grid;grid-template-columns:1fr 1fr;column-gap:6px;margin-top:2px}"
    ".lg-cols div{white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    ".lg-sent{color:#555;font-size:10px;margin-top:1px;white-space:nowrap;overflow:hidden;"
    "text-overflow:ellipsis}.lg-note{margin-top:4px;"
    "color:#8c2d04;font-size:10px}"
)


def legend_html(
    entries: Sequence[LegendEntry], sentence: str, notices: Sequence[str] = (), open_: bool = True
) -> str:
    """The legend as escaped HTML: a ``<details>`` toggle titled "Legend", the filter
    sentence, then each group (bands in one row, other groups in two columns), then any
    ``notices`` (the pages show the view's notices under the map)."""
    parts = [
        f"<style>{style.POPUP_CSS}{popups.POPUP_CSS}{_LEGEND_CSS}</style>",
        f"<details{' open' if open_ else ''} class='atlas-legend-toggle'>"
        "<summary title='Show or hide the legend'>Legend</summary>",
        f"<div class='lg-sent' title='{html.escape(sentence)}'>{html.escape(sentence)}</div>",
    ]
    groups: dict[str, list[LegendEntry]] = {}
    for entry in entries:
        groups.setdefault(entry.layer, []).append(entry)
    for group, items in groups.items():
        if group != SYMBOLS_GROUP:
            parts.append(f"<div class='lg-g'>{html.escape(group)}</div>")
        if group == BANDS_GROUP:
            parts.append(
                "<div class='lg-row'>"
                + "".join(
                    f"<div class='lg-band lg-e'><span style='background:{html.escape(e.colour)}'>"
                    f"</span>{html.escape(e.label)}</div>"
                    for e in items
                )
                + "</div>"
            )
            continue
        parts.append(
            "<div class='lg-cols'>"
            + "".join(
                f"<div class='lg-e' title='{html.escape(e.label)}'>{_swatch(e)}"
                f"{html.escape(e.label)}</div>"
                for e in items
            )
            + "</div>"
        )
    for notice in notices:
        parts.append(f"<div class='lg-note'>{html.escape(notice)}</div>")
    parts.append("</details>")
    return "".join(parts)
