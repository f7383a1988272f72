"""The data a CLI command reads: the one loader (:func:`geodata.catalog.load_current`), with
``--home`` (store folder) and ``--extra`` (an extra incidents CSV) on every command that reads
records, so the command line sees exactly what the app shows."""

from __future__ import annotations

import argparse

from geodata.catalog import EXTRA_INCIDENTS_ENV
from geodata.store import HOME_ENV


def add_data_options(p: argparse.ArgumentParser) -> None:
    """``--home`` and ``--extra``, the same choices the app reads from the environment."""
    p.add_argument("--home", default=None, metavar="DIR",
                   help=f"store folder with imported records (default ${HOME_ENV} or the "
                   "user data folder)")
    p.add_argument("--extra", default=None, metavar="CSV",
                   help=f"extra incidents in the product's CSV format (default "
                   f"${EXTRA_INCIDENTS_ENV})")


def current_data(args: argparse.Namespace):
    """Bundled + imported (+ extra) records, as the app loads them."""
    from geodata.catalog import load_current

    return load_current(getattr(args, "home", None), getattr(args, "extra", None))


def add_view_options(p: argparse.ArgumentParser, formats: tuple[str, ...],
                     example: str) -> None:
    """``--query``, ``--perspective``, ``--format``, ``-o`` and the data options: what every
    command that scores or forecasts a filtered view takes."""
    from riskmodel import PRESETS
    from riskmodel.filters import FILTER_KEYS

    p.add_argument("--query", default="", metavar="QS",
                   help=f"filter query, e.g. '{example}' (keys: " + ", ".join(FILTER_KEYS) + ")")
    p.add_argument("--perspective", choices=tuple(PRESETS),
                   help="relevance preset (overrides perspective= in the query)")
    p.add_argument("--format", choices=formats, default="table")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    add_data_options(p)


def view_filters(args: argparse.Namespace):
    """The filters of ``--query`` and the risk settings, ``--perspective`` overriding."""
    from riskmodel import parse_query, settings_from_filters

    filters = parse_query(args.query or "")
    overrides = {"perspective": args.perspective} if args.perspective else {}
    return filters, settings_from_filters(filters, **overrides)
