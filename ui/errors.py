"""What a user sees when something fails: a fixed, friendly message with a reference (the
traceback goes to the server's log), and Markdown-safe text for warnings and captions."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

LOG = logging.getLogger("iskp_atlas.app")

PAGE_ERROR_MESSAGE = (
    "Something went wrong drawing this page; the details are in the server log — "
    "reference {ref}. Try another filter or page, or open the app without link "
    "parameters; if it persists, give the reference to whoever runs the app."
)
"""What a user sees when a page fails: never the exception text (it can hold record data
or paths), a reference the operator finds in the log next to the full traceback."""


def new_reference() -> str:
    """A short reference that ties a message on the page to its line in the log."""
    return uuid.uuid4().hex[:8]


@contextmanager
def friendly_errors(where: str) -> Iterator[None]:
    """Run a page: an unexpected exception becomes a friendly ``st.error`` (the text is
    fixed, no exception detail) and a log line with the traceback for the operator.
    Streamlit's own stop and rerun signals (BaseException, not Exception) pass through."""
    try:
        yield
    except Exception:
        ref = new_reference()
        LOG.exception("page %s failed (reference %s)", where, ref)
        st.error(PAGE_ERROR_MESSAGE.format(ref=ref))


def md_escape(text: object) -> str:
    """Text safe for Streamlit's Markdown (warnings, errors, captions): every Markdown
    control character is backslash-escaped, so text from URLs or data cannot become a
    link, an image (a network request) or formatting."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~$:])", r"\\\1", str(text))
