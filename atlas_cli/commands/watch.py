"""``iskp-atlas watch add|list|remove|review`` and ``iskp-atlas alerts``: watch zones and
the new records inside them (see :mod:`riskmodel.watch` for the zone score)."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_data_options, add_store_options, current_data, store_location
from atlas_cli.output import render_table, to_json, write_text
from geodata.csvcells import neutralise_cell
from geodata.store import store_label

ALERT_FORMATS = ("table", "json", "csv")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``watch`` (with its actions) and ``alerts``."""
    w = sub.add_parser(
        "watch",
        help="watch zones: add, list, remove or mark reviewed",
        description="Named watch zones kept in the store: a sensitive site with a radius, a "
        "CPEC segment or route with a buffer, or an area (W,S,E,N or poly:…). After every "
        "import the new records inside each zone are listed; 'iskp-atlas alerts' lists them "
        "any time.",
    )
    actions = w.add_subparsers(dest="action", metavar="ACTION", required=True)

    a = actions.add_parser(
        "add",
        help="add a watch zone",
        description="Add the zone NAME: --site ID --radius-km N, --segment ID --buffer-km N, "
        "--route ID --buffer-km N or --aoi W,S,E,N (or poly:<encoded polygon>). Records "
        "already imported are not new to it.",
    )
    a.add_argument("name", help="the zone's name, e.g. 'Kabul embassy'")
    what = a.add_mutually_exclusive_group(required=True)
    what.add_argument("--site", metavar="ID", help="a sensitive site id, e.g. AST-001")
    what.add_argument("--segment", metavar="ID", help="a CPEC segment id, e.g. KKH_N35-007")
    what.add_argument("--route", metavar="ID", help="a CPEC route id, e.g. KKH_N35")
    what.add_argument(
        "--aoi", metavar="W,S,E,N", help="an area: W,S,E,N in degrees or poly:<encoded polygon>"
    )
    size = a.add_mutually_exclusive_group()
    size.add_argument("--radius-km", type=float, metavar="N", help="radius around the site")
    size.add_argument(
        "--buffer-km", type=float, metavar="N", help="buffer around the segment or route"
    )
    a.add_argument("--owner", default=None, help="who owns the zone (default: the OS user)")
    add_data_options(a)
    a.set_defaults(handler=_add)

    ls = actions.add_parser(
        "list",
        help="list the watch zones",
        description="Every zone: kind, reference, distance, owner, creation and last review.",
    )
    ls.add_argument("--format", choices=ALERT_FORMATS, default="table", dest="out_format")
    add_store_options(ls)
    ls.set_defaults(handler=_list)

    rm = actions.add_parser(
        "remove", help="remove a watch zone", description="Remove the zone NAME (its records stay)."
    )
    rm.add_argument("name")
    add_store_options(rm)
    rm.set_defaults(handler=_remove)

    rv = actions.add_parser(
        "review",
        help="mark a watch zone reviewed",
        description="Mark the zone NAME reviewed: its new records are "
        "seen and its score now is what later changes are measured from.",
    )
    rv.add_argument("name")
    add_data_options(rv)
    rv.set_defaults(handler=_review)

    al = sub.add_parser(
        "alerts",
        help="the new records inside each watch zone since its last review",
        description="List the records inside each watch zone imported since the zone's "
        "last review (or --since a day), with the zone's score change. Exit status 0 with "
        "the alerts printed; --format json or csv for a cron job or another system.",
    )
    al.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        default=None,
        help="list the records of batches imported on or after this day instead",
    )
    al.add_argument(
        "--zone", action="append", metavar="NAME", help="only this zone (repeat for more)"
    )
    al.add_argument("--format", choices=ALERT_FORMATS, default="table", dest="out_format")
    al.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_data_options(al)
    al.set_defaults(handler=_alerts)


