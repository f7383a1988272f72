"""``iskp-atlas export`` and ``iskp-atlas brief``: filtered layers and briefing files.

Both resolve one spec (the ``--query`` in the filter language, plus the map keys
``layers``, ``colour``, ``points`` and ``view``) against the current data (bundled +
imported + extra, :func:`geodata.catalog.load_current`), exactly as the app does, and
write what :mod:`mapspec.export` / :mod:`mapspec.briefing` return.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import parse_qsl

from atlas_cli.data import add_data_options, current_data
from atlas_cli.parsing import add_command
from mapspec.export import ALL_EXPORT_LAYERS, BRIEFING_FORMATS, EXPORT_LAYERS, FORMATS, REGISTRY
from mapspec.spec import MapSpec


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` and ``brief`` subcommands."""
    e = add_command(
        sub,
        "export",
        _export,
        "export filtered layers as " + ", ".join(FORMATS),
        "Export layers of the filtered map: "
        + "; ".join(
            f"{REGISTRY[f].label} — "
            + ("several layers" if REGISTRY[f].multi_layer else "one layer")
            for f in FORMATS
        )
        + ". Layers: "
        + ", ".join(EXPORT_LAYERS)
        + "; and, when named, "
        + ", ".join(n for n in ALL_EXPORT_LAYERS if n not in EXPORT_LAYERS)
        + " (a forecast or hot-spot layer with its method — model, horizons, data span, "
        "back-test — in the metadata).",
    )
    e.add_argument(
        "--layer",
        action="append",
        metavar="NAME",
        help="layer to export (repeat, or comma-separate, for gpkg; 'all' = "
        "every record and score layer, gpkg only)",
    )
    _format_and_query(e, f"one of {', '.join(FORMATS)}")
    e.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="file to write ('-' = stdout, geojson and csv only)",
    )
    add_data_options(e)

    b = add_command(sub, "brief", _brief)
    _format_and_query(b, " or ".join(BRIEFING_FORMATS))
    b.add_argument(
        "--banner", default=None, metavar="TEXT", help="handling banner (default: PUBLIC SOURCES)"
    )
    b.add_argument("--title", default=None, metavar="TEXT", help="title (default: the view)")
    b.add_argument(
        "--width",
        type=int,
        default=None,
        metavar="PX",
        help="PNG width in pixels (at least 1600; default 2000)",
    )
    b.add_argument("-o", "--output", required=True, metavar="FILE", help="file to write")
    add_data_options(b)


def _format_and_query(p: argparse.ArgumentParser, formats: str) -> None:
    """``--format`` (``formats`` names the choices; the -o suffix by default) and
    ``--query``, the spec of the file."""
    p.add_argument(
        "--format",
        dest="fmt",
        metavar="FORMAT",
        help=f"{formats} (default: from the -o suffix)",
    )
    p.add_argument(
        "--query",
        default="",
        metavar="QS",
        help="filters and view as a query string, e.g. "
        "'actor=ISKP&country=PAK&from=2024-01-01&view=admin1:PK-BA' "
        "(default: the whole atlas, unfiltered)",
    )


def spec_from_query(query: str) -> MapSpec:
    """The spec of a query string (filter keys and map keys); raises ValueError."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(
        query.strip().lstrip("?"), keep_blank_values=True, strict_parsing=False
    ):
        params.setdefault(key, []).append(value)
    # repeated keys mean OR within the key, as in the filter language (actor=A&actor=B)
    flat = {key: ",".join(values) for key, values in params.items()}
    return MapSpec.from_params(flat)


def _format(fmt: str | None, output: str, allowed: tuple[str, ...]) -> str:
    chosen = (fmt or Path(output).suffix.lstrip(".")).lower()
    if not chosen:
        raise ValueError(f"give --format ({', '.join(allowed)}) or an output file suffix")
    if chosen not in allowed:
        raise ValueError(f"format {chosen!r} is not one of {', '.join(allowed)}")
    return chosen


def _layers(raw: list[str] | None) -> list[str]:
    if not raw:
        raise ValueError(f"give --layer NAME (one of {', '.join(EXPORT_LAYERS)})")
    names = [part.strip() for item in raw for part in item.split(",") if part.strip()]
    if names == ["all"]:
        return list(EXPORT_LAYERS)
    bad = [name for name in names if name not in ALL_EXPORT_LAYERS]
    if bad:
        raise ValueError(f"unknown layer {bad[0]!r}; use one of {', '.join(ALL_EXPORT_LAYERS)}")
    return names


def _resolve(args: argparse.Namespace):
    from mapspec.resolve import resolve

    spec = spec_from_query(args.query)
    return resolve(spec, current_data(args, spec.filters))


def _write(data: bytes, output: str) -> None:
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(data)


def _export(args: argparse.Namespace) -> int:
    from mapspec.export import check_layers, export_file

    fmt = _format(args.fmt, args.output if args.output != "-" else "", FORMATS)
    names = check_layers(_layers(args.layer), fmt)
    if args.output == "-" and not REGISTRY[fmt].stdout:
        raise ValueError(
            f"{REGISTRY[fmt].label} cannot go to stdout; give -o FILE.{REGISTRY[fmt].extension}"
        )
    resolved = _resolve(args)
    result = export_file(resolved, names, fmt)
    _write(result.data, args.output)
    counts = ", ".join(f"{k} {v}" for k, v in result.feature_counts.items())
    withheld = "".join(
        f"; {v} {k} rows withheld under their licence terms" for k, v in result.withheld.items()
    )
    print(f"{args.output}: {counts} feature(s) — {resolved.sentence}{withheld}", file=sys.stderr)
    return 0


def _brief(args: argparse.Namespace) -> int:
    """make a briefing image (PNG) or one-page PDF of the filtered map

    Draw the filtered map as a 16:9 briefing PNG (title, filter sentence, legend, scale
    bar, north arrow, sources) or a one-page PDF with the top-10 areas, segments and
    sites.
    """
    from mapspec.briefing import BriefingOptions

    fmt = _format(args.fmt, args.output, BRIEFING_FORMATS)
    options = BriefingOptions(
        **{
            k: v
            for k, v in (("banner", args.banner), ("title", args.title), ("width_px", args.width))
            if v is not None
        }
    )
    resolved = _resolve(args)
    data = REGISTRY[fmt].write()(resolved, options)
    _write(data, args.output)
    print(f"{args.output}: briefing {fmt.upper()} — {resolved.sentence}", file=sys.stderr)
    return 0
