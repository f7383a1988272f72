"""Reading an xlsx workbook (python-calamine) into a frame of text.

The sheet read is the one whose first row holds a known header (the first sheet when none
does); each sheet's size is checked before its rows are converted, and cells are written
as a CSV export would hold them.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd

from geodata.importers.decoding import column_name
from geodata.importers.formats import detect_format
from geodata.importers.limits import ImportFileError, file_error

ShapeCheck = Callable[[int, int, str], None]
"""``(rows, columns, where)``: raises :class:`ImportFileError` when over the limits."""


def read_xlsx(data: bytes, source: str, check_shape: ShapeCheck) -> pd.DataFrame:
    """The sheet whose first row holds a known header (the first sheet when none does),
    read with python-calamine; each sheet's size goes through ``check_shape`` before its
    rows are converted."""
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
            check_shape(sheet.height, sheet.width, f"{source}, sheet '{name}'")
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
