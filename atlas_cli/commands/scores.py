"""``iskp-atlas scores`` and ``iskp-atlas explain``: risk tables and their decomposition."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_view_options, current_data, view_filters
from atlas_cli.output import FORMATS, on_terminal, render_table, write_text
from atlas_cli.parsing import add_command
from riskmodel import LEVELS, score

SCORE_COLUMNS = {
    "province": ["id", "name", "country"],
    "segment": ["id", "name", "route_id", "seq", "km_from", "km_to"],
    "site": ["id", "name", "asset_type", "country"],
}
COMMON = [
    "load",
    "score",
    "band",
    "surge",
    "surge_change_pct",
    "surge_latest",
    "surge_baseline_mean",
    "n_events",
    "n_threats",
    "top_contributor",
    "top_share",
]


_LEVELS = (LEVELS, "province", "province (41 admin-1 units), segment (CPEC ~25 km) or site")


def _common(p: argparse.ArgumentParser) -> None:
    add_view_options(p, FORMATS, "actor=ISKP&from=2024-01-01", _LEVELS)


def register(sub: argparse._SubParsersAction) -> None:
    s = add_command(sub, "scores", _scores)
    _common(s)
    e = add_command(sub, "explain", _explain)
    e.add_argument("id", help="area id, e.g. AF-KAB (or Kabul), KKH_N35-007, AST-006")
    _common(e)


def _result(args: argparse.Namespace):
    filters, settings = view_filters(args)
    return score(current_data(args, filters), filters, settings, levels=(args.level,))


def _scores(args: argparse.Namespace) -> int:
    """risk scores per province, corridor segment or site

    Risk scores (load, 0-100 score, band, surge flag, top contributor) for every area of
    one level, after the filters of --query.
    """
    result = _result(args)
    table = result.table(args.level)
    # an analyst's band override in force: the computed band and the note beside it
    analyst = [c for c in ("band_computed", "band_override") if c in table.columns]
    columns = COMMON[:3] + analyst + COMMON[3:]
    table = table[SCORE_COLUMNS[args.level] + columns].sort_values(
        ["load", "id"], ascending=[False, True], kind="stable"
    )
    if args.format == "table":
        table = table.round({"load": 3})
    write_text(render_table(table, args.format), args.output)
    if on_terminal(args):
        print(f"# {result.description}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    """the records behind one area's score

    The records that make up one area's load, with their contribution, largest first;
    the contributions sum to the load shown by 'scores'.
    """
    result = _result(args)
    frame = result.explain(args.id, args.level)
    if args.format == "table":
        frame = frame.drop(columns=["summary"]).round(
            {
                "severity": 2,
                "recency": 4,
                "relevance": 2,
                "distance_km": 1,
                "kernel": 4,
                "split": 3,
                "contribution": 4,
            }
        )
    write_text(render_table(frame, args.format), args.output)
    if on_terminal(args):
        row = result.table(args.level).iloc[result.area_index(args.id, args.level)]
        note = row.get("band_override")
        analyst = (
            f" (analyst; computed: {row['band_computed']})"
            if isinstance(note, str) and note
            else ""
        )
        print(
            f"# {row['id']} {row['name']}: load {row['load']:.4f}, score {row['score']}, "
            f"band {row['band']}{analyst}; {len(frame)} records. {result.description}"
        )
    return 0
