"""Export: the filtered layers as GeoJSON, CSV or GeoPackage, and the briefing PNG/PDF.

Thin page: spec -> resolved map -> mapspec.export / mapspec.briefing -> download. The
files are built only when the button is pressed (``data`` is a callable).
"""

import streamlit as st

import ui
from mapspec import briefing
from mapspec import export as exports

FORMATS = exports.REGISTRY  # the export-format registry (mapspec.export.formats)
LAYER_LABELS = exports.LAYER_LABELS  # from the layer registry (mapspec.layers)

spec = ui.current_spec()
resolved = ui.resolved(spec)
st.title("Export")
ui.sentence_caption(resolved)

fmt = st.radio(
    "Format", list(FORMATS), format_func=lambda name: FORMATS[name].label, key="x_format"
)

if FORMATS[fmt].kind == "layers":
    if FORMATS[fmt].multi_layer:
        layers = st.multiselect(
            "Layers",
            list(exports.ALL_EXPORT_LAYERS),
            default=list(exports.EXPORT_LAYERS),
            format_func=LAYER_LABELS.get,
            key="x_layers",
        )
    else:
        layers = [
            st.selectbox(
                "Layer",
                list(exports.ALL_EXPORT_LAYERS),
                index=exports.ALL_EXPORT_LAYERS.index("incidents"),
                format_func=LAYER_LABELS.get,
                key="x_layer",
            )
        ]
    selected = {name: exports.layer_for_export(resolved, name) for name in layers}
    st.write(
        " · ".join(
            f"**{LAYER_LABELS[n]}**: {len(e.frame):,} feature(s)" for n, e in selected.items()
        )
        or "Choose at least one layer."
    )
    withheld = {n: e.withheld for n, e in selected.items() if e.withheld}
    if withheld:
        st.warning(
            "Left out under their licence terms (raw rows may not be passed on; the "
            "scores include them): "
            + ", ".join(f"{v:,} {LAYER_LABELS[k].lower()}" for k, v in withheld.items())
        )
    if layers:
        st.download_button(
            f"Download {fmt.upper()}",
            data=lambda: exports.export_file(resolved, layers, fmt).data,
            file_name=exports.file_name(resolved, exports.layer_stem(layers), fmt),
            mime=FORMATS[fmt].mime,
            on_click="ignore",
            type="primary",
            key="x_download",
        )
    st.caption(
        "Every file carries the filter sentence, the spec, the time, the version and "
        "the sources with their licences (GeoJSON: the top-level `metadata` member; "
        "GeoPackage: dataset metadata); the forecast and hot-spot layers also their "
        "method (model, horizons, data span, back-test). CSV text cells that start "
        "with = + - @ are prefixed with ' so spreadsheets show them as text."
    )
else:
    banner = st.text_input("Handling banner", value=briefing.HANDLING_DEFAULT, key="x_banner")
    title = st.text_input("Title (empty: describe the view)", value="", key="x_title")
    try:
        options = briefing.BriefingOptions(banner=banner, title=title or None)
    except ValueError as exc:
        options = None
        st.error(ui.md_escape(exc))
    if options is not None:
        png = briefing.briefing_png(resolved, options)
        st.image(png, caption="Preview of the briefing image", width="stretch")
        st.download_button(
            f"Download {fmt.upper()}",
            data=png if fmt == "png" else (lambda: FORMATS[fmt].write()(resolved, options)),
            file_name=exports.file_name(resolved, "briefing", fmt),
            mime=FORMATS[fmt].mime,
            on_click="ignore",
            type="primary",
            key="x_download_brief",
        )
