"""Targets, attribution and confidence derived from the source's fields, and source URLs."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from geodata.importers.common.rows import by_unique

# --- Targets, attribution, confidence -----------------------------------------------------

KEYWORD_TARGETS: tuple[tuple[str, str], ...] = (
    ("cpec", r"\bcpec\b|china[ \-–]+pakistan economic corridor"),
    (
        "chinese_nationals",
        r"\bchinese (?:nationals?|citizens?|engineers?|workers?|teachers?|employees?|staff|"
        r"guests?|tourists?|businessm[ae]n|convoy|instructors?|man|woman|men|women)\b"
        r"|\bcivilians \(china\)",
    ),
    (
        "chinese_interests",
        r"\bchinese (?:embassy|consulate|company|companies|firm|project|hotel|restaurant|"
        r"investors?|interests?)\b",
    ),
    ("diplomatic", r"\bembass(?:y|ies)\b|\bconsulate\b|\bdiplomat"),
    ("shia_hazara", r"\bshia\b|\bshi'?ites?\b|\bhazaras?\b|imam ?bargah|\bismailis?\b"),
    ("sufi", r"\bsufis?\b|\bshrine\b|\bdargah\b"),
    ("religious_minority", r"\bsikhs?\b|\bhindus?\b|\bchristians?\b|\bahmadis?\b|gurdwara"),
    (
        "political",
        r"\bpolitical (?:party|parties|rally|gathering|leader|worker)s?\b|\belection|"
        r"\bjui[ \-–]?f\b|\bcandidate",
    ),
    (
        "foreign_nationals",
        r"\bforeign (?:nationals?|tourists?|workers?)\b|\bforeigners?\b|"
        r"\baid workers?\b",
    ),
)
# Patterns are applied to lower-cased text as plain strings, so pandas hands them to the
# (much faster) pyarrow/RE2 engine.
TALIBAN_TAKEOVER = pd.Timestamp("2021-08-15")
"""From this date the Afghan state forces are the Taliban's."""


def keyword_targets(texts: pd.Series) -> pd.Series:
    """Target categories named by keywords in free text (a list per row, table order)."""
    lower = texts.fillna("").astype(str).str.lower()
    cats = [cat for cat, _ in KEYWORD_TARGETS]
    if not len(texts):
        return pd.Series([], index=texts.index, dtype=object)
    matrix = np.column_stack(
        [lower.str.contains(p, regex=True).to_numpy(bool) for _, p in KEYWORD_TARGETS]
    )
    keys = pd.Series(
        np.packbits(matrix, axis=1, bitorder="little")
        .astype(np.uint32)
        .dot(1 << (8 * np.arange((len(cats) + 7) // 8))),
        index=texts.index,
    )
    return by_unique(
        [keys],
        lambda codes: [[c for j, c in enumerate(cats) if (int(code) >> j) & 1] for code in codes],
    )


def merge_targets(*parts: tuple[pd.Series, str]) -> tuple[pd.Series, pd.Series]:
    """Combine per-row category lists from several derivations.

    Each part is (series of lists, label of how they were derived). Returns the
    ';'-joined categories and the derivation text ('label:cat,cat; label2:cat'). Rows
    that no rule gives a category get ``civilians`` with derivation
    ``default:civilians (no target identified)``.
    """
    labels = [label for _, label in parts]
    keys = [s.map(",".join) for s, _ in parts]

    def combine(*columns: list[str]) -> list[tuple[str, str]]:
        out = []
        for values in zip(*columns, strict=True):
            cats: list[str] = []
            how: list[str] = []
            for joined, label in zip(values, labels, strict=True):
                found = [c for c in joined.split(",") if c and c not in cats]
                if found:
                    cats.extend(found)
                    how.append(f"{label}:{','.join(found)}")
            if not cats:
                cats, how = ["civilians"], ["default:civilians (no target identified)"]
            out.append((";".join(cats), "; ".join(how)))
        return out

    both = by_unique(keys, combine)
    return (both.map(lambda t: t[0]).astype(object), both.map(lambda t: t[1]).astype(object))


def state_targets(country: pd.Series, dates: pd.Series) -> pd.Series:
    """Categories for attacks on state forces: Afghan forces after 15 Aug 2021 are the
    Taliban government's; otherwise security forces."""
    taliban = (country == "AFG") & (dates >= TALIBAN_TAKEOVER)
    return pd.Series(
        [
            ["security_forces", "taliban_government"] if t else ["security_forces"]
            for t in taliban.to_numpy()
        ],
        index=country.index,
        dtype=object,
    )


_CLAIM = (
    r"claim(?:ed|s|ing)?\b[^.]{0,40}\bresponsibility|responsibility was claimed|"
    r"\bclaimed (?:the|an|this) (?:attack|bombing|killing)"
)
_NO_CLAIM = (
    r"\bno (?:group|one|organi[sz]ation)\b[^.]{0,30}claim|"
    r"\b(?:did not|has not|have not|not yet) claim|\bunclaimed\b|denied"
)
_SUSPECT = r"\bsuspected\b|\bbelieved to\b|\ballegedly\b|\bblamed\b|\bpresumed\b"


def attribution_from_notes(notes: pd.Series, actor_unknown: pd.Series) -> pd.Series:
    """ACLED-style attribution, which the source does not code.

    - a named actor and the notes report a claim of responsibility → ``claimed``;
    - a named actor and the notes say suspected/believed/allegedly/blamed → ``suspected``;
    - a named actor otherwise → ``attributed`` (the dataset names it);
    - no named actor (Unknown/Unidentified) → ``unclaimed``.
    """
    lower = notes.fillna("").astype(str).str.lower()
    claimed = lower.str.contains(_CLAIM, regex=True) & ~lower.str.contains(_NO_CLAIM, regex=True)
    suspected = lower.str.contains(_SUSPECT, regex=True)
    out = np.where(
        np.asarray(actor_unknown, bool),
        "unclaimed",
        np.where(claimed, "claimed", np.where(suspected, "suspected", "attributed")),
    )
    return pd.Series(out, index=notes.index, dtype=object)


def confidence_for(
    geo_precision: pd.Series, date_precision: pd.Series, attribution: pd.Series
) -> pd.Series:
    """``medium`` for a dataset record located to a town and dated to the day; ``low`` when
    the place or the date is coarse or the perpetrator only suspected. ``high`` is left to
    analysts (the bundled records and the product's own files)."""
    low = (geo_precision == "3") | (date_precision != "day") | (attribution == "suspected")
    return pd.Series(np.where(low, "low", "medium"), index=geo_precision.index, dtype=object)


_URL = re.compile(r"https?://[^\s,;<>\"')\]]+", re.I)


def first_url(texts: pd.Series) -> pd.Series:
    """The first http(s) URL in each text, or ''."""
    found = texts.str.extract(f"({_URL.pattern})", flags=re.I, expand=False)
    return found.fillna("").astype(object)


def normalise_url(url: str) -> str:
    """A URL reduced for comparison: no scheme, 'www.', fragment, tracking query or '/'."""
    text = url.strip().lower()
    text = re.sub(r"^https?://", "", text)
    text = re.sub(r"^www\.", "", text)
    text = text.split("#", 1)[0]
    if "?" in text:
        base, query = text.split("?", 1)
        kept = [q for q in query.split("&") if q and not q.startswith(("utm_", "fbclid"))]
        text = base + ("?" + "&".join(kept) if kept else "")
    return text.rstrip("/")
