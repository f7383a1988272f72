"""Methodology: how to read the score in analysts' words (docs/ANALYST_GUIDE.md), then the
formulas, provenance and licences (rendered from the documents in the repository, not
copied)."""

import streamlit as st

import ui

st.title("Methodology and sources")
guide = ui.APP_DIR / "docs" / "ANALYST_GUIDE.md"
if guide.exists():
    text = guide.read_text(encoding="utf-8")
    st.markdown(text.split("\n", 1)[1] if text.startswith("# ") else text)
else:
    st.info("The analyst guide (docs/ANALYST_GUIDE.md) is missing from this installation.")
for title, text in ui.methodology_documents():
    if title.startswith("Risk model"):
        title = "Technical reference: formulas and settings (docs/METHODOLOGY.md)"
    with st.expander(title, expanded=False):
        st.markdown(text)
