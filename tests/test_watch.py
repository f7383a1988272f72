"""Watch zones: a zone around a real site, segment, route or area; after an import the new
records inside each zone are listed (CLI, alerts in three formats) with the zone's score
change; "mark reviewed"; the same on SQLite and PostGIS (``store_home`` runs each test on
both engines); ``store copy`` keeps the zones."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely

from atlas_cli.main import main
from geodata import load_bundle
from geodata.spatial import geodesic_distance_km
from geodata.store import copy_store, import_bytes, rollback
from geodata.watch import (
    get_zone,
    list_zones,
    mark_reviewed,
    new_records,
    remove_zone,
)
from riskmodel.filters import Filters
from riskmodel.score import corridor_segments, score
from riskmodel.watch import add_zone, build_zone, review, watch_report, zone_lines

ROOT = Path(__file__).resolve().parents[1]
ATLAS_HEADER = (
    (Path(__file__).parent / "fixtures" / "import" / "atlas_sample.csv")
    .read_text(encoding="utf-8")
    .splitlines()[0]
    .split(",")
)
SITE = "AST-001"  # the Chinese embassy in Kabul (bundled)


@pytest.fixture(autouse=True)
def _own_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("ISKP_ATLAS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(tmp_path / "default-home"))


def _where(home) -> list[str]:
    return ["--database-url" if str(home).startswith("postgresql://") else "--home", str(home)]


def _cli(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "atlas_cli", *args, *_where(home)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def _row(
    rid: str, lon: float, lat: float, summary: str, date: str = "2026-02-25", fatalities: int = 3
) -> dict[str, str]:
    """An atlas-CSV incident in Kabul (synthetic, marked so) at ``lon, lat``."""
    row = dict.fromkeys(ATLAS_HEADER, "")
    row.update(
        {
            "id": rid,
            "date": date,
            "country": "AFG",
            "province": "Kabul",
            "district": "Kabul",
            "place": "Kabul",
            "latitude": f"{lat:.5f}",
            "longitude": f"{lon:.5f}",
            "geo_precision": "2",
            "actor": "ISKP",
            "attribution": "claimed",
            "attack_type": "bombing",
            "target_category": "chinese_nationals",
            "fatalities": str(fatalities),
            "injured": "1",
            "summary": summary,
            "source_1_title": "Test report",
            "source_1_url": f"https://example.org/test-watch-{rid.lower()}",
            "confidence": "medium",
            "notes": "Test fixture row",
        }
    )
    return row


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ATLAS_HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _inside_and_outside(zone_shape) -> tuple[tuple[float, float], tuple[float, float]]:
    """A point inside the zone (its centre) and one just east of it, checked."""
    centre = zone_shape.centroid
    east = zone_shape.bounds[2]
    inside = (round(centre.x, 5), round(centre.y, 5))
    outside = (round(east + 0.05, 5), round(centre.y, 5))
    assert zone_shape.contains(shapely.Point(inside))
    assert not zone_shape.intersects(shapely.Point(outside))
    return inside, outside


def _site_score(data, site: str = SITE) -> float:
    table = score(data, Filters(), levels=("site",)).sites.set_index("id")
    return round(float(table.loc[site, "score"]), 1)


# --- the CLI test --------------------------------------------------------------------


def test_watch_add_then_import_one_inside_one_outside_alerts_lists_exactly_the_inside_one(
    tmp_path, store_home
):
    home = store_home
    added = _cli(
        "watch",
        "add",
        "Kabul embassy",
        "--site",
        SITE,
        "--radius-km",
        "10",
        "--owner",
        "analyst-a",
        home=home,
    )
    assert added.returncode == 0, added.stderr
    assert "added watch zone 'Kabul embassy' (site AST-001 + 10 km, owner analyst-a" in added.stdout
    zone = get_zone("Kabul embassy", home)
    inside, outside = _inside_and_outside(zone.shape())
    path = tmp_path / "two.csv"
    path.write_bytes(
        _csv(
            [
                _row("USR-WATCH-IN", *inside, "=SYNTHETIC TEST ROW: inside the zone."),
                _row("USR-WATCH-OUT", *outside, "SYNTHETIC TEST ROW: outside the zone."),
            ]
        )
    )
    imported = _cli("import", str(path), home=home)
    assert imported.returncode == 0, imported.stderr
    assert "accepted 2" in imported.stdout
    assert (
        "Watch zones: 1 new record(s) in 1 of 1 zone(s) since their last review" in imported.stdout
    )
    assert "Kabul embassy (site AST-001 + 10 km): 1 new — USR-WATCH-IN;" in imported.stdout
    assert "USR-WATCH-OUT" not in imported.stdout

    as_json = _cli("alerts", "--format", "json", home=home)
    assert as_json.returncode == 0, as_json.stderr
    doc = json.loads(as_json.stdout)
    assert [(a["zone"], a["id"]) for a in doc["alerts"]] == [("Kabul embassy", "USR-WATCH-IN")]
    assert doc["alerts"][0]["summary"] == "=SYNTHETIC TEST ROW: inside the zone."
    (z,) = doc["zones"]
    assert z["new_records"] == 1 and z["owner"] == "analyst-a"
    # the score change is the site's own score now minus its score when the zone was added
    from geodata.catalog import load_current

    before = _site_score(load_bundle())
    now = _site_score(
        load_current(
            home if not str(home).startswith("postgresql") else None,
            database_url=home if str(home).startswith("postgresql") else None,
        )
    )
    assert z["score_reviewed"] == before and z["score_now"] == now
    assert z["score_change"] == pytest.approx(now - before, abs=0.05) and now > before

    as_csv = _cli("alerts", "--format", "csv", home=home)
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["id"] for r in rows] == ["USR-WATCH-IN"]
    assert rows[0]["summary"] == "'=SYNTHETIC TEST ROW: inside the zone."  # formula-safe

    table = _cli("alerts", home=home)
    assert table.returncode == 0, table.stderr
    assert (
        "Kabul embassy (site AST-001 + 10 km, owner analyst-a): 1 new record(s) since "
        "the last review" in table.stdout
    )
    assert "USR-WATCH-IN" in table.stdout and "USR-WATCH-OUT" not in table.stdout


# --- review, since, rollback -----------------------------------------------------------------


def test_mark_reviewed_clears_the_alerts_until_the_next_import_inside(tmp_path, store_home):
    home = store_home
    data = load_bundle()
    zone = add_zone("Kabul embassy", data, home, site=SITE, distance_km=10, owner="a")
    inside, outside = _inside_and_outside(zone.shape())
    first = import_bytes(
        _csv([_row("USR-W1", *inside, "SYNTHETIC TEST ROW: one.")]), "one.csv", home=home
    )
    assert first.batch is not None
    assert new_records(home)["id"].tolist() == ["USR-W1"]

    from geodata.store import load_bundle_with_store

    reviewed = review("Kabul embassy", load_bundle_with_store(home), home)
    assert reviewed.reviewed_batch == first.batch.batch_id
    assert reviewed.reviewed_score == _site_score(load_bundle_with_store(home))
    assert new_records(home).empty
    report = watch_report(home, load_bundle_with_store(home))
    assert report.records.empty and report.zones["score_change"].tolist() == [0.0]
    assert zone_lines(report) == [
        "Watch zones: no new records in the 1 zone(s) since their last review"
    ]

    import_bytes(
        _csv(
            [
                _row("USR-W2", *inside, "SYNTHETIC TEST ROW: two.", date="2026-02-27"),
                _row("USR-W3", *outside, "SYNTHETIC TEST ROW: three.", date="2026-02-27"),
            ]
        ),
        "two.csv",
        home=home,
    )
    assert new_records(home)["id"].tolist() == ["USR-W2"]
    # --since lists by import day instead of the review: both batches were imported today
    today = pd.Timestamp.now(tz="UTC").date()
    assert new_records(home, since=today.isoformat())["id"].tolist() == ["USR-W1", "USR-W2"]
    tomorrow = (today + pd.Timedelta(days=1)).isoformat()
    assert new_records(home, since=tomorrow).empty


def test_a_rolled_back_batch_leaves_the_alerts_and_later_batches_still_count(store_home):
    home = store_home
    zone = add_zone("box", load_bundle(), home, aoi="69,34.3,69.5,34.8")
    inside, _ = _inside_and_outside(zone.shape())
    batch = import_bytes(
        _csv([_row("USR-RB", *inside, "SYNTHETIC TEST ROW: rb.")]), "rb.csv", home=home
    ).batch
    assert new_records(home)["id"].tolist() == ["USR-RB"]
    rollback(batch.batch_id, home)
    assert new_records(home).empty
    again = import_bytes(
        _csv([_row("USR-RB", *inside, "SYNTHETIC TEST ROW: rb.")]), "rb.csv", home=home
    ).batch
    assert again.batch_id > batch.batch_id  # ids are never reused
    assert new_records(home)["id"].tolist() == ["USR-RB"]


# --- zone geometry from the real ids ---------------------------------------------------------


def test_zone_outlines_follow_the_site_segment_route_and_area(bundle):
    site = bundle.sites.set_index("id").loc[SITE]
    zone = build_zone("s", bundle, site=SITE, distance_km=10)
    ring = zone.shape().exterior.coords
    km = geodesic_distance_km(
        site.geometry.x, site.geometry.y, [x for x, _ in ring], [y for _, y in ring]
    )
    assert km.min() == pytest.approx(10, rel=0.02) and km.max() == pytest.approx(10, rel=0.02)

    segments = corridor_segments(bundle.corridors).set_index("id")
    seg = build_zone("g", bundle, segment="kkh_n35-007", distance_km=5)
    assert seg.ref == "KKH_N35-007"  # ids are matched ignoring case, stored as bundled
    line = segments.loc["KKH_N35-007"].geometry
    assert seg.shape().contains(line)
    assert not seg.shape().contains(segments.loc["KKH_N35-009"].geometry)

    route = build_zone("r", bundle, route="KKH_N35", distance_km=5)
    route_line = bundle.corridors.set_index("route_id").loc["KKH_N35"].geometry
    assert route.shape().contains(route_line)

    area = build_zone("a", bundle, aoi="60.5,29,75,37")
    assert area.aoi == "60.5,29,75,37" and area.shape().bounds == (60.5, 29, 75, 37)
    assert area.distance_km is None and area.ref is None


@pytest.mark.parametrize(
    ("args", "fix"),
    [
        (
            ["--site", "AST-999", "--radius-km", "10"],
            "there is no site 'AST-999'; site ids look like AST-001",
        ),
        (["--site", SITE, "--radius-km", "0"], "the radius must be more than 0 km"),
        (["--site", SITE, "--radius-km", "-3"], "the radius must be more than 0 km"),
        (["--site", SITE, "--radius-km", "5000"], "use at most 500 km"),
        (["--site", SITE, "--radius-km", "nan"], "the radius must be more than 0 km"),
        (["--site", SITE], "a site zone needs a radius: add --radius-km N"),
        (["--segment", "KKH_N35-999", "--buffer-km", "5"], "there is no segment 'KKH_N35-999'"),
        (["--route", "NOPE", "--buffer-km", "5"], "there is no route 'NOPE'"),
        (["--site", SITE, "--buffer-km", "5"], "a site zone takes --radius-km N"),
        (["--aoi", "75,29,60,37"], "W (75) must be less than E (60)"),
        (["--aoi", "60,29,75,37", "--buffer-km", "5"], "an area zone has no radius or buffer"),
    ],
)
def test_bad_zones_are_one_line_with_the_fix_and_store_nothing(tmp_path, capsys, args, fix):
    home = tmp_path / "home"
    status = main(["watch", "add", "z", *args, "--home", str(home)])
    err = capsys.readouterr().err
    assert status == 2 and fix in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert list_zones(home) == []


def test_a_duplicate_name_is_refused_and_remove_frees_it(store_home, capsys):
    home = store_home
    data = load_bundle()
    add_zone("Gwadar port", data, home, site="AST-010", distance_km=5)
    with pytest.raises(ValueError, match="there is already a watch zone 'Gwadar port'"):
        add_zone("gwadar PORT", data, home, site=SITE, distance_km=5)
    assert main(["watch", "remove", "Gwadar port", *_where(home)]) == 0
    assert "removed watch zone 'Gwadar port'" in capsys.readouterr().out
    assert list_zones(home) == []
    assert main(["watch", "remove", "Gwadar port", *_where(home)]) == 2
    assert "there is no watch zone 'Gwadar port'" in capsys.readouterr().err
    add_zone("Gwadar port", data, home, site="AST-010", distance_km=5)
    assert [z.name for z in list_zones(home)] == ["Gwadar port"]


def test_watch_list_shows_every_zone_with_owner_and_review(store_home, capsys):
    home = store_home
    data = load_bundle()
    add_zone("b route", data, home, route="KKH_N35", distance_km=5, owner="ops")
    add_zone("A area", data, home, aoi="68,33,72,36", owner="desk")
    assert main(["watch", "list", "--format", "json", *_where(home)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(z["name"], z["zone_kind"], z["owner"]) for z in listed] == [
        ("A area", "aoi", "desk"),
        ("b route", "route", "ops"),
    ]
    assert all(z["reviewed_at"] == z["created_at"] for z in listed)


def test_merged_records_are_not_new_records_of_a_zone(store_home):
    """A row that is the same event as a bundled record is folded into it: not listed."""
    home = store_home
    bundled = load_bundle().incidents.set_index("id").loc["INC-004"]
    zone = add_zone(
        "Gwadar",
        load_bundle(),
        home,
        aoi=f"{bundled.geometry.x - 0.2},{bundled.geometry.y - 0.2},"
        f"{bundled.geometry.x + 0.2},{bundled.geometry.y + 0.2}",
    )
    assert zone.shape().contains(bundled.geometry)
    fixture = Path(__file__).parent / "fixtures" / "import" / "atlas_sample.csv"
    result = import_bytes(fixture.read_bytes(), "atlas_sample.csv", home=home)
    merged = set(result.plan.merges["merged_id"])
    assert "USR-002" in merged
    listed = set(new_records(home)["id"])
    assert not (listed & merged)


def test_store_copy_keeps_the_watch_zones(tmp_path, pg_url):
    src = tmp_path / "src"
    data = load_bundle()
    zone = add_zone("Kabul embassy", data, src, site=SITE, distance_km=10, owner="a")
    inside, _ = _inside_and_outside(zone.shape())
    import_bytes(_csv([_row("USR-COPY", *inside, "SYNTHETIC TEST ROW: copy.")]), "c.csv", home=src)
    mark_reviewed("Kabul embassy", 0, 12.5, src, at="2026-01-01T00:00:00Z")
    counts = copy_store(src, pg_url)
    assert counts.get("watch_zones") == 1
    assert list_zones(pg_url) == list_zones(src)
    # the copied zone answers the same on PostGIS as on SQLite
    assert new_records(pg_url)["id"].tolist() == new_records(src)["id"].tolist() == ["USR-COPY"]
    remove_zone("Kabul embassy", pg_url)
    assert list_zones(pg_url) == []


# --- the Watch page, headless ----------------------------------------------------------------


def test_watch_page_lists_the_new_record_and_mark_reviewed_clears_it(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    home = tmp_path / "page-home"
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    zone = add_zone("Kabul <b>embassy</b>", load_bundle(), home, site=SITE, distance_km=10)
    inside, outside = _inside_and_outside(zone.shape())
    import_bytes(
        _csv(
            [
                _row("USR-PAGE-IN", *inside, "SYNTHETIC TEST ROW: [link](http://x)"),
                _row("USR-PAGE-OUT", *outside, "SYNTHETIC TEST ROW: out."),
            ]
        ),
        "page.csv",
        home=home,
    )
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("app_pages/watch.py").run()
    assert not app.exception
    assert app.title[0].value == "Watch zones"
    zones = app.dataframe[0].value
    assert zones["name"].tolist() == ["Kabul <b>embassy</b>"]
    assert zones["new_records"].tolist() == [1]
    listed = app.dataframe[1].value
    assert listed["id"].tolist() == ["USR-PAGE-IN"]
    assert listed["summary"].tolist() == ["SYNTHETIC TEST ROW: [link](http://x)"]  # as text
    from ui import md_escape

    assert app.subheader[0].value == md_escape("Kabul <b>embassy</b>")  # never markup
    next(b for b in app.button if b.label == "Mark reviewed").click().run()
    assert not app.exception
    assert get_zone("Kabul <b>embassy</b>", home).reviewed_batch == 1
    assert app.dataframe[0].value["new_records"].tolist() == [0]
    assert any("No new records inside since the last review" in m.value for m in app.markdown)


def test_watch_page_adds_and_removes_a_zone_by_form(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    home = tmp_path / "form-home"
    monkeypatch.setenv("ISKP_ATLAS_HOME", str(home))
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.switch_page("app_pages/watch.py").run()
    assert not app.exception
    assert any("No watch zones yet" in i.value for i in app.info)
    app.radio(key="watch_kind").set_value("segment").run()
    app.text_input(key="watch_name").input("KKH north")
    next(s for s in app.selectbox if s.label == "Segment").set_value("KKH_N35-007")
    next(b for b in app.button if b.label == "Add zone").click().run()
    assert not app.exception
    (zone,) = list_zones(home)
    assert (zone.name, zone.zone_kind, zone.ref, zone.distance_km) == (
        "KKH north",
        "segment",
        "KKH_N35-007",
        5.0,
    )
    assert app.dataframe[0].value["name"].tolist() == ["KKH north"]
    # a second zone of the same name is refused on the page, in words
    next(b for b in app.button if b.label == "Add zone").click().run()
    assert any("there is already a watch zone 'KKH north'" in e.value for e in app.error)
    next(b for b in app.button if b.label == "Remove zone").click().run()
    assert not app.exception
    assert list_zones(home) == []


@pytest.mark.parametrize("since", ["2026-13-01", "yesterday", "2026"])
def test_alerts_with_a_bad_since_date_is_one_line_with_the_form(tmp_path, capsys, since):
    home = tmp_path / "home"
    add_zone("z", load_bundle(), home, site=SITE, distance_km=5)
    assert main(["alerts", "--since", since, "--home", str(home)]) == 2
    err = capsys.readouterr().err
    assert f"bad date {since!r} for --since: write it as YYYY-MM-DD" in err
    assert len(err.strip().splitlines()) == 1
