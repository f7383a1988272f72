"""Reading a user's file: size limit, encoding, CSV/xlsx/GeoJSON parsing, format detection.

The result is a :class:`SourceTable`: the file's rows as text in its own columns (header
names stripped and lower-cased; values exactly as given), the detected format and record
kind. File-level problems (empty, header only, unknown format, wrong encoding, missing
required column, too big, not a FeatureCollection) raise :class:`ImportFileError`, a
:class:`geodata.contract.DataContractError` whose message is one line naming the row and
column where there is one, and what to do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata.contract import DataContractError, Problem, required_columns

DEFAULT_MAX_MB = 200.0
"""Largest file accepted by default (megabytes); see :func:`max_import_bytes`."""
MAX_MB_ENV = "ISKP_ATLAS_MAX_IMPORT_MB"

FORMAT_LABELS: dict[str, str] = {
    "acled": "ACLED export",
    "ucdp": "UCDP GED file",
    "gtd": "GTD file",
    "atlas": "ISKP Risk Atlas CSV",
    "geojson": "GeoJSON FeatureCollection",
}

SIGNATURES: dict[str, tuple[str, ...]] = {
    "acled": ("event_id_cnty", "event_date", "time_precision", "event_type", "sub_event_type",
              "actor1", "actor2", "inter1", "interaction", "admin1", "geo_precision",
              "source_scale", "fatalities", "notes"),
    "ucdp": ("id", "type_of_violence", "conflict_name", "dyad_name", "side_a", "side_b",
             "where_prec", "adm_1", "date_start", "date_end", "best", "high", "low",
             "source_article"),
    "gtd": ("eventid", "iyear", "imonth", "iday", "country_txt", "provstate", "city",
            "specificity", "attacktype1_txt", "targtype1_txt", "natlty1_txt", "gname", "nkill",
            "nwound", "scite1"),
    "atlas": ("id", "date", "country", "province", "latitude", "longitude", "geo_precision",
              "actor", "attribution", "target_category", "fatalities", "summary", "confidence",
              "source_1_url"),
}
"""Columns that identify each CSV format; the best match with at least half wins."""

REQUIRED: dict[str, tuple[str, ...]] = {
    "acled": ("event_id_cnty", "event_date", "actor1", "country", "latitude", "longitude",
              "geo_precision", "fatalities"),
    "ucdp": ("id", "date_start", "side_a", "side_b", "country", "latitude", "longitude",
             "where_prec", "best"),
    "gtd": ("eventid", "iyear", "imonth", "iday", "country_txt", "latitude", "longitude",
            "gname"),
}
"""Columns an import cannot do without, per dataset format (atlas: the data contract's)."""

_UTF8_HINT = ("the file is not UTF-8 text: save it as UTF-8 (Excel: 'CSV UTF-8'), or pass "
              "--encoding cp1252 if it was saved with Windows encoding")


class ImportFileError(DataContractError):
    """The file as a whole cannot be imported (one :class:`Problem` says why)."""


def file_error(source: str, hint: str, *, row: int | None = None, column: str | None = None,
               value: object = None) -> ImportFileError:
    """An :class:`ImportFileError` with one problem."""
    return ImportFileError(source, [Problem(row, None, column, value, hint)])


@dataclass(frozen=True)
class SourceTable:
    """A file's rows as text in its own columns, with what was detected about it."""

    source: str
    format: str
    kind: str
    frame: pd.DataFrame
    encoding: str
    hxl_row_skipped: bool
    sha256: str
    size_bytes: int


def max_import_bytes(max_mb: float | None = None) -> int:
    """The size limit in bytes: ``max_mb``, else $ISKP_ATLAS_MAX_IMPORT_MB, else 200 MB
    (1 MB = 1,000,000 bytes)."""
    if max_mb is None:
        env = os.environ.get(MAX_MB_ENV, "").strip()
        try:
            max_mb = float(env) if env else DEFAULT_MAX_MB
        except ValueError:
            raise ValueError(f"{MAX_MB_ENV}={env!r} is not a number of megabytes") from None
    if max_mb <= 0:
        raise ValueError("the import size limit must be a positive number of megabytes")
    return int(max_mb * 1_000_000)


def check_size(size: int, source: str, max_bytes: int) -> None:
    """Raise when ``size`` is over the limit."""
    if size > max_bytes:
        raise file_error(
            source,
            f"the file is {size / 1e6:.1f} MB ({size:,} bytes), over the {max_bytes / 1e6:g} MB "
            f"import limit — split it (e.g. by year) or raise the limit with --max-mb or "
            f"{MAX_MB_ENV}")


def read_path(path: Path | str, fmt: str | None = None, encoding: str | None = None,
              max_bytes: int | None = None) -> SourceTable:
    """Read a file from disk (the size limit is checked before reading it)."""
    p = Path(path)
    limit = max_import_bytes() if max_bytes is None else max_bytes
    check_size(p.stat().st_size, p.name, limit)
    return read_source(p.read_bytes(), p.name, fmt=fmt, encoding=encoding, max_bytes=limit)


def read_source(data: bytes, source: str, fmt: str | None = None, encoding: str | None = None,
                max_bytes: int | None = None) -> SourceTable:
    """Parse ``data`` (the file's bytes) named ``source`` in messages.

    ``fmt`` overrides detection; ``encoding`` overrides the encoding rule (UTF-8, with a
    UTF-8/UTF-16 byte-order mark honoured; GTD files may also be Windows-1252/latin-1).
    """
    if fmt is not None and fmt not in (*SIGNATURES, "geojson"):
        raise ValueError(f"unknown format {fmt!r}; use one of acled, ucdp, gtd, atlas, geojson")
    limit = max_import_bytes() if max_bytes is None else max_bytes
    check_size(len(data), source, limit)
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise file_error(source, "the file is empty — export it again with its header row and "
                         "data rows")
    if data[:4] == b"PK\x03\x04":
        frame, enc = _read_xlsx(data, source), "xlsx"
        return _finish(frame, source, fmt, enc, digest, len(data))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise file_error(source, "this is an old Excel .xls workbook — save it as .xlsx or CSV")
    text, enc = _decode_head_and_body(data, source, fmt, encoding)
    if fmt == "geojson" or (fmt is None and text.lstrip()[:1] in ("{", "[")):
        frame = _read_geojson(text, source)
        return _finish(frame, source, "geojson", enc, digest, len(data))
    frame = _read_csv(text, source)
    return _finish(frame, source, fmt, enc, digest, len(data))


# --- Decoding ------------------------------------------------------------------------------


def _decode_head_and_body(data: bytes, source: str, fmt: str | None,
                          encoding: str | None) -> tuple[str, str]:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16"), "utf-16"
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise ValueError(f"unknown encoding {encoding!r}; try utf-8, cp1252 or latin-1") \
                from None
        except UnicodeDecodeError as exc:
            raise _encoding_problem(data, exc, source, encoding) from None
    if b"\x00" in data[:4096]:
        raise file_error(source, "this is not a text file (it contains binary data) — export "
                         "the data as CSV, xlsx or GeoJSON")
    first_line = data.split(b"\n", 1)[0].decode("latin-1").lower()
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        if fmt == "gtd" or (fmt is None and "eventid" in first_line and "iyear" in first_line):
            # GTD's CSV is distributed in Windows encoding; latin-1 decodes any byte.
            for enc in ("cp1252", "latin-1"):
                try:
                    return data.decode(enc), enc
                except UnicodeDecodeError:
                    continue
        raise _encoding_problem(data, exc, source, "utf-8") from None


def _encoding_problem(data: bytes, exc: UnicodeDecodeError, source: str,
                      encoding: str) -> ImportFileError:
    """Locate the first undecodable byte by row and column."""
    bad_byte = data[exc.start] if exc.start < len(data) else 0
    value = f"byte 0x{bad_byte:02X}"
    hint = _UTF8_HINT if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else \
        f"the file is not valid {encoding}: check the encoding it was saved with"
    head = data[: exc.start].decode(encoding, errors="replace")
    rows = list(csv.reader(io.StringIO(head + "\u0000")))
    if len(rows) >= 2:
        header = [h.strip().lower() for h in rows[0]]
        col_index = len(rows[-1]) - 1
        column = header[col_index] if col_index < len(header) else None
        return file_error(source, hint, row=len(rows) - 1, column=column, value=value)
    return file_error(source, hint + " (the bad byte is in the header)", value=value)


# --- Parsing --------------------------------------------------------------------------------


def _sniff_separator(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def _read_csv(text: str, source: str) -> pd.DataFrame:
    header_line = text.lstrip("\ufeff").split("\n", 1)[0]
    sep = _sniff_separator(header_line)
    try:
        # The multi-threaded pyarrow reader is ~4x faster; it refuses some valid files
        # (e.g. line breaks inside quoted values) and words errors without line numbers,
        # so anything it rejects is read again by the C reader.
        frame = pd.read_csv(io.BytesIO(text.encode("utf-8")), dtype=str, sep=sep,
                            keep_default_na=False, engine="pyarrow").fillna("")
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        return frame
    except Exception:
        pass
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=sep,
                            skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise file_error(source, "the file is empty — export it again with its header row "
                         "and data rows") from None
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = (int(g) for g in match.groups())
            raise file_error(
                source, f"this row has {saw} fields but the header has {expected} — quote "
                "values that contain the separator, or remove the extra separators",
                row=line - 1) from None
        raise file_error(source, f"the CSV could not be parsed ({exc}) — check its quoting")\
            from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def _read_xlsx(data: bytes, source: str) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False,
                              engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise file_error(source, f"the workbook could not be read ({exc.__class__.__name__}) — "
                         "open it in Excel and save it again as .xlsx or CSV") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame.astype(object).map(_xlsx_text)


def _xlsx_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _read_geojson(text: str, source: str) -> pd.DataFrame:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise file_error(source, f"the file is not valid JSON (line {exc.lineno}, column "
                         f"{exc.colno}: {exc.msg}) — export it again as GeoJSON") from None
    kind = doc.get("type") if isinstance(doc, dict) else type(doc).__name__
    if not isinstance(doc, dict) or kind != "FeatureCollection" or \
            not isinstance(doc.get("features"), list):
        raise file_error(source, f"the GeoJSON is a {kind!s} — the atlas imports a "
                         "FeatureCollection of Point features: wrap the features in "
                         '{"type": "FeatureCollection", "features": [...]}',
                         column="type", value=kind)
    if not doc["features"]:
        raise file_error(source, "the FeatureCollection has no features — export it again "
                         "with the events included")
    rows = []
    for feature in doc["features"]:
        props = feature.get("properties") if isinstance(feature, dict) else None
        row = {str(k).strip().lower(): _json_text(v) for k, v in (props or {}).items()}
        geom = feature.get("geometry") if isinstance(feature, dict) else None
        row["__geometry_type"] = str(geom.get("type", "")) if isinstance(geom, dict) else ""
        coords = geom.get("coordinates") if isinstance(geom, dict) else None
        point = isinstance(coords, list) and len(coords) >= 2 and \
            row["__geometry_type"] == "Point"
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
    return json.dumps(value, ensure_ascii=False)


# --- Detection -----------------------------------------------------------------------------


def detect_format(columns: list[str] | pd.Index) -> str | None:
    """The CSV format whose signature columns best match ``columns`` (at least half)."""
    present = {str(c).strip().lower() for c in columns}
    scores = {fmt: sum(c in present for c in sig) / len(sig) for fmt, sig in SIGNATURES.items()}
    best = max(scores, key=lambda f: scores[f])
    return best if scores[best] >= 0.5 else None


def atlas_kind(columns: list[str] | pd.Index) -> str:
    """Record kind of a file in the product's own columns."""
    present = set(columns)
    if "threat_type" in present:
        return "threats"
    if "asset_type" in present:
        return "sites"
    return "incidents"


def required_for(fmt: str, kind: str) -> tuple[str, ...]:
    """Columns a file of this format must have."""
    if fmt in REQUIRED:
        return REQUIRED[fmt]
    needed = required_columns(kind)
    if fmt == "geojson":
        return tuple(c for c in needed if c not in ("latitude", "longitude"))
    return tuple(needed)


def _is_hxl_row(row: pd.Series) -> bool:
    filled = [str(v).strip() for v in row if str(v).strip()]
    return bool(filled) and all(v.startswith("#") for v in filled)


def _finish(frame: pd.DataFrame, source: str, fmt: str | None, encoding: str, digest: str,
            size: int) -> SourceTable:
    if len(frame.columns) == 0:
        raise file_error(source, "the file has no header row — export it again with column "
                         "names")
    hxl = len(frame) > 0 and _is_hxl_row(frame.iloc[0])
    if hxl:
        frame = frame.iloc[1:].reset_index(drop=True)
    detected = fmt or detect_format(frame.columns)
    if detected is None:
        shown = ", ".join(list(frame.columns[:6]))
        raise file_error(
            source, f"the columns ({shown}…) match no known format — the atlas reads ACLED "
            "exports (event_id_cnty, event_date, actor1 …), UCDP GED (id, date_start, side_a, "
            "where_prec …), GTD (eventid, iyear, imonth, iday, gname …), its own CSV (id, date, "
            "actor, target_category …) and GeoJSON; pass --format if the header was renamed")
    kind = atlas_kind(frame.columns) if detected in ("atlas", "geojson") else "incidents"
    missing = [c for c in required_for(detected, kind) if c not in frame.columns]
    if missing:
        raise file_error(
            source, f"add the required column '{missing[0]}' (part of the "
            f"{FORMAT_LABELS[detected]} layout"
            f"{'' if len(missing) == 1 else '; also missing: ' + ', '.join(missing[1:])}), or "
            "pass --format if this is another format", column=missing[0])
    if frame.empty:
        raise file_error(source, "the file has a header but no data rows — export it again "
                         "with the events included")
    frame = frame.reset_index(drop=True)
    return SourceTable(source, detected, kind, frame, encoding, hxl, digest, size)
