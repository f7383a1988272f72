"""Write the hostile-input corpus (tests/hostile/files/) and its MANIFEST.json.

Every file is generated here from the repository's own synthetic fixtures
(tests/fixtures/import/), so the corpus holds no third-party rows. Run it again after a
change: ``python tests/hostile/make_corpus.py`` (it rewrites the folder).

MANIFEST.json lists, per file, what ``iskp-atlas import FILE`` must do:

- ``exit``: 2 for a refused file (one line on stderr), 0 for an accepted one;
- ``parts``: text the one-line message (exit 2) or the output (exit 0) must contain —
  the row, the column and a word of the fix;
- ``absent``: text it must not contain (e.g. the wrong column);
- ``accepted``: for an accepted file, the number of records it adds;
- ``pending``: the expectation is right but waits for a fix elsewhere (named): the test
  marks it as an expected failure until then.

tests/test_hostile_corpus.py runs the table; bench/bench_f_hostile.py times each file.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "files"
"""Where :func:`main` writes (tests point it at a temporary folder to compare)."""
FIXTURES = HERE.parent / "fixtures" / "import"

ENTRIES: list[dict] = []


def add(
    name: str,
    data: bytes,
    exit_code: int,
    parts: list[str],
    *,
    accepted: int | None = None,
    absent: list[str] | None = None,
    note: str = "",
    pending: str = "",
) -> None:
    """Write one corpus file and its expectation."""
    (OUT / name).write_bytes(data)
    entry: dict = {"file": name, "exit": exit_code, "parts": parts}
    if accepted is not None:
        entry["accepted"] = accepted
    if absent:
        entry["absent"] = absent
    if note:
        entry["note"] = note
    if pending:
        entry["pending"] = pending
    ENTRIES.append(entry)


# --- Base rows: the repository's synthetic atlas fixture ------------------------------------


def _atlas_base() -> tuple[list[str], dict[str, str]]:
    reader = csv.DictReader(io.StringIO((FIXTURES / "atlas_sample.csv").read_text("utf-8")))
    first = next(reader)
    return list(reader.fieldnames or []), first


HEADER, BASE = _atlas_base()
TEXT_FIELDS = (
    "province",
    "district",
    "place",
    "actor",
    "attack_type",
    "target_detail",
    "summary",
    "source_1_title",
    "source_2_title",
    "notes",
)


def row(i: int, **changes: str) -> dict[str, str]:
    """The fixture's first row as a new synthetic record HX-<i>."""
    out = dict(BASE)
    out.update(
        {
            "id": f"HX-{i:03d}",
            "source_1_url": f"https://example.org/test-hostile-{i:03d}",
            "summary": f"SYNTHETIC TEST ROW {i}: hostile-corpus record.",
        }
    )
    out.update(changes)
    return out


def atlas_text(
    rows: list[dict[str, str]], *, sep: str = ",", eol: str = "\n", header: list[str] | None = None
) -> str:
    buf = io.StringIO()
    fields = header or HEADER
    writer = csv.DictWriter(
        buf, fieldnames=fields, delimiter=sep, lineterminator=eol, extrasaction="ignore"
    )
    writer.writeheader()
    for r in rows:
        writer.writerow(r)
    return buf.getvalue()


def two_rows(**changes: str) -> list[dict[str, str]]:
    return [row(1, **changes), row(2)]


def ok_csv(rows: list[dict[str, str]] | None = None, **kw) -> bytes:
    return atlas_text(rows or two_rows(), **kw).encode("utf-8")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return buf.getvalue()


def _xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _table(rows: list[dict[str, str]], header: list[str] | None = None) -> list[list[object]]:
    fields = header or HEADER
    return [list(fields)] + [[r.get(f, "") for f in fields] for r in rows]


# --- The corpus -----------------------------------------------------------------------------


