"""Small controlled vocabularies derived from free text: attack types, labels for sentences."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

ATTACK_TYPES: dict[str, str] = {
    "complex_attack": "complex attacks",
    "vbied": "vehicle-borne IED attacks",
    "suicide_bombing": "suicide bombings",
    "rocket_or_drone": "rocket or drone attacks",
    "targeted_killing": "targeted killings",
    "armed_assault": "armed assaults",
    "ied": "IED bombings",
    "other": "other attacks",
}
"""Attack-type classes (key → plural phrase used in the filter sentence)."""

# First match wins, in this order (see attack_type_class).
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.I))
    for name, pattern in (
        ("complex_attack", r"\bcomplex\b"),
        ("vbied", r"\bv\.?b\.?i\.?e\.?d\b|vehicle[\s-]*borne|car[\s-]*bomb|truck[\s-]*bomb"),
        ("suicide_bombing", r"suicide|explosive vest"),
        ("rocket_or_drone", r"rocket|drone|\buav\b|mortar|missile"),
        ("targeted_killing", r"targeted killing|assassinat"),
        (
            "armed_assault",
            r"^\s*(cross-border\s+)?armed|shooting|gunmen|gunfire|firearm|"
            r"sniper|small-arms|\bgun\b",
        ),
        ("ied", r"\bieds?\b|bomb|explosi|grenade|blast|mine\b"),
    )
)

TARGET_LABELS: dict[str, str] = {
    "chinese_nationals": "Chinese nationals",
    "chinese_interests": "Chinese interests",
    "cpec": "CPEC",
    "pakistani_state": "the Pakistani state",
    "security_forces": "security forces",
    "taliban_government": "the Taliban administration",
    "political": "political targets",
    "diplomatic": "diplomatic targets",
    "foreign_nationals": "foreign nationals",
    "shia_hazara": "Shia and Hazara communities",
    "religious_minority": "religious minorities",
    "sufi": "Sufi gatherings and shrines",
    "civilians": "civilians",
}
"""Phrase for each of geodata.contract.TARGET_CATEGORIES, used in the filter sentence."""


def target_names(value: object) -> object:
    """A record's target categories in words, as tables and popups show them ("Chinese
    nationals, CPEC" for ``("chinese_nationals", "cpec")``); a category without a phrase
    is shown as it is, a missing value stays missing."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    items = [value] if isinstance(value, str) or not hasattr(value, "__iter__") else value
    names = []
    for item in items:
        phrase = TARGET_LABELS.get(str(item), str(item)).removeprefix("the ")
        names.append(phrase[:1].upper() + phrase[1:])
    return ", ".join(names)


COUNTRY_NAMES: dict[str, str] = {
    "AFG": "Afghanistan",
    "PAK": "Pakistan",
    "TJK": "Tajikistan",
    "UZB": "Uzbekistan",
    "TKM": "Turkmenistan",
    "IRN": "Iran",
    "CHN": "China",
    "IND": "India",
    "RUS": "Russia",
}
"""Names for the countries of the region (other ISO alpha-3 codes are shown as codes)."""


@lru_cache(maxsize=4096)
def attack_type_class(text: str | None) -> str:
    """The controlled attack-type class of a free-text ``attack_type``.

    Rules, first match wins: "complex" → complex_attack; VBIED/vehicle-borne/car or
    truck bomb → vbied; "suicide" or explosive vest → suicide_bombing; rocket, drone,
    UAV, mortar, missile → rocket_or_drone; targeted killing or assassination →
    targeted_killing; armed (at the start), shooting, gunmen, gunfire, firearms, sniper →
    armed_assault; IED, bomb, explosive, grenade, blast → ied; anything else (and empty
    text) → other. So "suicide bombing (female bomber)" is suicide_bombing, "IED (bicycle
    bomb)" is ied and "suicide VBIED" is vbied.
    """
    if text is None or (isinstance(text, float) and text != text):
        return "other"
    for name, pattern in _RULES:
        if pattern.search(str(text)):
            return name
    return "other"


def attack_type_classes(values: pd.Series) -> np.ndarray:
    """:func:`attack_type_class` for a whole column (computed once per distinct text)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    classes = np.array([attack_type_class(u) for u in uniques] + ["other"], dtype=object)
    return classes[codes]  # code -1 (missing) picks the trailing "other"
