"""Text measured as matplotlib will draw it, and wrapped to a width: the PDF tables
and the slide's panels use it so nothing is cut or collides."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

_KM_RANGE = re.compile(r"\bkm\s+(?=\d)")
_ID_PARTS = re.compile(r"[^_\-/.:]+[_\-/.:]*|[_\-/.:]+")
_ITEM_END = re.compile(r"(?<=%\)),\s+")


MEASURE_DPI = 600


_MEASURING = threading.local()


def _measuring_renderer() -> Any:
    """A small Agg renderer at MEASURE_DPI, one per thread (a web server draws briefings
    in several threads)."""
    if not hasattr(_MEASURING, "renderer"):
        from matplotlib.backends.backend_agg import RendererAgg

        _MEASURING.renderer = RendererAgg(8, 8, MEASURE_DPI)
    return _MEASURING.renderer


class TextMeasure:
    """Widths in points of single-line strings at one font size (the figure's renderer)."""

    def __init__(self, fig: Figure, fontsize: float, bold: bool = False):
        from matplotlib.font_manager import FontProperties

        # measured at a high resolution, where the glyphs' hinting changes widths by
        # less than 1 %: at the page's 100 dpi, 5-7 pt text measures several % off
        self._renderer = _measuring_renderer()
        self._prop = FontProperties(size=fontsize, weight="bold" if bold else "normal")
        self._scale = 72.0 / MEASURE_DPI
        self._cache: dict[str, float] = {}
        self._space: float | None = None
        self.fontsize = fontsize

    def _word(self, word: str) -> float:
        if word not in self._cache:
            if len(word) > 40:  # e.g. hostile text without spaces: by characters
                self._cache[word] = sum(self._word(ch) for ch in word)
            else:
                w, _, _ = self._renderer.get_text_width_height_descent(
                    word, self._prop, ismath=False
                )
                self._cache[word] = w * self._scale
        return self._cache[word]

    def __call__(self, text: str) -> float:
        """The width of ``text`` (trailing spaces ignored): its words measured once each
        and cached, plus the spaces between them, plus 1 % for side bearings."""
        words = text.rstrip().split(" ")
        if self._space is None:
            self._space = self._word("x x") - self._word("xx")
        return 1.01 * (sum(self._word(w) for w in words) + self._space * (len(words) - 1))


def word_tokens(text: str, breaks: str) -> list[str]:
    """The pieces a cell may wrap between, each with its trailing separator."""
    text = " ".join(str(text).split())
    if not text:
        return [""]
    if breaks == "never":
        return [text]
    if breaks == "id":
        return _ID_PARTS.findall(text)
    if breaks == "items":
        items = _ITEM_END.split(text)
        return [item + (", " if i < len(items) - 1 else "") for i, item in enumerate(items)]
    glued = _KM_RANGE.sub("km\u00a0", text)  # "km 120–240" stays on one line
    return [t.replace("\u00a0", " ") for t in re.findall(r"\S+\s*", glued)]


def _split_wide(token: str, width: float, measure: TextMeasure) -> list[str]:
    """A token wider than ``width``: first at its spaces, then (a single unbroken run of
    characters, e.g. hostile text) by characters — wrapped, never cut."""
    if measure(token) <= width:
        return [token]
    words = re.findall(r"\S+\s*", token)
    if len(words) > 1:
        return [p for w in words for p in _split_wide(w, width, measure)]
    pieces, current = [], ""
    for ch in token:
        if current and measure(current + ch) > width:
            pieces.append(current)
            current = ch
        else:
            current += ch
    return [*pieces, current] if current else pieces


def wrap_measured(tokens: Sequence[str], width: float, measure: TextMeasure) -> list[str]:
    """Greedy wrap of tokens into lines no wider than ``width`` points."""
    lines: list[str] = []
    current = ""
    for token in (p for t in tokens for p in _split_wide(t, width, measure)):
        if current and measure(current + token) > width:
            lines.append(current.rstrip())
            current = token
        else:
            current += token
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines


def wrap_text(text: str, width_pt: float, measure: TextMeasure) -> str:
    """``text`` wrapped at its spaces to lines no wider than ``width_pt`` (measured)."""
    return "\n".join(wrap_measured(word_tokens(text, "words"), width_pt, measure))
