"""The interactive map must load nothing from the network (mapspec.offline).

Covers: every asset a folium element class declares has a local copy, and ``localise`` points a
map's elements at them without changing folium's classes; a representative map renders with
zero remote JS/CSS; every local URL is a file ``install_assets`` wrote;
``install_assets`` is idempotent; ``remote_urls`` catches remote URLs; the URL lists that
streamlit-folium hands to its component (built in ``st_folium`` from each element's
``default_js``/``default_css``) are local, both with a stubbed component and via ``AppTest``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import folium
import pytest
from folium.plugins import FastMarkerCluster, HeatMap, MarkerCluster

from mapspec import offline
from mapspec.offline import (
    ICON_PATH_SCRIPT,
    STATIC_URL_PREFIX,
    OfflineAssetError,
    assert_no_remote_urls,
    folium_asset_classes,
    install_assets,
    local_path_for,
    localise,
    localised_pairs,
    remote_urls,
)

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- fixtures/helpers


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away Streamlit ``static/`` folder with the assets installed once."""
    path = tmp_path_factory.mktemp("app") / "static"
    assert install_assets(path), "first install must write files"
    return path


def asset_urls(cls: type) -> list[str]:
    """All JS and CSS URLs a folium class declares (own or inherited)."""
    pairs = [*getattr(cls, "default_js", []), *getattr(cls, "default_css", [])]
    return [url for _, url in pairs]


def served_path(static_dir: Path, url: str, prefix: str = STATIC_URL_PREFIX) -> Path:
    """The file Streamlit serves for a local asset URL built with ``prefix``."""
    assert url.startswith(prefix + "/"), f"not under {prefix!r}: {url}"
    return static_dir / "vendor" / url[len(prefix) + 1 :]


