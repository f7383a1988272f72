"""Reading a user's file: size limit, encoding, CSV/xlsx/GeoJSON parsing, format detection.

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
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import settings
from geodata.contract import (
    NUL_HINT,
    DataContractError,
    Problem,
    normalise_id,
    required_columns,
)
from geodata.importers.formats import FORMAT_LABELS, FORMATS, REQUIRED, SIGNATURES
from geodata.settings import MAX_MB_ENV

DEFAULT_MAX_MB = 200.0
"""Largest file accepted by default (megabytes); see :func:`max_import_bytes`."""

_UTF8_HINT = (
    "the file is not UTF-8 text: save it as UTF-8 (Excel: 'CSV UTF-8'), or pass "
    "--encoding cp1252 if it was saved with Windows encoding"
)


class ImportFileError(DataContractError):
    """The file as a whole cannot be imported (one :class:`Problem` says why)."""


def file_error(
    source: str,
    hint: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
) -> ImportFileError:
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
        env = settings.current().max_import_mb
        try:
            max_mb = float(env) if env else DEFAULT_MAX_MB
        except ValueError:
            raise ValueError(f"{MAX_MB_ENV}={env!r} is not a number of megabytes") from None
    if max_mb <= 0:
        raise ValueError("the import size limit must be a positive number of megabytes")
    return int(max_mb * 1_000_000)


def size_limit_text(max_bytes: int) -> str:
    """The import limit and what to do about a bigger file, in the words every front end
    uses (the CLI's error, the app's uploader)."""
    return (
        f"the {max_bytes / 1e6:g} MB import limit — split it (e.g. by year) or raise the "
        f"limit with --max-mb or {MAX_MB_ENV}"
    )


def check_size(size: int, source: str, max_bytes: int) -> None:
    """Raise when ``size`` is over the limit."""
    if size > max_bytes:
        raise file_error(
            source,
            f"the file is {size / 1e6:.1f} MB ({size:,} bytes), over {size_limit_text(max_bytes)}",
        )


# --- Limits --------------------------------------------------------------------------------

MAX_COLUMNS = 500
"""Most columns a file may have (ACLED has 31, UCDP GED 49, GTD 135)."""
MAX_FIELD_CHARS = 100_000
"""Longest cell, in characters (a long ACLED 'notes' cell is ~2,000)."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of a JSON file (a GeoJSON point collection needs 5 levels)."""
MAX_ROWS = 5_000_000
"""Most data rows (lines) a file may have; split bigger files (e.g. by year)."""
MAX_UNPACKED_FACTOR = 20
"""A workbook or zip may unpack to at most this many times the import size limit."""

csv.field_size_limit(MAX_FIELD_CHARS + 2)  # the standard csv module, wherever it reads here

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
    text, enc = _decode(data, source, fmt, encoding)
    if fmt == "geojson" or (fmt is None and text.lstrip("\ufeff \t\r\n")[:1] in ("{", "[")):
        frame = _read_geojson(text, source)
        return _finish(frame, source, "geojson", enc, digest, len(data))
    _check_nul(text, source)
    frame = _read_csv(text, source)
    return _finish(frame, source, fmt, enc, digest, len(data))


# --- Archives and workbooks -----------------------------------------------------------------

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
        frame = _read_xlsx(data, source)
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