def encodings() -> None:
    text = atlas_text(two_rows(summary="SYNTHETIC TEST ROW: caf\u00e9 \u2013 na\u00efve."))
    add("enc_utf8.csv", text.encode("utf-8"), 0, ["encoding utf-8"], accepted=2)
    add("enc_utf8_bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"), 0, ["atlas format"], accepted=2)
    add("enc_utf16le_bom.csv", text.encode("utf-16"), 0, ["encoding utf-16"], accepted=2)
    add(
        "enc_utf16be_bom.csv",
        b"\xfe\xff" + text.encode("utf-16-be"),
        0,
        ["encoding utf-16"],
        accepted=2,
    )
    add("enc_utf16le_nobom.csv", text.encode("utf-16-le"), 0, ["encoding utf-16-le"], accepted=2)
    add("enc_utf16be_nobom.csv", text.encode("utf-16-be"), 0, ["encoding utf-16-be"], accepted=2)
    add("enc_cp1252.csv", text.encode("cp1252"), 0, ["encoding cp1252"], accepted=2)
    mixed = atlas_text(
        [row(1, notes="Kabul\u2013Times"), row(2, summary="SYNTHETIC TEST ROW: caf\u00e9.")]
    ).encode("utf-8")
    add(
        "enc_invalid_utf8.csv",
        mixed.replace("caf\u00e9".encode(), b"caf\xe9"),
        2,
        ["row 2", "column 'summary'", "byte 0xE9", "UTF-8", "--encoding"],
    )
    add("enc_utf16_truncated.csv", text.encode("utf-16-le")[:-1], 2, ["UTF-16", "export it"])
    add(
        "enc_utf8_bom_bad_byte.csv",
        b"\xef\xbb\xbf" + mixed.replace("caf\u00e9".encode(), b"caf\xff"),
        2,
        ["row 2", "column 'summary'", "byte 0xFF"],
    )


def separators_and_lines() -> None:
    add("delim_semicolon.csv", ok_csv(sep=";"), 0, ["atlas format"], accepted=2)
    add("delim_tab.tsv", ok_csv(sep="\t"), 0, ["atlas format"], accepted=2)
    add("delim_pipe.txt", ok_csv(sep="|"), 0, ["atlas format"], accepted=2)
    add("eol_crlf.csv", ok_csv(eol="\r\n"), 0, ["rows read 2"], accepted=2)
    add(
        "eol_cr_only.csv",
        ok_csv(eol="\r"),
        0,
        ["rows read 2"],
        accepted=2,
        note="old Mac line endings",
    )
    cell = "SYNTHETIC TEST ROW: first line\rsecond line"
    unquoted = ok_csv(two_rows(summary=cell))  # the csv module quotes no bare CR
    add(
        "cr_in_quoted_cell.csv",
        unquoted.replace(cell.encode(), f'"{cell}"'.encode()),
        0,
        ["rows read 2"],
        accepted=2,
        note="a bare CR inside a quoted cell is not a row end",
    )
    add(
        "cr_in_unquoted_cell_lf_file.csv",
        unquoted,
        0,
        ["rows read 2"],
        accepted=2,
        note="lines end in LF: a bare CR inside a cell is text, not a row end",
    )
    add(
        "cr_in_unquoted_cell_crlf_file.csv",
        ok_csv(two_rows(summary=cell), eol="\r\n"),
        0,
        ["rows read 2"],
        accepted=2,
    )
    add(
        "crlf_in_quoted_cell_cr_eol.csv",
        ok_csv(two_rows(summary="SYNTHETIC TEST ROW: one\r\ntwo"), eol="\r"),
        0,
        ["rows read 2"],
        accepted=2,
    )
    add(
        "lf_in_quoted_cell.csv",
        ok_csv(two_rows(notes="line one\nline two")),
        0,
        ["rows read 2"],
        accepted=2,
    )
    lines = atlas_text(two_rows()).splitlines()
    trailing = "".join(line + ",\n" for line in lines)
    add(
        "trailing_comma_every_line.csv",
        trailing.encode(),
        0,
        ["rows read 2"],
        accepted=2,
        note="UCDP's web export ends every line, header too, with a comma",
    )
    ucdp = (FIXTURES / "ucdp_hdx_sample.csv").read_text("utf-8").splitlines()
    ucdp = [ucdp[0], *ucdp[2:]]  # without the HXL row, as the web export has it
    add(
        "ucdp_web_trailing_comma.csv",
        (ucdp[0] + "\n" + "".join(line + ",\n" for line in ucdp[1:])).encode(),
        0,
        ["ucdp format"],
        absent=["fields, the header"],
        note="gedevents-*.csv: every data row (not the header) ends with a comma",
    )
    add(
        "trailing_comma_data_rows_only.csv",
        (lines[0] + "\n" + "".join(line + ",\n" for line in lines[1:])).encode(),
        0,
        ["rows read 2"],
        accepted=2,
    )
    add(
        "trailing_value_one_row.csv",
        (lines[0] + "\n" + lines[1] + ",\n" + lines[2] + ",oops\n").encode(),
        2,
        ["row 2 has 26 fields, the header 25"],
    )


