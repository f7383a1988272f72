"""The local copies of folium's / Leaflet's assets: where each comes from (the catalogue,
keyed by the CDN URL folium uses) and copying them into ``static/vendor`` (:func:`install_assets`).

Part of :mod:`mapspec.offline` (whose docstring says where the files come from), which
re-exports these names. Must not import streamlit.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from mapspec.offline_urls import OfflineAssetError, local_path_for

#: Sub-directory of the Streamlit ``static/`` folder that holds the copied assets.
VENDOR_DIRNAME = "vendor"

_LEAFLET_URL = re.compile(r"^https://cdn\.jsdelivr\.net/npm/leaflet@(?P<ver>[\d.]+)/dist/")
_FOLIUM_TEMPLATE_URL = re.compile(
    r"^https://cdn\.jsdelivr\.net/gh/python-visualization/folium(?:@[^/]+)?"
    r"/folium/templates/(?P<name>[^/]+)$"
)

#: Our own helper script (under ``static/vendor``) that sets ``L.Icon.Default.imagePath``.
ICON_PATH_SCRIPT = "_mapspec/leaflet-icon-path.js"

# Extra Leaflet files, relative to the ``dist/`` folder, that leaflet.css / leaflet.js refer to.
_LEAFLET_EXTRAS = (
    "images/layers.png",
    "images/layers-2x.png",
    "images/marker-icon.png",
    "images/marker-icon-2x.png",
    "images/marker-shadow.png",
    "leaflet.js.map",
)


@dataclass(frozen=True)
class _Asset:
    """One file to place under ``static/vendor``: its relative path and a content loader."""

    relpath: str
    load: Callable[[], bytes]


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
