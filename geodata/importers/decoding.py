"""Decoding a file's bytes to text: encodings told by content, and where a bad byte is.

Byte-order marks, UTF-16 by where its NUL bytes fall, UTF-8, else Windows-1252 when the
file holds no UTF-8 sequence at all; an undecodable byte or a NUL character is refused
naming its row and column. Also the header helpers the messages need (:func:`column_name`,
:func:`first_line`, :func:`sniff_separator`).
"""

from __future__ import annotations

import csv
import io
import re

from geodata.contract import NUL_HINT, normalise_id
from geodata.importers.limits import ImportFileError, file_error

_UTF8_HINT = (
    "the file is not UTF-8 text: save it as UTF-8 (Excel: 'CSV UTF-8'), or pass "
    "--encoding cp1252 if it was saved with Windows encoding"
)


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


def decode(data: bytes, source: str, fmt: str | None, encoding: str | None) -> tuple[str, str]:
    """(text, encoding name) of ``data``: ``encoding`` when given, else told by content
    (see the module's docstring); an undecodable byte is refused naming its row and column."""
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
    first = first_line(text)
    try:
        return [column_name(h) for h in next(csv.reader([first], delimiter=sniff_separator(first)))]
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


def check_nul(text: str, source: str) -> None:
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


_LINE = re.compile(r"[^\r\n]*")


def first_line(text: str) -> str:
    """The header line of ``text`` (without a byte-order mark or its line break)."""
    match = _LINE.match(text.lstrip("\ufeff"))
    return match.group(0) if match else ""


def sniff_separator(header_line: str) -> str:
    """The separator the header line uses most (comma, semicolon, tab or pipe; comma when
    it holds none)."""
    counts = {sep: header_line.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","
