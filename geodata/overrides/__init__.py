"""Analyst overrides: an analyst's value for a record's confidence or attribution, or for
an area's band, with a reason, an author and an expiry date — and the audit log of every
change to them.

- Stored in the store (tables ``overrides`` and ``audit_log``, schema version 3, on SQLite
  and on PostgreSQL alike), keyed by the record's or the unit's id: re-importing the same
  record keeps its override. Rows are never deleted: withdrawing one sets ``withdrawn_at``
  and ``withdrawn_by``. Every set and every withdrawal writes one ``audit_log`` row (when,
  who, what, the subject and a JSON detail with the old and the new value) in the same
  write transaction as the change (the store's own, :func:`geodata.store._writing`).
- Active = not withdrawn and ``expires_on`` on or after today (UTC): an override ends by
  itself at the end of its expiry day (the CLI and the Data page always set one; a row
  without one, written by other means, would stay in force until withdrawn). When
  several are active for one field of one subject, the newest wins.
- Applied in one place, :func:`~geodata.overrides.applying.apply_overrides`, called by the
  one loader (:func:`geodata.catalog.load_source`) that the app, the CLI and the exports
  share:

  * record confidence (incidents' ``confidence``; threats' ``credibility``, the same three
    levels): the analyst's value replaces it before filtering and scoring;
    ``confidence_computed`` (``credibility_computed``) keeps the value from the data and
    ``confidence_override`` (``credibility_override``) says who, why and until when;
  * record attribution (the actor, :data:`geodata.actors.ACTORS`): ``actor_canonical``,
    ``actor_family`` and ``actors_all`` become the analyst's actor (the reported text
    ``actor`` is kept as it is); ``actor_computed`` keeps the actor from the data and
    ``actor_override`` the note;
  * an area's band: carried on the admin-1 layer (``analyst_band``, ``analyst_band_note``)
    and applied by :func:`riskmodel.score.score` after scoring: the score stays the computed
    one, ``band`` is the analyst's, ``band_computed`` the band of the score and
    ``band_override`` the note.

  The columns are added only when at least one active override applies to that layer.

Text from users (reason, author) is data: shown escaped in HTML, neutralised in CSV.

The package, one module per responsibility (this module re-exports what callers use):

- :mod:`~geodata.overrides.values`: the fields, subjects and values an override may have,
  checked against the current data (:class:`OverrideError` otherwise);
- :mod:`~geodata.overrides.stored`: setting, withdrawing and listing overrides and the
  audit log in the store;
- :mod:`~geodata.overrides.applying`: the overrides in force applied to a bundle.
"""

from __future__ import annotations

from geodata.overrides.applying import apply_overrides as apply_overrides
from geodata.overrides.applying import load_with_overrides as load_with_overrides
from geodata.overrides.applying import note as note
from geodata.overrides.stored import IN_FORCE_COLUMNS as IN_FORCE_COLUMNS
from geodata.overrides.stored import LIST_COLUMNS as LIST_COLUMNS
from geodata.overrides.stored import Change as Change
from geodata.overrides.stored import active_overrides as active_overrides
from geodata.overrides.stored import audit_log as audit_log
from geodata.overrides.stored import list_overrides as list_overrides
from geodata.overrides.stored import neutralised as neutralised
from geodata.overrides.stored import remove_override as remove_override
from geodata.overrides.stored import set_override as set_override
from geodata.overrides.stored import subject_of as subject_of
from geodata.overrides.values import AREA_KIND as AREA_KIND
from geodata.overrides.values import CONFIDENCE_COLUMN as CONFIDENCE_COLUMN
from geodata.overrides.values import FIELDS as FIELDS
from geodata.overrides.values import MAX_REASON as MAX_REASON
from geodata.overrides.values import RECORD_KINDS as RECORD_KINDS
from geodata.overrides.values import OverrideError as OverrideError
from geodata.overrides.values import computed_value as computed_value
from geodata.overrides.values import default_author as default_author
from geodata.overrides.values import find_record as find_record
from geodata.overrides.values import find_unit as find_unit
from geodata.overrides.values import normalise_value as normalise_value
from geodata.overrides.values import parse_expiry as parse_expiry
from geodata.overrides.values import today_utc as today_utc
