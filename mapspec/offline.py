"""Serve every folium / Leaflet asset from the Streamlit app itself (no CDN, no internet).

Stock folium 0.20 makes the browser fetch leaflet.js, jQuery, Bootstrap, awesome-markers and
plugin files from public CDNs; offline that leaves a blank map. This module

* copies local copies of those files into the app's ``static/vendor/`` folder
  (:func:`install_assets`), served by Streamlit when ``server.enableStaticServing = true``;
* points ``default_js`` / ``default_css`` of a map's elements at them (:func:`localise`, per
  element: folium's classes are not changed), and adds a small local script after
  leaflet.js that sets ``L.Icon.Default.imagePath`` (Leaflet's auto-detection fails inside
  st_folium's iframe);
* finds JS/CSS URLs that would still go to the network (:func:`remote_urls`).

Where the files come from (all installed from PyPI, nothing is fetched at run time):

* Leaflet 1.9.3 (``leaflet.js``, ``leaflet.css``, ``images/*.png``, source map) from
  ``xstatic-leaflet`` (``xstatic.pkg.leaflet``).
* Files under ``python-visualization/folium/.../templates/`` (heat-map plugins) from folium's
  own ``folium/templates`` directory.
* Everything else from ``folium-offline``: its module ``offlinefolium/elements.py`` holds a dict
  literal ``_res`` keyed by the exact CDN URL that folium 0.20 references, whose values are the
  file contents as ``str`` (images and most fonts are already inlined as ``data:`` URIs). That
  file is parsed with :mod:`ast`, never imported, so the parallel ``offlinefolium`` package (a
  fork of folium) is not loaded.

A remote URL ``https://host/a/b.js`` is stored at ``static/vendor/host/a/b.js`` and referenced
as ``<prefix>/host/a/b.js``.

Not covered (caught by :func:`remote_urls`, so callers can fail loudly): branca colour maps
(streamlit-folium then adds two d3 CDN URLs itself and branca adds a ``<script src>``), and
``folium.VegaLite``, which writes CDN ``<script>`` tags in ``render()`` instead of declaring
``default_js``. Font Awesome 6 *regular*/*brands* web fonts are not carried by folium-offline
(the *solid* font and the Glyphicons font are inlined), so such icons would not render.

This module must not import streamlit.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import pkgutil
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

__all__ = [
    "ICON_PATH_SCRIPT",
    "STATIC_URL_PREFIX",
    "VENDOR_DIRNAME",
    "OfflineAssetError",
    "assert_no_remote_urls",
    "folium_asset_classes",
    "install_assets",
    "local_path_for",
    "localise",
    "localised_pairs",
    "remote_urls",
]

#: URL prefix under which the browser finds ``static/vendor``. Relative *to the document that
#: loads the assets*: st_folium's component iframe is served from
#: ``<server>[/<baseUrlPath>]/component/streamlit_folium.st_folium/index.html`` and inserts the
#: ``js_links`` / ``css_links`` as ``<script src>`` / ``<link href>`` into that iframe, so
#: ``../../`` climbs to the server root and ``app/static/`` is Streamlit's static-serving route.
#: A bare ``app/static/...`` resolves inside ``/component/...`` (404) and ``/app/static/...``
#: ignores ``server.baseUrlPath``. Measured with Chromium, see the module tests / report.
STATIC_URL_PREFIX = "../../app/static/vendor"

#: Sub-directory of the Streamlit ``static/`` folder that holds the copied assets.
VENDOR_DIRNAME = "vendor"

_LEAFLET_URL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/leaflet@(?P<ver>[\d.]+)/dist/")
_FOLIUM_TEMPLATE_URL = re.compile(
    r"^https://cdn\.jsdelivr\.net/gh/python-visualization/folium(?:@[^/]+)?"
    r"/folium/templates/(?P<name>[^/]+)$"
)
_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?(?P<url>[^"')\s;]+)""", re.IGNORECASE)
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._@+~-]")
_ASSET_ATTRS = ("default_js", "default_css")

#: Our own helper script (under ``static/vendor``) that sets ``L.Icon.Default.imagePath``.
ICON_PATH_SCRIPT = "_mapspec/leaflet-icon-path.js"
_ICON_PATH_NAME = "mapspec_leaflet_icon_path"

# Extra Leaflet files, relative to the ``dist/`` folder, that leaflet.css / leaflet.js refer to.
_LEAFLET_EXTRAS = (
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
    "leaflet.js.map",
)


class OfflineAssetError(RuntimeError):
    """A JS/CSS asset would be loaded from the network, or has no local copy."""


