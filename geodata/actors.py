"""Actor names: one canonical name per group, whatever the source calls it.

Sources name ISKP a dozen ways (ISKP, IS-K, ISIS-K, ISIL-K, "Islamic State (Khorasan
Province)", "Khorasan Chapter of the Islamic State", UCDP's plain "IS" …). The alias
table below maps each to a canonical name and a family; the raw string is always kept
beside it by the callers.

Rule, in order:
1. Every alias found in the text is located; "unknown" words count only when no named
   group is found.
2. The group named *first* in the text is the primary actor (``actor_canonical``);
   every group named is listed (``actors_all``), in order of appearance.
3. Plain "Islamic State"/"IS"/"ISIS" without a province is ISKP in this theatre (UCDP
   codes ISKP as "IS"; DESIGN §5), unless "Pakistan Province" is named, which is ISPP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

UNKNOWN = "Unknown"
_GENERIC_IS = "Islamic State (no province named)"
OTHER = "Other"


@dataclass(frozen=True)
class Actor:
    """A canonical actor: its display name and the family used for de-duplication."""

    name: str
    family: str
    description: str


ACTORS: dict[str, Actor] = {
    a.name: a
    for a in (
        Actor("ISKP", "Islamic State", "Islamic State Khorasan Province (ISIS-K)"),
        Actor("ISPP", "Islamic State", "Islamic State Pakistan Province"),
        Actor("TTP", "TTP", "Tehrik-i-Taliban Pakistan"),
        Actor("BLA", "Baloch separatists", "Balochistan Liberation Army"),
        Actor("BLF", "Baloch separatists", "Balochistan Liberation Front"),
        Actor("ETIM/TIP", "ETIM/TIP", "East Turkestan Islamic Movement / Turkestan Islamic Party"),
        Actor("Taliban", "Taliban", "Taliban (Islamic Emirate of Afghanistan)"),
        Actor("al-Qaeda", "al-Qaeda", "al-Qaeda and affiliates (incl. AQIS)"),
        Actor("Sindhi separatists", "Sindhi separatists", "Sindhudesh groups (SRA, SPA)"),
        Actor("IMU", "IMU", "Islamic Movement of Uzbekistan"),
        Actor(OTHER, OTHER, "A named actor outside the groups above"),
        Actor(UNKNOWN, UNKNOWN, "No perpetrator identified"),
    )
}

# (regex, canonical). Matched case-insensitively on word boundaries; order does not
# matter (position in the text decides), but longer aliases must come before shorter
# ones that they contain so the span is claimed by the specific alias.
_ALIASES: list[tuple[str, str]] = [
    (r"islamic state[\s\-–]*\(?\s*pakistan province\)?", "ISPP"),
    (r"is[\s\-–]*pakistan province|\bispp\b|is[\s\-–]pakistan\b|\bis pakistan\b", "ISPP"),
    (r"islamic state[\s\-–]*\(?\s*khorasan province\)?|islamic state[\s\-–]*khorasan", "ISKP"),
    (r"islamic state khurasan|wilayat khorasan|wilayah khurasan", "ISKP"),
    (r"khorasan chapter of the islamic state", "ISKP"),
    (r"\bisis[\s\-–]*k\b|\bisil[\s\-–]*k\b|\bis[\s\-–]*k\b|\biskp\b", "ISKP"),
    (r"\bis[\s\-–]*khorasan\b", "ISKP"),
    (r"\bdaesh[\s\-–]*k(horasan)?\b", "ISKP"),
    (r"\bislamic state\b|\bisis\b|\bisil\b|\bdaesh\b|^is$|\bis\b(?=\s*(\(|$|;|,))", _GENERIC_IS),
    (r"tehri[kq][\s\-–]*[ie]?[\s\-–]*taliban[\s\-–]*pakistan|\bttp\b|pakistani taliban", "TTP"),
    # Spellings seen in ACLED/UCDP/GTD exports ("TTP: Tehreek-i-Taliban Pakistan").
    (r"tehree[kq][\s\-–]*[ie]?[\s\-–]*taliban([\s\-–]*pakistan)?", "TTP"),
    (r"balochistan liberation army|baloch liberation army|\bbla\b|majeed brigade", "BLA"),
    (r"balochistan liberation front|baloch liberation front|\bblf\b", "BLF"),
    (r"east turkestan islamic movement|turkestan islamic party|\betim\b|\btip\b", "ETIM/TIP"),
    (r"al[\s\-–]*qa[e']?i?da|\baqis\b", "al-Qaeda"),
    (r"sindhudesh|\bsra\b|\bspa\b", "Sindhi separatists"),
    (r"islamic movement of uzbekistan|\bimu\b", "IMU"),
    (r"\btaliban\b|islamic emirate", "Taliban"),
    (r"\btaleban\b", "Taliban"),  # UCDP GED spelling
]
_DENIED = re.compile(r"^\s*(has\s+)?denied", re.I)
_UNKNOWN_WORDS = re.compile(r"\bunknown\b|\bunidentified\b|\bunclaimed\b|^\s*$", re.I)
# "Unknown (… per the interior ministry; an outlet blames a Taliban faction)": the groups named
# only inside the parenthetical context of a leading "Unknown" are not the perpetrator.
_UNKNOWN_WITH_CONTEXT = re.compile(r"^\s*(unknown|unidentified)\b[^(;]*\(.*\)\s*$", re.I | re.S)
_COMPILED = [(re.compile(p, re.I), name) for p, name in _ALIASES]


@lru_cache(maxsize=65536)
def canonical_actors(raw: str | None) -> tuple[str, ...]:
    """Every canonical group named in ``raw``, in order of first appearance.

    An empty or "unknown" text gives ``("Unknown",)``; a named actor that matches no
    alias (a private guard, a criminal gang) gives ``("Other",)``.
    """
    text = (raw or "").strip()
    taken: list[tuple[int, int, str]] = []
    for pattern, name in _COMPILED:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end, _ in taken):
                continue
            if _DENIED.match(text[m.end() :]):
                # "TTP denied": the group is named only to record its denial.
                taken.append((m.start(), m.end(), ""))
                continue
            taken.append((m.start(), m.end(), name))
    # "Taliban" inside "Tehrik-i-Taliban Pakistan" is claimed by TTP above; the Afghan
    # Taliban as a *target* ("TTP denied") never appears in actor fields here.
    named = {name for _, _, name in taken}
    generic = "ISPP" if "ISPP" in named else "ISKP"
    names: list[str] = []
    for _, _, name in sorted(taken):
        name = generic if name == _GENERIC_IS else name
        if name and name not in names:
            names.append(name)
    if names and _UNKNOWN_WITH_CONTEXT.match(text):
        return (UNKNOWN, *names)
    if names:
        return tuple(names)
    if _UNKNOWN_WORDS.search(text):
        return (UNKNOWN,)
    return (OTHER,)


def canonical_actor(raw: str | None) -> str:
    """The primary canonical actor of ``raw`` (the group named first)."""
    return canonical_actors(raw)[0]


def actor_family(canonical: str) -> str:
    """The family of a canonical actor (ISKP and ISPP are both 'Islamic State')."""
    actor = ACTORS.get(canonical)
    return actor.family if actor else OTHER
