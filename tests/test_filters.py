"""The filter language: strict parsing, round trips, sentences, and row selection."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from riskmodel import (
    ATTACK_TYPES,
    FILTER_KEYS,
    Filters,
    QueryError,
    apply_filters,
    attack_type_class,
    describe,
    parse_query,
    to_params,
    to_query,
)
from riskmodel.aoi import parse_aoi

EXAMPLE = (
    "from=2024-01-01&to=2025-12-31&actor=ISKP&target=chinese_nationals"
    "&attribution=claimed,attributed&country=PAK"
)

# One valid value per documented key, and the Filters field it sets.
EVERY_KEY = {
    "from": ("2023-01-01", "date_from", date(2023, 1, 1)),
    "to": ("2024-06-30", "date_to", date(2024, 6, 30)),
    "actor": ("ISIS-K,TTP", "actors", ("ISKP", "TTP")),
    "target": ("shia_hazara", "targets", ("shia_hazara",)),
    "attack_type": ("suicide_bombing,ied", "attack_types", ("suicide_bombing", "ied")),
    "attribution": ("claimed", "attributions", ("claimed",)),
    "confidence": ("high,medium", "confidences", ("high", "medium")),
    "min_fatalities": ("5", "min_fatalities", 5),
    "country": ("afg", "countries", ("AFG",)),
    "admin1": ("Kabul,PK-BA", "admin1", ("AF-KAB", "PK-BA")),
    "aoi": ("60.5,29,75,37.0", "aoi", parse_aoi("60.5,29.0,75,37")),
    "frame": ("2025-06", "frame", "2025-06"),
    "perspective": ("china_cpec", "perspective", "china_cpec"),
    "half_life": ("90", "half_life", 90.0),
}


def test_every_documented_key_is_accepted():
    assert set(EVERY_KEY) == set(FILTER_KEYS)
    for key, (text, field, expected) in EVERY_KEY.items():
        assert getattr(parse_query(f"{key}={text}"), field) == expected, key


def test_all_keys_together_round_trip():
    query = "&".join(f"{k}={v[0]}" for k, v in EVERY_KEY.items())
    f = parse_query(query)
    assert parse_query(to_query(f)) == f
    assert parse_query(to_params(f)) == f


@pytest.mark.parametrize(
    "f",
    [
        Filters(),
        Filters(actors=("TTP", "ISKP"), targets=["cpec"]),
        Filters(date_from=date(2022, 1, 1), half_life=45.5, admin1=("Sindh",)),
        Filters(actors=("ETIM/TIP", "Sindhi separatists"), min_fatalities=3),
    ],
)
def test_to_query_round_trips(f):
    assert parse_query(to_query(f)) == f


def test_defaults_are_omitted_and_zero_deaths_means_any():
    assert to_query(Filters()) == ""
    assert parse_query("min_fatalities=0") == Filters()
    assert to_params(parse_query("actor=ISKP")) == {"actor": "ISKP"}


def test_mapping_forms_like_streamlit_query_params():
    assert parse_query({"actor": ["ISKP", "TTP"], "from": "2024-01-01"}) == parse_query(
        "actor=ISKP&actor=TTP&from=2024-01-01"
    )

    class QueryParams(dict):
        """Like st.query_params: item access gives the last value, get_all gives all."""

        def __init__(self, pairs):
            super().__init__({k: v[-1] for k, v in pairs.items()})
            self._all = pairs

        def get_all(self, key):
            return self._all[key]

    assert parse_query(QueryParams({"actor": ["ISKP", "BLA"]})).actors == ("ISKP", "BLA")
    assert parse_query("?actor=ISKP") == parse_query("actor=ISKP")


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "foo=1",
            "unknown filter key 'foo'; valid keys: from, to, actor, target, attack_type, "
            "attribution, confidence, min_fatalities, country, admin1, aoi, frame, "
            "perspective, half_life",
        ),
        ("actor=Hamas", "bad value 'Hamas' for 'actor'; valid: ISKP, ISPP, TTP"),
        ("target=tourists", "bad value 'tourists' for 'target'; valid: chinese_nationals"),
        ("attack_type=arson", "bad value 'arson' for 'attack_type'; valid: complex_attack, vbied"),
        ("attribution=likely", "valid: claimed, attributed, suspected, unclaimed"),
        ("confidence=certain", "bad value 'certain' for 'confidence'; valid: high, medium, low"),
        ("from=2024-02-30", "bad value '2024-02-30' for 'from'; valid: a date written YYYY-MM-DD"),
        ("to=31/12/2024", "bad value '31/12/2024' for 'to'"),
        ("min_fatalities=-1", "bad value '-1' for 'min_fatalities'; valid: a whole number"),
        ("country=Narnia", "bad value 'Narnia' for 'country'; valid: an ISO 3166-1 alpha-3 code"),
        ("admin1=Atlantis", "bad value 'Atlantis' for 'admin1'; valid: an ISO 3166-2 code"),
        (
            "perspective=india",
            "bad value 'india' for 'perspective'; valid: all, china_cpec, "
            "pakistan_state, shia_hazara",
        ),
        ("half_life=soon", "bad value 'soon' for 'half_life'; valid: a number of days"),
        ("actor=", "empty value for 'actor'"),
        ("from=2024-01-01&from=2024-02-01", "'from' is given more than once"),
        ("from=2025-01-01&to=2024-01-01", "'from' (2025-01-01) is after 'to' (2024-01-01)"),
    ],
)
def test_bad_queries_say_what_to_fix(query, message):
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "query, sentence",
    [
        (
            EXAMPLE,
            "Claimed or attributed ISKP attacks on Chinese nationals in Pakistan, "
            "2024-01-01 to 2025-12-31",
        ),
        ("", "All attacks and threats, all dates"),
        ("actor=ISKP", "ISKP attacks and threats, all dates"),
        (
            "target=shia_hazara,sufi&admin1=AF-KAB",
            "All attacks and threats on Shia and Hazara "
            "communities or Sufi gatherings and shrines in Kabul, all dates",
        ),
        ("attack_type=suicide_bombing&from=2023-01-01", "All suicide bombings, since 2023-01-01"),
        (
            "actor=BLA,BLF,TTP&to=2022-12-31&min_fatalities=1",
            "BLA, BLF or TTP attacks, up to 2022-12-31, with at least 1 death",
        ),
        (
            "country=AFG,PAK&confidence=high&perspective=shia_hazara&half_life=90",
            "All attacks and threats in Afghanistan or Pakistan, all dates, high confidence; "
            "weighted for Shia/Hazara civilians, half-life 90 days",
        ),
        (
            "actor=Unknown&min_fatalities=10",
            "Unattributed attacks, all dates, with at least 10 deaths",
        ),
    ],
)
def test_sentences(query, sentence):
    assert describe(parse_query(query)) == sentence


# --- applying filters -------------------------------------------------------------------------


def test_actor_matches_any_named_group(bundle):
    iskp = apply_filters(bundle.incidents, parse_query("actor=ISKP"))
    ispp = apply_filters(bundle.incidents, parse_query("actor=ISPP"))
    assert "INC-063" in set(iskp["id"]) and "INC-063" in set(ispp["id"])  # ISPP, ISKP
    assert all("ISKP" in a for a in iskp["actors_all"])


def test_target_matches_any_category_and_keys_are_and_ed(bundle):
    out = apply_filters(bundle.incidents, parse_query("target=chinese_nationals&country=PAK"))
    assert len(out) >= 5 and all(
        ("chinese_nationals" in c) and country == "PAK"
        for c, country in zip(out["target_categories"], out["country"], strict=True)
    )
    chinese = apply_filters(bundle.incidents, parse_query("target=chinese_nationals,cpec"))
    assert {"INC-023", "INC-040", "INC-044"} <= set(chinese["id"])
    assert all({"chinese_nationals", "cpec"} & set(c) for c in chinese["target_categories"])


def test_admin1_and_dates(bundle):
    kabul = apply_filters(bundle.incidents, parse_query("admin1=Kabul&from=2024-01-01"))
    assert len(kabul) and (kabul["admin1"] == "AF-KAB").all()
    assert (kabul["date"] >= pd.Timestamp("2024-01-01")).all()
    to_day = apply_filters(bundle.incidents, parse_query("to=2022-12-12"))
    assert "INC-023" in set(to_day["id"])  # 'to' includes the whole day


def test_attack_type_uses_the_controlled_vocabulary(bundle):
    out = apply_filters(bundle.incidents, parse_query("attack_type=vbied"))
    assert set(out["id"]) >= {"INC-040", "INC-044"}
    assert all(attack_type_class(t) == "vbied" for t in out["attack_type"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("suicide bombing (female bomber)", "suicide_bombing"),
        ("IED (bicycle bomb)", "ied"),
        ("suicide VBIED", "vbied"),
        ("Vehicle-borne IED (parked car bomb)", "vbied"),
        ("complex attack (IEDs, gunmen, arson)", "complex_attack"),
        ("drone strike (grenade-armed UAV) + firearms", "rocket_or_drone"),
        ("rocket", "rocket_or_drone"),
        ("targeted killing (shooting)", "targeted_killing"),
        ("armed assault (drive-by shooting)", "armed_assault"),
        ("kidnapping", "other"),
        (None, "other"),
    ],
)
def test_attack_type_classes(text, expected):
    assert attack_type_class(text) == expected
    assert expected in ATTACK_TYPES


def test_how_filters_apply_to_threats(bundle):
    threats = bundle.threats
    # confidence is matched against credibility
    high = apply_filters(threats, parse_query("confidence=high"), kind="threats")
    assert len(high) and (high["credibility"] == "high").all()
    # attack properties leave threats out
    for q in ("attribution=claimed", "attack_type=ied", "min_fatalities=1"):
        assert apply_filters(threats, parse_query(q), kind="threats").empty
    # actor, target, country apply as for incidents
    iskp = apply_filters(
        threats, parse_query("actor=ISKP&target=chinese_interests"), kind="threats"
    )
    assert len(iskp) and all("chinese_interests" in c for c in iskp["target_categories"])
    # admin1 uses admin1_for_scoring: THR-004 names three provinces
    takhar = apply_filters(threats, parse_query("admin1=AF-TAK"), kind="threats")
    assert "THR-004" in set(takhar["id"])


def test_apply_filters_does_not_modify_its_argument(bundle):
    before = bundle.incidents.copy()
    out = apply_filters(bundle.incidents, parse_query("actor=ISKP&admin1=AF-KAB"))
    pd.testing.assert_frame_equal(bundle.incidents, before)
    assert out is not bundle.incidents
    with pytest.raises(ValueError, match="unknown record kind"):
        apply_filters(bundle.incidents, Filters(), kind="sites")


def test_filters_validate_on_construction():
    with pytest.raises(QueryError, match="bad value 'nobody' for 'actor'"):
        Filters(actors=("nobody",))
    assert Filters(actors=["ISKP", "ISKP"]).actors == ("ISKP",)
