"""MapSpec: round trips through dicts and URL parameters; bad parameters say what to fix."""

from __future__ import annotations

import json

import pytest

from mapspec.spec import LAYER_ORDER, MapSpec, SpecError, ViewSpec
from riskmodel.filters import parse_query

CASES = [
    {},
    {"actor": "ISKP", "target": "chinese_nationals", "country": "PAK"},
    {"from": "2024-01-01", "to": "2025-12-31", "attribution": "claimed,attributed"},
    {"layers": "areas,incidents", "colour": "attribution", "points": "aggregate"},
    {"view": "admin1:AF-KAB", "perspective": "china_cpec", "half_life": "90"},
    {"view": "route:KKH_N35", "layers": "none"},
    {"view": "bbox:66,29,72,36"},
]


@pytest.mark.parametrize("params", CASES)
def test_url_round_trip(params):
    spec = MapSpec.from_params(params)
    assert MapSpec.from_params(spec.to_params()) == spec
    assert spec.to_params() == params  # defaults are left out, nothing is added


@pytest.mark.parametrize("params", CASES)
def test_dict_round_trip_through_json(params):
    spec = MapSpec.from_params(params)
    assert MapSpec.from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"colour": "rainbow"}, "colour 'rainbow' is not one of actor, attribution"),
        ({"layers": "areas,tiles"}, "'tiles' is not a layer"),
        ({"view": "bbox:1,2,3"}, "four numbers"),
        ({"view": "planet:mars"}, "view kind 'planet'"),
        ({"zoom": "5"}, "unknown parameter 'zoom'"),
        ({"points": "dots"}, "points 'dots' is not one of"),
        ({"actor": "Martians"}, "actor"),
        ({"from": "2024-13-01"}, "from"),
    ],
)
def test_bad_parameters_raise_spec_error_naming_them(params, needle):
    with pytest.raises(SpecError) as info:
        MapSpec.from_params(params)
    assert needle in str(info.value)


def test_layers_keep_drawing_order_and_visibility():
    spec = MapSpec.from_params({"layers": "incidents,areas"})
    assert [layer.name for layer in spec.layers] == list(LAYER_ORDER)
    assert spec.visible_layers() == ("areas", "incidents")


def test_filters_are_the_risk_models():
    spec = MapSpec.from_params({"actor": "ISIS-K"})
    assert spec.filters == parse_query("actor=ISKP")
    assert ViewSpec.from_param("all") == ViewSpec()
