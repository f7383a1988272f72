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
