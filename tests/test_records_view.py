"""The Records page's tables speak the analysts' language: no code names as titles or values."""

from __future__ import annotations

from mapspec.records_view import LINK_TITLES, analyst_table

CODE_NAMES = (
    "actor_canonical",
    "admin1_for_scoring",
    "admin1",
    "target_categories",
    "geo_precision",
    "source_1_url",
)


def _units(bundle):
    return dict(zip(bundle.admin1["iso_3166_2"], bundle.admin1["name"], strict=True))


def test_incident_table_has_human_titles_and_values(bundle):
    table = analyst_table(bundle.incidents, "incidents", _units(bundle))
    assert not set(CODE_NAMES) & set(table.columns)
    assert {"Actor", "Province / unit", "Targets", "Location precision", "Source 1"} <= set(
        table.columns
    )
    assert len(table) == len(bundle.incidents)
    cells = {
        part
        for col in ("Country", "Province / unit", "Targets")
        for v in table[col].dropna()
        for part in str(v).split(", ")
    }
    assert {"Pakistan", "Afghanistan", "Khyber Pakhtunkhwa", "Chinese nationals"} <= cells
    assert not {"chinese_nationals", "chinese_interests", "PK-KP", "AF-KAB", "PAK"} & cells
    assert set(table["Location precision"].dropna()) <= {
        "exact site",
        "town or city",
        "district or region (approximate)",
    }


def test_threat_table_names_the_units_it_concerns(bundle):
    table = analyst_table(bundle.threats, "threats", _units(bundle))
    assert "admin1_for_scoring" not in table.columns
    thr = table.set_index("Record")
    first = bundle.threats.iloc[0]
    names = [_units(bundle)[c] for c in first["admin1_for_scoring"]]
    assert thr.loc[first["id"], "Provinces / units concerned"] == ", ".join(names)
    assert not thr["Kind of threat"].str.contains("_").any()


def test_only_http_links_reach_the_link_columns(bundle):
    frame = bundle.incidents.head(2).copy()
    frame["source_1_url"] = ["javascript:alert(1)", "https://example.org/x"]
    table = analyst_table(frame, "incidents", _units(bundle))
    assert table["Source 1"].isna().iloc[0]
    assert table["Source 1"].iloc[1] == "https://example.org/x"
    assert set(LINK_TITLES) <= set(table.columns)
