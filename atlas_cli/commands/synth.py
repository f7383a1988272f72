"""``iskp-atlas synth``: a synthetic incident file for benchmarks and scale tests."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from atlas_cli.parsing import add_command


def _at_least(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number of ``least`` or more."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"give {least} or more")
        return value

    return whole


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "synth", _synth)
    p.add_argument("--events", type=_at_least(1), required=True, metavar="N")
    p.add_argument("--seed", type=_at_least(0), default=0, metavar="S")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="CSV file to write ('-' for stdout)"
    )


def _synth(args: argparse.Namespace) -> int:
    """write synthetic incidents (clearly marked) in the product's CSV format

    Write N synthetic incidents over Afghanistan and Pakistan in the product's own
    incident CSV format (the columns of the bundled incidents). Every row is marked
    synthetic (ids SYN-..., summary and notes start with SYNTHETIC).
    """
    from atlas_cli.output import write_text
    from geodata.synth import synthesize, to_csv_text

    frame = synthesize(args.events, args.seed)
    write_text(to_csv_text(frame), args.output)
    if args.output not in (None, "-"):
        print(f"wrote {len(frame)} synthetic incidents to {args.output}", file=sys.stderr)
    return 0
