"""``iskp-atlas info`` and ``iskp-atlas validate``: what is bundled, and checking a file."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_data_options, current_data
from atlas_cli.parsing import add_command
from geodata import load_geography, load_records
from geodata.contract import RECORD_KINDS


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "info", _info)
    add_data_options(p)
    v = add_command(sub, "validate", _validate)
    v.add_argument("file", help="CSV file in the product's own columns")
    v.add_argument("--kind", choices=RECORD_KINDS, default="incidents")


def _info(args: argparse.Namespace) -> int:
    """list the layers and their sizes

    List the layers and their feature counts: the bundled layers plus the records
    imported into the store (and --extra).
    """
    bundle = current_data(args)
    for name in (
        "provinces",
        "pak_admin1",
        "countries",
        "border",
        "corridors",
        "waypoints",
        "incidents",
        "threats",
        "sites",
    ):
        print(f"{name}\t{len(getattr(bundle, name))}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    """check a product-format CSV against the data contract

    Check a CSV in the product's own format (incidents, threats or sites) against the
    data contract; prints every problem with row, column and fix.
    """
    records = load_records(args.file, args.kind, load_geography())
    print(f"{args.file}: {len(records)} {args.kind} records pass the data contract")
    return 0
