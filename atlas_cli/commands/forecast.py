"""``iskp-atlas forecast`` and ``iskp-atlas backtest``: forecasts per unit and their skill."""

from __future__ import annotations

import argparse

from atlas_cli.data import add_view_options, current_data, view_filters
from atlas_cli.output import on_terminal, render_table, to_json, write_text
from atlas_cli.parsing import add_command
from riskmodel.forecast import (
    AREA_LEVELS,
    FORECAST_COLUMNS,
    FORECAST_LEVELS,
    HORIZONS,
    MODELS,
)

_LEVEL_HELP = {
    "admin1": "admin1 (provinces and Pakistani units)",
    "grid": "grid (0.5° cells)",
    "segment": "segment (CPEC segments: attacks within the score's cut-off distance)",
    "site": "site (sensitive sites: likewise)",
}


def _common(
    p: argparse.ArgumentParser, formats: tuple[str, ...], levels: tuple[str, ...] = FORECAST_LEVELS
) -> None:
    level_help = ", ".join(_LEVEL_HELP[level] for level in levels)
    add_view_options(p, formats, "actor=ISKP&country=PAK", (levels, "admin1", level_help))


def register(sub: argparse._SubParsersAction) -> None:
    f = add_command(sub, "forecast", _forecast)
    f.add_argument("--horizon", type=int, choices=HORIZONS, default=1, help="months ahead (1 or 3)")
    f.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help="model (default: the one the back-test supports for the level)",
    )
    _common(f, ("table", "json", "csv"))
    b = add_command(sub, "backtest", _backtest)
    b.add_argument(
        "--from",
        dest="start",
        metavar="YYYY-MM",
        help="first origin month (default: the first with 12 months of history)",
    )
    b.add_argument("--to", dest="end", metavar="YYYY-MM", help="last origin month")
    b.add_argument(
        "--refit-every",
        type=int,
        default=None,
        metavar="N",
        help="re-estimate the models every N origins (default 12)",
    )
    _common(b, ("table", "json"), AREA_LEVELS)


def _month(text: str | None, what: str) -> str | None:
    import pandas as pd

    if text is None:
        return None
    try:
        return str(pd.Period(text, "M"))
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be a month YYYY-MM, got {text!r}") from None


def _panel(args: argparse.Namespace):
    from riskmodel.forecast import build_panel

    filters, settings = view_filters(args)
    return build_panel(current_data(args), filters, settings, args.level)


def _forecast(args: argparse.Namespace) -> int:
    """P(at least one relevant attack) per unit, next 1 or 3 months

    For every admin-1 unit, 0.5° grid cell, CPEC segment or sensitive site: the
    probability of at least one relevant attack and the expected count in the next 1 or
    3 months after the data's last month, with an 80 %% interval. Method:
    docs/FORECAST.md.
    """
    from riskmodel.forecast import forecast

    table = forecast(
        None, level=args.level, horizon=args.horizon, model=args.model, panel=_panel(args)
    )
    meta = dict(table.attrs)
    rows = table[list(FORECAST_COLUMNS)].sort_values(
        ["p_any", "id"], ascending=[False, True], kind="stable"
    )
    if args.format == "json":
        text = to_json({"method": meta, "forecasts": rows.to_dict(orient="records")}) + "\n"
    else:
        text = render_table(rows, args.format)
    write_text(text, args.output)
    if on_terminal(args):
        print(
            f"# model {meta['model']}, {meta['level']}, months {meta['target_months']}; "
            f"interval {meta['interval']}; data {meta['data_from']} to {meta['data_to']}, "
            f"{meta['n_events']} relevant attacks. {meta['description']}"
        )
    return 0


def _backtest(args: argparse.Namespace) -> int:
    """rolling-origin back-test of the forecasts against baselines

    Train up to each origin month, forecast the next 1 and 3 months, compare with what
    happened: Brier score and skill against persistence and climatology, AUC, hit rate
    and PAI of the top 20 %% of units, reliability.
    """
    from riskmodel.backtest import REFIT_EVERY, backtest, result_dict

    start, end = _month(args.start, "--from"), _month(args.end, "--to")
    refit = REFIT_EVERY if args.refit_every is None else args.refit_every
    result = backtest(_panel(args), start=start, end=end, refit_every=refit)
    if args.format == "json":
        data = result_dict(result)
        data["refit_every"] = refit
        write_text(to_json(data) + "\n", args.output)
        return 0
    metrics = result.metrics.round(
        {
            "brier": 4,
            "bss_vs_persistence": 3,
            "bss_vs_climatology": 3,
            "auc": 3,
            "hit_rate_top20": 3,
            "pai_top20": 2,
        }
    )
    text = render_table(metrics, "table")
    if result.thin:  # never a skill figure without saying how few events it rests on
        text = f"# {result.message}\n" + text
    text += (
        f"# {result.message} Level {result.level}; data {result.data_from} to "
        f"{result.data_to}; models re-estimated every {refit} origins."
    )
    if result.best_model:
        text += f" Lowest Brier at 1 month: {result.best_model}."
    write_text(text + "\n", args.output)
    return 0
