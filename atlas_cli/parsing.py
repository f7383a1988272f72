"""Setting up a subcommand: its parser and handler (whose docstring is its help), and the
``--format`` / ``-o`` options the commands that write tables share."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Sequence


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable[[argparse.Namespace], int],
    help: str | None = None,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """The subcommand ``name``, run by ``handler``. Its ``--help`` line and description are
    ``help`` and ``description``, or else the handler's docstring: the first paragraph and
    the rest."""
    if help is None and handler.__doc__:
        first, _, rest = inspect.cleandoc(handler.__doc__).partition("\n\n")
        help, description = " ".join(first.split()), " ".join(rest.split()) or None
    p = sub.add_parser(name, help=help, description=description)
    p.set_defaults(handler=handler)
    return p


def add_group(
    sub: argparse._SubParsersAction, name: str, dest: str, help: str, description: str
) -> argparse._SubParsersAction:
    """The command ``name`` of actions (``iskp-atlas NAME ACTION``, one required); the
    action chosen is ``args.<dest>``. Add the actions with :func:`add_command`."""
    p = sub.add_parser(name, help=help, description=description)
    return p.add_subparsers(dest=dest, metavar="ACTION", required=True)


def add_format_option(
    p: argparse.ArgumentParser,
    formats: Sequence[str],
    *,
    dest: str = "format",
    output: Sequence[str] = (),
) -> None:
    """``--format`` (one of ``formats``, default table) into ``args.<dest>``; with
    ``output`` (its option strings, e.g. ``("-o", "--output")``) the file to write to
    instead of stdout."""
    p.add_argument("--format", choices=formats, default="table", dest=dest)
    if output:
        p.add_argument(*output, metavar="FILE", help="write to FILE instead of stdout")


OUTPUT = ("-o", "--output")
"""The option strings of the output file."""
