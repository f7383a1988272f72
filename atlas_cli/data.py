"""The data a CLI command reads: the one loader (:func:`geodata.catalog.load_current`), with
``--home`` (store folder) and ``--extra`` (an extra incidents CSV) on every command that reads
records, so the command line sees exactly what the app shows."""

from __future__ import annotations

import argparse

from geodata.catalog import EXTRA_INCIDENTS_ENV
from geodata.store import HOME_ENV, URL_ENV


def add_store_options(p: argparse.ArgumentParser, home_help: str | None = None) -> None:
    """``--home DIR`` (the SQLite store's folder) or ``--database-url URL`` (the team store
    on PostgreSQL/PostGIS), the same choices the app reads from the environment."""
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--home",
        default=None,
        metavar="DIR",
        help=home_help
        or f"store folder with imported records (default ${HOME_ENV} or the user data folder)",
    )
    where.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help=f"team store on PostgreSQL/PostGIS, postgresql://… (default "
        f"${URL_ENV}; overrides the store folder)",
    )


def store_location(args: argparse.Namespace) -> str | None:
    """What the store functions take as ``home``: the URL, the folder, or None (the
    environment's choice)."""
    return getattr(args, "database_url", None) or getattr(args, "home", None)


def add_data_options(p: argparse.ArgumentParser) -> None:
    """``--home``/``--database-url`` and ``--extra``, the same choices the app reads from
    the environment."""
    add_store_options(p)
    p.add_argument(
        "--extra",
        default=None,
        metavar="CSV",
        help=f"extra incidents in the product's CSV format (default ${EXTRA_INCIDENTS_ENV})",
    )


def current_data(args: argparse.Namespace, filters=None):
    """Bundled + imported (+ extra) records, as the app loads them; with the command's
    ``filters`` a team store is asked for that filter's records only (the same result once
    the filter is applied, see :func:`geodata.catalog.load_source`)."""
    from geodata.catalog import load_current

    return load_current(
        getattr(args, "home", None),
        getattr(args, "extra", None),
        database_url=getattr(args, "database_url", None),
        filters=filters,
    )


def add_view_options(
    p: argparse.ArgumentParser,
    formats: tuple[str, ...],
    example: str,
    levels: tuple[tuple[str, ...], str, str],
) -> None:
    """``--level`` (``levels``: the choices, the default and the help), ``--query``,
    ``--perspective``, ``--format``, ``-o`` and the data options: what every command that
    scores or forecasts a filtered view takes."""
    from atlas_cli.parsing import OUTPUT, add_format_option
    from riskmodel import PRESETS
    from riskmodel.filters import FILTER_KEYS

    choices, default, level_help = levels
    p.add_argument("--level", choices=choices, default=default, help=level_help)

    p.add_argument(
        "--query",
        default="",
        metavar="QS",
        help=f"filter query, e.g. '{example}' (keys: " + ", ".join(FILTER_KEYS) + ")",
    )
    p.add_argument(
        "--perspective",
        choices=tuple(PRESETS),
        help="relevance preset (overrides perspective= in the query)",
    )
    add_format_option(p, formats, output=OUTPUT)
    add_data_options(p)


def view_filters(args: argparse.Namespace):
    """The filters of ``--query`` and the risk settings, ``--perspective`` overriding."""
    from riskmodel import parse_query, settings_from_filters

    filters = parse_query(args.query or "")
    overrides = {"perspective": args.perspective} if args.perspective else {}
    return filters, settings_from_filters(filters, **overrides)
