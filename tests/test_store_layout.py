"""The store package (geodata/store/): small modules, one schema text for both engines, the
old module names kept, and a bundle cache key that covers every module of the package."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import geodata.store
from geodata import prepared
from geodata.store import composing, schema

PACKAGE = Path(geodata.store.__file__).resolve().parent
MAX_LINES = 400
"""Issue 15: no module over ~400 lines holding two responsibilities."""


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_every_store_module_stays_small(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines: split it along its seams"


def test_the_old_engine_module_is_the_same_module():
    """``geodata.store_pg`` is ``geodata.store.pg`` itself (not a copy of its names), so a
    test or a caller patching ``geodata.store_pg.X`` changes what the store runs."""
    import geodata.store_pg

    assert geodata.store_pg is geodata.store.pg
    assert geodata.store.PgConnection is geodata.store_pg.PgConnection


def _tables(statements) -> dict[str, list[str]]:
    """Table name -> its column names, from CREATE TABLE / ALTER TABLE … ADD COLUMN."""
    out: dict[str, list[str]] = {}
    for sql in statements:
        text = " ".join(sql.split())
        created = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+) \((.*)\)$", text)
        if created:
            body = re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)", "", created.group(2))
            names = [part.split()[0] for part in body.split(",") if part.strip()]
            out[created.group(1)] = [n for n in names if n.upper() != "PRIMARY"]
        added = re.match(r"ALTER TABLE (\w+) ADD COLUMN (\w+)", text)
        if added:
            out[added.group(1)].append(added.group(2))
    return out


def _all_statements(first, steps) -> list[str]:
    return [*first, *(s for v in sorted(steps) for s in steps[v])]


def test_both_engines_create_the_same_tables_and_columns():
    """A column added to one engine's steps and not the other's would break ``store copy``
    and every query on the other engine."""
    sqlite = _tables(_all_statements(schema._SCHEMA.split(";"), schema._MIGRATIONS))
    pg = _tables(_all_statements(schema.PG_SCHEMA_V1, schema.PG_MIGRATIONS))
    pg_only = {"atlas_schema", "atlas_state"}  # SQLite keeps these in its file header
    assert set(pg) - pg_only == set(sqlite)
    for table, columns in sqlite.items():
        extra = {"rowid", "geom"}  # SQLite's implicit rowid; PostGIS's computed point
        assert [c for c in pg[table] if c not in extra] == columns, table
    assert sorted(schema._MIGRATIONS) == sorted(schema.PG_MIGRATIONS)
    assert max(schema._MIGRATIONS) == schema.SCHEMA_VERSION
    # the column lists that copy, watch zones and overrides read and write are the tables'
    assert sqlite["batches"] == list(schema._BATCH_COLUMNS)
    assert sqlite["records"] == list(schema._RECORD_COLUMNS)
    assert sqlite["watch_zones"] == list(schema.ZONE_COLUMNS)
    assert sqlite["overrides"] == list(schema.OVERRIDE_COLUMNS)
    assert sqlite["audit_log"] == list(schema.AUDIT_COLUMNS)


def test_the_bundle_cache_key_covers_every_store_module(tmp_path, monkeypatch):
    """The cached bundle with the store's records is keyed on the code that builds it: a
    change to any module of the package (not only the one holding the cache) is a new key,
    so a changed loader never serves a stale bundle."""
    copy = tmp_path / "store"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(composing, "__file__", str(copy / "composing.py"))
    composing._code_key.cache_clear()
    try:
        before = composing._code_key()
        for name in ("loading.py", "rows.py", "schema.py"):
            path = copy / name
            path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
            composing._code_key.cache_clear()
            after = composing._code_key()
            assert after != before, f"a change to {name} kept the cache key"
            before = after
        monkeypatch.setattr(prepared, "code_key", lambda: "another pipeline")
        composing._code_key.cache_clear()
        assert composing._code_key() != before, "a change to the importers' code kept the key"
    finally:
        monkeypatch.undo()
        composing._code_key.cache_clear()


def test_the_prepared_frames_key_covers_every_importer_module(tmp_path, monkeypatch):
    """A batch's prepared frame is keyed on the importers' code: a change to any module of
    ``geodata/importers`` (one added after this test was written included) is a new key,
    so an importer change never serves a stale frame from before it."""
    from geodata import diskcache

    copy = tmp_path / "geodata"
    shutil.copytree(
        Path(diskcache.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(diskcache, "PACKAGE", copy)
    monkeypatch.setattr("geodata.bundle.cache_key", lambda: "the bundle")
    prepared.code_key.cache_clear()
    try:
        before = prepared.code_key()
        modules = sorted((copy / "importers").rglob("*.py"))
        assert len(modules) > 10
        for path in (modules[0], modules[len(modules) // 2], modules[-1]):
            path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
            prepared.code_key.cache_clear()
            after = prepared.code_key()
            assert after != before, f"a change to {path.name} kept the prepared frames' key"
            before = after
        (copy / "importers" / "brand_new.py").write_text("X = 1\n", encoding="utf-8")
        prepared.code_key.cache_clear()
        assert prepared.code_key() != before, "a new importer module kept the key"
    finally:
        monkeypatch.undo()
        prepared.code_key.cache_clear()
