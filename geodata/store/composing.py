"""The bundle with the store's records added, and its on-disk cache per store state."""

from __future__ import annotations

import dataclasses
import hashlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata import prepared, store_query
from geodata.bundle import Bundle, load_bundle
from geodata.importers.common import BUNDLED_DATASET, PROVENANCE_COLUMNS
from geodata.store.batches import _merged_rows, _stored_index
from geodata.store.connection import _reading, _snapshot, store_signature, store_target
from geodata.store.loading import _merged_info, annotate_merges, load_imported
from geodata.store_query import StoreQuery


def _bundled_with_provenance(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    defaults = {
        "source_dataset": BUNDLED_DATASET,
        "licence": "atlas-reference",
        "date_precision": "day",
        "geo_precision_source": "as given",
        "target_derivation": "curated",
    }
    for col in PROVENANCE_COLUMNS:
        if col not in out.columns:
            out[col] = defaults.get(col)
    out["source_id"] = out["source_id"].fillna(out["id"])
    out["import_batch"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if out["source_citation"].isna().all():
        out["source_citation"] = out.get("source_1_title")
    return out


def load_bundle_with_store(
    home: Path | str | None = None, query: StoreQuery | None = None
) -> Bundle:
    """The bundle with the imported records added (every layer, score and export sees them).

    Bundled records carry the same provenance columns (``source_dataset`` =
    ``atlas-reference``) and show the imported records merged into them.

    The result is cached on disk per store state (:func:`store_signature`), bundled data
    and code (see :func:`geodata.bundle.cache_key`): validating and joining 100,000 stored
    records takes seconds, so it is done once per import, not at every start.

    ``query`` (team store only; ignored on SQLite): only the stored records the database
    selects for it (:mod:`geodata.store_query`: a superset of the filter's records, so the
    filter applied afterwards gives the same rows as on everything); not cached on disk.
    """
    if query is not None and store_target(home).url:
        with _snapshot(home):
            return _build_bundle_in_snapshot(home, query)
    from geodata.bundle import (
        cache_dir,
        cache_disabled,
        cache_key,
        read_cached_bundle,
        write_cached_bundle,
    )

    signature = store_signature(home)
    if signature == "no-store" or cache_disabled():
        return _build_bundle_with_store(home)
    digest = hashlib.sha256(
        "|".join(
            (
                cache_key(),
                _cache_label(home),
                signature,
                _code_key(),
            )
        ).encode()
    ).hexdigest()[:24]
    path = cache_dir() / f"store-{digest}.pickle"
    cached = read_cached_bundle(path)
    if cached is not None:
        return cached
    bundle = _build_bundle_with_store(home)
    write_cached_bundle(path, bundle)
    return bundle


@lru_cache(maxsize=1)
def _code_key() -> str:
    """Hash of the code that builds the bundle with the store: every module of this package
    and what :func:`geodata.prepared.code_key` covers (the importers' pipeline among it)."""
    digest = hashlib.sha256(prepared.code_key().encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_label(home: Path | str | None) -> str:
    target = store_target(home)
    return target.label if target.url else str(target.path.resolve())


def _build_bundle_with_store(home: Path | str | None) -> Bundle:
    with _snapshot(home):
        return _build_bundle_in_snapshot(home)


def _build_bundle_in_snapshot(home: Path | str | None, query: StoreQuery | None = None) -> Bundle:
    bundle = load_bundle()
    if query is None:
        rows = _stored_index(home)
    else:
        with _reading(home) as con:
            rows = None if con is None else store_query.selected_index(con, query)
    hidden = None
    if rows is not None and rows["merged_into"].notna().any():
        hidden = _merged_rows(home)
    imported = load_imported(home, bundle.geography, rows, hidden, partial=query is not None)
    merges: dict[str, pd.DataFrame] = {}
    if hidden is not None and len(hidden):
        # merged into a bundled record: the record it points at is not a stored one
        stored = set(
            zip(
                rows["kind"].to_numpy(dtype=object).tolist(),
                rows["id"].to_numpy(dtype=object).tolist(),
                strict=True,
            )
        )
        into_bundle = np.array(
            [
                (k, m) not in stored
                for k, m in zip(
                    hidden["kind"].tolist(), hidden["merged_into"].tolist(), strict=True
                )
            ],
            dtype=bool,
        )
        merges = _merged_info(hidden[into_bundle])
    updates: dict[str, gpd.GeoDataFrame] = {}
    for kind in ("incidents", "threats", "sites"):
        base = annotate_merges(_bundled_with_provenance(getattr(bundle, kind)), merges.get(kind))
        updates[kind] = base
    combined = dataclasses.replace(bundle, **updates)
    return combined.with_records(**imported) if imported else combined
