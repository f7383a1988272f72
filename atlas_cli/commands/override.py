"""``iskp-atlas override set|list|remove`` and ``iskp-atlas audit``: an analyst's value for a
record's confidence or attribution, or for an area's band — with a reason, an author and
an expiry date — and the log of every change (:mod:`geodata.overrides`).

Overrides live in the store (the SQLite file of ``--home`` or the team store of
``--database-url``) and are applied by the one loader, so the app, every command and every
export show them, with the computed value beside them."""

from __future__ import annotations

import argparse
import json
import sys

from atlas_cli.data import add_data_options, add_store_options, current_data, store_location
from atlas_cli.output import LIST_FORMATS, to_json, write_frame, write_text
from atlas_cli.parsing import OUTPUT, add_command, add_format_option, add_group
from geodata import overrides as ov
from geodata.store import store_label


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``override`` (set, list, remove) and ``audit``."""
    actions = add_group(
        sub,
        "override",
        "override_command",
        "analyst overrides: set, list or withdraw",
        "An analyst's value for a record's confidence or attribution, or for an "
        "area's band, with a reason, an author and an expiry date. It is shown wherever the "
        "value is (map popups, tables, exports: both the computed and the analyst's value), "
        "ends by itself after its expiry day, survives re-imports of the same record, and "
        "every change is in the audit log ('iskp-atlas audit').",
    )

    s = add_command(actions, "set", _set)
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--record", metavar="ID", help="an incident or threat record id")
    what.add_argument(
        "--area",
        metavar="UNIT",
        help="a province or Pakistani unit (ISO 3166-2 code, e.g. AF-KAB, or its name)",
    )
    value = s.add_mutually_exclusive_group(required=True)
    value.add_argument(
        "--confidence", metavar="LEVEL", help="high, medium or low (a threat record's credibility)"
    )
    value.add_argument(
        "--attribution",
        metavar="ACTOR",
        help="the actor the record is attributed to, e.g. ISKP, TTP, BLA",
    )
    value.add_argument("--band", metavar="BAND", help="insignificant, low, medium, high or extreme")
    s.add_argument("--reason", required=True, help="why (shown with the value)")
    s.add_argument(
        "--expires",
        required=True,
        metavar="YYYY-MM-DD",
        help="the last day the override is in force",
    )
    s.add_argument("--author", default=None, help="who (default: the OS user)")
    add_data_options(s)

    lst = add_command(actions, "list", _list)
    lst.add_argument("--all", action="store_true", help="expired and withdrawn ones too")
    add_format_option(lst, LIST_FORMATS, output=OUTPUT)
    add_store_options(lst)

    r = add_command(actions, "remove", _remove)
    r.add_argument("id", type=int, help="the override's id ('override list' shows it)")
    r.add_argument("--author", default=None, help="who (default: the OS user)")
    r.add_argument("--reason", default=None, help="why (kept in the audit log)")
    add_store_options(r)

    a = add_command(sub, "audit", _audit)
    add_format_option(a, LIST_FORMATS, output=("--output", "-o"))
    add_store_options(a)


def _bands() -> tuple[str, ...]:
    from riskmodel.bands import BAND_NAMES

    return BAND_NAMES


def _set(args: argparse.Namespace) -> int:
    """set a record's confidence or attribution, or an area's band

    Set an override. Give --record ID with --confidence or --attribution, or --area UNIT
    with --band; --reason and --expires are required.
    """
    field = (
        "confidence"
        if args.confidence is not None
        else "attribution"
        if args.attribution is not None
        else "band"
    )
    given = {"confidence": args.confidence, "attribution": args.attribution, "band": args.band}[
        field
    ]
    if field == "band" and args.area is None:
        raise ov.OverrideError(
            "--band goes with --area UNIT (a record has no band): "
            "use --confidence or --attribution with --record"
        )
    if field != "band" and args.record is None:
        raise ov.OverrideError(f"--{field} goes with --record ID: an area takes --band")
    value = ov.normalise_value(field, given, _bands())
    expires = ov.parse_expiry(args.expires)
    data = current_data(args)
    computed = None
    if field == "band":
        kind, target = ov.AREA_KIND, ov.find_unit(data, args.area)
    else:
        kind, target = ov.find_record(data, args.record)
        computed = ov.computed_value(data, kind, target, field)
    change = ov.set_override(
        store_location(args),
        kind,
        target,
        field,
        value,
        reason=args.reason,
        expires_on=expires,
        author=args.author,
        computed=computed,
    )
    print(
        f"override {change.override_id}: {change.subject} {field} {value} until "
        f"{change.expires_on} (was {change.old or 'computed'}) in "
        f"{store_label(store_location(args))}"
    )
    if not change.active:
        print(
            f"note: {change.expires_on} is in the past, so override {change.override_id} "
            "has no effect (it is kept in the log); give a later --expires to apply it",
            file=sys.stderr,
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    """list overrides (active ones by default)

    List the overrides: active ones, or every one with --all (expired and withdrawn
    too).
    """
    frame = ov.list_overrides(store_location(args))
    if not args.all:
        frame = frame[frame["status"] == "active"]
    frame = frame[list(ov.LIST_COLUMNS)]
    empty = "no overrides" + (
        "" if args.all else " in force (--all lists expired and withdrawn ones)"
    )
    return write_frame(frame, args.format, args.output, empty)


def _remove(args: argparse.Namespace) -> int:
    """withdraw an override (it stays in the log)

    Withdraw an override: it stops applying at once; the row is kept with who withdrew
    it and when, and the audit log records the change.
    """
    change = ov.remove_override(
        store_location(args), args.id, author=args.author, reason=args.reason
    )
    now = change.new or "the computed value"
    print(
        f"withdrew override {change.override_id} ({change.subject} {change.field} "
        f"{change.old}); now in force: {now}"
    )
    return 0


def _audit(args: argparse.Namespace) -> int:
    """the audit log of overrides

    Every change to the overrides, oldest first: when, who, what, the subject and the
    old and new values.
    """
    frame = ov.audit_log(store_location(args))
    if args.format == "json":
        rows = frame.to_dict(orient="records")
        for row in rows:
            row["detail"] = json.loads(row["detail"])
        write_text(to_json(rows) + "\n", args.output)
        return 0
    return write_frame(frame, args.format, args.output, "the audit log is empty")
