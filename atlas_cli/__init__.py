"""The ``iskp-atlas`` command line (the edge: parses arguments, prints, writes files)."""