def quoting_and_fields() -> None:
    text = atlas_text(two_rows())
    add(
        "quote_unclosed_at_end.csv",
        (text.rstrip("\n") + ',"never closed\n').encode(),
        2,
        ["row 2", "never closed"],
    )
    head, first, second = text.splitlines()[:3]
    add(
        "extra_field_row2.csv",
        "\n".join([head, first, second + ",extra"]).encode() + b"\n",
        2,
        ["row 2 has 26 fields, the header 25", "quote"],
        absent=["attribution"],
    )
    add(
        "extra_field_row1.csv",
        "\n".join([head, first + ",extra", second]).encode() + b"\n",
        2,
        ["row 1 has 26 fields, the header 25", "quote"],
        absent=["attribution"],
    )
    add(
        "extra_fields_unquoted_comma.csv",
        "\n".join([head, first.replace("hostile-corpus", "hostile, corpus"), second]).encode()
        + b"\n",
        2,
        ["row 1 has 26 fields, the header 25"],
    )
    short = ",".join(second.split(",")[:-3])
    add(
        "short_row.csv",
        "\n".join([head, first, short]).encode() + b"\n",
        2,
        ["row 2", "column 'confidence'", "fill in"],
    )
    add("truncated_mid_row.csv", text[: len(text) - 60].encode(), 2, ["row 2"])
    add(
        "header_zero_width.csv",
        text.replace("id,", "\u200bid,", 1).encode(),
        0,
        ["rows read 2"],
        accepted=2,
        note="a zero-width space before a column name",
    )
    add(
        "header_duplicate_column.csv",
        atlas_text(two_rows(), header=[*HEADER, "notes"]).encode(),
        0,
        ["rows read 2"],
        accepted=2,
    )


def limits() -> None:
    wide = (
        ",".join(f"c{i}" for i in range(100_000))
        + "\n"
        + ",".join("1" for _ in range(100_000))
        + "\n"
    )
    add("huge_header_100k_columns.csv", wide.encode(), 2, ["100,000 columns", "limit of 500"])
    extra = [f"extra_{i}" for i in range(600)]
    add(
        "huge_600_columns.csv",
        atlas_text(two_rows(), header=[*HEADER, *extra]).encode(),
        2,
        ["625 columns", "limit of 500"],
    )
    add(
        "huge_field_200k.csv",
        ok_csv(two_rows(notes="x" * 200_000)),
        2,
        ["row 1", "column 'notes'", "200,000 characters", "limit of 100,000"],
    )
    add(
        "huge_field_broken_quote.csv",
        (
            atlas_text(two_rows()).replace("SYNTHETIC TEST ROW 1", '"SYNTHETIC TEST ROW 1', 1)
            + "y" * 150_000
            + "\n"
        ).encode(),
        2,
        ["never closed"],
        note="an opening quote that swallows the rest of the file",
    )
    add(
        "json_deep_array.geojson",
        b"[" * 100_000 + b"]" * 100_000,
        2,
        ["nested 100,000 levels deep", "limit of 64"],
    )
    add(
        "json_deep_object.geojson",
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
        2,
        ["nested 20,000 levels deep", "limit of 64"],
    )
    deep_prop = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [71.5249, 34.0151]},
                "properties": {"id": "HX-001", "nest": "PLACEHOLDER"},
            }
        ],
    }
    deep = json.dumps(deep_prop).replace('"PLACEHOLDER"', "[" * 80 + "]" * 80)
    add("json_deep_in_properties.geojson", deep.encode(), 2, ["levels deep", "limit of 64"])
    many = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [71.5249, 34.0151]},
                "properties": {f"p{j}_{i}": 1 for j in range(30)},
            }
            for i in range(30)
        ],
    }
    add(
        "json_many_property_names.geojson",
        json.dumps(many).encode(),
        2,
        ["over 500 different names", "right file"],
    )
    add(
        "json_brackets_in_strings.geojson",
        _geojson(two_rows(summary="SYNTHETIC TEST ROW: " + "[{" * 200)),
        0,
        ["geojson format"],
        accepted=2,
        note="brackets inside strings are not nesting",
    )


