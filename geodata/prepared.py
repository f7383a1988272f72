"""Prepared batches: each import batch's records as validated, joined GeoDataFrames, kept
beside the store so loading the store does not validate and join them again.

An import has already validated its rows against the data contract and joined them to the
geography (:attr:`geodata.importers.pipeline.ImportPlan.enriched`); before this module the
store threw that away and loading did it all again (12.6 s for 100,000 records). Now the
import keeps it, one file per batch under ``<home>/prepared/``, and
:func:`geodata.store.load_imported` reads it back (the rows of a batch never change after
it is written: a correction is a row of the correcting batch).

Derived data only: a missing, unreadable or outdated file is rebuilt from the stored text
rows. The file name carries the batch's id, its file hash and import time and a hash of the
code and libraries that produce the frame, so a rolled-back batch whose id is reused, or
an upgrade of the atlas, never reads a stale frame.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import geopandas as gpd

FOLDER = "prepared"
_CODE = ("prepared.py", "importers/**/*.py")
"""Beside what :func:`geodata.bundle.cache_key` covers (the bundle's code and the contract):
this module and every importer module, the planning code that turns rows into the frame
(a module added to ``importers/`` is covered without being named here)."""


@lru_cache(maxsize=1)
def code_key() -> str:
    """Hash of the code and library versions that turn stored rows into the frame."""
    from geodata.bundle import cache_key
    from geodata.diskcache import hash_code

    digest = hashlib.sha256(cache_key().encode())
    hash_code(digest, *_CODE)
    return digest.hexdigest()[:16]


def path_for(home: Path, batch_id: int, sha256: str, imported_at: str) -> Path:
    """Where batch ``batch_id``'s prepared frame lives."""
    key = hashlib.sha256(f"{sha256}|{imported_at}|{code_key()}".encode()).hexdigest()[:16]
    return home / FOLDER / f"batch-{int(batch_id)}-{key}.pickle"


def save(path: Path, frame: gpd.GeoDataFrame) -> None:
    """Write ``frame`` atomically; a folder that cannot be written is skipped (the frame
    is then rebuilt when loading)."""
    from geodata.bundle import write_pickle

    write_pickle(path, frame)


def load(path: Path) -> gpd.GeoDataFrame | None:
    """The frame at ``path``, or None when it is missing or unreadable."""
    from geodata.bundle import read_pickle

    return read_pickle(path, gpd.GeoDataFrame)


def drop_batch(home: Path, batch_id: int) -> None:
    """Remove every prepared file of batch ``batch_id`` (after a rollback)."""
    folder = home / FOLDER
    if not folder.is_dir():
        return
    for path in folder.glob(f"batch-{int(batch_id)}-*.pickle"):
        path.unlink(missing_ok=True)
