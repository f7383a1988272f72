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
from geodata.importers import FORMATS, max_import_bytes
from geodata.importers.common import DEFAULT_REGION, country_choices, country_name
from geodata.importers.formats import FILE_TYPES, FORMAT_LABELS, UPLOAD_PROMPT
from geodata.importers.reading import size_limit_text
from geodata.store import (
    batches_frame,
    commit_import,
    import_bytes,
    list_merges,
    merge_line,
    rollback,
    store_label,
    unmerge,
)

PREVIEW_COLUMNS = [
    "id",
    "date",
    "country",
    "admin1_code",
    "actor",
    "actor_canonical",
    "target_category",
    "fatalities",
    "geo_precision",
    "date_precision",
    "source_dataset",
    "licence",
]


def _bump_store_version() -> None:
    st.session_state["store_version"] = int(st.session_state.get("store_version", 0)) + 1


def _problems_table(problems: list, source: str) -> list[dict]:
    return [
        {
            "row": p.row,
            "column": p.column,
            "value": None if p.value is None else str(p.value)[:80],
            "what to do": p.hint,
        }
        for p in problems
    ]


def _size_limit_caption() -> None:
    """The product's own size rule under the uploader, in the words the CLI uses (the
    uploader itself only shows an icon for a file over server.maxUploadSize)."""
    try:
        limit = max_import_bytes()
    except ValueError as exc:  # a bad ISKP_ATLAS_MAX_IMPORT_MB
        st.warning(ui.md_escape(exc))
        return
    st.caption(ui.md_escape(f"A file is refused when it is over {size_limit_text(limit)}."))


def _upload_section() -> None:
    st.subheader("Import a file")
    upload = st.file_uploader(UPLOAD_PROMPT, type=list(FILE_TYPES))
    _size_limit_caption()
    fmt = st.selectbox(
        "Format",
        ["detect from the header", *FORMATS],
        format_func=lambda c: FORMAT_LABELS.get(c, c),
    )
    skip_bad = st.checkbox("Import only the valid rows of a partly bad file (skip bad rows)")
    region = st.multiselect(
        "Region: keep the events of these countries",
        list(country_choices()),
        default=list(DEFAULT_REGION),
        format_func=lambda c: f"{country_name(c)} ({c})",
        help="Rows of other countries are left out and counted per country in the report "
        "(never errors). The atlas's own CSV and GeoJSON are imported whole.",
    )
    if upload is None:
        return
    if not region:
        st.warning("Pick at least one country for the region.")
        return
    data = upload.getvalue()
    chosen = None if fmt.startswith("detect") else fmt
    key = (
        upload.name,
        len(data),
        hash(data),
        chosen,
        skip_bad,
        tuple(sorted(region)),
        st.session_state.get("store_version", 0),
    )
    try:
        cached = st.session_state.get("import_preview")
        if cached is None or cached[0] != key:
            plan = import_bytes(
                data,
                upload.name,
                fmt=chosen,
                skip_bad=skip_bad,
                dry_run=True,
                countries=sorted(region),
            ).plan
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
    st.success(
        f"Detected **{preview.format}** ({preview.kind}, {preview.encoding}"
        f"{', HXL row skipped' if preview.hxl_row_skipped else ''}): "
        + ui.md_escape(preview.counts_line())
        + "."
    )
    shown = [col for col in PREVIEW_COLUMNS if col in preview.enriched.columns]
    st.dataframe(preview.enriched[shown].head(20), hide_index=True)
    if preview.rejected:
        st.warning(f"{preview.rows_rejected} bad row(s) will be skipped:")
        st.dataframe(_problems_table(preview.rejected, upload.name), hide_index=True)
    for line in preview.reasons(limit=5)[len(preview.rejected[:5]) :]:
        st.caption(ui.md_escape(line))
    if len(preview.merges):
        st.caption(
            "Records that will be merged (same event in another source; after the "
            "import, 'Import as new' below undoes a merge):"
        )
        st.dataframe(preview.merges[["kept_id", "merged_id", "reason"]], hide_index=True)
    if len(preview.updates):
        st.caption(
            "Stored records this file corrects (the previous versions are kept; "
            "removing the batch restores them):"
        )
        st.dataframe(preview.updates[["id", "changes"]], hide_index=True)
    if st.button("Import", type="primary", disabled=preview.records.empty):
        bar = st.progress(0.0, text="Importing…")
        try:
            result = commit_import(
                preview, skip_bad=skip_bad, progress=lambda f, m: bar.progress(min(f, 1.0), text=m)
            )
        except (DataContractError, ValueError) as exc:
            st.error(ui.md_escape(exc))
            return
        bar.progress(1.0, text="Done")
        if result.plan.counts() != preview.counts():
            st.info(
                "The store changed since the preview (another import); checked again "
                "while storing: " + ui.md_escape(result.plan.counts_line()) + "."
            )
        if result.batch is None:
            st.info("Nothing new to store: the store is unchanged.")
            _bump_store_version()
            return
        st.success(f"Stored as batch {result.batch.batch_id}.")
        with st.spinner("Preparing the map with the new records…"):
            ui.data()  # validates and joins once; every page then opens quickly
        from app_pages.watch import show_import_alerts

        show_import_alerts()  # the new records inside each watch zone
        _bump_store_version()


