"""Writing tables to stdout or a file in csv, json or a plain-text table."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

FORMATS = ("csv", "json", "table")


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def render_table(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as text in ``fmt`` (csv, json: a list of objects, or table)."""
    frame = frame.drop(columns=["geometry"], errors="ignore")
    if fmt == "csv":
        flat = frame.apply(
            lambda s: s.map(lambda v: ";".join(map(str, v)) if isinstance(v, tuple | list) else v)
        )
        return flat.to_csv(index=False, date_format="%Y-%m-%d")
    if fmt == "json":
        records = [
            {k: _jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
        return json.dumps(records, ensure_ascii=False, indent=1) + "\n"
    if fmt == "table":
        with pd.option_context("display.max_rows", None, "display.max_columns", None,
                               "display.width", 200, "display.max_colwidth", 60):
            return frame.to_string(index=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_text(text: str, output: str | None) -> None:
    """Write to ``output`` (a path) or stdout when None or '-'."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