class _Links(HTMLParser):
    """Every ``<script src>`` / ``<link href>`` in a document."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        key = {"script": "src", "link": "href"}.get(tag)
        self.urls += [v for k, v in attrs if k == key and v]


def linked_urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def local_urls(cls: type) -> list[str]:
    """The local URLs :func:`localise` gives an element of ``cls``."""
    pairs = [*getattr(cls, "default_js", []), *getattr(cls, "default_css", [])]
    return [url for _, url in localised_pairs(pairs)]


def element_urls(element: object) -> list[str]:
    """All JS and CSS URLs an element (with its children) asks the browser to load."""
    urls = asset_urls(element)  # type: ignore[arg-type]
    for child in getattr(element, "_children", {}).values():
        urls += element_urls(child)
    return urls


def atlas_like_map() -> folium.Map:
    """tiles=None + GeoJson + MarkerCluster + FastMarkerCluster + HeatMap + LayerControl.

    With ``tiles=None`` folium 0.20 drops ``max_zoom=`` (it only goes to the tile layer), so
    the Leaflet option is passed as ``maxZoom=``; MarkerCluster throws without it.
    """
    m = folium.Map(location=[34.5, 69.2], zoom_start=6, tiles=None, maxZoom=12)
    square = {
        "type": "Feature",
        "properties": {"name": "box"},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[67, 33], [71, 33], [71, 36], [67, 36], [67, 33]]],
        },
    }
    folium.GeoJson(square, name="areas").add_to(m)
    cluster = MarkerCluster(name="events").add_to(m)
    for i in range(5):
        folium.Marker([34 + i / 10, 68 + i / 10], tooltip=f"e{i}").add_to(cluster)
    FastMarkerCluster([[35 + i / 20, 70 + i / 20] for i in range(10)], name="fast").add_to(m)
    HeatMap([[34 + i / 50, 69 + i / 30, 1.0] for i in range(20)], name="heat").add_to(m)
    folium.LayerControl().add_to(m)
    localise(m)
    return m


# --------------------------------------------------------------------------- local copies


def test_all_folium_asset_classes_are_found() -> None:
    names = {cls.__name__ for cls in folium_asset_classes()}
    assert {"Map", "MarkerCluster", "HeatMap", "Fullscreen", "MiniMap", "Draw"} <= names
    # FastMarkerCluster inherits MarkerCluster's lists
    assert asset_urls(FastMarkerCluster) == asset_urls(MarkerCluster)


@pytest.mark.parametrize("cls", folium_asset_classes(), ids=lambda c: c.__qualname__)
def test_every_folium_class_has_installed_local_files(cls: type, static_dir: Path) -> None:
    urls = local_urls(cls)
    assert remote_urls(urls) == []
    for url in urls:
        assert served_path(static_dir, url).is_file(), url


def test_map_loads_icon_path_fix_right_after_leaflet(static_dir: Path) -> None:
    js = [url for _, url in localised_pairs(folium.Map.default_js)]
    assert js[0].endswith("/leaflet@1.9.3/dist/leaflet.js")
    assert js[1] == f"{STATIC_URL_PREFIX}/{ICON_PATH_SCRIPT}"
    script = served_path(static_dir, js[1]).read_text()
    assert "L.Icon.Default.imagePath" in script
    # the relative path in the script, resolved against the script's own location, must be
    # Leaflet's images folder
    rel = script.split('new URL("', 1)[1].split('"', 1)[0]
    images = (served_path(static_dir, js[1]).parent / rel).resolve()
    assert (images / "marker-icon.png").is_file()
    assert (images / "marker-shadow.png").is_file()


def test_localise_changes_the_map_not_folium_and_is_idempotent() -> None:
    """Only the elements passed in point at local copies: folium's classes (and any other
    map in the process) keep what folium shipped."""
    shipped = {cls: asset_urls(cls) for cls in folium_asset_classes()}
    m = atlas_like_map()
    local = element_urls(m)
    assert local and remote_urls(local) == []
    assert sum(ICON_PATH_SCRIPT in u for u in local) == 1
    localise(m)
    assert element_urls(m) == local
    assert {cls: asset_urls(cls) for cls in folium_asset_classes()} == shipped
    assert remote_urls(asset_urls(folium.Map)) == asset_urls(folium.Map)
    elsewhere = folium.Map(tiles=None)
    localise(elsewhere, prefix="/elsewhere")
    assert asset_urls(elsewhere)[0].startswith("/elsewhere/cdn.jsdelivr.net/")


def test_localise_refuses_when_a_local_copy_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    full = offline._catalogue()
    partial = {url: a for url, a in full.items() if "markercluster" not in url}
    monkeypatch.setattr(offline, "_catalogue", lambda: partial)
    m = folium.Map(tiles=None, maxZoom=12)
    MarkerCluster().add_to(m)
    with pytest.raises(OfflineAssetError, match=r"MarkerCluster\.default_js: https://"):
        localise(m)
    # nothing half-changed: the map itself still names folium's URLs
    assert remote_urls(asset_urls(m)) == asset_urls(m)


# --------------------------------------------------------------------------- rendered HTML


def test_rendered_map_loads_only_installed_local_assets(static_dir: Path) -> None:
    m = atlas_like_map()
    html = m.get_root().render()
    assert '"maxZoom": 12' in html
    assert remote_urls(html) == []
    urls = linked_urls(html)
    assert urls, "expected <script src>/<link href> tags"
    for url in urls:
        assert served_path(static_dir, url).is_file(), url
    for expected in ("leaflet.js", "leaflet.markercluster.js", "leaflet_heat.min.js"):
        assert any(u.endswith(expected) for u in urls), expected


def test_leaflet_css_images_are_installed(static_dir: Path) -> None:
    css = next(
        served_path(static_dir, u)
        for u in local_urls(folium.Map)
        if u.endswith("/leaflet@1.9.3/dist/leaflet.css")
    )
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        assert f"images/{name}" in css.read_text()
        assert (css.parent / "images" / name).is_file()


def test_assets_come_from_the_intended_packages(static_dir: Path) -> None:
    """Leaflet from xstatic-leaflet, heat-map JS from folium itself."""
    from xstatic.pkg import leaflet as xleaflet

    by_name = {u.rsplit("/", 1)[-1]: u for u in local_urls(folium.Map) + local_urls(HeatMap)}
    xdata = Path(xleaflet.BASE_DIR)
    for name in ("leaflet.js", "leaflet.css"):
        installed = served_path(static_dir, by_name[name]).read_bytes()
        assert installed == (xdata / name).read_bytes(), name
    heat = served_path(static_dir, by_name["leaflet_heat.min.js"]).read_bytes()
    assert heat == (Path(folium.__file__).parent / "templates" / "leaflet_heat.min.js").read_bytes()


# --------------------------------------------------------------------------- install_assets


def test_install_assets_is_idempotent(tmp_path: Path) -> None:
    static = tmp_path / "static"
    first = install_assets(static)
    assert first and all(p.is_file() and not p.is_symlink() for p in first)
    assert install_assets(static) == []

    changed = first[0]
    changed.write_text("stale")
    linked = first[1]
    linked.unlink()
    linked.symlink_to(first[2])
    assert sorted(install_assets(static)) == sorted([changed, linked])
    assert not linked.is_symlink()
    assert install_assets(static) == []
    assert not list(static.rglob("*.tmp")), "no temp files left behind"


def test_local_paths_are_safe_and_typed() -> None:
    assert local_path_for("https://unpkg.com/@joergdietrich/leaflet.terminator") == (
        "unpkg.com/@joergdietrich/leaflet.terminator.js"
    )
    assert local_path_for("//netdna.example.com/a/b.css") == "netdna.example.com/a/b.css"
    with pytest.raises(OfflineAssetError):
        local_path_for("https://evil.example.com/../x.js")


# --------------------------------------------------------------------------- remote_urls


def test_remote_urls_in_html() -> None:
    html = """
    <link rel="stylesheet" href="//cdn.example.com/a.css"/>
    <link rel="stylesheet" href="app/static/vendor/b.css"/>
    <script src="https://cdn.example.com/a.js"></script>
    <script SRC='http://cdn.example.com/b.js'></script>
    <script src="../../app/static/vendor/c.js"></script>
    <script>var u = "https://not-a-script-tag.example.com/";</script>
    <style>@import url("https://fonts.example.com/f.css");</style>
    """
    assert remote_urls(html) == [
        "//cdn.example.com/a.css",
        "https://cdn.example.com/a.js",
        "http://cdn.example.com/b.js",
        "https://fonts.example.com/f.css",
    ]


def test_remote_urls_in_lists_and_pairs() -> None:
    assert remote_urls(["/app/static/x.js", "https://a.example/x.js", "//b.example/y.css"]) == [
        "https://a.example/x.js",
        "//b.example/y.css",
    ]
    assert remote_urls([("leaflet", "https://a.example/x.js"), ("ok", "x.js")]) == [
        "https://a.example/x.js"
    ]
    assert remote_urls([]) == []
    with pytest.raises(OfflineAssetError, match="my map"):
        assert_no_remote_urls(["https://a.example/x.js"], "my map")
    assert_no_remote_urls(["app/static/x.js"], "my map")


def test_stock_folium_would_be_caught() -> None:
    html = folium.Map(tiles=None).get_root().render()
    assert any("leaflet.js" in u for u in remote_urls(html))


# --------------------------------------------------------------------------- streamlit-folium


def captured_component_args(m: folium.Map, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run ``st_folium`` with the component function stubbed; return what it would send."""
    import streamlit_folium

    captured: dict[str, Any] = {}

    def fake_component(**kwargs: Any) -> None:
        captured.update(kwargs)

    monkeypatch.setattr(streamlit_folium, "_component_func", fake_component)
    streamlit_folium.st_folium(m, returned_objects=[], height=500)
    return captured


