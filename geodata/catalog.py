"""The one loader: the data every view of the atlas shows.

The app, every CLI command and the exports read the current data through
:func:`load_current`, so they give the same numbers:

- the bundled, curated records (:func:`geodata.bundle.load_bundle`),
- plus the records imported into the store (:func:`geodata.store.load_bundle_with_store`):
  the team store at ``database_url`` (the CLI's ``--database-url``, else
  ``$ISKP_ATLAS_DATABASE_URL`` unless a folder is given), else the folder given by ``home``
  (the CLI's ``--home``), else ``$ISKP_ATLAS_HOME``, else the user data folder,
- plus an optional extra incidents file in the product's CSV format (``extra``, else
  ``$ISKP_ATLAS_EXTRA_INCIDENTS``), e.g. from ``iskp-atlas synth``,
- with the analysts' overrides in force today applied last
  (:func:`geodata.overrides.apply_overrides`: record confidence and attribution, area
  bands), so every view shows them and the computed values beside them.

Environment variables are read here, once per call, and nowhere deeper for these choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from geodata import settings
from geodata.bundle import Bundle
from geodata.settings import EXTRA_INCIDENTS_ENV as EXTRA_INCIDENTS_ENV


@dataclass(frozen=True)
class DataSource:
    """Where the current data comes from: the store folder (or the team store's URL,
    which takes its place) and an optional extra file."""

    home: Path | None
    extra: Path | None
    database_url: str | None = field(default=None, repr=False)  # repr: no password

    @classmethod
    def from_env(
        cls,
        home: Path | str | None = None,
        extra: Path | str | None = None,
        database_url: str | None = None,
    ) -> DataSource:
        """``home``/``extra``/``database_url`` as given, else from the environment (None =
        the defaults); a given ``home`` wins over ``$ISKP_ATLAS_DATABASE_URL``."""
        from geodata.store_pg import is_database_url

        if is_database_url(home):  # a team store given where a folder goes
            database_url, home = str(home), None
        if not database_url and home in (None, ""):
            database_url = settings.current().database_url or None
        home = home if home not in (None, "") else (settings.current().home or None)
        extra = extra if extra not in (None, "") else (settings.current().extra_incidents or None)
        return cls(
            Path(home).expanduser() if home else None,
            Path(extra).expanduser() if extra else None,
            database_url or None,
        )

    @property
    def store(self) -> Path | str | None:
        """What the store functions take: the team store's URL, else the folder."""
        return self.database_url or self.home

    def signature(self) -> tuple[str, str | None]:
        """What the loaded data depends on: the store's state and today's date (an
        analyst's override ends by itself at the end of its expiry day) and the extra file
        (its path, size and modification time), so an import, a rollback, an override or
        an edited file shows."""
        from geodata.overrides import today_utc
        from geodata.store import store_signature

        extra = None
        if self.extra is not None:
            try:
                st = self.extra.stat()
                extra = f"{self.extra.resolve()}|{st.st_size}|{st.st_mtime_ns}"
            except OSError:
                extra = str(self.extra)
        return f"{store_signature(self.store)}|{today_utc().isoformat()}", extra


def load_source(source: DataSource, today: date | None = None, filters: object = None) -> Bundle:
    """The bundle + store + extra file of ``source``, with the store's overrides in force
    on ``today`` (default: today, UTC) applied.

    ``filters`` (a :class:`riskmodel.filters.Filters`, optional): on a team store only the
    stored records the database selects for its date range and area of interest are read
    (:mod:`geodata.store_query`) — a superset of what the filter keeps (overrides change
    neither dates nor places), so applying the filter to the result gives the same records
    and scores as applying it to everything. Use the result with that filter only. On
    SQLite every record is read, as without ``filters``.
    """
    from geodata.bundle import load_geography, load_records
    from geodata.overrides import load_with_overrides
    from geodata.store import load_bundle_with_store
    from geodata.store_query import StoreQuery

    query = StoreQuery.from_filters(filters) if source.database_url else None
    bundle = load_bundle_with_store(source.store, query)
    if source.extra is not None:
        if not source.extra.is_file():
            raise FileNotFoundError(
                f"extra incidents file {source.extra} does not exist — fix "
                f"{EXTRA_INCIDENTS_ENV} or remove it"
            )
        bundle = bundle.with_records(
            incidents=load_records(source.extra, "incidents", load_geography())
        )
    return load_with_overrides(bundle, source.store, today)


def load_current(
    home: Path | str | None = None,
    extra: Path | str | None = None,
    database_url: str | None = None,
    today: date | None = None,
    filters: object = None,
) -> Bundle:
    """The current data: bundled + imported (+ extra) records, with the overrides in force
    on ``today``. See the module docstring; ``filters``: see :func:`load_source`."""
    return load_source(DataSource.from_env(home, extra, database_url), today, filters)