def _batches_section() -> None:
    st.subheader("Imported batches")
    batches = batches_frame()
    if batches.empty:
        st.info(f"No imported batches yet (store: {store_label()}).")
        return
    st.dataframe(batches.drop(columns=["sha256"]), hide_index=True)
    _merges_section()
    choice = st.selectbox(
        "Batch to remove",
        batches["batch_id"].tolist(),
        format_func=lambda b: f"{b}: " + str(batches.loc[batches["batch_id"] == b, "file"].iat[0]),
    )
    if st.button("Remove batch"):
        gone = rollback(int(choice))
        st.success(f"Removed batch {gone.batch_id} ({ui.md_escape(gone.file)}).")
        _bump_store_version()
        st.rerun()


def _merges_section() -> None:
    """Every merge with its reason, and 'Import as new' to undo one."""
    merges = list_merges()
    if merges.empty:
        return
    with st.expander(f"Merged records ({len(merges)})"):
        st.caption(
            "Each row: the kept record ← the record merged into it, and why. "
            "'Import as new' makes the merged record a record of its own (and later "
            "imports will not merge it again)."
        )
        lines = {row["merged_id"]: merge_line(row) for row in merges.to_dict(orient="records")}
        st.dataframe(
            merges[["batch_id", "kept_id", "merged_id", "merged_dataset", "reason"]],
            hide_index=True,
        )
        choice = st.selectbox(
            "Merged record", list(lines), format_func=lines.get, key="unmerge_choice"
        )
        if st.button("Import as new", key="unmerge"):
            try:
                undone = unmerge(str(choice))
            except ValueError as exc:
                st.error(ui.md_escape(exc))
                return
            st.success(
                ui.md_escape(
                    f"{choice} is a record of its own again (was merged into {undone['kept_id']})."
                )
            )
            _bump_store_version()
            st.rerun()


def _overrides_section() -> None:
    """Analysts' overrides (:mod:`geodata.overrides`): those in force, set one, withdraw
    one, and the audit log to download — the same as ``iskp-atlas override`` / ``audit``."""
    from geodata import overrides as ov
    from riskmodel.bands import BAND_NAMES

    st.subheader("Analyst overrides")
    st.caption(
        "An analyst's value for a record's confidence or attribution, or for a unit's "
        "band, with a reason and an expiry date. Maps, tables and exports show it "
        "beside the computed value; it ends by itself after its expiry day. An area's "
        "band override changes the band shown, not the score."
    )
    listed = ov.list_overrides()
    active = listed[listed["status"] == "active"]
    if active.empty:
        st.info("No overrides in force.")
    else:
        st.dataframe(active[list(ov.IN_FORCE_COLUMNS)], hide_index=True)
    with st.form("override_set", clear_on_submit=False):
        target = st.text_input(
            "Record id or unit (ISO 3166-2 code or name)", placeholder="INC-004, THR-002 or AF-KAB"
        )
        field = st.selectbox(
            "What",
            ["confidence", "attribution", "band"],
            format_func={
                "confidence": "a record's confidence",
                "attribution": "a record's attribution (actor)",
                "band": "a unit's band",
            }.get,
        )
        value = st.text_input("Value", placeholder="high / ISKP / low")
        reason = st.text_input("Reason")
        expires = st.date_input("Last day in force", value=None, format="YYYY-MM-DD")
        author = st.text_input("Author", value=ov.default_author())
        submitted = st.form_submit_button("Set override")
    if submitted:
        try:
            if expires is None:
                raise ov.OverrideError("give the last day the override is in force")
            data = ui.data()
            clean = ov.normalise_value(field, value, BAND_NAMES)
            if field == "band":
                kind, tid = ov.AREA_KIND, ov.find_unit(data, target)
                computed = None
            else:
                kind, tid = ov.find_record(data, target)
                computed = ov.computed_value(data, kind, tid, field)
            change = ov.set_override(
                None,
                kind,
                tid,
                field,
                clean,
                reason=reason,
                expires_on=expires,
                author=author,
                computed=computed,
            )
        except ValueError as exc:
            st.error(ui.md_escape(exc))
        else:
            note = "" if change.active else " Its expiry is in the past: it has no effect."
            st.success(
                ui.md_escape(
                    f"Override {change.override_id}: {change.subject} "
                    f"{field} {clean} until {change.expires_on}.{note}"
                )
            )
            _bump_store_version()
    if not active.empty:
        choice = st.selectbox(
            "Override to withdraw",
            active["override_id"].tolist(),
            format_func=lambda i: (
                f"{i}: "
                + " ".join(
                    str(v)
                    for v in active.loc[
                        active["override_id"] == i, ["target_id", "field", "value"]
                    ].iloc[0]
                )
            ),
            key="override_withdraw",
        )
        if st.button("Withdraw override"):
            change = ov.remove_override(None, int(choice), author=ov.default_author())
            st.success(ui.md_escape(f"Withdrew override {change.override_id}."))
            _bump_store_version()
            st.rerun()
    log = ov.audit_log()
    if not log.empty:
        with st.expander(f"Audit log ({len(log)} entries)"):
            st.dataframe(log, hide_index=True)
            st.download_button(
                "Download the audit log (CSV)",
                ov.neutralised(log).to_csv(index=False).encode("utf-8"),
                "iskp-atlas-audit.csv",
                "text/csv",
            )


def render() -> None:
    """The Data page."""
    st.title("Data")
    st.caption(
        "Imported records join the bundled ones on every map, score and export. "
        "Each file is one batch: it goes in whole or not at all, and can be removed."
    )
    _upload_section()
    _batches_section()
    _overrides_section()


if __name__ == "__main__":
    render()
