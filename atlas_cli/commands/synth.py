"""``iskp-atlas synth``: a synthetic incident file for benchmarks and scale tests."""

from __future__ import annotations

import argparse
import sys


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give 1 or more")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("give 0 or more")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "synth",
        help="write synthetic incidents (clearly marked) in the product's CSV format",
        description="Write N synthetic incidents over Afghanistan and Pakistan in the "
        "product's own incident CSV format (the columns of the bundled incidents). Every row "
        "is marked synthetic (ids SYN-..., summary and notes start with SYNTHETIC).",
    )
    p.add_argument("--events", type=_positive, required=True, metavar="N")
    p.add_argument("--seed", type=_seed, default=0, metavar="S")
    p.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="CSV file to write ('-' for stdout)"
    )
    p.set_defaults(handler=_synth)


def _synth(args: argparse.Namespace) -> int:
    from atlas_cli.output import write_text
    from geodata.synth import synthesize, to_csv_text

    frame = synthesize(args.events, args.seed)
    write_text(to_csv_text(frame), args.output)
    if args.output not in (None, "-"):
        print(f"wrote {len(frame)} synthetic incidents to {args.output}", file=sys.stderr)
    return 0
