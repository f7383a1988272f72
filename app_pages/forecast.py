"""Forecast: P(at least one relevant attack) per unit for the next 1 or 3 months, with
intervals, the back-test that says how much to trust it, and what it cannot say."""

import altair as alt
import matplotlib.pyplot as plt
import pandas as pd
import streamlit as st

import ui
from riskmodel.backtest import MIN_EVENTS, REFIT_EVERY, backtest
from riskmodel.filters import to_query
from riskmodel.forecast import AREA_LEVELS, INTERVAL, MIN_RELEVANCE, build_panel, forecast
from riskmodel.hotspots import hotspots
from riskmodel.settings import settings_from_filters

spec = ui.current_spec()


@st.cache_resource(show_spinner="Forecasting…", max_entries=16)
def _forecasts(query: str, signature: tuple, level: str, horizon: int):
    from riskmodel.filters import parse_query

    filters = parse_query(query)
    panel = build_panel(ui.data(), filters, settings_from_filters(filters), level)
    spots = hotspots(panel=panel) if level in AREA_LEVELS else None
    return panel, forecast(None, level=level, horizon=horizon, panel=panel), spots


@st.cache_resource(
    show_spinner="Back-testing (train up to each month, forecast, compare)…", max_entries=8
)
def _backtest(query: str, signature: tuple, level: str):
    from riskmodel.filters import parse_query

    filters = parse_query(query)
    panel = build_panel(ui.data(), filters, settings_from_filters(filters), level)
    return backtest(panel)


st.title("Forecast")
left, right = st.columns(2)
level = left.radio(
    "Units",
    ["admin1", "grid", "segment", "site"],
    horizontal=True,
    format_func={
        "admin1": "Provinces and Pakistani units",
        "grid": "0.5° grid cells",
        "segment": "CPEC segments",
        "site": "Sensitive sites",
    }.get,
)
horizon = right.radio("Months ahead", [1, 3], horizontal=True)
query = to_query(spec.filters)
signature = ui.data_signature()
try:
    panel, table, spots = _forecasts(query, signature, level, horizon)
except ValueError as exc:
    st.warning(ui.md_escape(exc))
    st.stop()
meta = table.attrs
st.caption(
    ui.md_escape(
        f"{meta['description']}. Data {meta['data_from']} to {meta['data_to']}: "
        f"{meta['n_events']:,} relevant attacks counted"
        + (
            (
                f" ({meta['n_unplaced']:,} more could not be placed in one unit)"
                if level in AREA_LEVELS
                else f" ({meta['n_unplaced']:,} more are farther from every {level} "
                "or have no point)"
            )
            if meta["n_unplaced"]
            else ""
        )
        + f". Model: {meta['model']}; forecast for {meta['target_months']}."
    )
)

st.subheader(f"Probability of at least one relevant attack, {meta['target_months']}")
if level not in AREA_LEVELS:
    cutoff = settings_from_filters(spec.filters).cutoff_km
    st.caption(
        f"An attack counts for every {level} within {cutoff:g} km of its point (the "
        "distance beyond which a record does not count for its score); sparse units "
        "shrink to the prior of all of them (empirical Bayes)."
    )
fig, ax = plt.subplots(figsize=(8, 6))
table.plot(
    column="p_any",
    ax=ax,
    cmap="OrRd",
    vmin=0,
    vmax=max(table["p_any"].max(), 0.05),
    legend=True,
    edgecolor="0.6" if level in AREA_LEVELS else None,
    linewidth=0.3 if level in AREA_LEVELS else 2.5,
    markersize=40 if level == "site" else None,
    legend_kwds={"label": "P(at least one relevant attack)", "shrink": 0.6},
)
ui.data().admin1.boundary.plot(ax=ax, color="0.3", linewidth=0.5)
ax.set_axis_off()
st.pyplot(fig, width="stretch")
plt.close(fig)

