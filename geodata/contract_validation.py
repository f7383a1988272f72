"""Validating records against the contract: every problem with a file (pandera's failures
and the checks that span two columns) as one :class:`~geodata.contract_terms.Problem` each,
then the columns converted to their types."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.contract_schemas import (
    FLOAT_COLUMNS,
    INTEGER_COLUMNS,
    NOT_A_NUMBER,
    _schema,
    declared_columns,
)
from geodata.contract_terms import DataContractError, Problem, _is_missing, normalise_id
from geodata.numbers import to_numbers, why_not_a_number

# Boxes that contain all of Afghanistan and Pakistan (with a margin) — used to detect
# swapped coordinates, which are otherwise in range for WGS84.
AFPAK_LAT = (23.0, 39.0)
AFPAK_LON = (60.0, 78.0)


def validate_records(raw: pd.DataFrame, kind: str, source: str) -> pd.DataFrame:
    """Check ``raw`` (text columns as read from a file) against the contract for ``kind``.

    Returns a new frame with typed columns (``date`` as datetime64, counts as nullable
    integers, coordinates as floats, missing optional columns added as empty). Raises
    :class:`DataContractError` listing every problem, each with file, row, column, value
    and a hint. ``raw`` is not modified.
    """
    from pandera.errors import SchemaErrors

    schema = _schema(kind)
    frame = raw.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.reset_index(drop=True)
    # Empty strings are missing values, whatever reader produced them.
    frame = frame.apply(_blanks_to_na)
    if "id" in frame.columns:
        # Ids that differ only in invisible characters or Unicode forms are one id.
        frame["id"] = frame["id"].astype(object).map(normalise_id)
        frame["id"] = frame["id"].mask(frame["id"].eq("").fillna(False).astype(bool))
    problems: list[Problem] = []
    if frame.empty:
        problems.append(Problem(None, None, None, None, "the file has no data rows"))
        raise DataContractError(source, problems)
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        problems.extend(_problems_from_pandera(exc.failure_cases, frame))
    problems.extend(_cross_column_problems(frame, kind))
    if problems:
        problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.column or ""))
        raise DataContractError(source, problems)
    return _typed(frame, kind)


def _blanks_to_na(series: pd.Series) -> pd.Series:
    """Text column stripped, with empty or whitespace-only cells as missing (NaN).

    Stripping before validation means " INC-001" and "INC-001" are the same id to the
    uniqueness check, as they are after loading."""
    if not (series.dtype == object or pd.api.types.is_string_dtype(series)):
        return series
    text = series.astype("string").str.strip()
    blank = text.eq("").fillna(False).astype(bool).to_numpy()
    return text.astype(object).mask(blank | text.isna().to_numpy(), np.nan)


def _record_id(frame: pd.DataFrame, index: int) -> str | None:
    if "id" in frame.columns and 0 <= index < len(frame):
        v = frame.at[index, "id"]
        return None if _is_missing(v) else str(v)
    return None


def _problems_from_pandera(cases: pd.DataFrame, frame: pd.DataFrame) -> list[Problem]:
    out: list[Problem] = []
    for case in cases.itertuples(index=False):
        check = str(case.check)
        column = None if _is_missing(case.column) else str(case.column)
        index = None if _is_missing(case.index) else int(case.index)
        if check == "column_in_dataframe":
            missing = str(case.failure_case)
            out.append(Problem(None, None, missing, None, f"add the required column '{missing}'"))
            continue
        if check == "not_nullable":
            hint = f"fill in '{column}' (it is required)"
        elif check in ("field_uniqueness", "multiple_fields_uniqueness") or "unique" in check:
            column = column or "id"
            hint = (
                "ids must be unique within a file (ids that differ only in invisible "
                "characters count as the same); give this record its own id"
            )
        elif check.startswith(f"{NOT_A_NUMBER}: "):
            hint = (
                f"{why_not_a_number(str(case.failure_case))}; "
                f"{check.removeprefix(NOT_A_NUMBER + ': ')}"
            )
        else:
            hint = check
        row = None if index is None else index + 1
        out.append(
            Problem(
                row,
                _record_id(frame, index) if index is not None else None,
                column,
                case.failure_case,
                hint,
            )
        )
    return out


def _as_float(series: pd.Series) -> pd.Series:
    return to_numbers(series)


NUL_HINT = (
    "the text holds a NUL character (\\x00), which is never part of real text — "
    "remove it (the file may be damaged: export it again)"
)


def _cross_column_problems(frame: pd.DataFrame, kind: str) -> list[Problem]:
    out: list[Problem] = []
    cols = set(frame.columns)
    for name in frame.columns:
        values = frame[name]
        if values.dtype != object and not pd.api.types.is_string_dtype(values):
            continue
        nul = values.astype("string").str.contains("\x00", regex=False).fillna(False)
        for i in np.flatnonzero(nul.to_numpy(dtype=bool)):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    name,
                    str(values.iat[i]).replace("\x00", "\\x00"),
                    NUL_HINT,
                )
            )
    if {"latitude", "longitude"} <= cols:
        lat, lon = _as_float(frame["latitude"]), _as_float(frame["longitude"])
        lat_given, lon_given = frame["latitude"].notna(), frame["longitude"].notna()
        # A value given but not a number (or out of range) is reported by its own check.
        lat_bad = (lat_given & ~lat.between(-90, 90)).to_numpy()
        lon_bad = (lon_given & ~lon.between(-180, 180)).to_numpy()
        half = (lat_given != lon_given).to_numpy()
        for i in np.flatnonzero(half):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "longitude" if lat_given.iat[i] else "latitude",
                    None,
                    "give both latitude and longitude, or neither",
                )
            )
        usable = ~half & ~lat_bad & ~lon_bad & lat.notna().to_numpy()
        null_island = usable & (lat == 0).to_numpy() & (lon == 0).to_numpy()
        for i in np.flatnonzero(null_island):
            where = frame.at[i, "country"] if "country" in cols else None
            named = f", not {where}" if isinstance(where, str) else ""
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "latitude",
                    "0, 0",
                    f"latitude 0, longitude 0 is open sea (no country{named}) and usually means "
                    "the place was unknown: "
                    "give the real coordinates, or leave both blank where the record kind "
                    "allows it",
                )
            )
        usable &= ~null_island
        if "country" in cols:
            afpak = frame["country"].isin(["AFG", "PAK"]).to_numpy() & usable
            inside = (lat.between(*AFPAK_LAT) & lon.between(*AFPAK_LON)).to_numpy()
            swapped = afpak & (lon.between(*AFPAK_LAT) & lat.between(*AFPAK_LON)).to_numpy()
            outside = afpak & ~inside & ~swapped
            for i in np.flatnonzero(swapped):
                out.append(
                    Problem(
                        i + 1,
                        _record_id(frame, i),
                        "latitude",
                        frame.at[i, "latitude"],
                        f"latitude and longitude look swapped for {frame.at[i, 'country']} "
                        f"(latitude {lat.iat[i]}, longitude {lon.iat[i]}); put the north-south "
                        "value in 'latitude' and the east-west value in 'longitude'",
                    )
                )
            lat_in = lat.between(*AFPAK_LAT).to_numpy()
            for i in np.flatnonzero(outside):
                out.append(
                    Problem(
                        i + 1,
                        _record_id(frame, i),
                        "longitude" if lat_in[i] else "latitude",
                        f"{lat.iat[i]}, {lon.iat[i]}",
                        f"the point lies outside {frame.at[i, 'country']} (lat {AFPAK_LAT}, lon "
                        f"{AFPAK_LON}); check the coordinates or the country code",
                    )
                )
    if kind == "incidents" and {"fatalities_low", "fatalities", "fatalities_high"} <= cols:
        lo = _as_float(frame["fatalities_low"])
        best = _as_float(frame["fatalities"])
        hi = _as_float(frame["fatalities_high"])
        bad = (lo > best) | (best > hi)
        for i in np.flatnonzero(bad.fillna(False).to_numpy()):
            out.append(
                Problem(
                    i + 1,
                    _record_id(frame, i),
                    "fatalities",
                    f"low {lo.iat[i]:g}, best {best.iat[i]:g}, high {hi.iat[i]:g}",
                    "fatalities must lie between fatalities_low and fatalities_high",
                )
            )
    return out


def _typed(frame: pd.DataFrame, kind: str) -> pd.DataFrame:
    out = frame.copy()
    for name in declared_columns(kind):
        if name not in out.columns:
            out[name] = pd.NA
    for name in FLOAT_COLUMNS:
        out[name] = to_numbers(out[name]).astype("float64")
    for name in INTEGER_COLUMNS[kind]:
        out[name] = to_numbers(out[name]).round().astype("Int64")
    if "date" in out.columns:
        out["date"] = pd.to_datetime(out["date"], format="%Y-%m-%d")
    for name in out.columns:
        if name in FLOAT_COLUMNS or name in INTEGER_COLUMNS[kind] or name == "date":
            continue
        values = out[name].astype(object)
        present = values.notna()
        cleaned = pd.Series(None, index=out.index, dtype=object)
        cleaned[present] = values[present].astype(str).str.strip().astype(object)
        out[name] = cleaned
    return out
