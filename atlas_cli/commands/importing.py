"""``iskp-atlas import``, ``batches`` and ``rollback``: the local store of imported records."""

from __future__ import annotations

import argparse

from atlas_cli.output import FORMATS as TABLE_FORMATS
from atlas_cli.output import render_table, write_text
from geodata.importers import DEFAULT_MAX_MB, FORMATS, MAX_MB_ENV
from geodata.store import HOME_ENV, batches_frame, import_file, rollback, store_path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the three subcommands."""
    p = sub.add_parser(
        "import",
        help="import ACLED, UCDP GED, GTD, atlas CSV or GeoJSON records into the local store",
        description="Import a file into the local store (one batch, all rows or none). The "
        "format is detected from the header; --format overrides. Prints rows read / accepted "
        "/ merged / rejected with the first reasons. Store: $" + HOME_ENV + " or the user "
        "data folder.",
    )
    p.add_argument("file", help="CSV, xlsx (GTD) or GeoJSON file")
    p.add_argument("--format", choices=FORMATS, default=None, dest="fmt",
                   help="skip detection and read the file as this format")
    p.add_argument("--dry-run", action="store_true",
                   help="check and count everything, store nothing")
    p.add_argument("--skip-bad", action="store_true",
                   help="import the valid rows of a partly bad file and list the skipped ones")
    p.add_argument("--encoding", default=None,
                   help="text encoding of the file (default: UTF-8; GTD also cp1252/latin-1)")
    p.add_argument("--max-mb", type=float, default=None,
                   help=f"size limit in MB (default ${MAX_MB_ENV} or {DEFAULT_MAX_MB:g})")
    p.add_argument("--home", default=None, help=f"store folder (default ${HOME_ENV})")
    p.set_defaults(handler=_import)

    b = sub.add_parser("batches", help="list the import batches in the local store",
                       description="List import batches: id, file, format, row counts, time.")
    b.add_argument("--format", choices=TABLE_FORMATS, default="table", dest="out_format")
    b.add_argument("--home", default=None, help=f"store folder (default ${HOME_ENV})")
    b.set_defaults(handler=_batches)

    r = sub.add_parser("rollback", help="remove one import batch from the local store",
                       description="Remove batch BATCH_ID and its records (one transaction).")
    r.add_argument("batch_id", type=int, help="batch id as listed by 'iskp-atlas batches'")
    r.add_argument("--home", default=None, help=f"store folder (default ${HOME_ENV})")
    r.set_defaults(handler=_rollback)


def _prepare_view(home: str | None) -> None:
    """Validate and join the stored records once now, so the app's next start is quick."""
    import time

    from geodata.store import load_bundle_with_store

    start = time.perf_counter()
    load_bundle_with_store(home)
    print(f"prepared the map data in {time.perf_counter() - start:.1f} s")


def _import(args: argparse.Namespace) -> int:
    result = import_file(args.file, fmt=args.fmt, encoding=args.encoding,
                         skip_bad=args.skip_bad, dry_run=args.dry_run, max_mb=args.max_mb,
                         home=args.home)
    plan = result.plan
    extra = ", HXL hashtag row skipped" if plan.hxl_row_skipped else ""
    print(f"{plan.source}: {plan.format} format, {plan.kind}, encoding {plan.encoding}{extra}")
    c = plan.counts()
    print(f"rows read {c['read']}, accepted {c['accepted']}, merged {c['merged']}, "
          f"rejected {c['rejected']}, excluded {c['excluded']}, "
          f"already present {c['already_present']}")
    if plan.rejected:
        print(f"skipped {plan.rows_rejected} bad row(s):")
        for problem in plan.rejected:
            print(f"  {problem.describe(plan.source)}")
    for line in plan.reasons(limit=5)[len(plan.rejected[:5]):]:
        print(f"  {line}")
    for m in plan.merges.head(5).itertuples(index=False):
        print(f"  merged {m.merged_id} into {m.kept_id} ({m.rule}, {m.days_apart} day(s), "
              f"{m.distance_km} km)")
    if result.batch is None:
        print("dry run: nothing stored" if args.dry_run else
              "nothing new to store: the store is unchanged")
    else:
        print(f"stored as batch {result.batch.batch_id} in {store_path(args.home)}")
        _prepare_view(args.home)
    return 0


def _batches(args: argparse.Namespace) -> int:
    frame = batches_frame(args.home)
    if frame.empty and args.out_format == "table":
        print(f"no import batches in {store_path(args.home)}")
        return 0
    if args.out_format == "table":
        frame = frame.drop(columns=["sha256", "size_bytes"]).rename(
            columns=lambda c: c.removeprefix("rows_"))
    write_text(render_table(frame, args.out_format), None)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    batch = rollback(args.batch_id, args.home)
    print(f"removed batch {batch.batch_id} ({batch.file}, {batch.format}, "
          f"{batch.rows_accepted + batch.rows_merged} records)")
    return 0
