"""Folium elements that never compile data as template source.

branca renders a macro's output as a new Jinja2 template; record text in that output was
then run as template code (see :class:`Rendered`). Every element the atlas adds to a map
derives from :class:`LiteralMacro`, which adds its output as literal text, and
:func:`check_literal` refuses a map holding any other macro element. Data reaches a page
only through ``tojson`` in the elements' fixed templates, or as text :func:`tojson_text`
wrote the same way ahead of time (cached with a layer).
"""

from __future__ import annotations

import json
import re

import folium
import folium.elements
import folium.map
import folium.plugins
from branca.element import Element, Figure, MacroElement
from jinja2.utils import htmlsafe_json_dumps

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


_JS_STRING_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "<": "\\x3c",  # no "</script>" or "<!--" in the page's script
    ">": "\\x3e",
    "&": "\\x26",
    "\u2028": "\\u2028",  # they end a line in JavaScript
    "\u2029": "\\u2029",
}
_JS_STRING_SPECIAL = re.compile("[" + re.escape("".join(_JS_STRING_ESCAPES)) + "]")


def json_string_literal(value: object) -> str:
    """``value``'s JSON as a single-quoted JavaScript string, for ``JSON.parse`` in a page.

    The string cannot end early nor close the ``<script>`` it is in: backslashes and
    quotes are escaped, and ``<``, ``>``, ``&`` and the two JavaScript line separators
    written as escapes. Text outside ASCII stays as it is (smaller than ``\\u`` escapes),
    except lone surrogates, which no page can encode (written as JSON escapes)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return "'" + _JS_STRING_SPECIAL.sub(lambda m: _JS_STRING_ESCAPES[m.group()], text) + "'"


def tojson_text(value: object) -> str:
    """What ``{{ value|tojson }}`` writes in folium's templates: the same function with
    the same options (HTML-safe JSON: ``<``, ``>``, ``&`` and ``'`` escaped)."""
    policies = folium.GeoJson._template.environment.policies
    return str(
        htmlsafe_json_dumps(
            value, dumps=policies["json.dumps_function"], **policies["json.dumps_kwargs"]
        )
    )


class Rendered(Element):
    """Text a macro has already rendered, inserted into the page as it is.

    branca's ``MacroElement.render`` wraps each macro's output in ``Element(text)``, which
    compiles that output as a *new* Jinja2 template: record text that reached the output
    (as JSON through ``tojson``) was then parsed as template source, so ``{{ 7*7 }}`` in a
    summary became ``49``, ``{% if %}`` crashed the map and ``{{ cycler... }}`` ran Python.
    This element is never compiled."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Rendered"
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class LiteralMacro(MacroElement):
    """A MacroElement whose macro output is added to the figure as literal text
    (:class:`Rendered`), never compiled again. Every element :func:`build_map` adds
    derives from it, listed *after* the folium class (``class X(folium.GeoJson,
    LiteralMacro)``) so folium's own ``render`` steps run and this ``render`` takes the
    place of ``MacroElement.render`` at the end of the chain. Data reaches the page only
    through ``tojson`` in the elements' fixed templates."""

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map element can only be rendered inside a Figure")
        module = self._template.module.__dict__
        for part, target in (
            ("header", figure.header),
            ("html", figure.html),
            ("script", figure.script),
        ):
            macro = module.get(part)
            if macro is not None:
                target.add_child(Rendered(str(macro(self, kwargs))), name=self.get_name())
        for name, element in list(self._children.items()):
            if type(element) is folium.elements.ElementAddToElement:
                # folium's Layer.render adds this child (``layer.addTo(map)``): same text,
                # rendered literally
                element = LiteralAddToElement(element.element_name, element.element_parent_name)
                self.add_child(element, name=name)
            element.render(**kwargs)


class LiteralMap(folium.Map, LiteralMacro):
    pass


class LiteralLayerControl(folium.LayerControl, LiteralMacro):
    pass


class LiteralFeatureGroup(folium.FeatureGroup, LiteralMacro):
    pass


class LiteralHeatMap(folium.plugins.HeatMap, LiteralMacro):
    pass


class LiteralFitBounds(folium.map.FitBounds, LiteralMacro):
    pass


class LiteralAddToElement(folium.elements.ElementAddToElement, LiteralMacro):
    pass


class KnownBounds:
    """A layer whose bounds are given (:meth:`keep_bounds`): folium otherwise walks every
    coordinate in Python each time the map is rendered."""

    def keep_bounds(self, bounds: list | None) -> None:
        self._known_bounds = bounds or [[None, None], [None, None]]

    def _get_self_bounds(self) -> list:
        return self._known_bounds


def check_literal(fmap: folium.Map) -> None:
    """Fail loudly when an element that would compile its output as a template (any
    MacroElement that is not a :class:`LiteralMacro`) is added to the map."""
    stack, unsafe = [fmap], []
    while stack:
        element = stack.pop()
        if isinstance(element, MacroElement) and not isinstance(element, LiteralMacro):
            unsafe.append(type(element).__name__)
        stack.extend(element._children.values())
    if unsafe:
        raise TypeError(
            f"map elements {sorted(set(unsafe))} would compile their rendered "
            "output (data) as a template; derive them from LiteralMacro"
        )
