"""Writing tables to stdout or a file in csv, json or a plain-text table."""

from __future__ import annotations

import json
import math
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

FORMATS = ("csv", "json", "table")

LIST_FORMATS = ("table", "json", "csv")
"""The same formats, the plain-text table first: the ``--format`` choices, in the order
``--help`` shows them, of the commands that list what the store keeps (overrides, the
audit log, watch zones, alerts)."""


def _jsonable(value: object) -> object:
    """A value strict JSON (RFC 8259) can hold: NaN, Infinity and -Infinity (e.g. a change
    from a zero baseline) and every kind of missing become null."""
    if isinstance(value, tuple | list | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # NumPy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(value: object, indent: int | None = 1) -> str:
    """Strict JSON text of ``value`` (non-finite numbers as null; ``allow_nan=False`` so a
    value that slipped through fails loudly instead of writing ``Infinity``)."""
    return json.dumps(_jsonable(value), ensure_ascii=False, indent=indent, allow_nan=False)


def render_table(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as text in ``fmt`` (csv, json: a list of objects, or table)."""
    frame = frame.drop(columns=["geometry"], errors="ignore")
    if fmt == "csv":
        from geodata.csvcells import neutralise_cell

        # text cells never start a spreadsheet formula (record text, analysts' reasons)
        flat = frame.apply(
            lambda s: s.map(lambda v: ";".join(map(str, v)) if isinstance(v, tuple | list) else v)
        ).apply(lambda s: s.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v))
        return flat.to_csv(index=False, date_format="%Y-%m-%d")
    if fmt == "json":
        return to_json(frame.to_dict(orient="records")) + "\n"
    if fmt == "table":
        with pd.option_context(
            "display.max_rows",
            None,
            "display.max_columns",
            None,
            "display.width",
            200,
            "display.max_colwidth",
            60,
        ):
            return frame.to_string(index=False) + "\n"
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def write_text(text: str, output: str | None) -> None:
    """Write to ``output`` (a path) or stdout when None or '-'."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")


def on_terminal(args) -> bool:
    """Whether the command writes a plain-text table to stdout (where a ``#`` note about the
    view follows it)."""
    return args.format == "table" and args.output in (None, "-")


def write_frame(frame: pd.DataFrame, fmt: str, output: str | None = None, empty: str = "") -> int:
    """``frame`` in ``fmt`` to ``output`` (stdout when None or '-'); as a table, an empty
    frame is the sentence ``empty`` instead, when there is one. Returns 0, the exit status."""
    if empty and fmt == "table" and frame.empty:
        write_text(empty + "\n", output)
    else:
        write_text(render_table(frame, fmt), output)
    return 0
