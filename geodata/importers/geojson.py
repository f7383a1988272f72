"""Reading a GeoJSON FeatureCollection of points into a frame of text.

The nesting is measured before the JSON is parsed (:data:`MAX_JSON_DEPTH`); each
feature's properties become its columns and its point the ``__lon``/``__lat`` columns
(``__geometry_type`` says what the geometry was).
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

from geodata.importers.decoding import column_name
from geodata.importers.limits import (
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_JSON_DEPTH,
    MAX_ROWS,
    file_error,
)


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings (without parsing: cheap)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    depth = deepest = 0
    chunk = 1 << 22
    for start in range(0, len(stripped), chunk):
        part = np.frombuffer(stripped[start : start + chunk].encode("utf-8"), dtype=np.uint8)
        steps = np.zeros(len(part), dtype=np.int8)
        steps[(part == 0x5B) | (part == 0x7B)] = 1
        steps[(part == 0x5D) | (part == 0x7D)] = -1
        marks = steps[steps != 0].astype(np.int64)
        if len(marks):
            levels = depth + np.cumsum(marks)
            deepest = max(deepest, int(levels.max()))
            depth = int(levels[-1])
    return deepest


def read_geojson(text: str, source: str) -> pd.DataFrame:
    """The features of a GeoJSON FeatureCollection as rows of text (a non-collection, an
    empty one or one over the limits is refused)."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise file_error(
            source,
            f"the JSON is nested {depth:,} levels deep, over the limit "
            f"of {MAX_JSON_DEPTH} (a GeoJSON point collection needs 5) — export "
            "the events again as a GeoJSON FeatureCollection of Points",
        )
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise file_error(
            source,
            f"the file is not valid JSON (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}) — export it again as GeoJSON",
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise file_error(
            source,
            f"the JSON is nested too deeply (over {MAX_JSON_DEPTH} "
            "levels) — export it again as GeoJSON",
        ) from None
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if (
        not isinstance(doc, dict)
        or kind != "FeatureCollection"
        or not isinstance(doc.get("features"), list)
    ):
        raise file_error(
            source,
            f"the GeoJSON is a {str(kind)[:40]!s} — the atlas imports a "
            "FeatureCollection of Point features: wrap the features in "
            '{"type": "FeatureCollection", "features": [...]}',
            column="type",
            value=str(kind)[:40],
        )
    if not doc["features"]:
        raise file_error(
            source,
            "the FeatureCollection has no features — export it again with the events included",
        )
    if len(doc["features"]) > MAX_ROWS:
        raise file_error(
            source,
            f"the FeatureCollection has {len(doc['features']):,} "
            f"features, over the limit of {MAX_ROWS:,} — split it and import "
            "the parts",
        )
    rows = []
    names: set[str] = set()
    for number, feature in enumerate(doc["features"], start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        row = {column_name(k): _json_text(v) for k, v in props.items()}
        names.update(row)
        if len(names) > MAX_COLUMNS:
            raise file_error(
                source,
                f"the features' properties have over {MAX_COLUMNS} "
                "different names (the limit of columns) — is this the right "
                f"file? Feature {number} brings the total past the limit",
                row=number,
            )
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        row["__geometry_type"] = str(geom.get("type", "")) if isinstance(geom, dict) else ""
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        point = isinstance(coords, list) and len(coords) >= 2 and row["__geometry_type"] == "Point"
        row["__lon"] = _json_text(coords[0]) if point else ""
        row["__lat"] = _json_text(coords[1]) if point else ""
        rows.append(row)
    frame = pd.DataFrame(rows, dtype=object).fillna("")
    return frame


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)[: MAX_FIELD_CHARS + 1]
