"""The local store of imported records: one SQLite file under ``ISKP_ATLAS_HOME``.

- Home: ``$ISKP_ATLAS_HOME``, else the platform's user data folder
  (``platformdirs.user_data_dir("iskp-atlas")``); the file is ``store.sqlite``.
- One transaction per import batch (``BEGIN IMMEDIATE`` … ``COMMIT``): a batch goes in
  whole or not at all. Reading, mapping, validation and the joins happen *before* the
  transaction opens (inside it: the re-check against the store, below, and the writes);
  the connection runs with
  ``cache_spill = OFF`` so no page reaches the database file before ``COMMIT``, and
  SQLite's rollback journal undoes a commit cut short. A process killed half-way leaves
  the database file byte-identical.
- Rows are stored as the normalised text (the product's columns + provenance, values as
  given, one Arrow stream per batch), beside the keys de-duplication needs. The import
  keeps its validated, joined frame of each batch beside the store
  (:mod:`geodata.prepared`); loading reads it, or validates and joins the stored text again
  when it is missing or outdated (:func:`load_imported`).
- The write transaction (``BEGIN IMMEDIATE``) checks the plan against the store again
  (:func:`geodata.importers.pipeline.settle`): rows another import stored meanwhile are
  already present or corrections, and de-duplication runs against them, so two imports at
  once (or a Data-page preview committed after another import) store one event once.
- A row whose identity ``(source_dataset, source_id)`` is stored with other content
  *updates* the record: the previous version is kept in ``record_versions`` keyed by the
  updating batch, and rolling that batch back restores it.
- :func:`rollback` removes a batch; records of later batches that had been merged into
  its records become records of their own again.
- :func:`unmerge` ("import as new") makes a merged record a record of its own and keeps
  the pair in ``unmerged``, so a later import does not merge it again.
- Schema: ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`. An older store is migrated in
  place, in one transaction, the first time it is opened; a newer one is refused.
- Two engines, one interface: every function takes ``home``, a store folder (the SQLite
  file above) or a ``postgresql://`` URL (the team store on PostgreSQL/PostGIS,
  :mod:`geodata.store_pg`); ``home=None`` is ``$ISKP_ATLAS_DATABASE_URL`` when it is set,
  else the default folder. The same statements, transactions and checks run on both; on
  PostgreSQL writers serialise on an advisory lock instead of ``BEGIN IMMEDIATE``, an
  older schema is refused with the command that migrates it (``iskp-atlas store
  migrate``), and prepared batches are kept in the local cache folder.

The package, one module per responsibility (this module re-exports what callers use):

- :mod:`~geodata.store.schema`: the schema version, column lists and table statements of
  both engines; :mod:`~geodata.store.migrations`: creating, checking and migrating them;
- :mod:`~geodata.store.pg`: the PostgreSQL engine (also importable as :mod:`geodata.store_pg`);
- :mod:`~geodata.store.locking`: the writer lock's wait, note and message, the header read;
- :mod:`~geodata.store.connection`: targets, connections, transactions, snapshots, state;
- :mod:`~geodata.store.batches`: listings (batches, merges, counts, de-duplication keys);
- :mod:`~geodata.store.rows`: the stored text rows (one Arrow stream per batch);
- :mod:`~geodata.store.loading`: imported records as validated, joined frames;
- :mod:`~geodata.store.composing`: the bundle with the store's records and its cache;
- :mod:`~geodata.store.writing`: planning and committing imports;
- :mod:`~geodata.store.undo`: rollback and unmerge;
- :mod:`~geodata.store.admin`: ``store info``, ``store migrate``, ``store copy``.

State that changes at run time (the prepared-frame memo of :mod:`~geodata.store.loading`,
the header descriptors of :mod:`~geodata.store.locking`, the snapshot of
:mod:`~geodata.store.connection`) lives once, in the module that uses it: patch it there.
"""

from __future__ import annotations

