"""``iskp-atlas import``, ``batches``, ``rollback``, ``merges`` and ``unmerge``: the local
store of imported records."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_store_options, store_location
from atlas_cli.output import FORMATS as TABLE_FORMATS
from atlas_cli.output import write_frame
from atlas_cli.parsing import add_command, add_format_option
from geodata.importers import DEFAULT_MAX_MB, FORMATS, MAX_MB_ENV
from geodata.importers.common import DEFAULT_REGION, region_codes
from geodata.store import (
    HOME_ENV,
    batches_frame,
    import_file,
    list_merges,
    merge_line,
    rollback,
    store_label,
    unmerge,
)

MERGES_SHOWN = 20
"""Merges and updates listed one by one in an import report (the rest are counted)."""
_STORE_HELP = f"store folder (default ${HOME_ENV})"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the subcommands."""
    p = add_command(
        sub,
        "import",
        _import,
        "import ACLED, UCDP GED, GTD, atlas CSV or GeoJSON records into the local store",
        "Import a file into the local store (one batch, all rows or none). The "
        "format is detected from the header; --format overrides. Prints rows read / accepted "
        "/ merged / rejected with the first reasons. Store: $" + HOME_ENV + " or the user "
        "data folder.",
    )
    p.add_argument("file", help="CSV, xlsx (GTD) or GeoJSON file")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        dest="fmt",
        help="skip detection and read the file as this format",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check and count everything, store nothing"
    )
    p.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the valid rows of a partly bad file and list the skipped ones",
    )
    p.add_argument(
        "--encoding",
        default=None,
        help="text encoding of the file (default: UTF-8; GTD also cp1252/latin-1)",
    )
    p.add_argument(
        "--max-mb",
        type=float,
        default=None,
        help=f"size limit in MB (default ${MAX_MB_ENV} or {DEFAULT_MAX_MB:g})",
    )
    add_store_options(p, _STORE_HELP)
    p.add_argument(
        "--countries",
        default=None,
        metavar="AFG,PAK,...",
        help="the region to keep, as comma-separated ISO 3166-1 alpha-3 codes "
        f"(default {','.join(DEFAULT_REGION)}); rows of other countries are "
        "excluded and counted per country, never errors",
    )

    b = add_command(sub, "batches", _batches)
    add_format_option(b, TABLE_FORMATS, dest="out_format")
    add_store_options(b, _STORE_HELP)

    r = add_command(sub, "rollback", _rollback)
    r.add_argument("batch_id", type=int, help="batch id as listed by 'iskp-atlas batches'")
    add_store_options(r, _STORE_HELP)

    m = add_command(sub, "merges", _merges)
    add_format_option(m, TABLE_FORMATS, dest="out_format")
    add_store_options(m, _STORE_HELP)

    u = add_command(sub, "unmerge", _unmerge)
    u.add_argument("record_id", help="id of the merged record, e.g. UCDP-990001")
    add_store_options(u, _STORE_HELP)


def _prepare_view(home: str | None) -> None:
    """Validate and join the stored records once now, so the app's next start is quick."""
    import time

    from geodata.store import load_bundle_with_store

    start = time.perf_counter()
    load_bundle_with_store(home)
    print(f"prepared the map data in {time.perf_counter() - start:.1f} s")


def _import(args: argparse.Namespace) -> int:
    countries = None
    if args.countries is not None:
        countries = sorted(region_codes(args.countries.split(",")))  # ValueError: one line
    result = import_file(
        args.file,
        fmt=args.fmt,
        encoding=args.encoding,
        skip_bad=args.skip_bad,
        dry_run=args.dry_run,
        max_mb=args.max_mb,
        home=store_location(args),
        countries=countries,
    )
    plan = result.plan
    extra = ", HXL hashtag row skipped" if plan.hxl_row_skipped else ""
    print(f"{plan.source}: {plan.format} format, {plan.kind}, encoding {plan.encoding}{extra}")
    print(plan.counts_line())
    if plan.rejected:
        print(f"skipped {plan.rows_rejected} bad row(s):")
        for problem in plan.rejected:
            print(f"  {problem.describe(plan.source)}")
    for line in plan.reasons(limit=5)[len(plan.rejected[:5]) :]:
        print(f"  {line}")
    _print_merges_and_updates(plan)
    if result.batch is None:
        print(
            "dry run: nothing stored"
            if args.dry_run
            else "nothing new to store: the store is unchanged"
        )
    else:
        print(f"stored as batch {result.batch.batch_id} in {store_label(store_location(args))}")
        _prepare_view(store_location(args))
        from atlas_cli.commands.watch import print_import_alerts

        print_import_alerts(args)
    return 0