lo, hi = INTERVAL
st.subheader("Forecast table")
st.caption(
    f"Expected count and an {round((hi - lo) * 100)} % interval (the {lo:g} and "
    f"{hi:g} quantiles of the model's predictive distribution), beside what was "
    "observed."
)
view = table.drop(columns="geometry").sort_values("p_any", ascending=False)
st.dataframe(
    pd.DataFrame(view),
    hide_index=True,
    width="stretch",
    column_config={
        "p_any": st.column_config.ProgressColumn(
            "P(≥1 attack)", min_value=0, max_value=1, format="%.2f"
        ),
        "expected": st.column_config.NumberColumn("Expected", format="%.2f"),
        "low": "Interval low",
        "high": "Interval high",
        "last_month": "Last month",
        "last_12_months": "Last 12 months",
    },
)

if spots is None:
    st.caption(
        "Hot spots and the back-test are computed for provinces / admin-1 units and "
        "grid cells (units that tile the map); choose one of those for them."
    )
    st.stop()
st.subheader("Hot spots (Getis-Ord Gi*)")
st.caption(
    ui.md_escape(
        spots.attrs["status"] + ". " + spots.attrs["method"] + ". On the Risk "
        "map: switch on the layer “Hot spots”."
    )
)
if (spots["status"] == "ok").all():
    counts = spots["hotspot"].value_counts().rename_axis("class").reset_index(name="units")
    st.dataframe(counts, hide_index=True)

st.subheader("How good is it? The back-test")
st.caption(
    f"At every month from the first with 12 months of history: train on the data up "
    f"to that month only, forecast the next 1 and 3 months, compare with what "
    f"happened. Baselines: persistence (last period's count) and climatology (the "
    f"unit's long-run rate). Models re-estimated every {REFIT_EVERY} months."
)
result = _backtest(query, signature, level)
st.info(ui.md_escape(result.message))  # on thin data it starts "Too thin to judge skill"
metrics = result.metrics[result.metrics["horizon_months"] == horizon]
st.dataframe(
    metrics,
    hide_index=True,
    width="stretch",
    column_config={
        "brier": st.column_config.NumberColumn("Brier", format="%.4f"),
        "bss_vs_persistence": st.column_config.NumberColumn("Skill vs persistence", format="%.3f"),
        "bss_vs_climatology": st.column_config.NumberColumn("Skill vs climatology", format="%.3f"),
        "auc": st.column_config.NumberColumn("AUC", format="%.3f"),
        "hit_rate_top20": st.column_config.NumberColumn("Hit rate, top 20 %", format="%.3f"),
        "pai_top20": st.column_config.NumberColumn("PAI, top 20 %", format="%.2f"),
    },
)
parts = [t.assign(model=m) for (m, h), t in result.reliability.items() if h == horizon and len(t)]
if parts:
    rel = pd.concat(parts, ignore_index=True)
    st.caption(
        "Reliability: in each bin of forecast probability, how often an attack "
        "happened. A calibrated model lies on the diagonal; dot size = forecasts."
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(color="grey", strokeDash=[4, 4])
        .encode(x="x", y="y")
    )
    dots = (
        alt.Chart(rel)
        .mark_line(point=True)
        .encode(
            x=alt.X("mean_predicted", title="forecast probability", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(
                "observed_frequency", title="observed frequency", scale=alt.Scale(domain=[0, 1])
            ),
            color="model",
            size="count",
            tooltip=["model", "mean_predicted", "observed_frequency", "count"],
        )
    )
    st.altair_chart(diagonal + dots, width="stretch")

st.subheader("What the model can and cannot say")
st.markdown(
    ui.md_escape(
        f"It says how likely at least one recorded attack relevant to the chosen perspective "
        f"(relevance ≥ {MIN_RELEVANCE:g}) is in each unit, from the unit's own recent history "
        f"and, for the GLM, its neighbours'. It cannot see plans, claims, political change or "
        f"anything not in the records; it inherits their gaps (what sources report and how "
        f"they place events). A back-test with fewer than {MIN_EVENTS} events cannot show "
        f"skill; import UCDP GED or ACLED (Data page) for one that can. Method and figures on "
        f"real data: docs/FORECAST.md."
    )
)