def test_st_folium_component_links_are_local(
    static_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = captured_component_args(atlas_like_map(), monkeypatch)
    links = [*args["js_links"], *args["css_links"]]
    assert any(u.endswith("leaflet.markercluster.js") for u in args["js_links"])
    assert remote_urls(links) == []
    for url in links:
        assert served_path(static_dir, url).is_file(), url
    assert remote_urls(args["header"]) == []


def test_st_folium_colormap_adds_remote_d3_and_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """streamlit-folium hard-codes two d3 CDN URLs when a branca colour map is on the map."""
    import branca.colormap

    m = atlas_like_map()
    branca.colormap.LinearColormap(["white", "red"], vmin=0, vmax=1).add_to(m)
    args = captured_component_args(m, monkeypatch)
    assert "https://d3js.org/d3.v4.min.js" in remote_urls(args["js_links"])


def _apptest_script() -> None:  # runs inside AppTest; imports must be local
    import folium
    from folium.plugins import HeatMap, MarkerCluster
    from streamlit_folium import st_folium

    from mapspec.offline import localise

    m = folium.Map(location=[34.5, 69.2], tiles=None, maxZoom=12)
    MarkerCluster().add_to(m)
    HeatMap([[34.5, 69.2, 1.0]]).add_to(m)
    folium.LayerControl().add_to(m)
    localise(m)
    st_folium(m, returned_objects=[], height=500)


def test_apptest_component_args_are_local(static_dir: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_apptest_script, default_timeout=60).run()
    assert not at.exception
    components = at.get("component_instance")
    assert len(components) == 1
    args = json.loads(components[0].proto.json_args)
    links = [*args["js_links"], *args["css_links"]]
    assert links and remote_urls(links) == []
    assert remote_urls(args["header"]) == []
    for url in links:
        assert served_path(static_dir, url).is_file(), url


# --------------------------------------------------------------------------- layering


def test_offline_module_does_not_load_streamlit(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from mapspec import offline; "
        f"offline.install_assets(Path({str(tmp_path)!r})); import folium; "
        "offline.localise(folium.Map()); "
        "assert 'streamlit' not in sys.modules, 'streamlit imported'; "
        "assert 'offlinefolium' not in sys.modules, 'offlinefolium imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
