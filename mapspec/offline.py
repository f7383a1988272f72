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

The module holds the per-map step (:func:`localise`); the asset table and the copying are in
:mod:`mapspec.offline_assets`, the URL checks in :mod:`mapspec.offline_urls`; their public
names are importable from here.

This module must not import streamlit.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType

from mapspec.offline_assets import (
    _LEAFLET_URL,
    ICON_PATH_SCRIPT,
    VENDOR_DIRNAME,
    _catalogue,
    _check_leaflet_version,
    install_assets,
)
from mapspec.offline_urls import (
    OfflineAssetError,
    _local_url,
    assert_no_remote_urls,
    local_path_for,
    remote_urls,
)

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

_ASSET_ATTRS = ("default_js", "default_css")
_ICON_PATH_NAME = "mapspec_leaflet_icon_path"


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
