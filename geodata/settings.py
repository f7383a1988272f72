"""The atlas's settings from its environment, read in one place.

Every environment variable the product reads is named here, with what it sets; the
modules that need one ask :func:`current` (one read of ``os.environ`` per call, so a test
or a front end that changes a variable is seen at once) instead of reading the
environment themselves. The values are kept as the user wrote them (stripped); the module
that uses one checks it and words the error (a lock wait that is not a number, a size
limit that is not positive).

| variable | setting | read by (``geodata.``) |
|---|---|---|
| ``ISKP_ATLAS_HOME`` | the folder of the analyst's store | store, catalog |
| ``ISKP_ATLAS_DATABASE_URL`` | a team store (PostgreSQL/PostGIS) instead | store, catalog |
| ``ISKP_ATLAS_CACHE_DIR`` | the folder of the on-disk caches | bundle |
| ``ISKP_ATLAS_NO_CACHE`` | any value: no on-disk cache | bundle |
| ``ISKP_ATLAS_EXTRA_INCIDENTS`` | an atlas CSV read beside the store | :mod:`geodata.catalog` |
| ``ISKP_ATLAS_MAX_IMPORT_MB`` | the import size limit | importers.reading |
| ``ISKP_ATLAS_LOCK_WAIT_S`` | how long a writer waits for the store | store |
| ``ISKP_ATLAS_TEST_PAUSE_AT_ROW`` | tests only: pause inside an import | store |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields

HOME_ENV = "ISKP_ATLAS_HOME"
URL_ENV = "ISKP_ATLAS_DATABASE_URL"
CACHE_DIR_ENV = "ISKP_ATLAS_CACHE_DIR"
NO_CACHE_ENV = "ISKP_ATLAS_NO_CACHE"
EXTRA_INCIDENTS_ENV = "ISKP_ATLAS_EXTRA_INCIDENTS"
MAX_MB_ENV = "ISKP_ATLAS_MAX_IMPORT_MB"
LOCK_WAIT_ENV = "ISKP_ATLAS_LOCK_WAIT_S"
PAUSE_ENV = "ISKP_ATLAS_TEST_PAUSE_AT_ROW"


@dataclass(frozen=True)
class Settings:
    """The settings as written in the environment ('' = not set)."""

    home: str = ""
    database_url: str = ""
    cache_dir: str = ""
    no_cache: str = ""
    extra_incidents: str = ""
    max_import_mb: str = ""
    lock_wait_s: str = ""
    test_pause_at_row: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: this process's environment)."""
        env = os.environ if environ is None else environ
        return cls(**{f.name: env.get(VARIABLES[f.name], "").strip() for f in fields(cls)})


VARIABLES: dict[str, str] = {
    "home": HOME_ENV,
    "database_url": URL_ENV,
    "cache_dir": CACHE_DIR_ENV,
    "no_cache": NO_CACHE_ENV,
    "extra_incidents": EXTRA_INCIDENTS_ENV,
    "max_import_mb": MAX_MB_ENV,
    "lock_wait_s": LOCK_WAIT_ENV,
    "test_pause_at_row": PAUSE_ENV,
}
"""Setting -> the environment variable that sets it."""


def current() -> Settings:
    """The settings now (the environment is read on each call)."""
    return Settings.from_env()
