"""Text helpers, the output-row builder every dataset importer uses, and row problems."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from geodata.contract import Problem
from geodata.importers.formats import REGISTRY

# --- Small text helpers ----------------------------------------------------------------------


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text with '' for missing values (an absent column gives '')."""
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def dataset_rows(
    code: str,
    prefix: str,
    event_id: pd.Series,
    rows: pd.Series,
    record: Mapping[str, object],
    provenance: Mapping[str, object],
) -> pd.DataFrame:
    """The output frame every dataset importer returns, built one way.

    ``id`` is ``prefix + event_id`` (blank when the source has no id, which validation then
    names); ``record`` holds the product's columns in contract order; ``provenance`` the
    per-row ``source_citation``, ``date_precision``, ``geo_precision_source`` and
    ``target_derivation``. ``source_dataset``, ``source_id`` and ``licence`` come from the
    format's registry entry, ``row`` is the source row number.
    """
    fmt = REGISTRY[code]
    columns: dict[str, object] = {"id": (prefix + event_id).where(event_id != "", "")}
    columns.update(record)
    columns.update(
        {
            "source_dataset": code,
            "source_id": event_id,
            "source_citation": provenance["source_citation"],
            "licence": fmt.licence,
        }
    )
    columns.update({k: v for k, v in provenance.items() if k != "source_citation"})
    columns["row"] = rows
    return pd.DataFrame(columns, index=event_id.index)


def blank_to_none(series: pd.Series) -> pd.Series:
    """'' becomes None (missing) in a text series."""
    return series.where(series != "", None)


def join_nonempty(parts: Iterable[pd.Series], sep: str = "; ") -> pd.Series:
    """Row-wise join of text series, skipping empty values (vectorised)."""
    result: pd.Series | None = None
    for part in parts:
        part = part.fillna("").astype(object)
        if result is None:
            result = part
            continue
        result = result.where(part == "", part.where(result == "", result + sep + part))
    if result is None:
        return pd.Series([], dtype=object)
    return result.astype(object)


def wrapped(before: str, series: pd.Series, after: str = "") -> pd.Series:
    """``before + value + after`` where the value is non-empty, else '' (vectorised)."""
    return (before + series.astype(object) + after).where(series != "", "").astype(object)


def labelled(label: str, series: pd.Series) -> pd.Series:
    """'label: value' where value is non-empty, else ''."""
    return (f"{label}: " + series.astype(object)).where(series != "", "").astype(object)


def row_problems(
    mask: np.ndarray | pd.Series,
    rows: pd.Series,
    ids: pd.Series,
    column: str,
    values: pd.Series,
    hint: str,
) -> list[Problem]:
    """One :class:`Problem` for each True in ``mask``."""
    idx = np.flatnonzero(np.asarray(mask, bool))
    return [Problem(int(rows.iat[i]), ids.iat[i] or None, column, values.iat[i], hint) for i in idx]


def by_unique(keys: list[pd.Series], fn: Callable[..., list]) -> pd.Series:
    """``fn`` applied once per distinct combination of ``keys`` (rows repeat a lot in
    real exports: the same actor names, codes and countries), spread back to every row.

    ``fn`` receives one list per key (the distinct combinations) and returns a list.
    """
    index = keys[0].index
    joined = keys[0].astype(str)
    for k in keys[1:]:
        joined = joined + "\x1f" + k.astype(str)
    codes, _ = pd.factorize(joined)
    first = (
        pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        if len(codes)
        else np.array([], dtype=int)
    )
    uniques = [k.to_numpy()[first].tolist() for k in keys]
    results = fn(*uniques)
    out = np.empty(len(results), dtype=object)
    out[:] = results
    return pd.Series(out[codes] if len(codes) else [], index=index, dtype=object)


def truncated_last_row(frame: pd.DataFrame, ids: pd.Series) -> list[Problem]:
    """A problem for the file's last row when it looks cut short (a truncated download):
    every column from some point on is empty although that column is filled in every
    other row. The rest of the file can still be imported with ``--skip-bad``."""
    if len(frame) < 3:
        return []
    last = frame.iloc[-1].fillna("").astype(str).str.strip().to_numpy()
    filled = np.flatnonzero(last != "")
    start = int(filled[-1]) + 1 if len(filled) else 0
    tail = list(frame.columns[start:])
    if not tail:
        return []
    rest = frame.iloc[:-1][tail].fillna("").astype(str)
    always = [c for c in tail if (rest[c].str.strip() != "").all()]
    if not always:
        return []
    return [
        Problem(
            len(frame),
            ids.iat[-1] or None,
            always[0],
            "",
            f"the last row stops before column '{always[0]}' (filled in every other "
            "row): the file looks truncated — download it again, or pass --skip-bad "
            "to import the complete rows",
        )
    ]