@dataclass(frozen=True)
class _Asset:
    """One file to place under ``static/vendor``: its relative path and a content loader."""

    relpath: str
    load: Callable[[], bytes]


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


# --------------------------------------------------------------------------- asset catalogue


def _package_dir(name: str) -> Path:
    """Directory of an installed package, located without executing its ``__init__``."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise OfflineAssetError(f"required package {name!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def _folium_offline_resources() -> dict[str, str]:
    """Parse folium-offline's ``_res = {url: text}`` table out of ``offlinefolium/elements.py``.

    Only literal assignments ``_res['<url>'] = '<text>'`` are accepted (``ast.literal_eval``),
    so no code from that package is executed.
    """
    source = _package_dir("offlinefolium") / "elements.py"
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    resources: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not (
            isinstance(target, ast.Subscript)
            and isinstance(target.value, ast.Name)
            and target.value.id == "_res"
        ):
            continue
        key = ast.literal_eval(target.slice)
        value = ast.literal_eval(node.value)
        if isinstance(key, str) and isinstance(value, str):
            resources[key] = value
    if not resources:
        raise OfflineAssetError(f"no '_res' assets found in {source} (folium-offline layout?)")
    return resources


def _xstatic_leaflet() -> tuple[str, Path]:
    """Version and data directory of the installed ``xstatic-leaflet``."""
    try:
        from xstatic.pkg import leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise OfflineAssetError("required package 'xstatic-leaflet' is not installed") from exc
    return str(xleaflet.VERSION), Path(xleaflet.BASE_DIR)


def _file_loader(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def _text_loader(text: str) -> Callable[[], bytes]:
    return lambda: text.encode("utf-8")


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, _Asset]:
    """All assets with a local copy, keyed by the remote URL folium uses for them.

    Also includes Leaflet's images and source map (keyed by their would-be CDN URL), which are
    not referenced by folium directly but by ``leaflet.css`` / ``leaflet.js``.
    """
    assets: dict[str, _Asset] = {}
    for url, text in _folium_offline_resources().items():
        assets[url] = _Asset(local_path_for(url), _text_loader(text))

    folium_templates = _package_dir("folium") / "templates"
    for url in list(assets):
        match = _FOLIUM_TEMPLATE_URL.match(url)
        if match and (folium_templates / match["name"]).is_file():
            assets[url] = _Asset(
                assets[url].relpath, _file_loader(folium_templates / match["name"])
            )

    version, data_dir = _xstatic_leaflet()
    leaflet_base = f"https://cdn.jsdelivr.net/npm/leaflet@{version}/dist/"
    for name in ("leaflet.js", "leaflet.css", *_LEAFLET_EXTRAS):
        url = leaflet_base + name
        assets[url] = _Asset(local_path_for(url), _file_loader(data_dir / name))
    return assets


def _check_leaflet_version(urls: Iterable[str]) -> None:
    version, _ = _xstatic_leaflet()
    for url in urls:
        match = _LEAFLET_URL.match(url)
        if match and match["ver"] != version:
            raise OfflineAssetError(
                f"folium wants Leaflet {match['ver']} ({url}) but xstatic-leaflet provides "
                f"{version}; install xstatic-leaflet=={match['ver']}.*"
            )


# --------------------------------------------------------------------------- install


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path`` unless it already holds exactly that content.

    A symlink at ``path`` is replaced by a regular file (Streamlit refuses to serve symlinks
    that point outside ``static/``).
    """
    if path.is_file() and not path.is_symlink() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _icon_path_asset() -> _Asset:
    """A tiny script, loaded right after leaflet.js, fixing the default marker image path.

    Leaflet guesses ``L.Icon.Default.imagePath`` from the computed style of leaflet.css; inside
    st_folium's iframe the CSS links are inserted after the scripts and the map script runs
    before that CSS applies, so Leaflet falls back to ``<leaflet.css href minus file name>``
    *without* the ``images/`` folder (Leaflet issue 4968) and default markers 404. The script
    derives the images folder from its own URL, so it works under any prefix.
    """
    version, _ = _xstatic_leaflet()
    images = local_path_for(f"https://cdn.jsdelivr.net/npm/leaflet@{version}/dist/images/x.png")
    images = images.rsplit("/", 1)[0] + "/"
    depth = ICON_PATH_SCRIPT.count("/")
    relative = "../" * depth + images
    script = (
        "/* Generated by mapspec.offline: point Leaflet's default marker icons at the local\n"
        " * copies of leaflet/dist/images/ (see mapspec/offline.py). */\n"
        "(function () {\n"
        "  var me = document.currentScript;\n"
        "  if (!me || !window.L || !L.Icon || !L.Icon.Default) { return; }\n"
        f'  L.Icon.Default.imagePath = new URL("{relative}", me.src).href;\n'
        "})();\n"
    )
    return _Asset(ICON_PATH_SCRIPT, _text_loader(script))