def binaries() -> None:
    rng = random.Random(11)
    noise = bytes(rng.randrange(256) for _ in range(4000))
    add("bin_png_named.csv", b"\x89PNG\r\n\x1a\n" + noise, 2, ["PNG image", "not a table"])
    add("bin_pdf.pdf", b"%PDF-1.7\n" + noise, 2, ["PDF document"])
    add("bin_gzip.csv.gz", b"\x1f\x8b\x08\x00" + noise, 2, ["gzip", "unpack"])
    add("bin_random.bin", noise, 2, ["not a text file"])
    add("bin_random_named.csv", b"id,date\n" + noise, 2, ["not a text file"])
    add(
        "bin_xls_ole.xls",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + noise,
        2,
        ["old Excel .xls", "save it as .xlsx or CSV"],
    )
    add("bin_sqlite.db", b"SQLite format 3\x00" + noise, 2, ["SQLite database"])
    add("zip_one_csv.zip", _zip({"export/events.csv": ok_csv()}), 0, ["(zip)"], accepted=2)
    add(
        "zip_two_csvs.zip",
        _zip({"a.csv": ok_csv(), "b.csv": ok_csv()}),
        2,
        ["zip archive", "2 tables", "unzip it"],
    )
    add(
        "zip_no_table.zip",
        _zip({"readme.md": b"# notes\n"}),
        2,
        ["zip archive", "no CSV", "unzip it"],
    )
    add(
        "zip_in_zip.zip",
        _zip({"inner.zip": _zip({"a.csv": ok_csv()})}),
        2,
        ["zip archive", "unzip it"],
    )
    add("zip_truncated.zip", _zip({"a.csv": ok_csv() * 20})[:300], 2, ["damaged or cut off"])
    add(
        "zip_bad_member.zip",
        _zip({"a.csv": b"\xff\xfe\x00garbage" + noise}),
        2,
        ["a.csv in zip_bad_member.zip"],
    )
    rows = two_rows()
    add("xlsx_one_sheet.xlsx", _xlsx({"Data": _table(rows)}), 0, ["encoding xlsx"], accepted=2)
    add(
        "xlsx_data_on_second_sheet.xlsx",
        _xlsx(
            {
                "Read me": [["SYNTHETIC workbook"], ["the data is on the next sheet"]],
                "Events": _table(rows),
            }
        ),
        0,
        ["atlas format"],
        accepted=2,
    )
    add("xlsx_truncated.xlsx", _xlsx({"Data": _table(rows)})[:-200], 2, ["damaged or cut off"])
    add(
        "xlsx_600_columns.xlsx",
        _xlsx({"Data": [[f"c{i}" for i in range(600)], list(range(600))]}),
        2,
        ["600 columns", "limit of 500"],
    )
    add(
        "xlsx_no_known_header.xlsx",
        _xlsx({"A": [["x", "y"], [1, 2]], "B": [["z"], [3]]}),
        2,
        ["match no known format"],
    )


def payloads() -> None:
    templates = [
        "{{ 7*7 }}",
        "Price {{ x",
        "{% if %}",
        "{# comment",
        "{%raw%}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ]
    html = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "javascript:alert(1)",
        '"><svg onload=alert(1)>',
        "</textarea><b>x</b>",
    ]
    formulas = [
        '=HYPERLINK("https://example.org","x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\uff1d1+1",
        "\t=1+1",
    ]

    def every_field(values: list[str]) -> list[dict[str, str]]:
        return [
            row(i + 1, **{f: v for f in TEXT_FIELDS}) | {"summary": f"SYNTHETIC {v}"}
            for i, v in enumerate(values)
        ]

    for name, values in (("template", templates), ("html_js", html), ("formula", formulas)):
        add(
            f"payload_{name}.csv",
            ok_csv(every_field(values)),
            0,
            ["atlas format"],
            accepted=len(values),
        )
    add(
        "payload_template.geojson",
        _geojson(every_field(templates)),
        0,
        ["geojson format"],
        accepted=len(templates),
    )
    add(
        "payload_template_ids.csv",
        ok_csv([row(1, id="{{7*7}}"), row(2, id="<b>HX</b>")]),
        0,
        ["atlas format"],
        accepted=2,
    )
    add(
        "payload_url_javascript.csv",
        ok_csv(two_rows(source_1_url="javascript:alert(1)")),
        2,
        ["row 1", "column 'source_1_url'", "http"],
    )
    add(
        "payload_header_formula.csv",
        atlas_text(two_rows(), header=[*HEADER, "=cmd|' /C calc'!A0"]).encode(),
        0,
        ["atlas format"],
        accepted=2,
    )