def _print_merges_and_updates(plan) -> None:
    """Each merge with its reason and each correction with what changed (the first
    :data:`MERGES_SHOWN`; 'iskp-atlas merges' lists every merge)."""
    merges = plan.merges.assign(merged_dataset=None, merged_source_id=None)
    if len(plan.merges) and "source_id" in plan.records.columns:
        ident = plan.records.set_index("id")[["source_dataset", "source_id"]]
        found = ident.reindex(plan.merges["merged_id"])
        merges = plan.merges.assign(
            merged_dataset=found["source_dataset"].to_numpy(),
            merged_source_id=found["source_id"].to_numpy(),
        )
    if len(merges):
        print(
            f"merged {len(merges)} record(s) into records of another source "
            "(undo one with 'iskp-atlas unmerge RECORD_ID'):"
        )
        for row in merges.head(MERGES_SHOWN).to_dict(orient="records"):
            print(f"  {merge_line(row)}")
        if len(merges) > MERGES_SHOWN:
            print(f"  … and {len(merges) - MERGES_SHOWN} more ('iskp-atlas merges' lists them)")
    lines = plan.update_lines()
    if lines:
        print(
            f"updated {len(lines)} record(s) (previous versions kept; rolling the batch "
            "back restores them):"
        )
        for line in lines[:MERGES_SHOWN]:
            print(f"  {line}")
        if len(lines) > MERGES_SHOWN:
            print(f"  … and {len(lines) - MERGES_SHOWN} more")


def _merges(args: argparse.Namespace) -> int:
    """list the records merged into another record (same event)

    List every merge in force: kept record ← merged record (dataset:source id) and the
    reason (actor family, days and km apart, same article). 'iskp-atlas unmerge
    RECORD_ID' undoes one.
    """
    frame = list_merges(store_location(args))
    if args.out_format != "table":
        return write_frame(frame, args.out_format)
    if frame.empty:
        print(f"no merged records in {store_label(store_location(args))}")
        return 0
    for row in frame.to_dict(orient="records"):
        print(f"batch {row['batch_id']}: {merge_line(row)}")
    return 0


def _unmerge(args: argparse.Namespace) -> int:
    """import a merged record as a record of its own

    Undo a merge ('import as new'): RECORD_ID (the merged record, as listed by
    'iskp-atlas merges') becomes a record of its own; the store remembers it, so a later
    import does not merge the pair again.
    """
    merge = unmerge(args.record_id, store_location(args))
    print(
        f"{args.record_id} is a record of its own again (was merged into "
        f"{merge['kept_id']}: {merge['reason']}); later imports will not merge it again"
    )
    return 0


def _batches(args: argparse.Namespace) -> int:
    """list the import batches in the local store

    List import batches: id, file, format, row counts, time.
    """
    frame = batches_frame(store_location(args))
    if args.out_format == "table" and len(frame):
        frame = frame.drop(columns=["sha256", "size_bytes"]).rename(
            columns=lambda c: c.removeprefix("rows_")
        )
    empty = f"no import batches in {store_label(store_location(args))}"
    return write_frame(frame, args.out_format, empty=empty)


def _rollback(args: argparse.Namespace) -> int:
    """remove one import batch from the local store

    Remove batch BATCH_ID and its records (one transaction).
    """
    batch = rollback(args.batch_id, store_location(args))
    restored = (
        (f", {batch.rows_updated} updated record(s) restored to their previous version")
        if batch.rows_updated
        else ""
    )
    print(
        f"removed batch {batch.batch_id} ({batch.file}, {batch.format}, "
        f"{batch.rows_accepted + batch.rows_merged} records{restored})"
    )
    return 0
