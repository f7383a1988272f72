"""The sidebar's one table of widgets (ui.state.WIDGETS): a link seeds the widgets, and the
widgets give back the same link — nothing dropped, nothing added, defaults left out."""

from __future__ import annotations

import pytest

from mapspec.spec import SPEC_KEYS, MapSpec
from riskmodel.filters import FILTER_KEYS
from ui.state import _MAP_KEYS, WIDGETS

DATES = ("from", "to")  # the date range: one widget, its default the data's first and last day


def _widget_params(spec: MapSpec) -> dict[str, str]:
    """What the widgets seeded from ``spec`` write back (the date range and map keys aside)."""
    out = {}
    for w in WIDGETS:
        text = w.param_text(w.read(spec))
        if text is not None:
            out[w.param] = text
    return out


def test_every_link_parameter_has_a_widget_or_its_own_keeper():
    """A parameter without a widget would be dropped once "More filters" is shown."""
    params = [w.param for w in WIDGETS]
    assert len(params) == len(set(params))
    assert set(params) | set(DATES) | set(_MAP_KEYS) == set(FILTER_KEYS) | set(SPEC_KEYS)


@pytest.mark.parametrize(
    "link",
    [
        {},
        {"actor": "ISKP,TTP", "target": "chinese_nationals"},
        {"perspective": "china_cpec", "half_life": "100.5", "min_fatalities": "3"},
        {"attack_type": "ied", "attribution": "claimed", "confidence": "high,medium"},
        {"country": "PAK", "admin1": "PK-BA,AF-KAB"},
        {"layers": "areas,incidents", "colour": "attribution", "points": "heat"},
        {"layers": "none", "view": "route:KKH_N35"},
        {"view": "bbox:60,23,78,39"},
    ],
)
def test_widgets_give_back_the_link_they_were_seeded_from(link):
    spec = MapSpec.from_params(link)
    expected = {k: v for k, v in spec.to_params().items() if k not in (*DATES, *_MAP_KEYS)}
    assert _widget_params(spec) == expected
    assert MapSpec.from_params(_widget_params(spec)) == spec


@pytest.mark.parametrize(
    "link",
    [
        {"perspective": "all"},
        {"colour": "actor", "points": "auto", "view": "all"},
        {"min_fatalities": "0"},
    ],
)
def test_a_default_value_leaves_its_parameter_out(link):
    """A link that spells out a default gets the short link back (the same view)."""
    assert _widget_params(MapSpec.from_params(link)) == {}


def test_layers_chosen_in_another_order_are_the_default_layers():
    layers = next(w for w in WIDGETS if w.param == "layers")
    default = layers.read(MapSpec())
    assert len(default) > 1
    assert layers.param_text(list(reversed(default))) is None
    assert layers.param_text([]) == "none"


def test_every_filter_multiselect_has_its_label_and_choices():
    """The sidebar draws a filter's multiselect from its WIDGETS entry alone."""
    from geodata import load_bundle

    bundle = load_bundle()
    listed = [w for w in WIDGETS if w.choices is not None]
    assert [w.param for w in listed] == [
        "actor",
        "target",
        "attack_type",
        "attribution",
        "confidence",
        "country",
        "admin1",
    ]
    for w in listed:
        choices = w.choices(bundle)
        assert w.label and len(choices) > 1
        assert all(isinstance(text, str) and text for text in choices.values())
    units = next(w for w in listed if w.param == "admin1").choices(bundle)
    assert units["AF-KAB"] == "Kabul (AF-KAB)"
