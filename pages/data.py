"""Data: import ACLED / UCDP GED / GTD / atlas CSV / GeoJSON files into the local store.

Thin page: upload → detect and preview (first rows, row-level problems) → import with a
progress bar → list and remove batches. Every decision lives in ``geodata`` (importers,
store). Streamlit escapes the text it shows in tables, so imported text is displayed as
given but never interpreted as HTML.
"""

from __future__ import annotations

import streamlit as st

import ui
from geodata.contract import DataContractError
from geodata.importers import FORMATS
from geodata.store import (
    batches_frame,
    commit_plan,
    import_bytes,
    list_merges,
    rollback,
    store_path,
)

ui.page_frame()  # the app's frame, also for a deep link on a fresh server

PREVIEW_COLUMNS = ["id", "date", "country", "admin1_code", "actor", "actor_canonical",
                   "target_category", "fatalities", "geo_precision", "date_precision",
                   "source_dataset", "licence"]


def _bump_store_version() -> None:
    st.session_state["store_version"] = int(st.session_state.get("store_version", 0)) + 1


def _problems_table(problems: list, source: str) -> list[dict]:
    return [{"row": p.row, "column": p.column, "value": None if p.value is None else
             str(p.value)[:80], "what to do": p.hint} for p in problems]


def _upload_section() -> None:
    st.subheader("Import a file")
    upload = st.file_uploader("ACLED, UCDP GED, GTD (CSV or xlsx), atlas CSV or GeoJSON",
                              type=["csv", "xlsx", "geojson", "json", "txt"])
    fmt = st.selectbox("Format", ["detect from the header", *FORMATS])
    skip_bad = st.checkbox("Import only the valid rows of a partly bad file (skip bad rows)")
    if upload is None:
        return
    data = upload.getvalue()
    chosen = None if fmt.startswith("detect") else fmt
    key = (upload.name, len(data), hash(data), chosen, skip_bad,
           st.session_state.get("store_version", 0))
    try:
        cached = st.session_state.get("import_preview")
        if cached is None or cached[0] != key:
            plan = import_bytes(data, upload.name, fmt=chosen, skip_bad=skip_bad,
                                dry_run=True).plan
            st.session_state["import_preview"] = (key, plan)
        preview = st.session_state["import_preview"][1]
    except DataContractError as exc:
        st.error(ui.md_escape(exc))
        if len(exc.problems) > 1:
            st.dataframe(_problems_table(exc.problems, upload.name), hide_index=True)
        return
    except ValueError as exc:
        st.error(ui.md_escape(exc))
        return
    c = preview.counts()
    st.success(f"Detected **{preview.format}** ({preview.kind}, {preview.encoding}"
               f"{', HXL row skipped' if preview.hxl_row_skipped else ''}): {c['read']} rows "
               f"read, {c['accepted']} new, {c['merged']} merged with records from another "
               f"source, {c['rejected']} rejected, {c['excluded']} left out, "
               f"{c['already_present']} already present.")
    shown = [col for col in PREVIEW_COLUMNS if col in preview.enriched.columns]
    st.dataframe(preview.enriched[shown].head(20), hide_index=True)
    if preview.rejected:
        st.warning(f"{preview.rows_rejected} bad row(s) will be skipped:")
        st.dataframe(_problems_table(preview.rejected, upload.name), hide_index=True)
    for line in preview.reasons(limit=5)[len(preview.rejected[:5]):]:
        st.caption(ui.md_escape(line))
    if len(preview.merges):
        st.caption("Records that will be merged (same event in another source):")
        st.dataframe(preview.merges, hide_index=True)
    if st.button("Import", type="primary", disabled=preview.records.empty):
        bar = st.progress(0.0, text="Importing…")
        try:
            batch = commit_plan(preview, skip_bad=skip_bad,
                                progress=lambda f, m: bar.progress(min(f, 1.0), text=m))
        except (DataContractError, ValueError) as exc:
            st.error(ui.md_escape(exc))
            return
        bar.progress(1.0, text="Done")
        st.success(f"Stored as batch {batch.batch_id}.")
        with st.spinner("Preparing the map with the new records…"):
            ui.data()  # validates and joins once; every page then opens quickly
        _bump_store_version()


def _batches_section() -> None:
    st.subheader("Imported batches")
    batches = batches_frame()
    if batches.empty:
        st.info(f"No imported batches yet (store: {store_path()}).")
        return
    st.dataframe(batches.drop(columns=["sha256"]), hide_index=True)
    merges = list_merges()
    if len(merges):
        with st.expander(f"Merged records ({len(merges)})"):
            st.dataframe(merges, hide_index=True)
    choice = st.selectbox("Batch to remove", batches["batch_id"].tolist(),
                          format_func=lambda b: f"{b}: " + str(
                              batches.loc[batches["batch_id"] == b, "file"].iat[0]))
    if st.button("Remove batch"):
        gone = rollback(int(choice))
        st.success(f"Removed batch {gone.batch_id} ({ui.md_escape(gone.file)}).")
        _bump_store_version()
        st.rerun()


def render() -> None:
    """The Data page."""
    st.title("Data")
    st.caption("Imported records join the bundled ones on every map, score and export. "
               "Each file is one batch: it goes in whole or not at all, and can be removed.")
    _upload_section()
    _batches_section()


if __name__ == "__main__":
    render()
