"""The team store's engine (PostgreSQL with PostGIS) lives in :mod:`geodata.store.pg`; this
old name is the same module object (so ``geodata.store_pg.X`` and ``geodata.store.pg.X``
are one name, also for a test that patches it)."""

import sys

from geodata.store import pg

sys.modules[__name__] = pg
