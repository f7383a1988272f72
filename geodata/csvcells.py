"""The CSV formula-injection rule, in one place: the exports apply it
(:func:`neutralise_cell`, used by :mod:`mapspec.export`) and the importers undo it
(:func:`restore_cell`), so the product's own CSV export imports back exactly.

OWASP CSV-injection guard: a text cell starting with ``= + - @``, tab or CR is written with
a leading single quote so a spreadsheet shows it as text rather than running it. The first
character is judged after NFKC normalisation (a full-width ``＝`` or a small ``﹢`` is
``=`` / ``+`` to a spreadsheet that normalises) and after leading whitespace and control or
format characters (``" =1+1"``, a zero-width space before ``@``), see
:func:`formula_like`; the cell's text itself is never changed apart from the quote.
"""

from __future__ import annotations

import unicodedata

FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""First characters a spreadsheet would read as the start of a formula."""


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: it starts with a tab or a
    CR, or its first character that is not whitespace nor a control or format character
    is one of ``= + - @`` after NFKC normalisation."""
    if text.startswith(("\t", "\r")):
        return True
    for char in unicodedata.normalize("NFKC", text):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return char in FORMULA_START
    return False


def neutralise_cell(text: str) -> str:
    """``text`` with a leading ``'`` when it could start a formula (:func:`formula_like`;
    the text itself is kept as it was, not normalised)."""
    return "'" + text if formula_like(text) else text


def restore_cell(text: str) -> str:
    """The exact inverse of :func:`neutralise_cell`: drop a leading ``'`` only when the
    rest could start a formula (any other ``'`` is the value's own)."""
    if text.startswith("'") and formula_like(text[1:]):
        return text[1:]
    return text
