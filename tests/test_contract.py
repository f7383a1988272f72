"""The data contract rejects broken records with a message naming row, column and fix."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geodata import DataContractError, data_path, read_record_csv, validate_records
from geodata.contract import required_columns


def _bundled(kind_file: str) -> pd.DataFrame:
    return read_record_csv(data_path(kind_file))


def test_every_bundled_record_has_a_source_url(bundle):
    for layer in ("incidents", "threats", "sites"):
        urls = getattr(bundle, layer)["source_1_url"]
        assert urls.str.match(r"^https?://").all(), layer


def _broken(mutate) -> pd.DataFrame:
    frame = _bundled("incidents.csv").head(6).copy()
    return mutate(frame) if mutate.__name__ == "drop_column" else (mutate(frame) or frame)


def drop_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["attribution"])


@pytest.mark.parametrize(
    ("mutate", "row", "column", "fix"),
    [
        (drop_column, None, "attribution", "add the required column"),
        (
            lambda f: f.__setitem__("date", f["date"].where(f.index != 2, "2022-13-40")),
            3,
            "date",
            "YYYY-MM-DD",
        ),
        (
            lambda f: f.__setitem__("date", f["date"].where(f.index != 1, "12/03/2022")),
            2,
            "date",
            "YYYY-MM-DD",
        ),
        (
            lambda f: f.__setitem__("attribution", f["attribution"].where(f.index != 4, "rumour")),
            5,
            "attribution",
            "claimed, attributed, suspected, unclaimed",
        ),
        (
            lambda f: f.__setitem__("fatalities", f["fatalities"].where(f.index != 0, "many")),
            1,
            "fatalities",
            "whole numbers",
        ),
        (
            lambda f: f.__setitem__("source_1_url", f["source_1_url"].where(f.index != 3, "")),
            4,
            "source_1_url",
            None,
        ),
        (
            lambda f: f.__setitem__(
                "target_category", f["target_category"].where(f.index != 2, "chinese;cpec")
            ),
            3,
            "target_category",
            "chinese_nationals",
        ),
        (
            lambda f: f.__setitem__("id", f["id"].where(f.index != 5, f["id"].iloc[0])),
            6,
            "id",
            "unique",
        ),
    ],
    ids=[
        "missing-column",
        "bad-date",
        "non-iso-date",
        "unknown-attribution",
        "non-numeric",
        "missing-url",
        "unknown-target",
        "duplicate-id",
    ],
)
def test_contract_rejects_with_row_and_column(mutate, row, column, fix):
    frame = _broken(mutate)
    with pytest.raises(DataContractError) as info:
        validate_records(frame, "incidents", "fixture.csv")
    message = str(info.value)
    assert message.startswith("fixture.csv")
    assert f"column '{column}'" in message
    if row is not None:
        assert f"row {row} " in message
    if fix:
        assert fix in message


def test_swapped_coordinates_are_detected():
    frame = _bundled("incidents.csv").head(3).copy()
    kabul = frame.index[frame["country"] == "AFG"][0] if (frame["country"] == "AFG").any() else 0
    frame.loc[kabul, ["latitude", "longitude"]] = (
        frame.loc[kabul, "longitude"],
        frame.loc[kabul, "latitude"],
    )
    with pytest.raises(DataContractError) as info:
        validate_records(frame, "incidents", "swap.csv")
    assert f"row {kabul + 1} " in str(info.value)
    assert "swapped" in str(info.value)


def test_casualty_range_must_hold():
    frame = _bundled("incidents.csv").head(2).copy()
    frame.loc[0, ["fatalities_low", "fatalities", "fatalities_high"]] = ("5", "2", "9")
    with pytest.raises(DataContractError, match="between fatalities_low and fatalities_high"):
        validate_records(frame, "incidents", "range.csv")


def test_every_problem_is_listed_and_input_untouched():
    frame = _bundled("incidents.csv").head(4).copy()
    frame.loc[0, "date"] = "yesterday"
    frame.loc[3, "confidence"] = "certain"
    before = frame.copy()
    with pytest.raises(DataContractError) as info:
        validate_records(frame, "incidents", "two.csv")
    assert {(p.row, p.column) for p in info.value.problems} == {(1, "date"), (4, "confidence")}
    pd.testing.assert_frame_equal(frame, before)


def test_threat_without_coordinates_is_valid_but_half_a_coordinate_is_not():
    threats = _bundled("threats.csv")
    assert validate_records(threats, "threats", "threats.csv")["latitude"].isna().sum() == 17
    broken = threats.copy()
    i = broken.index[broken["latitude"] == ""][0]
    broken.loc[i, "latitude"] = "34.5"
    with pytest.raises(DataContractError, match="give both latitude and longitude"):
        validate_records(broken, "threats", "threats.csv")


def test_empty_and_header_only_files_are_rejected():
    header = ",".join(required_columns("incidents")) + "\n"
    frame = pd.read_csv(io.StringIO(header), dtype=str)
    with pytest.raises(DataContractError, match="no data rows"):
        validate_records(frame, "incidents", "empty.csv")
