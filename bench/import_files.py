"""The synthetic import files of the import benches, written to a temporary folder: an
ACLED-layout export (points jittered around the admin-1 units' interior points, at most
:data:`PLACES` distinct places as real exports repeat places) and a world GTD CSV (135
columns, Windows-1252). Timing them is :mod:`bench.bench_c_import`'s part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROWS = 100_000
HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,"
    "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,"
    "civilian_targeting,iso,region,country,admin1,admin2,admin3,location,latitude,"
    "longitude,geo_precision,source,source_scale,notes,fatalities,tags,timestamp"
)
ACTORS = [
    "Islamic State (Afghanistan)",
    "TTP: Tehreek-i-Taliban Pakistan",
    "BLA: Balochistan Liberation Army",
    "Unidentified Armed Group (Pakistan)",
    "Taliban",
    "Islamic State (Pakistan)",
    "Unidentified Armed Group (Afghanistan)",
]
TARGETS = [
    ("Civilians (Pakistan)", "Civilians"),
    ("Police Forces of Pakistan (2022-)", "State forces"),
    ("Hazara Ethnic Group (Afghanistan)", "Identity militia"),
    ("Civilians (China)", "Civilians"),
    ("Military Forces of Afghanistan (2021-)", "State forces"),
    ("", ""),
]


PLACES = 8000
"""Distinct synthetic places the generated events are located at (see :func:`generate`)."""

OUTSIDE = [
    ("Iraq", "368"),
    ("Syria", "760"),
    ("India", "356"),
    ("Yemen", "887"),
    ("Somalia", "706"),
    ("Nigeria", "566"),
]
"""Countries of the synthetic rows outside the region (ACLED's names and ISO numeric)."""


def generate(path: Path, rows: int = ROWS, seed: int = 7, outside_share: float = 0.0) -> None:
    """Write ``rows`` synthetic ACLED-layout rows to ``path``; ``outside_share`` of them
    (chosen at random) name a country outside the region (their points stay the
    synthetic in-region ones: such rows are excluded before any point is used)."""
    from geodata import load_geography

    rng = np.random.default_rng(seed)
    units = load_geography().admin1
    centres = units.geometry.representative_point()
    # ACLED and UCDP geocode events to named places, so places repeat: the real files in
    # shared/data/real have 209 distinct points in 496 ACLED events and 1,050 in 5,834 UCDP
    # events. The synthetic rows are drawn from a fixed set of places (at most PLACES).
    n_places = max(1, min(PLACES, rows // 5))
    place_unit = rng.integers(0, len(units), n_places)
    place_lat = np.round(centres.y.to_numpy()[place_unit] + rng.normal(0, 0.15, n_places), 4)
    place_lon = np.round(centres.x.to_numpy()[place_unit] + rng.normal(0, 0.15, n_places), 4)
    place = rng.integers(0, n_places, rows)
    pick = place_unit[place]
    lat, lon = place_lat[place], place_lon[place]
    country = np.where(units["country"].to_numpy()[pick] == "AFG", "Afghanistan", "Pakistan")
    iso_num = np.where(country == "Afghanistan", "4", "586")
    if outside_share:
        away = rng.random(rows) < outside_share
        which = rng.integers(0, len(OUTSIDE), rows)
        country = np.where(away, np.array([c for c, _ in OUTSIDE])[which], country)
        iso_num = np.where(away, np.array([n for _, n in OUTSIDE])[which], iso_num)
    days = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 2900, rows), "D")
    actor = np.array(ACTORS)[rng.integers(0, len(ACTORS), rows)]
    t = rng.integers(0, len(TARGETS), rows)
    actor2 = np.array([x[0] for x in TARGETS])[t]
    inter2 = np.array([x[1] for x in TARGETS])[t]
    frame = pd.DataFrame(
        {
            "event_id_cnty": [f"SYN{i:07d}" for i in range(rows)],
            "event_date": days.strftime("%d %B %Y"),
            "year": days.year,
            "time_precision": rng.choice(["1", "1", "1", "2", "3"], rows),
            "disorder_type": "Political violence",
            "event_type": "Explosions/Remote violence",
            "sub_event_type": rng.choice(
                ["Remote explosive/landmine/IED", "Suicide bomb", "Armed clash", "Attack"], rows
            ),
            "actor1": actor,
            "assoc_actor_1": "",
            "inter1": "Rebel group",
            "actor2": actor2,
            "assoc_actor_2": "",
            "inter2": inter2,
            "interaction": "",
            "civilian_targeting": np.where(inter2 == "Civilians", "Civilian targeting", ""),
            "iso": iso_num,
            "region": "Caspian",
            "country": country,
            "admin1": units["name"].to_numpy()[pick],
            "admin2": "",
            "admin3": "",
            "location": "Synthetic place",
            "latitude": lat,
            "longitude": lon,
            "geo_precision": rng.choice(["1", "2", "3"], rows),
            "source": "Synthetic source",
            "source_scale": "National",
            "notes": np.char.add(
                "SYNTHETIC BENCH ROW: an attack was reported near the town; ",
                rng.choice(
                    [
                        "ISKP claimed responsibility.",
                        "No group claimed it.",
                        "Police suspected militants.",
                        "A Shia mosque was hit.",
                        "Chinese engineers were travelling in the convoy.",
                    ],
                    rows,
                ),
            ),
            "fatalities": rng.poisson(1.5, rows),
            "tags": "",
            "timestamp": "1700000000",
        }
    )
    frame.to_csv(path, index=False)


GTD_COLUMNS = (
    "eventid",
    "iyear",
    "imonth",
    "iday",
    "approxdate",
    "extended",
    "resolution",
    "country",
    "country_txt",
    "region",
    "region_txt",
    "provstate",
    "city",
    "latitude",
    "longitude",
    "specificity",
    "vicinity",
    "location",
    "summary",
    "crit1",
    "crit2",
    "crit3",
    "doubtterr",
    "alternative",
    "alternative_txt",
    "multiple",
    "success",
    "suicide",
    "attacktype1",
    "attacktype1_txt",
    "attacktype2",
    "attacktype2_txt",
    "attacktype3",
    "attacktype3_txt",
    "targtype1",
    "targtype1_txt",
    "targsubtype1",
    "targsubtype1_txt",
    "corp1",
    "target1",
    "natlty1",
    "natlty1_txt",
    "targtype2",
    "targtype2_txt",
    "targsubtype2",
    "targsubtype2_txt",
    "corp2",
    "target2",
    "natlty2",
    "natlty2_txt",
    "targtype3",
    "targtype3_txt",
    "targsubtype3",
    "targsubtype3_txt",
    "corp3",
    "target3",
    "natlty3",
    "natlty3_txt",
    "gname",
    "gsubname",
    "gname2",
    "gsubname2",
    "gname3",
    "gsubname3",
    "motive",
    "guncertain1",
    "guncertain2",
    "guncertain3",
    "individual",
    "nperps",
    "nperpcap",
    "claimed",
    "claimmode",
    "claimmode_txt",
    "claim2",
    "claimmode2",
    "claimmode2_txt",
    "claim3",
    "claimmode3",
    "claimmode3_txt",
    "compclaim",
    "weaptype1",
    "weaptype1_txt",
    "weapsubtype1",
    "weapsubtype1_txt",
    "weaptype2",
    "weaptype2_txt",
    "weapsubtype2",
    "weapsubtype2_txt",
    "weaptype3",
    "weaptype3_txt",
    "weapsubtype3",
    "weapsubtype3_txt",
    "weaptype4",
    "weaptype4_txt",
    "weapsubtype4",
    "weapsubtype4_txt",
    "weapdetail",
    "nkill",
    "nkillus",
    "nkillter",
    "nwound",
    "nwoundus",
    "nwoundte",
    "property",
    "propextent",
    "propextent_txt",
    "propvalue",
    "propcomment",
    "ishostkid",
    "nhostkid",
    "nhostkidus",
    "nhours",
    "ndays",
    "divert",
    "kidhijcountry",
    "ransom",
    "ransomamt",
    "ransomamtus",
    "ransompaid",
    "ransompaidus",
    "ransomnote",
    "hostkidoutcome",
    "hostkidoutcome_txt",
    "nreleased",
    "addnotes",
    "scite1",
    "scite2",
    "scite3",
    "dbsource",
    "INT_LOG",
    "INT_IDEO",
    "INT_MISC",
    "INT_ANY",
    "related",
)
"""The GTD CSV's 135 columns, in its order."""
GTD_ROWS = 200_000
GTD_IN_REGION = 0.15
"""Share of a world GTD file in Afghanistan and Pakistan (about 27,000 of 200,000)."""


def generate_gtd(path: Path, rows: int = GTD_ROWS, seed: int = 11) -> None:
    """Write a synthetic world GTD CSV (135 columns, Windows-1252, ``GTD_IN_REGION`` of
    the rows in Afghanistan/Pakistan at jittered in-region points; the others name
    countries outside the region). Every value is synthetic."""
    from geodata import load_geography

    rng = np.random.default_rng(seed)
    units = load_geography().admin1
    centres = units.geometry.representative_point()
    pick = rng.integers(0, len(units), rows)
    home = np.where(units["country"].to_numpy()[pick] == "AFG", "Afghanistan", "Pakistan")
    inside = rng.random(rows) < GTD_IN_REGION
    away = np.array([c for c, _ in OUTSIDE])[rng.integers(0, len(OUTSIDE), rows)]
    country = np.where(inside, home, away)
    days = pd.Timestamp("1975-01-01") + pd.to_timedelta(rng.integers(0, 16000, rows), "D")
    filler = {c: "" for c in GTD_COLUMNS}
    frame = pd.DataFrame(
        {
            **filler,
            "eventid": [f"{d:%Y%m%d}{i:06d}" for i, d in enumerate(days)],
            "iyear": days.year,
            "imonth": days.month,
            "iday": np.where(rng.random(rows) < 0.03, 0, days.day),
            "extended": 0,
            "country": 4,
            "country_txt": country,
            "region": 6,
            "region_txt": "South Asia",
            "provstate": units["name"].to_numpy()[pick],
            "city": "Synthetic town",
            "latitude": np.round(centres.y.to_numpy()[pick] + rng.normal(0, 0.15, rows), 6),
            "longitude": np.round(centres.x.to_numpy()[pick] + rng.normal(0, 0.15, rows), 6),
            "specificity": rng.choice([1, 1, 1, 2, 3, 4, 5], rows),
            "summary": np.char.add(
                "SYNTHETIC BENCH ROW: ",
                rng.choice(
                    [
                        "A bomb exploded near a Shia mosque.",
                        "Gunmen attacked a police post.",
                        "Assailants attacked Chinese engineers' convoy.",
                        "Unknown assailants fired.",
                    ],
                    rows,
                ),
            ),
            "crit1": 1,
            "crit2": 1,
            "crit3": 1,
            "doubtterr": 0,
            "success": 1,
            "suicide": 0,
            "attacktype1": 3,
            "attacktype1_txt": rng.choice(
                ["Bombing/Explosion", "Armed Assault", "Assassination"], rows
            ),
            "targtype1": 3,
            "targtype1_txt": rng.choice(
                [
                    "Police",
                    "Military",
                    "Private Citizens & Property",
                    "Business",
                    "Religious Figures/Institutions",
                    "Government (General)",
                ],
                rows,
            ),
            "target1": "Synthetic target",
            "natlty1_txt": rng.choice(["Afghanistan", "Pakistan", "China", "Unknown"], rows),
            "gname": rng.choice(
                [
                    "Khorasan Chapter of the Islamic State",
                    "Taliban",
                    "Tehrik-i-Taliban Pakistan (TTP)",
                    "Unknown",
                    "Baloch Liberation Army (BLA)",
                ],
                rows,
            ),
            "guncertain1": rng.choice([0, 0, 1], rows),
            "claimed": rng.choice([0, 1], rows),
            "weaptype1": 6,
            "weaptype1_txt": "Explosives",
            "nkill": np.where(rng.random(rows) < 0.05, "", rng.poisson(2, rows).astype(str)),
            "nwound": rng.poisson(3, rows),
            "property": 0,
            "ishostkid": 0,
            "scite1": "Synthetic source",
            "dbsource": "SYNTHETIC",
            "INT_LOG": -9,
            "INT_IDEO": -9,
            "INT_MISC": 0,
            "INT_ANY": -9,
        }
    )[list(GTD_COLUMNS)]
    frame.to_csv(path, index=False, encoding="cp1252")