def install_assets(static_dir: Path) -> list[Path]:
    """Copy every locally available folium/Leaflet asset into ``static_dir/vendor``.

    ``static_dir`` is the ``static/`` folder next to the Streamlit entry point. Files are real
    copies (not symlinks). Idempotent: a file is rewritten only when its content differs.

    Returns the paths actually written (empty when everything was already up to date).
    """
    vendor = Path(static_dir) / VENDOR_DIRNAME
    written: list[Path] = []
    assets = [*_catalogue().values(), _icon_path_asset()]
    for asset in sorted(assets, key=lambda a: a.relpath):
        target = vendor / asset.relpath
        if _write_if_changed(target, asset.load()):
            written.append(target)
    return written


# --------------------------------------------------------------------------- patch folium


def _iter_folium_modules() -> Iterator[ModuleType]:
    import folium

    yield folium
    for info in pkgutil.walk_packages(folium.__path__, prefix="folium."):
        try:
            yield importlib.import_module(info.name)
        except ImportError:  # pragma: no cover - optional dependency of some folium module
            continue


def folium_asset_classes() -> list[type]:
    """Every class in ``folium`` (incl. ``folium.plugins``) that declares its own
    ``default_js`` or ``default_css`` (sorted by qualified name)."""
    found: dict[str, type] = {}
    for module in _iter_folium_modules():
        for obj in vars(module).values():
            if (
                inspect.isclass(obj)
                and obj.__module__.split(".")[0] == "folium"
                and any(attr in vars(obj) for attr in _ASSET_ATTRS)
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[name] for name in sorted(found)]


def localised_pairs(
    pairs: Iterable[tuple[str, str]], prefix: str = STATIC_URL_PREFIX, where: str = ""
) -> list[tuple[str, str]]:
    """``default_js``/``default_css`` pairs with every remote URL replaced by its local copy
    (``<prefix>/<local_path_for(url)>``, where :func:`install_assets` writes it), and the
    icon-path script right after leaflet.js. URLs that are already local stay. A remote URL
    without a local copy raises :class:`OfflineAssetError` naming ``where``."""
    catalogue = _catalogue()
    pairs = [(str(name), str(url)) for name, url in pairs]
    _check_leaflet_version(url for _, url in pairs)
    missing = [url for _, url in pairs if remote_urls([url]) and url not in catalogue]
    if missing:
        raise OfflineAssetError(
            "no local copy for these folium assets (update folium-offline / xstatic-leaflet "
            "or stop using the element):\n  " + "\n  ".join(f"{where}: {u}" for u in missing)
        )
    icon_path_url = f"{prefix.rstrip('/')}/{ICON_PATH_SCRIPT}"
    local: list[tuple[str, str]] = []
    for name, url in pairs:
        local.append((name, _local_url(url, prefix) if url in catalogue else url))
        if _LEAFLET_URL.match(url) and url.endswith("leaflet.js"):
            local.append((_ICON_PATH_NAME, icon_path_url))
    return local


def _tree(elements: Iterable[object]) -> Iterator[object]:
    stack = list(elements)
    while stack:
        element = stack.pop()
        yield element
        stack.extend(getattr(element, "_children", {}).values())


def localise(*elements: object, prefix: str = STATIC_URL_PREFIX) -> None:
    """Point the assets of these folium elements and all their children at local copies.

    Each element's ``default_js``/``default_css`` becomes an attribute of that element
    (:func:`localised_pairs`); folium's classes keep the CDN URLs they shipped with, so
    nothing outside the elements passed here changes. Idempotent. When any asset has no
    local copy nothing is changed and :class:`OfflineAssetError` lists every one."""
    changes = []
    missing: list[str] = []
    for element in _tree(elements):
        for attr in _ASSET_ATTRS:
            pairs = getattr(element, attr, None)
            if not pairs:
                continue
            where = f"{type(element).__module__}.{type(element).__qualname__}.{attr}"
            try:
                changes.append((element, attr, localised_pairs(pairs, prefix, where)))
            except OfflineAssetError as exc:
                listed = str(exc).split("\n", 1)
                if len(listed) < 2:  # not a missing copy (the Leaflet version): say so
                    raise
                missing.append(listed[1])
    if missing:
        raise OfflineAssetError(
            "no local copy for these folium assets (update folium-offline / xstatic-leaflet "
            "or stop using the element):\n" + "\n".join(missing)
        )
    for element, attr, local in changes:
        setattr(element, attr, local)


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
