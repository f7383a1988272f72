"""Subcommands of ``iskp-atlas``: every module here defines ``register(subparsers)``.

Modules are discovered automatically (sorted by name), so adding a command is adding a
module.
"""
