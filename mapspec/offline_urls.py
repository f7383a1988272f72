"""Asset URLs: which ones would go to the network (:func:`remote_urls`) and where the local
copy of a remote one lives under ``static/vendor`` (:func:`local_path_for`).

Part of :mod:`mapspec.offline`, which re-exports these names. Must not import streamlit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html.parser import HTMLParser
from urllib.parse import urlsplit

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?(?P<url>[^"')\s;]+)""", re.IGNORECASE)
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._@+~-]")


class OfflineAssetError(RuntimeError):
    """A JS/CSS asset would be loaded from the network, or has no local copy."""


# --------------------------------------------------------------------------- URL -> local path


def local_path_for(url: str) -> str:
    """Return the path, relative to ``static/vendor``, used for the remote asset ``url``.

    ``https://cdn.example.org/lib@1.0/x.min.js`` becomes ``cdn.example.org/lib@1.0/x.min.js``.
    Characters outside ``[A-Za-z0-9._@+~-]`` are replaced by ``_``. A file without a ``.js`` /
    ``.css`` suffix gets one (Streamlit serves static files with ``X-Content-Type-Options:
    nosniff``, so the MIME type guessed from the suffix must be right).
    """
    parts = urlsplit(url if "://" in url else "https:" + url)
    if not parts.netloc:
        raise OfflineAssetError(f"not an absolute URL: {url!r}")
    segments = [parts.netloc, *[s for s in parts.path.split("/") if s]]
    if parts.query:
        segments[-1] += "_" + parts.query
    safe = [_UNSAFE_CHARS.sub("_", s) for s in segments]
    if any(s in {".", ".."} for s in safe):
        raise OfflineAssetError(f"refusing path traversal in asset URL: {url!r}")
    rel = "/".join(safe)
    if not rel.endswith((".js", ".css", ".png", ".map")):
        rel += ".css" if "css" in url.rsplit("/", 1)[-1].lower() else ".js"
    return rel


def _local_url(url: str, prefix: str) -> str:
    return f"{prefix.rstrip('/')}/{local_path_for(url)}"


# --------------------------------------------------------------------------- remote URL check


class _AssetLinkParser(HTMLParser):
    """Collect ``<script src>``, ``<link href>`` and ``@import`` URLs of ``<style>`` blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value.strip())
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.urls.extend(m["url"] for m in _CSS_IMPORT.finditer(data))


def remote_urls(urls_or_html: str | Iterable[str | tuple[str, str]]) -> list[str]:
    """Return the JS/CSS URLs that would be fetched from the network (deduplicated, in order).

    ``urls_or_html`` is either an HTML string (``<script src>``, ``<link href>`` and
    ``@import`` in ``<style>`` are inspected) or an iterable of URLs / ``(name, url)`` pairs
    such as folium's ``default_js``. Remote means ``http://``, ``https://`` or
    protocol-relative ``//``.
    """
    if isinstance(urls_or_html, str):
        parser = _AssetLinkParser()
        parser.feed(urls_or_html)
        parser.close()
        candidates: Iterable[str] = parser.urls
    else:
        candidates = (item[1] if isinstance(item, tuple | list) else item for item in urls_or_html)
    return list(dict.fromkeys(u.strip() for u in candidates if _REMOTE.match(str(u))))


def assert_no_remote_urls(urls_or_html: str | Iterable[str | tuple[str, str]], what: str) -> None:
    """Raise :class:`OfflineAssetError` naming ``what`` if :func:`remote_urls` finds anything."""
    found = remote_urls(urls_or_html)
    if found:
        raise OfflineAssetError(
            f"{what} would load {len(found)} asset(s) from the network:\n  " + "\n  ".join(found)
        )