def invisible_and_junk() -> None:
    add(
        "ids_zero_width_duplicate.csv",
        ok_csv([row(1), row(2, id="HX-\u200b001")]),
        2,
        ["column 'id'", "unique", "invisible"],
    )
    add(
        "ids_fullwidth_duplicate.csv",
        ok_csv([row(1), row(2, id="\uff28\uff38-001")]),
        2,
        ["column 'id'", "unique"],
    )
    add(
        "ids_bidi_and_zero_width.csv",
        ok_csv([row(1, id="HX\u202e-001\u2060"), row(2)]),
        0,
        ["atlas format"],
        accepted=2,
    )
    add(
        "nul_in_summary.csv",
        ok_csv([row(1), row(2, summary="SYNTHETIC\x00TEST")]),
        2,
        ["row 2", "column 'summary'", "NUL"],
    )
    add("nul_in_header.csv", ok_csv().replace(b"summary", b"sum\x00mary", 1), 2, ["NUL", "header"])
    add(
        "nul_in_geojson.geojson",
        _geojson([row(1, summary="SYNTHETIC\x00TEST"), row(2)]),
        2,
        ["row 1", "column 'summary'", "NUL"],
    )
    add(
        "country_xxx.csv",
        ok_csv(two_rows(country="XXX")),
        2,
        ["row 1", "column 'country'", "country code"],
    )
    add(
        "null_island_pak.csv",
        ok_csv(two_rows(latitude="0", longitude="0")),
        2,
        ["row 1", "column 'latitude'", "open sea", "not PAK"],
    )
    add(
        "null_island_xxx.csv",
        ok_csv(two_rows(country="XXX", latitude="0.0", longitude="0.0")),
        2,
        ["row 1", "column 'country'"],
    )
    add(
        "control_chars_in_text.csv",
        ok_csv(two_rows(notes="bell\x07 escape\x1b[31m")),
        0,
        ["atlas format"],
        accepted=2,
        note="kept as text; only NUL is refused",
    )


def numbers() -> None:
    cases = [
        (
            "num_underscore_latitude.csv",
            {"latitude": "3_4.0151"},
            "latitude",
            ["not a number", "underscore"],
        ),
        (
            "num_arabic_indic_latitude.csv",
            {"latitude": "\u0663\u0664.\u0660\u0661\u0665\u0661"},
            "latitude",
            ["not a number", "0-9", "'34.0151'"],
        ),
        (
            "num_persian_fatalities.csv",
            {"fatalities": "\u06f4"},
            "fatalities",
            ["not a number", "0-9"],
        ),
        (
            "num_fullwidth_longitude.csv",
            {"longitude": "\uff17\uff11.\uff15"},
            "longitude",
            ["not a number", "0-9"],
        ),
        ("num_inf_latitude.csv", {"latitude": "inf"}, "latitude", ["not a number"]),
        ("num_nan_longitude.csv", {"longitude": "nan"}, "longitude", ["not a number"]),
        ("num_hex_fatalities.csv", {"fatalities": "0x10"}, "fatalities", ["not a number"]),
        (
            "num_thousands_injured.csv",
            {"injured": "1,200"},
            "injured",
            ["not a number", "thousands"],
        ),
        ("num_huge_exponent.csv", {"latitude": "1e400"}, "latitude", ["not a number"]),
        ("lon_200.csv", {"longitude": "200"}, "longitude", ["between -180 and 180"]),
        ("lat_minus_95.csv", {"latitude": "-95"}, "latitude", ["between -90 and 90"]),
    ]
    for name, change, column, parts in cases:
        absent = ["column 'latitude'"] if column == "longitude" else None
        add(
            name,
            ok_csv(two_rows(**change)),
            2,
            ["row 1", f"column '{column}'", *parts],
            absent=absent,
        )
    add(
        "num_comma_decimal_semicolon.csv",
        ok_csv(two_rows(latitude="34,0151"), sep=";"),
        2,
        ["row 1", "column 'latitude'", "not a number", "'.'"],
    )
    add(
        "lon_outside_pak.csv",
        ok_csv(two_rows(longitude="90.5")),
        2,
        ["row 1", "column 'longitude'", "outside PAK"],
        absent=["column 'latitude'"],
    )
    acled = (FIXTURES / "acled_sample.csv").read_text("utf-8")
    add(
        "acled_latitude_underscore.csv",
        acled.replace("34.5010", "3_4.5010", 1).encode(),
        2,
        ["row 1", "column 'latitude'", "not a number"],
        absent=["value is missing"],
    )
    add(
        "acled_longitude_200.csv",
        acled.replace("69.1180", "200", 1).encode(),
        2,
        ["row 1", "column 'longitude'"],
        absent=["column 'latitude'"],
    )
    gtd = (FIXTURES / "gtd_sample.csv").read_bytes()
    add(
        "gtd_year_0001.csv",
        gtd.replace(b"201905120001,2019,", b"201905120001,0001,", 1),
        2,
        ["row 1", "column 'iyear'", "1970"],
        absent=["column 'iday'"],
    )


