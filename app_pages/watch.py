"""Watch: named zones (a site with a radius, a CPEC segment or route with a buffer, an
area), the records imported inside each since its last review, the zone's score change and
"Mark reviewed"; a form to add or remove a zone.

Thin page: the rules live in :mod:`geodata.watch` (the store, the point-in-zone test) and
:mod:`riskmodel.watch` (zones from ids, the zone score, the report). Zone names and record
text reach the page only through ``ui.md_escape`` or ``st.dataframe`` (shown as text).
"""

from __future__ import annotations

import streamlit as st

import ui
from geodata.store import store_label
from geodata.watch import default_owner, remove_zone
from riskmodel.score import corridor_segments
from riskmodel.watch import add_zone, review, score_change_text, watch_report, zone_lines

SCORE_NOTE = (
    "Zone score (0–100, the default view: every record, the default perspective, as of the "
    "newest record): a site zone has the site's own score, a segment zone the segment's, a "
    "route zone its highest segment score, and an area zone the score of the records the "
    "area keeps as an area-of-interest filter. The radius or buffer decides which new "
    "records are listed. The change is the score now minus the score at the last review."
)
RECORD_COLUMNS = [
    "id",
    "kind",
    "date",
    "actor",
    "place",
    "fatalities",
    "summary",
    "source_dataset",
    "source_1_url",
    "batch_id",
    "imported_at",
    "file",
]
_CONFIG = {
    "source_1_url": st.column_config.LinkColumn("source", display_text="open source"),
    "summary": st.column_config.TextColumn("summary", width="large"),
}
_ZONE_LABELS = {
    "name": "Zone",
    "zone": "Around",
    "owner": "Owner",
    "new_records": "New records",
    "score_reviewed": "Score at review",
    "score_now": "Score now",
    "score_change": "Change",
    "reviewed_at": "Last reviewed (UTC)",
}
_KINDS = {
    "site": "Site with a radius",
    "segment": "CPEC segment with a buffer",
    "route": "CPEC route with a buffer",
    "aoi": "Area (W,S,E,N)",
}


def _bump_store_version() -> None:
    st.session_state["store_version"] = int(st.session_state.get("store_version", 0)) + 1


def show_import_alerts() -> None:
    """After an import (Data page): the 'Watch zones: …' lines, as text."""
    try:
        lines = zone_lines(watch_report(None, ui.data()))
    except ValueError as exc:
        st.warning(ui.md_escape(f"Watch zones could not be checked: {exc}"))
        return
    if not lines:
        return
    st.info(
        ui.md_escape(lines[0])
        + ("  \n" if len(lines) > 1 else "")
        + "  \n".join(ui.md_escape(line) for line in lines[1:])
    )
    if len(lines) > 1:
        st.page_link("app_pages/watch.py", label="Open the Watch page")


def _zone_section(report, row: dict) -> None:
    records = report.records[report.records["zone"] == row["name"]]
    st.subheader(ui.md_escape(row["name"]))
    st.caption(
        ui.md_escape(
            f"{row['zone']} · owner {row['owner']} · created {row['created_at']} · last "
            f"reviewed {row['reviewed_at']} · {score_change_text(row)}"
        )
    )
    if records.empty:
        st.write("No new records inside since the last review.")
    else:
        ids = records["id"].astype(str).tolist()
        more = f" and {len(ids) - 10} more" if len(ids) > 10 else ""
        st.write(
            ui.md_escape(
                f"{len(ids)} new record(s) inside since the last review: "
                + ", ".join(ids[:10])
                + more
            )
        )
        st.dataframe(
            records[RECORD_COLUMNS], hide_index=True, width="stretch", column_config=_CONFIG
        )
    if st.button("Mark reviewed", key=f"review::{row['name']}"):
        done = review(row["name"], ui.data())
        st.success(ui.md_escape(f"Marked {done.name} reviewed at {done.reviewed_at}."))
        _bump_store_version()
        st.rerun()


def _add_form(data) -> None:
    st.subheader("Add a zone")
    kind = st.radio("Zone", list(_KINDS), format_func=_KINDS.get, horizontal=True, key="watch_kind")
    with st.form("watch_add", clear_on_submit=False):
        name = st.text_input("Name", max_chars=80, key="watch_name")
        ref = area = None
        distance = None
        if kind == "site":
            sites = data.sites
            labels = dict(zip(sites["id"], sites["name"], strict=True))
            ref = st.selectbox("Site", list(labels), format_func=lambda i: f"{i}: {labels[i]}")
            distance = st.number_input(
                "Radius (km)", min_value=0.1, max_value=500.0, value=10.0, step=1.0
            )
        elif kind == "segment":
            segments = corridor_segments(data.corridors)
            labels = dict(zip(segments["id"], segments["name"], strict=True))
            ref = st.selectbox("Segment", list(labels), format_func=lambda i: f"{i}: {labels[i]}")
            distance = st.number_input(
                "Buffer (km)", min_value=0.1, max_value=500.0, value=5.0, step=1.0
            )
        elif kind == "route":
            routes = data.corridors
            labels = dict(zip(routes["route_id"], routes["name"], strict=True))
            ref = st.selectbox("Route", list(labels), format_func=lambda i: labels[i])
            distance = st.number_input(
                "Buffer (km)", min_value=0.1, max_value=500.0, value=5.0, step=1.0
            )
        else:
            current = ui.current_spec().filters.aoi
            area = st.text_input(
                "Area: W,S,E,N in degrees (or poly:…)",
                value=current.to_param() if current else "",
                help="The area drawn or typed on the Risk map is filled in.",
            )
        owner = st.text_input("Owner", value=default_owner(), max_chars=80)
        if not st.form_submit_button("Add zone", type="primary"):
            return
    how = {kind: area if kind == "aoi" else ref}
    try:
        zone = add_zone(name, data, None, distance_km=distance, owner=owner, **how)
    except ValueError as exc:
        st.error(ui.md_escape(exc))
        return
    st.success(ui.md_escape(f"Added the zone {zone.name} ({zone.describe()})."))
    _bump_store_version()
    st.rerun()


def _remove_form(report) -> None:
    names = report.zones["name"].tolist()
    if not names:
        return
    st.subheader("Remove a zone")
    choice = st.selectbox("Zone to remove", names, key="watch_remove_choice")
    if st.button("Remove zone", key="watch_remove"):
        gone = remove_zone(str(choice))
        st.success(ui.md_escape(f"Removed the zone {gone.name}."))
        _bump_store_version()
        st.rerun()


def render() -> None:
    """The Watch page."""
    st.title("Watch zones")
    st.caption(
        "Records imported inside each zone since its last review. " + ui.md_escape(SCORE_NOTE)
    )
    data = ui.data()
    try:
        report = watch_report(None, data)
    except ValueError as exc:
        st.error(ui.md_escape(exc))
        return
    if report.zones.empty:
        st.info(
            ui.md_escape(
                f"No watch zones yet (store: {store_label()}). Add one below, "
                "or with 'iskp-atlas watch add NAME --site ID --radius-km N'."
            )
        )
    else:
        st.dataframe(
            report.zones[list(_ZONE_LABELS)],
            hide_index=True,
            width="stretch",
            column_config={k: st.column_config.Column(v) for k, v in _ZONE_LABELS.items()},
        )
        for row in report.zones.to_dict(orient="records"):
            _zone_section(report, row)
    _add_form(data)
    _remove_form(report)


if __name__ == "__main__":
    render()
