"""The incident rows of a dataset importer, built one way from its column map."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import pandas as pd

from geodata.importers.common.dates import iso
from geodata.importers.common.rows import blank_to_none, dataset_rows, text
from geodata.importers.common.targets import confidence_for
from geodata.importers.formats import REGISTRY

RECORD_ORDER: tuple[str, ...] = (
    "date",
    "country",
    "province",
    "district",
    "place",
    "latitude",
    "longitude",
    "geo_precision",
    "actor",
    "attribution",
    "attack_type",
    "target_category",
    "target_detail",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
    "injured",
    "summary",
    "source_1_title",
    "source_1_url",
    "source_2_title",
    "confidence",
    "notes",
)
"""The product's incident columns in the order the importers write them (after ``id``)."""


@lru_cache(maxsize=1)
def _nullable() -> frozenset[str]:
    from geodata.contract import schemas

    return frozenset(n for n, c in schemas()["incidents"].columns.items() if c.nullable)


def mapped_rows(
    code: str,
    prefix: str,
    src: pd.DataFrame,
    column_map: Mapping[str, str],
    event_id: pd.Series,
    rows: pd.Series,
    *,
    dates: pd.Series,
    date_precision: pd.Series,
    country: pd.Series,
    geo: tuple[pd.Series, pd.Series],
    attribution: pd.Series,
    targets: tuple[pd.Series, pd.Series],
    citation: pd.Series,
    record: Mapping[str, object],
    source_url: pd.Series | None = None,
    low_confidence: pd.Series | None = None,
) -> pd.DataFrame:
    """A dataset importer's output frame (:func:`dataset_rows`) from what it derived.

    Every product column of ``column_map`` that neither ``record`` nor the arguments give is
    copied from the file's column of that name (text; blank as missing where the contract
    lets the column be empty). ``geo`` is the geo precision and the dataset's own code it
    came from (``geo_precision_source`` names the file's column); ``targets`` the categories
    and their derivation (:func:`merge_targets`); ``citation`` follows the dataset's title in
    ``source_citation``. ``source_1_url`` is ``source_url`` where one was found, else the
    dataset's citation URL; confidence is :func:`confidence_for`, ``low`` where
    ``low_confidence``.
    """
    title, dataset_url = REGISTRY[code].citation
    geo_precision, geo_code = geo
    category, derivation = targets
    confidence = confidence_for(geo_precision, date_precision, attribution)
    given: dict[str, object] = {
        "date": iso(dates),
        "country": country,
        "geo_precision": geo_precision,
        "attribution": attribution,
        "target_category": category,
        "source_1_url": dataset_url
        if source_url is None
        else source_url.where(source_url != "", dataset_url),
        "confidence": confidence
        if low_confidence is None
        else confidence.where(~low_confidence, "low"),
        **record,
    }
    for name, column in column_map.items():
        if name != "id" and name not in given:
            copied = text(src, column)
            given[name] = blank_to_none(copied) if name in _nullable() else copied
    return dataset_rows(
        code,
        prefix,
        event_id,
        rows,
        {**{name: given[name] for name in RECORD_ORDER if name in given}, **given},
        {
            "source_citation": f"{title}, " + citation,
            "date_precision": date_precision,
            "geo_precision_source": f"{code} {column_map['geo_precision']}=" + geo_code,
            "target_derivation": derivation,
        },
    )
