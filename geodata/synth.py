"""Synthetic incidents in the product's own format, for benchmarks and scale tests.

Every row is marked synthetic: ids ``SYN-…``, a summary and notes that start with
"SYNTHETIC", and a source URL under ``https://example.invalid/`` (a reserved domain that
never resolves). The records are *plausible*, not real: units are drawn with weights that
roughly follow where ISKP, TTP and the Baloch groups were active in 2021–2025, points fall
inside the drawn unit (half clustered around its centre, half spread over it), actors,
targets and attack types are drawn from realistic strings per country, and casualties
follow a heavy-tailed distribution (most attacks kill few, a few kill many).

Generation is vectorised (no loop over rows): a million rows take a few seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geodata.bundle import Geography, load_geography
from geodata.contract import declared_columns

SYNTH_START = np.datetime64("2021-01-01")
SYNTH_END = np.datetime64("2025-12-31")
SYNTH_URL = "https://example.invalid/synthetic/"

# Relative weight of each admin-1 unit (others: 1.0).
_UNIT_WEIGHTS: dict[str, float] = {
    "AF-KAB": 20.0,
    "AF-NAN": 8.0,
    "AF-KNR": 4.0,
    "AF-KDZ": 4.0,
    "AF-BAL": 4.0,
    "AF-BDS": 3.0,
    "AF-HER": 3.0,
    "AF-KAN": 3.0,
    "AF-TAK": 2.0,
    "AF-BGL": 2.0,
    "PK-KP": 18.0,
    "PK-BA": 14.0,
    "PK-SD": 5.0,
    "PK-PB": 3.0,
    "PK-IS": 2.0,
    "PK-GB": 1.0,
    "PK-JK": 0.3,
}

# (actor text, attribution, probability) per country.
_ACTORS = {
    "AFG": [
        ("ISIS-K", "claimed", 0.45),
        ("Islamic State Khorasan Province (ISKP)", "claimed", 0.15),
        ("ISIS-K (suspected)", "suspected", 0.15),
        ("IS-K (per Taliban officials)", "attributed", 0.07),
        ("Unknown gunmen", "unclaimed", 0.12),
        ("Turkestan Islamic Party (suspected)", "suspected", 0.02),
        ("Unidentified attackers", "unclaimed", 0.04),
    ],
    "PAK": [
        ("Tehrik-i-Taliban Pakistan (TTP)", "claimed", 0.30),
        ("TTP (per police)", "attributed", 0.08),
        ("ISIS-K", "claimed", 0.12),
        ("Islamic State Pakistan Province (ISPP)", "claimed", 0.05),
        ("Balochistan Liberation Army (BLA)", "claimed", 0.18),
        ("Balochistan Liberation Front (BLF)", "claimed", 0.05),
        ("Sindhudesh Revolutionary Army (SRA)", "claimed", 0.02),
        ("ISIS-K (suspected)", "suspected", 0.05),
        ("Unknown gunmen", "unclaimed", 0.15),
    ],
}
_ATTACK_TYPES = [
    ("suicide bombing", 0.22),
    ("IED (roadside)", 0.18),
    ("IED (magnetic bomb)", 0.06),
    ("armed assault (shooting)", 0.20),
    ("targeted killing (shooting)", 0.10),
    ("suicide VBIED", 0.04),
    ("complex attack (suicide bombers and gunmen)", 0.04),
    ("rocket", 0.05),
    ("grenade attack", 0.06),
    ("drone strike (quadcopter)", 0.05),
]
_TARGETS = [
    ("civilians", 0.18),
    ("security_forces", 0.20),
    ("taliban_government", 0.12),
    ("shia_hazara;civilians", 0.08),
    ("pakistani_state;security_forces", 0.10),
    ("political;civilians", 0.06),
    ("religious_minority;civilians", 0.04),
    ("sufi;civilians", 0.03),
    ("chinese_nationals;cpec", 0.04),
    ("chinese_nationals;chinese_interests", 0.03),
    ("cpec;security_forces", 0.04),
    ("diplomatic;foreign_nationals", 0.03),
    ("foreign_nationals", 0.03),
    ("taliban_government;security_forces", 0.02),
]


_TYPED = (
    "latitude",
    "longitude",
    "geo_precision",
    "date",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
    "injured",
)


def _choice(rng: np.random.Generator, table: list[tuple], n: int) -> np.ndarray:
    probs = np.array([row[-1] for row in table], dtype=float)
    return rng.choice(len(table), size=n, p=probs / probs.sum())


def _shared_text(first: np.ndarray, second: np.ndarray, template: str) -> np.ndarray:
    """``template.format(first, second)`` per row, one string object per distinct pair
    (a million rows share a few hundred strings instead of holding a million copies)."""
    pairs = pd.MultiIndex.from_arrays([first, second])
    codes, uniques = pd.factorize(pairs)
    texts = np.array([template.format(a, b) for a, b in uniques], dtype=object)
    return texts[codes]


def _points_in(
    rng: np.random.Generator, polygon: shapely.Geometry, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points inside ``polygon``: half near its centre, half uniform (rejection)."""
    minx, miny, maxx, maxy = polygon.bounds
    centre = polygon.representative_point()
    shapely.prepare(polygon)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    spread = max(0.15, 0.15 * min(maxx - minx, maxy - miny))
    while have < n:  # rejection rounds, each vectorised over all missing points
        need = (n - have) * 3 + 16
        near = rng.random(need) < 0.5
        x = np.where(near, rng.normal(centre.x, spread, need), rng.uniform(minx, maxx, need))
        y = np.where(near, rng.normal(centre.y, spread, need), rng.uniform(miny, maxy, need))
        x, y = np.round(x, 4), np.round(y, 4)
        inside = shapely.contains_xy(polygon, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def synthesize(n: int, seed: int = 0, geography: Geography | None = None) -> pd.DataFrame:
    """``n`` synthetic incidents in the product's incident columns (typed like the output of
    :func:`geodata.validate_records`: ``date`` datetime64, counts Int64, coordinates float).

    Written with ``to_csv(index=False, date_format="%Y-%m-%d")`` the file passes
    ``iskp-atlas validate``. Same ``n`` and ``seed`` give the same rows.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"the number of events must be a whole number of 1 or more, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"the seed must be a whole number of 0 or more, got {seed!r}")
    geo = geography or load_geography()
    rng = np.random.default_rng(int(seed))
    units = geo.admin1
    codes = units["iso_3166_2"].to_numpy(dtype=object)
    weights = np.array([_UNIT_WEIGHTS.get(c, 1.0) for c in codes])
    unit = rng.choice(len(units), size=n, p=weights / weights.sum())

    lat = np.empty(n)
    lon = np.empty(n)
    for u in np.unique(unit):  # loop over the 41 units, vectorised within each
        rows = np.flatnonzero(unit == u)
        lon[rows], lat[rows] = _points_in(rng, units.geometry.values[u], len(rows))

    country = units["country"].to_numpy(dtype=object)[unit]
    is_afg = country == "AFG"
    actor = np.empty(n, dtype=object)
    attribution = np.empty(n, dtype=object)
    for iso3, table in _ACTORS.items():
        rows = np.flatnonzero(country == iso3)
        pick = _choice(rng, table, len(rows))
        actor[rows] = np.array([r[0] for r in table], dtype=object)[pick]
        attribution[rows] = np.array([r[1] for r in table], dtype=object)[pick]

    attack = np.array([a for a, _ in _ATTACK_TYPES], dtype=object)[_choice(rng, _ATTACK_TYPES, n)]
    target = np.array([t for t, _ in _TARGETS], dtype=object)[_choice(rng, _TARGETS, n)]
    # Taliban-administration targets only exist in Afghanistan, Pakistani-state ones mostly
    # in Pakistan: swap the implausible draws.
    target = np.where(~is_afg & (target == "taliban_government"), "pakistani_state", target)
    target = np.where(
        ~is_afg & (target == "taliban_government;security_forces"),
        "pakistani_state;security_forces",
        target,
    )
    target = np.where(
        is_afg & (target == "pakistani_state;security_forces"),
        "taliban_government;security_forces",
        target,
    )

    # Heavy tail: most attacks kill 0–3 people, about 3 % kill 20 or more.
    deaths = rng.geometric(0.45, n) - 1
    mass = rng.random(n) < 0.03
    deaths = np.where(mass, np.round(20 + rng.pareto(1.5, n) * 15), deaths).astype(np.int64)
    deaths = np.minimum(deaths, 400)
    injured = np.round(deaths * rng.uniform(0.5, 3.0, n) + rng.poisson(1.5, n)).astype(np.int64)
    low = np.maximum(deaths - rng.integers(0, 3, n), 0)
    high = deaths + rng.integers(0, 4, n)

    days = int((SYNTH_END - SYNTH_START) / np.timedelta64(1, "D")) + 1
    dates = SYNTH_START + rng.integers(0, days, n).astype("timedelta64[D]")
    numbers = np.char.zfill(np.arange(1, n + 1).astype(str), max(7, len(str(n))))
    ids = np.char.add("SYN-", numbers).astype(object)
    province = units["name"].to_numpy(dtype=object)[unit]
    confidence = np.array(["high", "medium", "low"], dtype=object)[
        rng.choice(3, size=n, p=[0.5, 0.35, 0.15])
    ]

    columns = {
        "id": ids,
        "country": country,
        "source_1_url": f"{SYNTH_URL}seed-{int(seed)}",
        "latitude": lat,
        "longitude": lon,
        "geo_precision": pd.array(np.where(rng.random(n) < 0.7, 2, 3), dtype="Int64"),
        "date": pd.to_datetime(dates),
        "province": province,
        "actor": actor,
        "attribution": attribution,
        "attack_type": attack,
        "target_category": target,
        "fatalities": pd.array(deaths, dtype="Int64"),
        "summary": _shared_text(attack, province, "SYNTHETIC record (not a real event): {} in {}."),
        "confidence": confidence,
        "fatalities_low": pd.array(low, dtype="Int64"),
        "fatalities_high": pd.array(high, dtype="Int64"),
        "injured": pd.array(injured, dtype="Int64"),
        "district": None,
        "place": _shared_text(province, province, "SYNTHETIC location in {}"),
        "target_detail": "SYNTHETIC",
        "source_1_title": f"SYNTHETIC data generated by iskp-atlas synth (seed {int(seed)})",
        "source_2_title": None,
        "source_2_url": None,
        "notes": f"SYNTHETIC: generated by iskp-atlas synth --seed {int(seed)}; not a real "
        "event, for benchmarks and scale tests only.",
    }
    # Text columns as plain objects, like validate_records (no string-dtype inference).
    frame = pd.DataFrame(
        {
            name: value
            if name in _TYPED
            else pd.Series(
                np.broadcast_to(np.asarray(value, dtype=object), (n,)).copy(), dtype=object
            )
            for name, value in columns.items()
        }
    )
    frame["date"] = frame["date"].astype("datetime64[us]")
    return frame[declared_columns("incidents")]


def to_csv_text(frame: pd.DataFrame) -> str:
    """The frame as product-format CSV text (dates as YYYY-MM-DD)."""
    return frame.to_csv(index=False, date_format="%Y-%m-%d")
