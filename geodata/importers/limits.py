"""The bounds of an import: the size limit, the table limits, and the file-level error.

Every reader checks these before the step they protect, so any input costs bounded work;
a file that breaks one raises :class:`ImportFileError` (one line: what and what to do).
"""

from __future__ import annotations

import csv

from geodata import settings
from geodata.contract import DataContractError, Problem
from geodata.settings import MAX_MB_ENV

DEFAULT_MAX_MB = 200.0
"""Largest file accepted by default (megabytes); see :func:`max_import_bytes`."""


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