def _add(args: argparse.Namespace) -> int:
    from riskmodel.watch import add_zone

    if args.site and args.buffer_km is not None:
        raise ValueError("a site zone takes --radius-km N, not --buffer-km")
    if (args.segment or args.route) and args.radius_km is not None:
        raise ValueError("a segment or route zone takes --buffer-km N, not --radius-km")
    distance = args.radius_km if args.radius_km is not None else args.buffer_km
    home = store_location(args)
    zone = add_zone(
        args.name,
        current_data(args),
        home,
        site=args.site,
        segment=args.segment,
        route=args.route,
        aoi=args.aoi,
        distance_km=distance,
        owner=args.owner,
    )
    score = "" if zone.reviewed_score is None else f", score now {zone.reviewed_score:g}"
    print(
        f"added watch zone {zone.name!r} ({zone.describe()}, owner {zone.owner}{score}) "
        f"to {store_label(home)}"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from geodata.watch import zones_frame

    frame = zones_frame(store_location(args))
    if frame.empty and args.out_format == "table":
        print(
            f"no watch zones in {store_label(store_location(args))} (add one with "
            "'iskp-atlas watch add NAME --site ID --radius-km N')"
        )
        return 0
    write_text(_render(frame, args.out_format), None)
    return 0


def _remove(args: argparse.Namespace) -> int:
    from geodata.watch import remove_zone

    zone = remove_zone(args.name, store_location(args))
    print(f"removed watch zone {zone.name!r} ({zone.describe()})")
    return 0


def _review(args: argparse.Namespace) -> int:
    from riskmodel.watch import review

    zone = review(args.name, current_data(args), store_location(args))
    score = "" if zone.reviewed_score is None else f"; score {zone.reviewed_score:g}"
    print(
        f"marked watch zone {zone.name!r} reviewed at {zone.reviewed_at} (batches up to "
        f"{zone.reviewed_batch}{score})"
    )
    return 0


def _render(frame, fmt: str) -> str:
    """A table in ``fmt``; csv cells that could start a formula are quoted as text."""
    if fmt == "csv":
        safe = frame.apply(
            lambda s: s.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
        )
        return render_table(safe, "csv")
    return render_table(frame, fmt)


def _alerts(args: argparse.Namespace) -> int:
    from riskmodel.watch import watch_report

    home = store_location(args)
    report = watch_report(home, current_data(args), since=args.since, names=args.zone)
    if args.out_format == "json":
        text = (
            to_json(
                {
                    "store": store_label(home),
                    "since": report.since,
                    "zones": report.zones.to_dict(orient="records"),
                    "alerts": report.records.to_dict(orient="records"),
                }
            )
            + "\n"
        )
    elif args.out_format == "csv":
        text = _render(report.records, "csv")
    else:
        text = _table(report, home)
    write_text(text, args.output)
    return 0


def _table(report, home) -> str:
    from riskmodel.watch import score_change_text

    zones = report.zones
    if zones.empty:
        return (
            f"no watch zones in {store_label(home)} (add one with 'iskp-atlas watch add "
            "NAME --site ID --radius-km N')\n"
        )
    when = f"imported since {report.since}" if report.since else "since the last review"
    lines = []
    shown = ["id", "kind", "date", "actor", "place", "fatalities", "batch_id", "summary"]
    for row in zones.to_dict(orient="records"):
        lines.append(
            f"{row['name']} ({row['zone']}, owner {row['owner']}): "
            f"{row['new_records']} new record(s) {when}; {score_change_text(row)}"
        )
        mine = report.records[report.records["zone"] == row["name"]]
        if len(mine):
            table = mine[shown].assign(
                summary=mine["summary"].map(
                    lambda s: s if not isinstance(s, str) or len(s) <= 60 else s[:59] + "…"
                )
            )
            lines.extend(
                "  " + line for line in render_table(table, "table").rstrip("\n").splitlines()
            )
    total = int(zones["new_records"].sum())
    lines.append(f"{total} new record(s) in {report.n_zones_with_news} of {len(zones)} zone(s)")
    return "\n".join(lines) + "\n"


def print_import_alerts(args: argparse.Namespace) -> None:
    """After a stored import: the 'Watch zones: …' lines (nothing when there are none)."""
    from geodata.watch import list_zones
    from riskmodel.watch import watch_report, zone_lines

    home = store_location(args)
    if not list_zones(home):
        return
    lines = zone_lines(watch_report(home, current_data(args)))
    for i, line in enumerate(lines):
        print(line if i == 0 else f"  {line}")
    if len(lines) > 1:
        print(
            "  ('iskp-atlas alerts' lists them; 'iskp-atlas watch review NAME' marks a "
            "zone reviewed)"
        )