def _read_xlsx(data: bytes, source: str) -> pd.DataFrame:
    """The sheet whose first row holds a known header (the first sheet when none does),
    read with python-calamine; its size is checked before its rows are converted."""
    from python_calamine import CalamineWorkbook

    def broken(exc: BaseException) -> ImportFileError:
        return file_error(
            source,
            f"the workbook could not be read ({exc.__class__.__name__})"
            " — open it in Excel and save it again as .xlsx or CSV",
        )

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(book.sheet_names)
    except Exception as exc:  # calamine raises its own types for a broken workbook
        raise broken(exc) from None
    if not names:
        raise file_error(source, "the workbook has no sheets — export the data again")
    chosen = None
    first_rows: dict[str, list] = {}
    for name in names:
        try:
            sheet = book.get_sheet_by_name(name)
            _check_shape(sheet.height, sheet.width, f"{source}, sheet '{name}'")
            head = sheet.to_python(nrows=1)
        except ImportFileError:
            raise
        except Exception as exc:
            raise broken(exc) from None
        header = [column_name(_cell_text(v)) for v in (head[0] if head else [])]
        first_rows[name] = header
        if detect_format(header) is not None:
            chosen = sheet
            break
        if chosen is None and len(names) == 1:
            chosen = sheet
    if chosen is None:
        chosen = book.get_sheet_by_name(names[0])
    try:
        rows = chosen.to_python(skip_empty_area=False)
    except Exception as exc:
        raise broken(exc) from None
    if not rows:
        return pd.DataFrame()
    header = [column_name(_cell_text(v)) for v in rows[0]]
    width = len(header)
    body = [[_cell_text(v) for v in r[:width]] + [""] * (width - len(r)) for r in rows[1:]]
    body = [r for r in body if any(v.strip() for v in r)]
    frame = (
        pd.DataFrame(body, columns=header, dtype=object)
        if body
        else pd.DataFrame(columns=header, dtype=object)
    )
    return frame


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold (2019.0 → '2019')."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _check_shape(rows: int, columns: int, where: str) -> None:
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


# --- Decoding ------------------------------------------------------------------------------


def column_name(name: object) -> str:
    """A header name as matched: NFKC-normalised, without zero-width or control characters
    (a BOM or a zero-width space pasted before 'id'), stripped, lower-case."""
    text = normalise_id(str(name))
    return str(text).lower()


