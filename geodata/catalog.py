"""The one loader: the data every view of the atlas shows.

The app, every CLI command and the exports read the current data through
:func:`load_current`, so they give the same numbers:

- the bundled, curated records (:func:`geodata.bundle.load_bundle`),
- plus the records imported into the store (:func:`geodata.store.load_bundle_with_store`),
  in the folder given by ``home`` (the CLI's ``--home``), else ``$ISKP_ATLAS_HOME``, else
  the user data folder,
- plus an optional extra incidents file in the product's CSV format (``extra``, else
  ``$ISKP_ATLAS_EXTRA_INCIDENTS``), e.g. from ``iskp-atlas synth``.

Environment variables are read here, once per call, and nowhere deeper for these choices.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from geodata.bundle import Bundle

EXTRA_INCIDENTS_ENV = "ISKP_ATLAS_EXTRA_INCIDENTS"


@dataclass(frozen=True)
class DataSource:
    """Where the current data comes from: the store folder and an optional extra file."""

    home: Path | None
    extra: Path | None

    @classmethod
    def from_env(cls, home: Path | str | None = None,
                 extra: Path | str | None = None) -> DataSource:
        """``home``/``extra`` as given, else from the environment (None = the defaults)."""
        from geodata.store import HOME_ENV

        home = home if home not in (None, "") else (os.environ.get(HOME_ENV, "").strip() or None)
        extra = extra if extra not in (None, "") else \
            (os.environ.get(EXTRA_INCIDENTS_ENV, "").strip() or None)
        return cls(Path(home).expanduser() if home else None,
                   Path(extra).expanduser() if extra else None)

    def signature(self) -> tuple[str, str | None]:
        """What the loaded data depends on: the store's state and the extra file (its path,
        size and modification time), so an import, a rollback or an edited file shows."""
        from geodata.store import store_signature

        extra = None
        if self.extra is not None:
            try:
                st = self.extra.stat()
                extra = f"{self.extra.resolve()}|{st.st_size}|{st.st_mtime_ns}"
            except OSError:
                extra = str(self.extra)
        return store_signature(self.home), extra


def load_source(source: DataSource) -> Bundle:
    """The bundle + store + extra file of ``source``."""
    from geodata.bundle import load_geography, load_records
    from geodata.store import load_bundle_with_store

    bundle = load_bundle_with_store(source.home)
    if source.extra is not None:
        if not source.extra.is_file():
            raise FileNotFoundError(
                f"extra incidents file {source.extra} does not exist — fix "
                f"{EXTRA_INCIDENTS_ENV} or remove it")
        bundle = bundle.with_records(
            incidents=load_records(source.extra, "incidents", load_geography()))
    return bundle


def load_current(home: Path | str | None = None, extra: Path | str | None = None) -> Bundle:
    """The current data: bundled + imported (+ extra) records. See the module docstring."""
    return load_source(DataSource.from_env(home, extra))
