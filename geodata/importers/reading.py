"""Reading a user's file: the entry points, what its bytes are, and the checks on its table.

The result is a :class:`SourceTable`: the file's rows as text in its own columns (header
names stripped and lower-cased; values exactly as given), the detected format and record
kind. File-level problems (empty, header only, unknown format, wrong encoding, missing
required column, too big, not a FeatureCollection) raise :class:`ImportFileError`, a
:class:`geodata.contract.DataContractError` whose message is one line naming the row and
column where there is one, and what to do.

Any input costs bounded work: the size limit (:func:`check_size`), :data:`MAX_COLUMNS`,
:data:`MAX_ROWS`, :data:`MAX_FIELD_CHARS` and :data:`MAX_JSON_DEPTH` are checked before
the step they protect (the header's width and the line count before parsing, the nesting
before ``json.loads``, a sheet's dimensions before its rows are converted). Encodings are
told by content (byte-order marks, UTF-16 by where its NUL bytes fall, UTF-8, else
Windows-1252 when the file holds no UTF-8 sequence at all); a NUL character in text is
refused with its row and column (it is never part of real text). A zip archive holding
exactly one table is read as that table; an xlsx workbook is read from the sheet whose
first row holds a known header (python-calamine).

This module holds the entry points (:func:`read_path`, :func:`read_source`), the dispatch
on what the bytes are (archive, workbook, binary, GeoJSON or delimited text) and the
checks on the table read; the parts live in :mod:`~geodata.importers.limits`,
:mod:`~geodata.importers.decoding`, :mod:`~geodata.importers.delimited`,
:mod:`~geodata.importers.geojson` and :mod:`~geodata.importers.workbook`.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata.contract import required_columns
from geodata.importers.decoding import check_nul, column_name, decode
from geodata.importers.delimited import header_layout, line_count, read_csv
from geodata.importers.formats import (
    FORMAT_LABELS,
    FORMATS,
    REQUIRED,
    SIGNATURES,
    detect_format,
)
from geodata.importers.geojson import read_geojson
from geodata.importers.limits import (
    DEFAULT_MAX_MB,
    MAX_COLUMNS,
    MAX_FIELD_CHARS,
    MAX_JSON_DEPTH,
    MAX_ROWS,
    MAX_UNPACKED_FACTOR,
    ImportFileError,
    check_size,
    file_error,
    max_import_bytes,
    size_limit_text,
)
from geodata.importers.workbook import read_xlsx
from geodata.settings import MAX_MB_ENV

__all__ = [
    "DEFAULT_MAX_MB",
    "FORMATS",
    "FORMAT_LABELS",
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "MAX_JSON_DEPTH",
    "MAX_MB_ENV",
    "MAX_ROWS",
    "MAX_UNPACKED_FACTOR",
    "REQUIRED",
    "SIGNATURES",
    "ImportFileError",
    "SourceTable",
    "atlas_kind",
    "check_size",
    "column_name",
    "detect_format",
    "file_error",
    "max_import_bytes",
    "read_path",
    "read_source",
    "required_for",
    "size_limit_text",
]


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


_BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive: unpack it (gunzip) and import the file inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it and import the file inside"),
    (b"Rar!", "a RAR archive: unpack it and import the file inside"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
)


def read_path(
    path: Path | str,
    fmt: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> SourceTable:
    """Read a file from disk (the size limit is checked before reading it)."""
    p = Path(path)
    limit = max_import_bytes() if max_bytes is None else max_bytes
    check_size(p.stat().st_size, p.name, limit)
    return read_source(p.read_bytes(), p.name, fmt=fmt, encoding=encoding, max_bytes=limit)


def read_source(
    data: bytes,
    source: str,
    fmt: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
    *,
    _in_zip: bool = False,
) -> SourceTable:
    """Parse ``data`` (the file's bytes) named ``source`` in messages.

    ``fmt`` overrides detection; ``encoding`` overrides the encoding rule, which looks at
    the content: a UTF-8 or UTF-16 byte-order mark, UTF-16 without one (by where its NUL
    bytes fall), UTF-8, and Windows-1252 for a file with no UTF-8 sequence at all (GTD's
    CSV is also read as latin-1). Every limit (:data:`MAX_COLUMNS`,
    :data:`MAX_FIELD_CHARS`, :data:`MAX_JSON_DEPTH`, :data:`MAX_ROWS`, the size limit) is
    checked before the step it protects, so any input costs bounded time and memory.
    """
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    limit = max_import_bytes() if max_bytes is None else max_bytes
    check_size(len(data), source, limit)
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        raise file_error(
            source, "the file is empty — export it again with its header row and data rows"
        )
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _read_zip(data, source, fmt, encoding, limit, digest, _in_zip)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise file_error(source, "this is an old Excel .xls workbook — save it as .xlsx or CSV")
    for magic, what in _BINARY_SIGNATURES:
        if data.startswith(magic):
            raise file_error(
                source, f"this is {what}, not a table — import a CSV, xlsx or GeoJSON file"
            )
    text, enc = decode(data, source, fmt, encoding)
    if fmt == "geojson" or (fmt is None and text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")):
        frame = read_geojson(text, source)
        return _finish(frame, source, "geojson", enc, digest, len(data))
    check_nul(text, source)
    header_line, sep, width = header_layout(text)
    _check_shape(line_count(text), width, source)
    frame = read_csv(text, source, header_line, sep, width)
    return _finish(frame, source, fmt, enc, digest, len(data))


# --- Archives --------------------------------------------------------------------------------

_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".geojson", ".json")


def _read_zip(
    data: bytes,
    source: str,
    fmt: str | None,
    encoding: str | None,
    limit: int,
    digest: str,
    in_zip: bool,
) -> SourceTable:
    """An xlsx workbook, or a zip archive holding exactly one table (imported as it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError):
        raise file_error(
            source,
            "this zip archive (or xlsx workbook) is damaged or cut off — "
            "download or export it again",
        ) from None
    names = {m.filename for m in members}
    if "xl/workbook.xml" in names or "[Content_Types].xml" in names:
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_UNPACKED_FACTOR * limit:
            raise file_error(
                source,
                f"the workbook unpacks to {unpacked / 1e6:,.0f} MB, over "
                f"{MAX_UNPACKED_FACTOR} times the {limit / 1e6:g} MB import limit "
                "— save it as CSV, or split it (e.g. by year)",
            )
        frame = read_xlsx(data, source, _check_shape)
        return _finish(frame, source, fmt, "xlsx", digest, len(data))
    tables = [
        m
        for m in members
        if m.filename.lower().endswith(_TABLE_SUFFIXES)
        and not m.filename.startswith("__MACOSX/")
        and not Path(m.filename).name.startswith(".")
    ]
    if len(tables) != 1 or in_zip:
        listed = ", ".join(m.filename for m in members[:3]) + ("…" if len(members) > 3 else "")
        what = f"{len(tables)} tables" if len(tables) > 1 else "no CSV, xlsx or GeoJSON file"
        raise file_error(
            source,
            f"this is a zip archive ({len(members)} file(s): {listed}; "
            f"{what}) — unzip it and import the CSV inside",
        )
    member = tables[0]
    inner = f"{Path(member.filename).name} in {source}"
    check_size(member.file_size, inner, limit)
    try:
        with archive.open(member) as handle:
            content = handle.read(limit + 1)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as exc:
        raise file_error(
            source,
            f"{member.filename} could not be unpacked "
            f"({exc.__class__.__name__}: encrypted or damaged) — unzip it "
            "yourself and import the CSV inside",
        ) from None
    check_size(len(content), inner, limit)
    table = read_source(content, inner, fmt=fmt, encoding=encoding, max_bytes=limit, _in_zip=True)
    return SourceTable(
        table.source,
        table.format,
        table.kind,
        table.frame,
        f"{table.encoding} (zip)",
        table.hxl_row_skipped,
        digest,
        len(data),
    )


# --- The table read ----------------------------------------------------------------------


def _check_shape(rows: int, columns: int, where: str) -> None:
    """Refuse a table over :data:`MAX_COLUMNS` columns or :data:`MAX_ROWS` data rows
    (``rows`` counts the header), before its rows are parsed."""
    if columns > MAX_COLUMNS:
        raise file_error(
            where,
            f"the table has {columns:,} columns, over the limit of "
            f"{MAX_COLUMNS} — is this the right file? Keep the columns of the "
            "export (see docs/IMPORTING.md) and save it again",
        )
    if rows > MAX_ROWS + 1:
        raise file_error(
            where,
            f"the table has {rows - 1:,} rows, over the limit of "
            f"{MAX_ROWS:,} — split it (e.g. by year) and import the parts",
        )


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


def _check_field_sizes(frame: pd.DataFrame, source: str) -> None:
    """Refuse a cell longer than :data:`MAX_FIELD_CHARS`, naming its row and column."""
    for name in frame.columns:
        if str(name).startswith("__"):
            continue
        lengths = frame[name].astype("string").str.len()
        longest = lengths.max()
        if pd.notna(longest) and int(longest) > MAX_FIELD_CHARS:
            index = int(lengths.fillna(0).to_numpy().argmax())
            raise file_error(
                source,
                f"a cell holds {int(longest):,} characters, over the "
                f"limit of {MAX_FIELD_CHARS:,} — is the quoting broken? Shorten "
                "the text or fix the quotes",
                row=index + 1,
                column=str(name),
                value=f"{int(longest):,} characters",
            )
        if len(str(name)) > MAX_FIELD_CHARS:
            raise file_error(
                source, "a column name is over the cell size limit — check the header row"
            )


def _finish(
    frame: pd.DataFrame, source: str, fmt: str | None, encoding: str, digest: str, size: int
) -> SourceTable:
    if len(frame.columns) == 0:
        raise file_error(source, "the file has no header row — export it again with column names")
    _check_shape(len(frame) + 1, len(frame.columns), source)
    if size > MAX_FIELD_CHARS or encoding == "xlsx":  # (a workbook is compressed)
        _check_field_sizes(frame, source)
    hxl = len(frame) > 0 and _is_hxl_row(frame.iloc[0])
    if hxl:
        frame = frame.iloc[1:].reset_index(drop=True)
    detected = fmt or detect_format(frame.columns)
    if detected is None:
        shown = ", ".join(str(c)[:40] for c in list(frame.columns[:6]))
        raise file_error(
            source,
            f"the columns ({shown}…) match no known format — the atlas reads ACLED "
            "exports (event_id_cnty, event_date, actor1 …), UCDP GED (id, date_start, side_a, "
            "where_prec …), GTD (eventid, iyear, imonth, iday, gname …), its own CSV (id, date, "
            "actor, target_category …) and GeoJSON; pass --format if the header was renamed",
        )
    kind = atlas_kind(frame.columns) if detected in ("atlas", "geojson") else "incidents"
    missing = [c for c in required_for(detected, kind) if c not in frame.columns]
    if missing:
        raise file_error(
            source,
            f"add the required column '{missing[0]}' (part of the "
            f"{FORMAT_LABELS[detected]} layout"
            f"{'' if len(missing) == 1 else '; also missing: ' + ', '.join(missing[1:])}), or "
            "pass --format if this is another format",
            column=missing[0],
        )
    if frame.empty:
        raise file_error(
            source,
            "the file has a header but no data rows — export it again with the events included",
        )
    frame = frame.reset_index(drop=True)
    return SourceTable(source, detected, kind, frame, encoding, hxl, digest, size)
