"""``iskp-atlas store info|migrate|copy``: the store itself — which engine, which schema
version, what it holds; migrating it; moving one analyst's SQLite store into the team
store on PostgreSQL/PostGIS. A database URL is only ever shown with its password masked."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from atlas_cli.data import add_store_options, store_location
from atlas_cli.parsing import add_command, add_format_option, add_group
from geodata.store import STORE_FILE, copy_store, migrate, store_info, store_label
from geodata.store_pg import is_database_url


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``store`` and its subcommands."""
    actions = add_group(
        sub,
        "store",
        "store_command",
        "the store: engine, schema version, migrate, copy",
        "Inspect, migrate or copy the store of imported records: "
        "the SQLite file in the store folder, or the team store on "
        "PostgreSQL/PostGIS (--database-url or $ISKP_ATLAS_DATABASE_URL).",
    )

    i = add_command(actions, "info", _info)
    add_format_option(i, ("table", "json"), dest="out_format")
    add_store_options(i)

    m = add_command(actions, "migrate", _migrate)
    add_store_options(m)

    c = add_command(actions, "copy", _copy)
    c.add_argument(
        "--from",
        dest="source",
        required=True,
        metavar="SQLITE_PATH",
        help="the store folder (or its store.sqlite), or a postgresql:// URL",
    )
    c.add_argument(
        "--to",
        dest="dest",
        required=True,
        metavar="URL",
        help="the team store's postgresql:// URL (or a store folder)",
    )


def _info(args: argparse.Namespace) -> int:
    """engine, schema version and counts

    Show the engine, where the store is (a URL's password masked), its schema version
    and its counts.
    """
    info = store_info(store_location(args))
    if args.out_format == "json":
        print(json.dumps(info, indent=2))
        return 0
    print(f"engine: {info['engine']}")
    print(f"store: {info['store']}")
    if "server" in info:
        print(f"server: PostgreSQL {info['server']}, PostGIS {info.get('postgis') or 'missing'}")
    print(
        f"schema version: {info['schema_version']} (this iskp-atlas: "
        f"{info['atlas_schema_version']}) — {info['status']}"
    )
    if "batches" in info:
        records = ", ".join(f"{k} {n:,}" for k, n in info["records"].items()) or "none"
        print(f"batches: {info['batches']:,}")
        print(f"records: {records}")
        print(f"merged into other records: {info['merged_records']:,}")
    return 0


def _migrate(args: argparse.Namespace) -> int:
    """create or migrate the store's tables

    Bring the store's tables to this iskp-atlas's schema version, in one transaction
    (creates them in an empty database; run it as the role that owns the tables).
    """
    where = store_location(args)
    before, after = migrate(where)
    if before == after:
        print(f"{store_label(where)}: schema version {after}, up to date")
    elif before == 0:
        print(f"{store_label(where)}: created the tables (schema version {after})")
    else:
        print(f"{store_label(where)}: migrated from schema version {before} to {after}")
    return 0


def _store_arg(value: str) -> str:
    """A URL as given; a store folder, or the path of its store.sqlite, as the folder."""
    if is_database_url(value):
        return value
    path = Path(value).expanduser()
    if path.is_file():
        if path.name != STORE_FILE:
            raise ValueError(f"{path} is not a store: give the store folder or its {STORE_FILE}")
        return str(path.parent)
    return str(path)


def _copy(args: argparse.Namespace) -> int:
    """copy a store (e.g. SQLite) into an empty store

    Copy every batch of one store into another, empty one (batch ids, merges,
    corrections and undone merges kept), in one transaction — e.g. one analyst's SQLite
    store into the team store.
    """
    source, dest = _store_arg(args.source), _store_arg(args.dest)
    counts = copy_store(source, dest)
    print(
        f"copied {counts['batches']:,} batch(es), {counts['records']:,} record(s) and "
        f"{counts['merged_records']:,} merged record(s) ({counts['merges']:,} merge(s), "
        f"{counts['record_versions']:,} earlier version(s), {counts['unmerged']:,} undone "
        f"merge(s), {counts['overrides']:,} override(s), {counts['audit_log']:,} audit log "
        f"entr(ies), {counts['watch_zones']:,} watch zone(s)) from {store_label(source)} "
        f"to {store_label(dest)}"
    )
    return 0
