"""``iskp-atlas watch add|list|remove|review`` and ``iskp-atlas alerts``: watch zones and
the new records inside them (see :mod:`riskmodel.watch` for the zone score)."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_data_options, add_store_options, current_data, store_location
from atlas_cli.output import LIST_FORMATS, render_table, to_json, write_frame, write_text
from atlas_cli.parsing import OUTPUT, add_command, add_format_option, add_group
from geodata.store import store_label


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``watch`` (with its actions) and ``alerts``."""
    actions = add_group(
        sub,
        "watch",
        "action",
        "watch zones: add, list, remove or mark reviewed",
        "Named watch zones kept in the store: a sensitive site with a radius, a "
        "CPEC segment or route with a buffer, or an area (W,S,E,N or poly:…). After every "
        "import the new records inside each zone are listed; 'iskp-atlas alerts' lists them "
        "any time.",
    )

    a = add_command(actions, "add", _add)
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

    ls = add_command(actions, "list", _list)
    add_format_option(ls, LIST_FORMATS, dest="out_format")
    add_store_options(ls)

    rm = add_command(actions, "remove", _remove)
    rm.add_argument("name")
    add_store_options(rm)

    rv = add_command(actions, "review", _review)
    rv.add_argument("name")
    add_data_options(rv)

    al = add_command(sub, "alerts", _alerts)
    al.add_argument(
        "--since",
        metavar="YYYY-MM-DD",
        default=None,
        help="list the records of batches imported on or after this day instead",
    )
    al.add_argument(
        "--zone", action="append", metavar="NAME", help="only this zone (repeat for more)"
    )
    add_format_option(al, LIST_FORMATS, dest="out_format", output=OUTPUT)
    add_data_options(al)


def _add(args: argparse.Namespace) -> int:
    """add a watch zone

    Add the zone NAME: --site ID --radius-km N, --segment ID --buffer-km N, --route ID
    --buffer-km N or --aoi W,S,E,N (or poly:<encoded polygon>). Records already imported
    are not new to it.
    """
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
    score = _score(zone, ", score now ")
    print(
        f"added watch zone {zone.name!r} ({zone.describe()}, owner {zone.owner}{score}) "
        f"to {store_label(home)}"
    )
    return 0


def _score(zone, lead: str) -> str:
    """The zone's score as of its review after ``lead`` ('' when it has none)."""
    return "" if zone.reviewed_score is None else f"{lead}{zone.reviewed_score:g}"


def _list(args: argparse.Namespace) -> int:
    """list the watch zones

    Every zone: kind, reference, distance, owner, creation and last review.
    """
    from geodata.watch import zones_frame

    home = store_location(args)
    return write_frame(zones_frame(home), args.out_format, empty=_no_zones(home))


def _remove(args: argparse.Namespace) -> int:
    """remove a watch zone

    Remove the zone NAME (its records stay).
    """
    from geodata.watch import remove_zone

    zone = remove_zone(args.name, store_location(args))
    print(f"removed watch zone {zone.name!r} ({zone.describe()})")
    return 0


def _review(args: argparse.Namespace) -> int:
    """mark a watch zone reviewed

    Mark the zone NAME reviewed: its new records are seen and its score now is what
    later changes are measured from.
    """
    from riskmodel.watch import review

    zone = review(args.name, current_data(args), store_location(args))
    score = _score(zone, "; score ")
    print(
        f"marked watch zone {zone.name!r} reviewed at {zone.reviewed_at} (batches up to "
        f"{zone.reviewed_batch}{score})"
    )
    return 0


def _alerts(args: argparse.Namespace) -> int:
    """the new records inside each watch zone since its last review

    List the records inside each watch zone imported since the zone's last review (or
    --since a day), with the zone's score change. Exit status 0 with the alerts printed;
    --format json or csv for a cron job or another system.
    """
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
        text = render_table(report.records, "csv")
    else:
        text = _table(report, home)
    write_text(text, args.output)
    return 0


def _no_zones(home) -> str:
    return (
        f"no watch zones in {store_label(home)} (add one with "
        "'iskp-atlas watch add NAME --site ID --radius-km N')"
    )


def _table(report, home) -> str:
    from riskmodel.watch import score_change_text

    zones = report.zones
    if zones.empty:
        return _no_zones(home) + "\n"
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
