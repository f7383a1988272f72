"""The on-disk caches: their folder and switch, atomic pickle files that are rebuilt rather
than trusted when unreadable, and the source files a cache key hashes."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
"""The ``geodata`` package folder (what :func:`code_files` patterns are relative to)."""


def cache_dir() -> Path:
    """The folder of the on-disk caches (``ISKP_ATLAS_CACHE_DIR`` or the user cache)."""
    from geodata import settings

    base = settings.current().cache_dir
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("iskp-atlas")
    return Path(base)


def cache_disabled() -> bool:
    """True when ``ISKP_ATLAS_NO_CACHE`` is set."""
    from geodata import settings

    return bool(settings.current().no_cache)


def code_files(*patterns: str) -> list[Path]:
    """The source files matching ``patterns`` (globs relative to the ``geodata`` folder,
    e.g. ``"contract*.py"`` or ``"importers/**/*.py"``), once each, in name order: a module
    added beside the others is covered without naming it."""
    found = {p for pattern in patterns for p in PACKAGE.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.relative_to(PACKAGE).as_posix())


def hash_code(digest: hashlib._Hash, *patterns: str) -> None:
    """Feed every :func:`code_files` file of ``patterns`` (its name, then its bytes) into
    ``digest``."""
    for path in code_files(*patterns):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())


def read_pickle(path: Path, kind: type) -> object | None:
    """The object pickled at ``path`` if it is a ``kind``; None when the file is missing,
    unreadable or holds something else (a cache is rebuilt, never trusted blindly)."""
    try:
        with path.open("rb") as handle:
            cached = pickle.load(handle)
    except (
        OSError,
        EOFError,
        pickle.UnpicklingError,
        AttributeError,
        ImportError,
        TypeError,
        ValueError,
    ):
        return None
    return cached if isinstance(cached, kind) else None


def write_pickle(path: Path, obj: object) -> None:
    """Pickle ``obj`` to ``path`` atomically (readers see the old file or the new one); a
    folder that cannot be written is skipped, and no temporary file is left behind."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(obj, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        return  # a read-only home is fine: the data is simply built each time
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