from geodata.actors import actor_family as actor_family
from geodata.actors import canonical_actor as canonical_actor
from geodata.settings import HOME_ENV as HOME_ENV
from geodata.settings import LOCK_WAIT_ENV as LOCK_WAIT_ENV
from geodata.settings import PAUSE_ENV as PAUSE_ENV
from geodata.settings import URL_ENV as URL_ENV
from geodata.store.admin import copy_store as copy_store
from geodata.store.admin import migrate as migrate
from geodata.store.admin import store_info as store_info
from geodata.store.batches import MERGE_LIST_COLUMNS as MERGE_LIST_COLUMNS
from geodata.store.batches import _stored_index as _stored_index
from geodata.store.batches import batches_frame as batches_frame
from geodata.store.batches import existing_records as existing_records
from geodata.store.batches import list_batches as list_batches
from geodata.store.batches import list_merges as list_merges
from geodata.store.batches import merge_line as merge_line
from geodata.store.batches import record_counts as record_counts
from geodata.store.composing import load_bundle_with_store as load_bundle_with_store
from geodata.store.connection import STORE_FILE as STORE_FILE
from geodata.store.connection import StoreTarget as StoreTarget
from geodata.store.connection import _application as _application
from geodata.store.connection import _begin_write as _begin_write
from geodata.store.connection import _count_write as _count_write
from geodata.store.connection import _frame as _frame
from geodata.store.connection import _open as _open
from geodata.store.connection import _read as _read
from geodata.store.connection import _reading as _reading
from geodata.store.connection import _snapshot as _snapshot
from geodata.store.connection import _writing as _writing
from geodata.store.connection import default_home as default_home
from geodata.store.connection import prepared_dir as prepared_dir
from geodata.store.connection import store_label as store_label
from geodata.store.connection import store_path as store_path
from geodata.store.connection import store_signature as store_signature
from geodata.store.connection import store_target as store_target
from geodata.store.loading import PARTIAL_SHARE as PARTIAL_SHARE
from geodata.store.loading import annotate_merges as annotate_merges
from geodata.store.loading import load_imported as load_imported
from geodata.store.locking import DEFAULT_LOCK_WAIT_S as DEFAULT_LOCK_WAIT_S
from geodata.store.locking import WRITER_FILE_SUFFIX as WRITER_FILE_SUFFIX
from geodata.store.locking import StoreLockedError as StoreLockedError
from geodata.store.locking import lock_wait_seconds as lock_wait_seconds
from geodata.store.locking import store_header as store_header
from geodata.store.locking import store_locked_error as store_locked_error
from geodata.store.migrations import StoreVersionError as StoreVersionError
from geodata.store.migrations import _ensure_schema as _ensure_schema
from geodata.store.migrations import _has_table as _has_table
from geodata.store.pg import PgConnection as PgConnection
from geodata.store.pg import StoreConnectionError as StoreConnectionError
from geodata.store.pg import StorePermissionError as StorePermissionError
from geodata.store.pg import is_database_url as is_database_url
from geodata.store.pg import mask_url as mask_url
from geodata.store.rows import _encode_rows as _encode_rows
from geodata.store.schema import _MIGRATIONS as _MIGRATIONS
from geodata.store.schema import _RECORD_COLUMNS as _RECORD_COLUMNS
from geodata.store.schema import _SCHEMA_TEMPLATE as _SCHEMA_TEMPLATE
from geodata.store.schema import AUDIT_COLUMNS as AUDIT_COLUMNS
from geodata.store.schema import KEY_COLUMNS as KEY_COLUMNS
from geodata.store.schema import OVERRIDE_COLUMNS as OVERRIDE_COLUMNS
from geodata.store.schema import SCHEMA_VERSION as SCHEMA_VERSION
from geodata.store.schema import ZONE_COLUMNS as ZONE_COLUMNS
from geodata.store.schema import Batch as Batch
from geodata.store.undo import rollback as rollback
from geodata.store.undo import unmerge as unmerge
from geodata.store.writing import ImportOptions as ImportOptions
from geodata.store.writing import ImportResult as ImportResult
from geodata.store.writing import commit_import as commit_import
from geodata.store.writing import commit_plan as commit_plan
from geodata.store.writing import import_bytes as import_bytes
from geodata.store.writing import import_file as import_file
from geodata.store.writing import plan_import as plan_import
from geodata.store_query import StoreQuery as StoreQuery
