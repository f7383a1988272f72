"""Every real layout of ACLED, UCDP GED and GTD imports, with the region applied.

The fixtures are written here, small and synthetic (every summary says SYNTHETIC TEST
ROW; points are town centres of the named places), in each layout the datasets have
shipped: ACLED's current export, its 2020 31-column layout, its old upper-case layout,
Excel-resaved dates and workbooks; UCDP GED, its web download and GED Candidate; GTD's
Windows-encoded CSV, its workbook and a truncated download. What a user would notice:
rows of other countries are *excluded* and counted per country in one report line (not
refused), unknown countries are row problems naming row, column, value and fix, quirks
are normalised and counted, and the counts always add up to the rows read.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geodata.contract import DataContractError
from geodata.importers import prepare_import
from geodata.importers.common import DEFAULT_REGION, region_codes
from geodata.importers.pipeline import ImportPlan

ROOT = Path(__file__).resolve().parents[1]

# Town centres (decimal degrees) of the places the synthetic rows name.
KABUL = ("34.5167", "69.1833")
JALALABAD = ("34.4342", "70.4478")
PESHAWAR = ("34.0080", "71.5785")
ELSEWHERE = ("33.3152", "44.3661")  # used only for rows outside the region (excluded)


def csv_bytes(
    header: list[str],
    rows: list[dict[str, str]],
    *,
    trailing_comma: bool = False,
    encoding: str = "utf-8",
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header] + ([""] if trailing_comma else []))
    return out.getvalue().encode(encoding)


def columns(header: str) -> list[str]:
    return header.split(",")


def total(plan: ImportPlan) -> int:
    c = plan.counts()
    return (
        c["accepted"]
        + c["merged"]
        + c["updated"]
        + c["rejected"]
        + c["excluded"]
        + c["already_present"]
    )


# --- ACLED ------------------------------------------------------------------------------------

ACLED_CURRENT = columns(
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,"
    "sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,"
    "interaction,civilian_targeting,iso,region,country,admin1,admin2,admin3,"
    "location,latitude,longitude,geo_precision,source,source_scale,notes,"
    "fatalities,tags,timestamp"
)
ACLED_2020 = columns(
    "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,"
    "event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,"
    "inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,"
    "longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,"
    "iso3"
)
ACLED_OLD = columns(
    "GWNO,EVENT_ID_CNTY,EVENT_ID_NO_CNTY,EVENT_DATE,YEAR,TIME_PRECISION,EVENT_TYPE,"
    "ACTOR1,ALLY_ACTOR_1,INTER1,ACTOR2,ALLY_ACTOR_2,INTER2,INTERACTION,COUNTRY,ADMIN1,"
    "ADMIN2,ADMIN3,LOCATION,LATITUDE,LONGITUDE,GEO_PRECISION,SOURCE,NOTES,"
    "FATALITIES"
)


def acled_row(
    rid: str,
    country: str,
    iso: str,
    date: str = "12 March 2024",
    point: tuple[str, str] = KABUL,
    actor: str = "Islamic State (Afghanistan)",
    **extra: str,
) -> dict[str, str]:
    row = {
        "event_id_cnty": rid,
        "event_date": date,
        "year": date[-4:],
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Explosions/Remote violence",
        "sub_event_type": "Remote explosive/landmine/IED",
        "actor1": actor,
        "inter1": "Rebel group",
        "actor2": "Civilians (Afghanistan)",
        "inter2": "Civilians",
        "civilian_targeting": "Civilian targeting",
        "iso": iso,
        "country": country,
        "admin1": "Kabul" if point == KABUL else "",
        "location": "Kabul",
        "latitude": point[0],
        "longitude": point[1],
        "geo_precision": "1",
        "source": "Test Source",
        "source_scale": "National",
        "notes": "SYNTHETIC TEST ROW: a bomb hit a minibus.",
        "fatalities": "2",
        "tags": "",
        "timestamp": "1710000000",
    }
    row.update(extra)
    return row


OUTSIDE_ACLED = [
    ("Iraq", "368"),
    ("Iraq", "368"),
    ("Syria", "760"),
    ("Israel", "376"),
    ("Democratic Republic of Congo", "180"),
    ("West Bank and Gaza Strip", "275"),
]


def world_acled() -> bytes:
    rows = [
        acled_row("AFG1", "Afghanistan", "4"),
        acled_row(
            "PAK1",
            "Pakistan",
            "586",
            point=PESHAWAR,
            actor="Islamic State Khorasan Province",
            admin1="Khyber Pakhtunkhwa",
            location="Peshawar",
        ),
    ]
    rows += [
        acled_row(f"X{i}", name, iso, point=ELSEWHERE, actor="Unidentified Armed Group")
        for i, (name, iso) in enumerate(OUTSIDE_ACLED)
    ]
    return csv_bytes(ACLED_CURRENT, rows)


def test_a_world_acled_export_keeps_the_region_and_counts_the_rest_per_country():
    plan = prepare_import(world_acled(), "world.csv")
    assert plan.format == "acled"
    assert sorted(plan.records["country"]) == ["AFG", "PAK"]
    assert plan.counts()["excluded"] == len(OUTSIDE_ACLED) and plan.counts()["rejected"] == 0
    assert plan.excluded_by_country() == {
        "Iraq": 2,
        "DR Congo": 1,
        "Israel": 1,
        "Palestine": 1,
        "Syria": 1,
    }
    region = [line for line in plan.reasons() if "outside the region" in line]
    assert region == [
        "world.csv: excluded 6 rows outside the region: Iraq 2, DR Congo 1, "
        "Israel 1, Palestine 1, Syria 1"
    ]
    assert total(plan) == plan.rows_read == 2 + len(OUTSIDE_ACLED)
    assert set(plan.enriched["actor_canonical"]) == {"ISKP"}


def test_the_region_is_configurable():
    plan = prepare_import(world_acled(), "world.csv", countries=["AFG", "IRQ"])
    assert sorted(plan.records["country"]) == ["AFG", "IRQ", "IRQ"]
    assert plan.excluded_by_country()["Pakistan"] == 1
    assert total(plan) == plan.rows_read
    assert region_codes(None) == frozenset(DEFAULT_REGION)
    assert region_codes(["Iran", "tjk"]) == {"IRN", "TJK"}
    with pytest.raises(ValueError, match="'Atlantis' is not a country"):
        region_codes(["AFG", "Atlantis"])


@pytest.mark.parametrize("value", ["Atlantis", "XXX"])
def test_an_unknown_country_is_a_row_problem_not_an_exclusion(value):
    data = csv_bytes(
        ACLED_CURRENT, [acled_row("AFG1", "Afghanistan", "4"), acled_row("ODD1", value, "")]
    )
    with pytest.raises(DataContractError) as info:
        prepare_import(data, "odd.csv")
    message = str(info.value)
    assert f"row 2 (id ODD1), column 'country': bad value '{value}'" in message
    assert "ISO 3166-1 alpha-3" in message
    plan = prepare_import(data, "odd.csv", skip_bad=True)
    assert plan.counts()["rejected"] == 1 and plan.counts()["excluded"] == 0
    assert total(plan) == 2


def test_a_file_with_no_row_in_the_region_says_so_and_how_to_include_them():
    rows = [
        acled_row(f"X{i}", name, iso, point=ELSEWHERE)
        for i, (name, iso) in enumerate(OUTSIDE_ACLED[:3])
    ]
    with pytest.raises(DataContractError) as info:
        prepare_import(csv_bytes(ACLED_CURRENT, rows), "iraq.csv")
    message = str(info.value)
    assert "no row of the file lies in the region (AFG,CHN,IRN,PAK,TJK,TKM,UZB)" in message
    assert "Iraq 2, Syria 1" in message and "--countries" in message
    plan = prepare_import(csv_bytes(ACLED_CURRENT, rows), "iraq.csv", countries=["IRQ"])
    assert list(plan.records["country"]) == ["IRQ", "IRQ"]


def test_acled_2020_layout_with_iso_numeric_and_iso3():
    rows = [
        {
            **acled_row("AFG44631", "Afghanistan", "4", date="21 March 2020"),
            "data_id": "1",
            "event_id_no_cnty": "44631",
            "iso3": "AFG",
            "region": "Caucasus and Central Asia",
        },
        {**acled_row("AFG44632", "", "4", date="22 March 2020"), "iso3": ""},
        {**acled_row("AFG44633", "", "", date="23 March 2020"), "iso3": "AFG"},
    ]
    plan = prepare_import(csv_bytes(ACLED_2020, rows), "acled2020.csv")
    assert plan.format == "acled" and plan.counts()["accepted"] == 3
    assert list(plan.records["date"]) == ["2020-03-21", "2020-03-22", "2020-03-23"]
    assert list(plan.records["country"]) == ["AFG"] * 3


def test_old_upper_case_acled_layout():
    old = {
        "GWNO": "700",
        "EVENT_ID_CNTY": "AFG100",
        "EVENT_ID_NO_CNTY": "100",
        "EVENT_DATE": "01-January-2015",
        "YEAR": "2015",
        "TIME_PRECISION": "1",
        "EVENT_TYPE": "Remote violence",
        "ACTOR1": "Taliban",
        "ALLY_ACTOR_1": "Haqqani",
        "INTER1": "2",
        "ACTOR2": "Police Forces of Afghanistan (2004-2021)",
        "INTER2": "1",
        "INTERACTION": "12",
        "COUNTRY": "Afghanistan",
        "ADMIN1": "Nangarhar",
        "LOCATION": "Jalalabad",
        "LATITUDE": JALALABAD[0],
        "LONGITUDE": JALALABAD[1],
        "GEO_PRECISION": "1",
        "SOURCE": "Test Source",
        "NOTES": "SYNTHETIC TEST ROW: a roadside bomb hit a police vehicle.",
        "FATALITIES": "3",
    }
    gw_only = {
        **old,
        "EVENT_ID_CNTY": "PAK200",
        "GWNO": "770",
        "COUNTRY": "",
        "EVENT_DATE": "02-February-2015",
        "ADMIN1": "Khyber Pakhtunkhwa",
        "LOCATION": "Peshawar",
        "LATITUDE": PESHAWAR[0],
        "LONGITUDE": PESHAWAR[1],
    }
    plan = prepare_import(csv_bytes(ACLED_OLD, [old, gw_only]), "acled_old.csv")
    assert plan.format == "acled" and plan.counts()["accepted"] == 2
    first = plan.records.iloc[0]
    assert first["date"] == "2015-01-01" and first["attack_type"] == "Remote violence"
    assert "assoc_actor_1: Haqqani" in first["notes"]
    assert "security_forces" in first["target_category"]
    assert list(plan.records["country"]) == ["AFG", "PAK"]  # the second from GWNO 770


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (["9-May-20", "19-Nov-21"], ["2020-05-09", "2021-11-19"]),
        (["5/9/2020", "6/10/2020"], ["2020-05-09", "2020-06-10"]),  # month-first (US Excel)
        (["5/9/2020", "25/3/2020"], ["2020-09-05", "2020-03-25"]),  # a day > 12: day-first
        (["12 March 2024", "2024-03-13"], ["2024-03-12", "2024-03-13"]),
    ],
    ids=["d-Mon-yy", "slash month-first", "slash day-first", "ACLED and ISO"],
)
def test_dates_resaved_by_excel(dates, expected):
    rows = [acled_row(f"AFG{i}", "Afghanistan", "4", date=d) for i, d in enumerate(dates)]
    plan = prepare_import(csv_bytes(ACLED_CURRENT, rows), "resaved.csv")
    assert list(plan.records["date"]) == expected


def test_an_acled_workbook_with_date_cells_imports():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ACLED_CURRENT)
    for i, day in enumerate((pd.Timestamp("2024-03-12"), pd.Timestamp("2024-04-02"))):
        row = acled_row(f"AFG{i}", "Afghanistan", "4")
        values = [row.get(c, "") for c in ACLED_CURRENT]
        values[ACLED_CURRENT.index("event_date")] = day.to_pydatetime()
        values[ACLED_CURRENT.index("latitude")] = float(KABUL[0])
        values[ACLED_CURRENT.index("longitude")] = float(KABUL[1])
        values[ACLED_CURRENT.index("fatalities")] = 2
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    plan = prepare_import(out.getvalue(), "acled.xlsx")
    assert plan.format == "acled"
    assert list(plan.records["date"]) == ["2024-03-12", "2024-04-02"]


def test_unicode_digits_are_normalised_with_a_note_and_underscores_refused():
    arabic = acled_row("AFG1", "Afghanistan", "4", latitude="٣٤٫٥١٦٧", longitude="٦٩٫١٨٣٣")
    plan = prepare_import(csv_bytes(ACLED_CURRENT, [arabic]), "digits.csv")
    assert plan.enriched["latitude"].iloc[0] == pytest.approx(34.5167)
    assert plan.enriched["longitude"].iloc[0] == pytest.approx(69.1833)
    notes = [line for line in plan.reasons() if "non-ASCII digits" in line]
    assert len(notes) == 2 and "'٣٤٫٥١٦٧' as '34.5167'" in notes[0]
    underscored = acled_row("AFG2", "Afghanistan", "4", fatalities="1_000")
    with pytest.raises(DataContractError) as info:
        prepare_import(csv_bytes(ACLED_CURRENT, [underscored]), "under.csv")
    assert "row 1 (id AFG2), column 'fatalities': bad value '1_000'" in str(info.value)
    assert "underscore" in str(info.value)


# --- UCDP -------------------------------------------------------------------------------------

UCDP_GED = columns(
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,"
    "conflict_new_id,conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,"
    "side_a_new_id,side_a,side_b_dset_id,side_b_new_id,side_b,number_of_sources,"
    "source_article,source_office,source_date,source_headline,source_original,"
    "where_prec,where_coordinates,where_description,adm_1,adm_2,latitude,longitude,"
    "geom_wkt,priogrid_gid,country,country_id,region,event_clarity,date_prec,"
    "date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,"
    "low,gwnoa,gwnob"
)
UCDP_WEB = [c for c in UCDP_GED if c not in ("best", "high", "low", "gwnoa", "gwnob")] + [
    "best_est",
    "high_est",
    "low_est",
]


def ucdp_row(
    rid: str,
    *,
    country: str = "Afghanistan",
    gw: str = "700",
    point: tuple[str, str] = JALALABAD,
    best: str = "3",
    low: str = "3",
    high: str = "3",
    side_a: str = "IS",
    side_b: str = "Civilians",
    date: str = "2021-08-26",
    violence: str = "3",
    **extra: str,
) -> dict[str, str]:
    row = {
        "id": rid,
        "relid": f"AFG-{rid}",
        "year": date[:4],
        "code_status": "Clear",
        "type_of_violence": violence,
        "conflict_name": "IS - Civilians",
        "dyad_name": f"{side_a} - {side_b}",
        "side_a": side_a,
        "side_b": side_b,
        "source_article": "Test Wire",
        "source_headline": "SYNTHETIC TEST ROW",
        "where_prec": "1",
        "where_coordinates": "Jalalabad town",
        "adm_1": "Nangarhar province",
        "latitude": point[0],
        "longitude": point[1],
        "country": country,
        "country_id": gw,
        "region": "Asia",
        "event_clarity": "1",
        "date_prec": "1",
        "date_start": date,
        "date_end": date,
        "best": best,
        "high": high,
        "low": low,
        "best_est": best,
        "high_est": high,
        "low_est": low,
    }
    row.update(extra)
    return row


def test_ucdp_bounds_not_ordered_are_widened_flagged_and_counted():
    rows = [
        ucdp_row("1", best="5", low="2", high="4"),  # high < best
        ucdp_row("2", best="5", low="7", high="9"),  # low > best
        ucdp_row("3", best="5", low="4", high="6"),
    ]  # ordered: unchanged
    plan = prepare_import(csv_bytes(UCDP_GED, rows), "ged.csv")
    assert plan.counts()["accepted"] == 3 and plan.counts()["rejected"] == 0
    got = plan.records.set_index("id")
    assert (got.loc["UCDP-1", "fatalities_low"], got.loc["UCDP-1", "fatalities_high"]) == ("2", "5")
    assert (got.loc["UCDP-2", "fatalities_low"], got.loc["UCDP-2", "fatalities_high"]) == ("5", "9")
    assert (got.loc["UCDP-3", "fatalities_low"], got.loc["UCDP-3", "fatalities_high"]) == ("4", "6")
    assert "did not enclose best=5: widened to 2–5" in got.loc["UCDP-1", "notes"]
    assert "widened" not in got.loc["UCDP-3", "notes"]
    assert (
        "ged.csv: widened the fatality bounds of 2 event(s) where UCDP's low/high did not "
        "enclose best" in " ".join(plan.reasons())
    )


def test_a_ucdp_file_without_a_best_estimate_is_refused_naming_both_spellings():
    header = [c for c in UCDP_GED if c != "best"]
    with pytest.raises(DataContractError) as info:
        prepare_import(csv_bytes(header, [ucdp_row("1")]), "nobest.csv")
    assert "column 'best'" in str(info.value) and "best_est" in str(info.value)


def test_ucdp_ged_with_many_countries_and_gw_codes():
    rows = [
        ucdp_row("1"),
        ucdp_row("2", country="Yemen (North Yemen)", gw="678", point=ELSEWHERE),
        ucdp_row("3", country="Syria", gw="652", point=ELSEWHERE),
        ucdp_row("4", country="", gw="770", point=PESHAWAR, adm_1="Khyber Pakhtunkhwa"),
        ucdp_row("5", country="Afghanistan", where_prec="6"),
    ]
    plan = prepare_import(csv_bytes(UCDP_GED, rows), "ged.csv")
    assert sorted(plan.records["id"]) == ["UCDP-1", "UCDP-4"]
    assert plan.excluded_by_country() == {"Syria": 1, "Yemen": 1}
    assert any("country level (where_prec 6)" in r for r in plan.reasons())
    assert total(plan) == 5
    assert set(plan.enriched["actor_family"]) == {"Islamic State"}


@pytest.mark.parametrize(
    ("side", "canonical"),
    [
        ("IS", "ISKP"),
        ("IS (Islamic State)", "ISKP"),
        ("IS - Khorasan Province", "ISKP"),
        ("Islamic State Khorasan Province", "ISKP"),
        ("IS - Pakistan Province", "ISPP"),
    ],
)
def test_ucdp_islamic_state_sides_are_recognised(side, canonical):
    plan = prepare_import(csv_bytes(UCDP_GED, [ucdp_row("1", side_a=side)]), "ged.csv")
    assert plan.enriched["actor"].iloc[0] == side  # the raw name is kept
    assert plan.enriched["actor_canonical"].iloc[0] == canonical
    assert plan.enriched["actor_family"].iloc[0] == "Islamic State"


def test_ucdp_ged_candidate_has_the_ged_columns_and_imports_the_same():
    rows = [ucdp_row("244001", code_status="Check dyad"), ucdp_row("244002")]
    ged = prepare_import(csv_bytes(UCDP_GED, rows), "ged.csv")
    candidate = prepare_import(csv_bytes(UCDP_GED, rows), "GEDEvent_v24_0_3.csv")
    assert candidate.format == "ucdp"
    assert candidate.records.drop(columns=["source_citation"]).equals(
        ged.records.drop(columns=["source_citation"])
    )


def test_ucdp_web_export_with_trailing_commas_and_us_datetimes():
    rows = [
        ucdp_row("51720", date="03/27/1990 00:00:00", best="4", low="1", high="3"),
        ucdp_row("51721", date="05/09/1990 00:00:00"),
        ucdp_row(
            "51722",
            side_a="Government of Pakistan",
            side_b="IS",
            violence="1",
            country="Pakistan",
            gw="770",
            point=PESHAWAR,
            adm_1="Khyber Pakhtunkhwa",
            date="12/01/2019 00:00:00",
        ),
    ]
    data = csv_bytes(UCDP_WEB, rows, trailing_comma=True)
    plan = prepare_import(data, "gedevents-2024-01-01.csv")
    assert plan.format == "ucdp" and plan.counts()["accepted"] == 3
    got = plan.records.set_index("id")
    assert list(got["date"]) == ["1990-03-27", "1990-05-09", "2019-12-01"]
    assert got.loc["UCDP-51720", "fatalities"] == "4"
    assert got.loc["UCDP-51720", "fatalities_high"] == "4"  # widened (high 3 < best 4)
    assert set(plan.enriched["actor_family"]) == {"Islamic State"}


# --- GTD --------------------------------------------------------------------------------------

GTD = columns(
    "eventid,iyear,imonth,iday,approxdate,extended,country,country_txt,region_txt,"
    "provstate,"
    "city,latitude,longitude,specificity,summary,claimed,attacktype1_txt,targtype1_txt,"
    "target1,corp1,natlty1_txt,natlty2_txt,natlty3_txt,gname,guncertain1,nkill,nwound,"
    "scite1,scite2,scite3,dbsource,INT_LOG,INT_IDEO,INT_MISC,INT_ANY,related"
)


def gtd_row(
    eid: str, country: str = "Pakistan", point: tuple[str, str] = PESHAWAR, **extra: str
) -> dict[str, str]:
    row = {
        "eventid": eid,
        "iyear": "2019",
        "imonth": "5",
        "iday": "12",
        "extended": "0",
        "country_txt": country,
        "region_txt": "South Asia",
        "provstate": "Khyber Pakhtunkhwa",
        "city": "Peshawar",
        "latitude": point[0],
        "longitude": point[1],
        "specificity": "1",
        "summary": "SYNTHETIC TEST ROW: gunmen fired on a police post near the café.",
        "claimed": "0",
        "attacktype1_txt": "Armed Assault",
        "targtype1_txt": "Police",
        "target1": "Police post",
        "natlty1_txt": country,
        "gname": "Tehrik-i-Taliban Pakistan (TTP)",
        "guncertain1": "0",
        "nkill": "1",
        "nwound": "2",
        "scite1": "Test Wire, “Post attacked”, 2019.",
        "dbsource": "TEST",
        "INT_LOG": "-9",
        "INT_IDEO": "-9",
        "INT_MISC": "0",
        "INT_ANY": "-9",
    }
    row.update(extra)
    return row


def world_gtd() -> list[dict[str, str]]:
    return [
        gtd_row("201905120001"),
        gtd_row(
            "201905120002", country="Afghanistan", point=KABUL, provstate="Kabul", city="Kabul"
        ),
        gtd_row("201905120003", country="Egypt", point=ELSEWHERE),
        gtd_row("201905120004", country="Côte d'Ivoire", point=ELSEWHERE),
        gtd_row("201905120005", country="Egypt", point=ELSEWHERE),
    ]


def test_gtd_windows_encoded_world_csv():
    plan = prepare_import(csv_bytes(GTD, world_gtd(), encoding="cp1252"), "gtd.csv")
    assert plan.format == "gtd" and plan.encoding == "cp1252"
    assert sorted(plan.records["country"]) == ["AFG", "PAK"]
    assert plan.excluded_by_country() == {"Egypt": 2, "Côte d'Ivoire": 1}
    assert "café" in plan.records["summary"].iloc[0]
    assert total(plan) == 5


def test_a_former_state_outside_the_region_is_excluded_an_unknown_one_inside_is_a_problem():
    rows = [
        *world_gtd(),
        gtd_row(
            "198001010001",
            country="West Germany (FRG)",
            point=ELSEWHERE,
            region_txt="Western Europe",
            iyear="1980",
            imonth="1",
            iday="1",
        ),
        gtd_row("198001010002", country="Atlantis", region_txt="South Asia"),
    ]
    data = csv_bytes(GTD, rows, encoding="cp1252")
    with pytest.raises(DataContractError) as info:
        prepare_import(data, "gtd.csv")
    assert "row 7 (id 198001010002), column 'country_txt': bad value 'Atlantis'" in str(info.value)
    assert "West Germany" not in str(info.value)
    plan = prepare_import(data, "gtd.csv", skip_bad=True)
    assert plan.excluded_by_country() == {"Egypt": 2, "Côte d'Ivoire": 1, "West Germany (FRG)": 1}
    assert plan.counts()["rejected"] == 1 and total(plan) == 7


def test_gtd_workbook():
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(GTD)
    for row in world_gtd():
        sheet.append(
            [
                int(v)
                if v.lstrip("-").isdigit() and len(v) < 15
                else (float(v) if c in ("latitude", "longitude") else v)
                for c, v in ((c, row.get(c, "")) for c in GTD)
            ]
        )
    out = io.BytesIO()
    book.save(out)
    plan = prepare_import(out.getvalue(), "gtd.xlsx")
    assert plan.format == "gtd"
    assert sorted(plan.records["id"]) == ["GTD-201905120001", "GTD-201905120002"]
    assert plan.excluded_by_country() == {"Egypt": 2, "Côte d'Ivoire": 1}


def test_a_truncated_gtd_download_names_the_last_row_and_imports_the_rest_with_skip_bad():
    data = csv_bytes(GTD, [gtd_row(f"20190512000{i}") for i in range(1, 5)], encoding="cp1252")
    cut = data[: data.rindex(b",Police,") + len(b",Police")]  # the download stopped here
    with pytest.raises(DataContractError) as info:
        prepare_import(cut, "gtd_cut.csv")
    message = str(info.value)
    assert "row 4 (id 201905120004)" in message and "truncated" in message
    plan = prepare_import(cut, "gtd_cut.csv", skip_bad=True)
    assert plan.counts()["accepted"] == 3 and plan.counts()["rejected"] == 1
    assert total(plan) == 4


# --- The command line -------------------------------------------------------------------------


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_cli_countries_flag(tmp_path):
    path = tmp_path / "world.csv"
    path.write_bytes(world_acled())
    home = tmp_path / "home"
    default = _cli("import", str(path), "--dry-run", home=home)
    assert default.returncode == 0, default.stderr
    assert "excluded 6 rows outside the region: Iraq 2" in default.stdout
    assert "accepted 2 +" in default.stdout
    chosen = _cli("import", str(path), "--dry-run", "--countries", "AFG,IRQ", home=home)
    assert chosen.returncode == 0, chosen.stderr
    assert "accepted 3 +" in chosen.stdout and "Pakistan 1" in chosen.stdout
    bad = _cli("import", str(path), "--countries", "AFG,Atlantis", home=home)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "'Atlantis' is not a country" in bad.stderr
    assert not home.exists()


def test_the_data_page_offers_the_region_with_the_default_countries(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geodata.store import HOME_ENV

    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    app = AppTest.from_file(str(ROOT / "app_pages" / "data.py"), default_timeout=60).run()
    assert not app.exception
    picker = next(m for m in app.multiselect if m.label.startswith("Region"))
    assert list(picker.value) == list(DEFAULT_REGION)
    assert "Iraq (IRQ)" in picker.options  # any country can be added
