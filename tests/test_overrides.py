"""Analyst overrides (issue 13): a record's confidence or attribution, an area's band — with
a reason, an author and an expiry — shown with the computed value in scores, popups, tables
and exports, ending by themselves, withdrawn without deleting, every change in the audit
log; the same on SQLite and PostgreSQL (``store_home``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from atlas_cli.main import main
from geodata import overrides as ov
from geodata.catalog import DataSource, load_current
from geodata.store import copy_store, import_bytes, rollback
from mapspec import export as exports
from mapspec import popups, records_view, style, tables
from mapspec.folium_map import map_layers
from mapspec.resolve import resolve_query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"
TODAY = ov.today_utc()
LATER = (TODAY + timedelta(days=30)).isoformat()
HOSTILE = '{{ 7*7 }} <script>alert(1)</script> =HYPERLINK("http://evil.example")'


def _where(home) -> list[str]:
    return ["--database-url", home] if str(home).startswith("postgresql") else ["--home", str(home)]


def _cli(capsys, home, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([*argv, *_where(home)])
    out, err = capsys.readouterr()
    return status, out, err


def _row(frame: pd.DataFrame, record_id: str) -> pd.Series:
    return frame[frame["id"].astype(str) == record_id].iloc[0]


def _scores(capsys, home, query: str = "") -> pd.DataFrame:
    status, out, _ = _cli(capsys, home, "scores", "--format", "csv", "--query", query)
    assert status == 0
    return pd.read_csv(io.StringIO(out))


def test_a_band_override_shows_the_analysts_band_and_the_computed_one_everywhere(
    store_home, capsys
):
    before = _scores(capsys, store_home).set_index("id").loc["AF-KAB"]
    assert before["band"] == "extreme"
    status, out, err = _cli(
        capsys,
        store_home,
        "override",
        "set",
        "--area",
        "Kabul",
        "--band",
        "Low",
        "--reason",
        "local reporting disputed",
        "--expires",
        LATER,
        "--author",
        "alice",
    )
    assert status == 0, err
    assert "area/AF-KAB band low" in out
    after = _scores(capsys, store_home).set_index("id")
    kabul = after.loc["AF-KAB"]
    # the band is the analyst's, the score stays computed, both bands are shown
    assert (kabul["band"], kabul["band_computed"]) == ("low", "extreme")
    assert kabul["score"] == before["score"]
    assert f"analyst alice, until {LATER}: local reporting disputed" == kabul["band_override"]
    assert after.loc["PK-BA", "band"] == after.loc["PK-BA", "band_computed"]
    assert pd.isna(after.loc["PK-BA", "band_override"])

    view = resolve_query("", load_current(store_home))
    areas = view.layer("areas").set_index("id")
    html = popups.area_popup(
        areas.loc["AF-KAB"].to_dict() | {"id": "AF-KAB"}, "Afghan province", []
    )
    assert "Low (analyst; computed: Extreme) — score 85 of 100" in html
    assert "Band set by an analyst: analyst alice" in html
    layer = next(layer for layer in map_layers(view) if layer.key == "areas")
    kabul_feature = next(f for f in layer.data["features"] if f["properties"]["id"] == "AF-KAB")
    assert kabul_feature["properties"]["style"]["fillColor"] == style.band_colour("low")
    assert "Low (analyst; computed: Extreme)" in kabul_feature["properties"]["tip"]
    top = tables.top_areas(view, "province", n=41).set_index("id")
    assert (top.loc["AF-KAB", "band"], top.loc["AF-KAB", "computed band"]) == ("low", "extreme")
    exported = list(csv.DictReader(io.StringIO(exports.to_csv(view, "provinces"))))
    row = next(r for r in exported if r["id"] == "AF-KAB")
    assert (row["band"], row["band_computed"]) == ("low", "extreme")
    assert "local reporting disputed" in row["band_override"]


def test_record_overrides_change_what_is_filtered_and_scored_and_keep_the_computed_value(
    store_home, capsys
):
    base = load_current(store_home)
    inc = _row(base.incidents, "INC-001")
    assert (inc["confidence"], inc["actor_canonical"]) == ("medium", "Unknown")
    threat = _row(base.threats, "THR-002")
    assert threat["credibility"] == "high"
    unit = (
        threat["admin1_for_scoring"][0]
        if isinstance(threat["admin1_for_scoring"], tuple)
        else threat["admin1"]
    )
    load_before = _scores(capsys, store_home).set_index("id").loc[unit, "load"]

    for argv in (
        ("--record", "INC-001", "--confidence", "low"),
        ("--record", "inc-001", "--attribution", "ISIS-K"),
        ("--record", "THR-002", "--confidence", "low"),
    ):
        status, _, err = _cli(
            capsys,
            store_home,
            "override",
            "set",
            *argv,
            "--reason",
            "analyst review",
            "--expires",
            LATER,
            "--author",
            "bob",
        )
        assert status == 0, err

    data = load_current(store_home)
    inc = _row(data.incidents, "INC-001")
    assert (inc["confidence"], inc["confidence_computed"]) == ("low", "medium")
    assert (inc["actor_canonical"], inc["actor_computed"]) == ("ISKP", "Unknown")
    assert inc["actors_all"] == ("ISKP",) and inc["actor_family"] == "Islamic State"
    assert inc["actor"].startswith("Unknown")  # what the source reported is kept
    other = _row(data.incidents, "INC-002")
    assert other["confidence"] == other["confidence_computed"]
    assert pd.isna(other["confidence_override"])
    # filters see the analyst's values
    assert "INC-001" in set(resolve_query("actor=ISKP", data).layer("incidents")["id"])
    assert "INC-001" in set(resolve_query("confidence=low", data).layer("incidents")["id"])
    # a threat's credibility weighs its contribution: lower credibility, lower load
    load_after = _scores(capsys, store_home).set_index("id").loc[unit, "load"]
    assert load_after < load_before

    shown = records_view.analyst_table(data.incidents, "incidents", {})
    shown = shown.set_index("Record")
    assert shown.loc["INC-001", ["Confidence", "Confidence (computed)"]].tolist() == [
        "low",
        "medium",
    ]
    assert (
        shown.loc["INC-001", "Actor set by an analyst"]
        == f"analyst bob, until {LATER}: analyst review"
    )
    assert (
        "Actor (computed)"
        not in records_view.analyst_table(base.incidents, "incidents", {}).columns
    )
    view = resolve_query("", data)
    popup = style.incident_popup(_row(view.layer("incidents"), "INC-001").to_dict())
    assert "low <span class='ap-ov'>(analyst; computed: medium)" in popup
    assert "ISKP <span class='ap-ov'>(analyst; computed: Unknown)" in popup
    assert "(analyst; computed: high)" in style.threat_popup(
        _row(data.threats, "THR-002").to_dict()
    )
    exported = {r["id"]: r for r in csv.DictReader(io.StringIO(exports.to_csv(view, "incidents")))}
    assert (exported["INC-001"]["confidence"], exported["INC-001"]["confidence_computed"]) == (
        "low",
        "medium",
    )
    assert exported["INC-001"]["actor_computed"] == "Unknown"
    assert (
        exported["INC-001"]["confidence_override"] == f"analyst bob, until {LATER}: analyst review"
    )
    geo = json.loads(exports.to_geojson(view, "incidents"))
    props = next(f["properties"] for f in geo["features"] if f["id"] == "INC-001")
    assert (props["actor_canonical"], props["actor_computed"]) == ("ISKP", "Unknown")


def test_an_override_with_an_expiry_in_the_past_has_no_effect(store_home, capsys):
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    status, out, err = _cli(
        capsys,
        store_home,
        "override",
        "set",
        "--record",
        "INC-001",
        "--confidence",
        "low",
        "--reason",
        "old",
        "--expires",
        yesterday,
    )
    assert status == 0
    assert "is in the past" in err and "has no effect" in err
    data = load_current(store_home)
    assert _row(data.incidents, "INC-001")["confidence"] == "medium"
    assert "confidence_computed" not in data.incidents.columns
    _, out, _ = _cli(capsys, store_home, "override", "list")
    assert "no overrides in force" in out
    _, out, _ = _cli(capsys, store_home, "override", "list", "--all", "--format", "json")
    assert [r["status"] for r in json.loads(out)] == ["expired"]


def test_an_override_ends_by_itself_after_its_expiry_day(store_home):
    until = TODAY + timedelta(days=2)
    ov.set_override(
        store_home, "area", "PK-BA", "band", "low", reason="r", expires_on=until, author="carol"
    )
    on_the_day = load_current(store_home, today=until)
    assert on_the_day.admin1.set_index("iso_3166_2").loc["PK-BA", "analyst_band"] == "low"
    after = load_current(store_home, today=until + timedelta(days=1))
    assert "analyst_band" not in after.admin1.columns


def test_remove_withdraws_without_deleting_and_the_audit_log_lists_each_change(
    store_home, capsys, tmp_path
):
    _, out, _ = _cli(
        capsys,
        store_home,
        "override",
        "set",
        "--record",
        "INC-001",
        "--confidence",
        "high",
        "--reason",
        "first look",
        "--expires",
        LATER,
        "--author",
        "dana",
    )
    _cli(
        capsys,
        store_home,
        "override",
        "set",
        "--record",
        "INC-001",
        "--confidence",
        "low",
        "--reason",
        "second look",
        "--expires",
        LATER,
        "--author",
        "erin",
    )
    assert _row(load_current(store_home).incidents, "INC-001")["confidence"] == "low"
    status, out, _ = _cli(capsys, store_home, "override", "remove", "2", "--author", "erin")
    assert status == 0 and "now in force: high" in out  # the earlier one applies again
    assert _row(load_current(store_home).incidents, "INC-001")["confidence"] == "high"
    _cli(capsys, store_home, "override", "remove", "1", "--author", "dana")
    data = load_current(store_home)
    assert _row(data.incidents, "INC-001")["confidence"] == "medium"
    assert "confidence_computed" not in data.incidents.columns
    listed = ov.list_overrides(store_home).set_index("override_id")
    assert list(listed["status"]) == ["withdrawn", "withdrawn"]  # rows kept
    assert listed.loc[2, "withdrawn_by"] == "erin"
    status, _, err = _cli(capsys, store_home, "override", "remove", "2")
    assert status == 2 and "already withdrawn" in err

    target = tmp_path / "audit.json"
    assert _cli(capsys, store_home, "audit", "--format", "json", "--output", str(target))[0] == 0
    log = json.loads(target.read_text(encoding="utf-8"))
    assert [(e["action"], e["author"], e["detail"]["old"], e["detail"]["new"]) for e in log] == [
        ("override set", "dana", "medium", "high"),
        ("override set", "erin", "high", "low"),
        ("override remove", "erin", "low", "high"),
        ("override remove", "dana", "high", None),
    ]
    assert {e["subject"] for e in log} == {"incidents/INC-001"}
    _, out, _ = _cli(capsys, store_home, "audit", "--format", "csv")
    assert [r["action"] for r in csv.DictReader(io.StringIO(out))] == [
        "override set",
        "override set",
        "override remove",
        "override remove",
    ]


def test_re_importing_the_same_record_keeps_its_override(store_home, capsys):
    data = (FIXTURES / "atlas_sample.csv").read_bytes()
    first = import_bytes(data, "atlas_sample.csv", home=store_home)
    assert _row(load_current(store_home).incidents, "USR-001")["confidence"] == "medium"
    status, _, err = _cli(
        capsys,
        store_home,
        "override",
        "set",
        "--record",
        "USR-001",
        "--confidence",
        "high",
        "--reason",
        "confirmed",
        "--expires",
        LATER,
    )
    assert status == 0, err
    assert import_bytes(data, "atlas_sample.csv", home=store_home).batch is None  # present
    assert _row(load_current(store_home).incidents, "USR-001")["confidence"] == "high"
    rollback(first.batch.batch_id, store_home)
    assert "USR-001" not in set(load_current(store_home).incidents["id"])
    import_bytes(data, "atlas_sample.csv", home=store_home)
    again = _row(load_current(store_home).incidents, "USR-001")
    assert (again["confidence"], again["confidence_computed"]) == ("high", "medium")


def test_hostile_reason_and_author_stay_text_in_popups_and_csv(store_home, capsys):
    author = '=HYPERLINK("http://evil.example","x")'
    for argv in (
        ("--area", "AF-KAB", "--band", "low"),
        ("--record", "INC-001", "--confidence", "low"),
    ):
        assert (
            _cli(
                capsys,
                store_home,
                "override",
                "set",
                *argv,
                "--reason",
                HOSTILE,
                "--expires",
                LATER,
                "--author",
                author,
            )[0]
            == 0
        )
    view = resolve_query("", load_current(store_home))
    area = view.layer("areas").set_index("id").loc["AF-KAB"].to_dict() | {"id": "AF-KAB"}
    for html in (
        popups.area_popup(area, "Afghan province", []),
        style.incident_popup(_row(view.layer("incidents"), "INC-001").to_dict()),
    ):
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7*7 }}" in html  # text, never template source
        assert "&quot;http://evil.example&quot;" in html
    for fmt_args in (("audit", "--format", "csv"), ("override", "list", "--format", "csv")):
        _, out, _ = _cli(capsys, store_home, *fmt_args)
        rows = list(csv.DictReader(io.StringIO(out)))
        assert rows and all(r["author"] == "'" + author for r in rows)
        if "reason" in rows[0]:
            assert all(r["reason"] == HOSTILE for r in rows)  # starts with '{': not a formula
    exported = list(csv.DictReader(io.StringIO(exports.to_csv(view, "incidents"))))
    note = next(r for r in exported if r["id"] == "INC-001")["confidence_override"]
    assert note == f"analyst {author}, until {LATER}: {HOSTILE}"
    hostile_start = "=cmd|' /C calc'!A0"
    ov.set_override(
        store_home,
        "incidents",
        "INC-002",
        "confidence",
        "low",
        reason=hostile_start,
        expires_on=TODAY,
        author="x",
    )
    _, out, _ = _cli(capsys, store_home, "override", "list", "--format", "csv")
    reasons = [r["reason"] for r in csv.DictReader(io.StringIO(out))]
    assert "'" + hostile_start in reasons


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("--record", "NOPE-1", "--confidence", "low"), "there is no record 'NOPE-1'"),
        (("--area", "Atlantis", "--band", "low"), "there is no unit 'Atlantis'"),
        (("--area", "AF-KAB", "--band", "severe"), "band 'severe' is not a risk band: use one of"),
        (("--record", "INC-001", "--confidence", "sure"), "confidence 'sure' is not a level"),
        (("--record", "INC-001", "--attribution", "Martians"), "'Martians' is not an actor"),
        (("--record", "INC-001", "--band", "low"), "--band goes with --area"),
        (("--area", "AF-KAB", "--confidence", "low"), "--confidence goes with --record"),
    ],
)
def test_bad_values_are_one_line_naming_the_value_and_the_fix(argv, words, capsys, tmp_path):
    status, _, err = _cli(
        capsys, tmp_path / "home", "override", "set", *argv, "--reason", "r", "--expires", LATER
    )
    assert status == 2
    assert len(err.strip().splitlines()) == 1 and words in err
    assert not (tmp_path / "home" / "store.sqlite").exists()  # nothing written


def test_a_bad_expiry_date_and_an_empty_reason_are_refused(capsys, tmp_path):
    home = tmp_path / "home"
    status, _, err = _cli(
        capsys,
        home,
        "override",
        "set",
        "--record",
        "INC-001",
        "--confidence",
        "low",
        "--reason",
        "r",
        "--expires",
        "31/12/2026",
    )
    assert status == 2 and "write it as YYYY-MM-DD" in err
    status, _, err = _cli(
        capsys,
        home,
        "override",
        "set",
        "--record",
        "INC-001",
        "--confidence",
        "low",
        "--reason",
        "  ",
        "--expires",
        LATER,
    )
    assert status == 2 and "--reason is empty" in err


def test_each_change_moves_the_data_signature_the_app_caches_on(store_home):
    source = DataSource.from_env(store_home)
    ov.set_override(
        store_home, "area", "PK-BA", "band", "low", reason="r", expires_on=TODAY, author="x"
    )
    before = source.signature()
    ov.set_override(
        store_home, "area", "PK-BA", "band", "high", reason="r", expires_on=TODAY, author="x"
    )
    middle = source.signature()
    ov.remove_override(store_home, 2, author="x")
    assert len({before, middle, source.signature()}) == 3


def test_store_copy_keeps_overrides_and_the_audit_log(tmp_path, pg_url, capsys):
    home = tmp_path / "home"
    import_bytes((FIXTURES / "atlas_sample.csv").read_bytes(), "atlas_sample.csv", home=home)
    ov.set_override(
        home,
        "incidents",
        "USR-001",
        "confidence",
        "low",
        reason="r",
        expires_on=TODAY + timedelta(days=1),
        author="x",
    )
    ov.set_override(
        home,
        "area",
        "AF-KAB",
        "band",
        "low",
        reason="r",
        expires_on=TODAY + timedelta(days=1),
        author="x",
    )
    ov.remove_override(home, 2, author="y")
    counts = copy_store(home, pg_url)
    assert (counts["overrides"], counts["audit_log"]) == (2, 3)
    assert list(ov.audit_log(pg_url)["action"]) == list(ov.audit_log(home)["action"])
    copied = load_current(database_url=pg_url)
    assert _row(copied.incidents, "USR-001")["confidence"] == "low"
    assert "analyst_band" not in copied.admin1.columns  # withdrawn stays withdrawn
    new = ov.set_override(
        pg_url, "area", "PK-BA", "band", "low", reason="r", expires_on=TODAY, author="z"
    )
    assert new.override_id == 3  # ids go on after the copied ones


def test_the_data_page_sets_lists_and_withdraws_an_override(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from geodata.store import HOME_ENV
    from tests.fixtures.apptest import failures

    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    page = Path(__file__).resolve().parents[1] / "app_pages" / "data.py"
    app = AppTest.from_file(str(page), default_timeout=120).run()
    assert not failures(app)
    assert any("No overrides in force" in i.value for i in app.info)
    fields = {t.label: t for t in app.text_input}
    fields["Record id or unit (ISO 3166-2 code or name)"].input("INC-001")
    fields["Value"].input("Low")
    fields["Reason"].input(HOSTILE)
    fields["Author"].input("frank")
    app.date_input[0].set_value(TODAY + timedelta(days=3))
    next(b for b in app.button if b.label == "Set override").click().run()
    assert not failures(app)
    assert any(
        "Override 1: incidents/INC-001 confidence low" in s.value.replace("\\", "")
        for s in app.success
    )
    app.run()
    shown = app.dataframe[0].value
    assert list(shown["target_id"]) == ["INC-001"] and list(shown["reason"]) == [HOSTILE]
    assert _row(load_current(tmp_path / "home").incidents, "INC-001")["confidence"] == "low"
    next(b for b in app.button if b.label == "Withdraw override").click().run()
    assert not failures(app)
    assert list(ov.list_overrides(tmp_path / "home")["status"]) == ["withdrawn"]
    assert list(ov.audit_log(tmp_path / "home")["action"]) == ["override set", "override remove"]