def empty_and_truncated() -> None:
    add("empty.csv", b"", 2, ["the file is empty"])
    add("whitespace_only.csv", b" \n\r\n\t\n", 2, ["the file is empty"])
    add("header_only.csv", (",".join(HEADER) + "\n").encode(), 2, ["header but no data rows"])
    add("header_only_no_newline.csv", ",".join(HEADER).encode(), 2, ["header but no data rows"])
    add("unknown_format.csv", b"name,colour\nx,red\n", 2, ["match no known format", "--format"])
    add(
        "geojson_truncated.geojson",
        _geojson(two_rows())[:-40],
        2,
        ["not valid JSON", "line", "export it again"],
    )
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [69.1, 34.5]},
        "properties": {"id": "X"},
    }
    add(
        "geojson_single_feature.geojson",
        json.dumps(feature).encode(),
        2,
        ["is a Feature", "FeatureCollection"],
    )
    add("json_top_level_list.json", b"[1, 2, 3]", 2, ["is a list", "FeatureCollection"])
    add(
        "geojson_no_features.geojson",
        b'{"type": "FeatureCollection", "features": []}',
        2,
        ["no features"],
    )
    line = json.loads(_geojson(two_rows()))
    line["features"][0]["geometry"] = {
        "type": "LineString",
        "coordinates": [[71.5249, 34.0151], [71.6, 34.1]],
    }
    add(
        "geojson_linestring.geojson",
        json.dumps(line).encode(),
        2,
        ["row 1", "column 'geometry'", "Point"],
    )


def _geojson(rows: list[dict[str, str]]) -> bytes:
    features = []
    for r in rows:
        props = {k: v for k, v in r.items() if k not in ("latitude", "longitude") and v != ""}
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {
                    "type": "Point",
                    "coordinates": [float(r["longitude"]), float(r["latitude"])],
                },
            }
        )
    return json.dumps(
        {"type": "FeatureCollection", "features": features}, ensure_ascii=True
    ).encode()


def main(folder: Path | None = None) -> Path:
    """Write the corpus into ``folder`` (default tests/hostile/, files in files/); returns
    the manifest's path."""
    global OUT
    root = HERE if folder is None else Path(folder)
    OUT = root / "files"
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    ENTRIES.clear()
    for make in (
        encodings,
        separators_and_lines,
        quoting_and_fields,
        limits,
        binaries,
        payloads,
        invisible_and_junk,
        numbers,
        empty_and_truncated,
    ):
        make()
    names = [e["file"] for e in ENTRIES]
    assert len(names) == len(set(names)), "duplicate corpus file names"
    manifest = {
        "about": "expected result of 'iskp-atlas import FILE' per corpus file; "
        "written by tests/hostile/make_corpus.py",
        "files": ENTRIES,
    }
    target = root / "MANIFEST.json"
    target.write_text(json.dumps(manifest, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    total = sum((OUT / n).stat().st_size for n in names)
    print(f"wrote {len(names)} files ({total / 1e6:.2f} MB) to {OUT}")
    return target


if __name__ == "__main__":
    main()
