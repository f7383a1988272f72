"""Parsing delimited text (CSV, TSV, semicolon- or pipe-separated) into a frame of text.

The fast pyarrow reader first, then pandas' C reader for what it refuses (line breaks in
quoted values, a bare CR inside a cell); a row longer than the header, an unclosed quote
or UCDP's trailing separator are refused or handled naming the row.
"""

from __future__ import annotations

import csv
import io
import re
import warnings

import pandas as pd

from geodata.importers.decoding import column_name, first_line, sniff_separator
from geodata.importers.limits import ImportFileError, file_error

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def line_count(text: str) -> int:
    """Lines in ``text`` (by LF, or by CR for an old Mac file): the rows, header included."""
    lines = text.count("\n")
    return lines if lines else text.count("\r")


def header_layout(text: str) -> tuple[str, str, int]:
    """(header line, separator, number of header fields) of delimited ``text``, found
    without parsing the rows (so its shape can be checked first)."""
    header_line = first_line(text)
    sep = sniff_separator(header_line)
    try:
        width = len(next(csv.reader([header_line], delimiter=sep)))
    except csv.Error:
        width = header_line.count(sep) + 1
    except StopIteration:
        width = 0
    return header_line, sep, width


def read_csv(text: str, source: str, header_line: str, sep: str, width: int) -> pd.DataFrame:
    """The rows of ``text`` as text cells under lower-cased header names; ``header_line``,
    ``sep`` and ``width`` as :func:`header_layout` gives them."""
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
    first_row = first_line(body)
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