def _utf16_by_nuls(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when the NUL bytes fall on every other byte, as they do
    for mostly-ASCII text in UTF-16 without a byte-order mark; else None."""
    even, odd = head[0::2], head[1::2]
    if len(odd) < 4:
        return None
    nul_even, nul_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if nul_odd > 0.4 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.4 and nul_odd < 0.05:
        return "utf-16-be"
    return None


_NOT_TEXT = (
    "this is not a text file (it contains binary data) — export the data as CSV, xlsx or GeoJSON"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


def _decode(data: bytes, source: str, fmt: str | None, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise ValueError(
                f"unknown encoding {encoding!r}; try utf-8, cp1252 or latin-1"
            ) from None
        except UnicodeDecodeError as exc:
            raise _encoding_problem(data, exc, source, encoding) from None
    if data[:3] == b"\xef\xbb\xbf":
        body = data[3:]
        try:
            return body.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise _encoding_problem(body, exc, source, "utf-8") from None
    utf16 = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else _utf16_by_nuls(data[:4096])
    if utf16:
        try:
            return data.decode(utf16).lstrip("\ufeff"), utf16
        except UnicodeDecodeError:
            raise file_error(
                source,
                "the file looks like UTF-16 text but is damaged or cut "
                "off (odd number of bytes or a broken character) — export it "
                "again, preferably as UTF-8 ('CSV UTF-8')",
            ) from None
    head = data[:4096]
    if len(_CONTROL.findall(head.decode("latin-1"))) > max(8, len(head) // 100):
        raise file_error(source, _NOT_TEXT)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_line = data.split(b"\n", 1)[0].decode("latin-1").lower()
        gtd = fmt == "gtd" or (fmt is None and "eventid" in first_line and "iyear" in first_line)
        if gtd or not _UTF8_SEQUENCE.search(data):
            # No UTF-8 sequence anywhere: a Windows (cp1252) export; GTD's CSV is
            # distributed in Windows encoding, and latin-1 decodes any byte.
            for enc in ("cp1252", "latin-1") if gtd else ("cp1252",):
                try:
                    return data.decode(enc), enc
                except UnicodeDecodeError:
                    continue
        raise _encoding_problem(data, exc, source, "utf-8") from None


def _locate(head: str) -> tuple[int | None, int]:
    """(data row, field index) of the end of ``head`` (the text before a bad spot)."""
    try:
        rows = list(csv.reader(io.StringIO(head + "\u0001", newline="")))
    except csv.Error:
        return None, 0
    if len(rows) >= 2:
        return len(rows) - 1, len(rows[-1]) - 1
    return None, len(rows[-1]) - 1 if rows else 0


def _header_names(text: str) -> list[str]:
    first = _first_line(text)
    try:
        return [column_name(h) for h in next(csv.reader([first], delimiter=_sniff(first)))]
    except (csv.Error, StopIteration):
        return []


def _encoding_problem(
    data: bytes, exc: UnicodeDecodeError, source: str, encoding: str
) -> ImportFileError:
    """Locate the first undecodable byte by row and column."""
    bad_byte = data[exc.start] if exc.start < len(data) else 0
    value = f"byte 0x{bad_byte:02X}"
    hint = (
        _UTF8_HINT
        if encoding.lower().replace("-", "") in ("utf8", "utf8sig")
        else f"the file is not valid {encoding}: check the encoding it was saved with"
    )
    head = data[: exc.start].decode(encoding, errors="replace")
    row, index = _locate(head)
    if row is not None:
        header = _header_names(head)
        column = header[index] if 0 <= index < len(header) else None
        return file_error(source, hint, row=row, column=column, value=value)
    return file_error(source, hint + " (the bad byte is in the header)", value=value)


def _check_nul(text: str, source: str) -> None:
    """Refuse text holding a NUL character, naming the row and column."""
    at = text.find("\x00")
    if at < 0:
        return
    row, index = _locate(text[:at])
    header = _header_names(text)
    column = header[index] if row is not None and 0 <= index < len(header) else None
    raise file_error(
        source,
        NUL_HINT + ("" if row is not None else " (it is in the header)"),
        row=row,
        column=column,
        value="\\x00",
    )


# --- Parsing --------------------------------------------------------------------------------

_LINE = re.compile(r"[^\r\n]*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _first_line(text: str) -> str:
    match = _LINE.match(text.lstrip("\ufeff"))
    return match.group(0) if match else ""


def _sniff(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


_sniff_separator = _sniff


def _line_count(text: str) -> int:
    lines = text.count("\n")
    return lines if lines else text.count("\r")


def _read_csv(text: str, source: str) -> pd.DataFrame:
    header_line = _first_line(text)
    sep = _sniff(header_line)
    try:
        width = len(next(csv.reader([header_line], delimiter=sep)))
    except csv.Error:
        width = header_line.count(sep) + 1
    except StopIteration:
        width = 0
    _check_shape(_line_count(text), width, source)
    c_options: dict[str, str] = {}
    first_break = _LINE_BREAK.search(text)
    if (
        first_break
        and first_break.group(0) != "\r"
        and "\r" in text
        and text.count("\r") > text.count("\r\n")
    ):
        # The header ends in LF (or CRLF): a CR on its own is part of a cell (quoted or
        # not), so only LF ends a row. (Old Mac files end every line, header too, in CR.)
        text = text.replace("\r\n", "\n")
        c_options["lineterminator"] = "\n"
    try:
        if c_options:
            raise ValueError("the pyarrow reader ends rows at a bare CR")
        # The multi-threaded pyarrow reader is ~4x faster; it refuses some valid files
        # (e.g. line breaks inside quoted values) and words errors without line numbers,
        # so anything it rejects is read again by the C reader.
        frame = pd.read_csv(
            io.BytesIO(text.encode("utf-8")),
            dtype=str,
            sep=sep,
            keep_default_na=False,
            engine="pyarrow",
        ).fillna("")
        frame.columns = [column_name(c) for c in frame.columns]
        return _drop_trailing_empty_column(frame)
    except Exception:
        pass
    trailing = _read_with_trailing_separator(text, source, header_line, sep, width, c_options)
    if trailing is not None:
        return trailing
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                dtype=str,
                keep_default_na=False,
                sep=sep,
                skip_blank_lines=True,
                index_col=False,
                **c_options,
            )
    except pd.errors.EmptyDataError:
        raise file_error(
            source, "the file is empty — export it again with its header row and data rows"
        ) from None
    except pd.errors.ParserWarning:
        # The first data row is longer than the header (pandas would shift the columns).
        row, saw = _first_long_row(text, sep, width)
        raise _extra_fields(source, row, saw, width) from None
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = (int(g) for g in match.groups())
            row, saw_found = _first_long_row(text, sep, expected)
            raise _extra_fields(source, row or line - 1, saw_found or saw, expected) from None
        match = re.search(r"EOF inside string starting at row (\d+)", str(exc))
        if match:
            raise file_error(
                source,
                f"row {int(match.group(1))} opens a quoted value that "
                "is never closed (the file may be cut off) — close the quote, or "
                "export the file again",
                row=int(match.group(1)),
            ) from None
        raise file_error(
            source, f"the CSV could not be parsed ({str(exc)[:120]}) — check its quoting"
        ) from None
    frame.columns = [column_name(c) for c in frame.columns]
    return _drop_trailing_empty_column(frame)


_TRAILING = "__trailing_separator__"


def _read_with_trailing_separator(
    text: str, source: str, header_line: str, sep: str, width: int, c_options: dict[str, str]
) -> pd.DataFrame | None:
    """UCDP's web export (``gedevents-*.csv``) ends every data row, not the header, with
    a separator: one empty field more than the header. Such a file is read with a named
    extra column, dropped when it is empty throughout; None when the first data row does
    not look like that. A value in the extra field is refused, naming its row."""
    body = text.lstrip("\ufeff")[len(header_line) :].lstrip("\r\n")
    first_row = _first_line(body)
    if not first_row.endswith(sep):
        return None
    try:
        names = next(csv.reader([header_line], delimiter=sep))
        fields = next(csv.reader([first_row], delimiter=sep))
    except (csv.Error, StopIteration):
        return None
    if len(fields) != width + 1 or len(set(names)) != len(names) or _TRAILING in names:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text.lstrip("\ufeff")),
                dtype=str,
                keep_default_na=False,
                sep=sep,
                header=None,
                skiprows=1,
                names=[*names, _TRAILING],
                index_col=False,
                **c_options,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError):
        return None
    filled = frame[_TRAILING].fillna("").astype(str).str.strip().ne("").to_numpy()
    if filled.any():
        raise _extra_fields(source, int(filled.argmax()) + 1, width + 1, width)
    frame = frame.drop(columns=[_TRAILING])
    frame.columns = [column_name(c) for c in frame.columns]
    return frame


def _extra_fields(source: str, row: int, saw: int, expected: int) -> ImportFileError:
    return file_error(
        source,
        f"row {row} has {saw} fields, the header {expected} — quote "
        "values that contain the separator, or remove the extra separators",
        row=row,
    )


def _first_long_row(text: str, sep: str, expected: int) -> tuple[int, int]:
    """(data row, fields) of the first row with more fields than the header; (0, 0) if
    the standard csv module finds none."""
    try:
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=sep)
        next(reader, None)
        for number, fields in enumerate(reader, start=1):
            if len(fields) > expected:
                return number, len(fields)
    except csv.Error:
        pass
    return 0, 0


_UNNAMED = re.compile(r"^(unnamed: \d+)?$")


def _drop_trailing_empty_column(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the nameless last column that a comma at the end of every line makes (UCDP's
    web export does this, header included) when it is empty throughout."""
    if len(frame.columns) < 2 or not _UNNAMED.match(str(frame.columns[-1])):
        return frame
    last = frame.iloc[:, -1]
    if last.fillna("").astype(str).str.strip().eq("").all():
        return frame.iloc[:, :-1]
    return frame


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


def _read_geojson(text: str, source: str) -> pd.DataFrame:
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
