"""Screenshots of every page and the briefings, for a reviewer to look at.

Usage: ``python -m bench.screens [--out DIR] [--query QS]``

Starts the app on 127.0.0.1 with the bundled data (an empty, temporary store folder),
opens every page in Debian's Chromium at 1400×1000 and takes a screenshot once the
page is drawn: the script has finished, every map's areas are painted, every
chart has drawn and every image has loaded (waits on elements, never on a clock). The
Export page is taken twice: as it opens and with the briefing image chosen. Then it
saves the briefing PNG and PDF for the same view (``mapspec.briefing``, the spec of the
pages' URL), a PNG of each PDF page, and ``MANIFEST.txt`` listing every file; stops the
server by its process id and exits 0. Default ``DIR``: a new folder under the system's
temporary folder. Exit status 2 with one line on stderr when Chromium is missing or a
page does not draw.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from bench.browser import CHROMIUM, MAP_FRAME, launch_chromium, start_app

VIEWPORT = {"width": 1400, "height": 1000}
PAGES = (
    ("", "Risk map"),  # the default page is at the app's root
    ("corridors", "CPEC corridors"),
    ("records", "Records"),
    ("forecast", "Forecast"),
    ("export", "Export"),
    ("data", "Data"),
    ("methodology", "Methodology"),
)
TIMEOUT_MS = 180_000
PDF_PAGE_SCALE = 2.0  # 144 dpi renders of the PDF pages

# True once Streamlit has finished the script run and everything it drew is painted —
# no placeholder skeletons left, each map iframe shows its layers, each Vega chart has
# its canvas or SVG, each table its canvas, each image has loaded — and has stayed so
# for STABLE_FRAMES animation frames in a row (a rerun that starts just after a run
# resets the count).
STABLE_FRAMES = 20
_DRAWN = """
([frameSelector, stable]) => {
  const drawn = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stSkeleton"], [data-testid="stAppSkeleton"]'))
      return false;
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || !main.querySelector('h1')) return false;
    for (const frame of document.querySelectorAll(frameSelector)) {
      const doc = frame.contentDocument;
      if (!doc || !doc.querySelector('.leaflet-container path')) return false;
    }
    for (const chart of main.querySelectorAll('[data-testid="stVegaLiteChart"]')) {
      if (!chart.querySelector('canvas, svg')) return false;
    }
    for (const table of main.querySelectorAll('[data-testid="stDataFrame"]')) {
      if (!table.querySelector('canvas')) return false;
    }
    for (const img of main.querySelectorAll('img')) {
      if (!img.complete || img.naturalWidth === 0) return false;
    }
    return true;
  };
  window.__atlasDrawnFrames = drawn() ? (window.__atlasDrawnFrames || 0) + 1 : 0;
  return window.__atlasDrawnFrames >= stable;
}
"""


def _wait_drawn(page) -> None:
    page.evaluate("() => { window.__atlasDrawnFrames = 0; }")
    page.wait_for_function(
        _DRAWN, arg=[MAP_FRAME, STABLE_FRAMES], timeout=TIMEOUT_MS, polling="raf"
    )


def _shoot(page, url: str, path: Path) -> None:
    page.goto(url, wait_until="domcontentloaded")
    _wait_drawn(page)
    page.screenshot(path=str(path), full_page=True)


def take_pages(base_url: str, query: str, out: Path) -> list[Path]:
    """A full-page screenshot of every page (and of Export with the briefing chosen)."""
    from playwright.sync_api import sync_playwright

    files = []
    suffix = f"?{query}" if query else ""
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            for n, (path, _title) in enumerate(PAGES, start=1):
                target = out / f"{n:02d}_{path or 'risk-map'}.png"
                _shoot(page, f"{base_url}/{path}{suffix}", target)
                files.append(target)
                if path == "export":
                    page.get_by_text("Briefing image (PNG, 16:9)").click()
                    page.get_by_text("Preview of the briefing image").wait_for(timeout=TIMEOUT_MS)
                    _wait_drawn(page)
                    target = out / f"{n:02d}_{path}_briefing.png"
                    page.screenshot(path=str(target), full_page=True)
                    files.append(target)
            context.close()
        finally:
            browser.close()
    return files


def write_briefings(home: Path, query: str, out: Path) -> list[Path]:
    """The briefing PNG and PDF of the pages' view, and a PNG of each PDF page."""
    from geodata.catalog import load_current
    from mapspec import briefing
    from mapspec.resolve import resolve_query

    resolved = resolve_query(query, load_current(home=home, extra=None))
    png, pdf = out / "briefing.png", out / "briefing.pdf"
    png.write_bytes(briefing.briefing_png(resolved))
    pdf.write_bytes(briefing.briefing_pdf(resolved))
    return [png, pdf, *render_pdf(pdf, out)]


def render_pdf(pdf: Path, out: Path) -> list[Path]:
    """PNG renders of a PDF's pages (pypdfium2, installed with pdfplumber)."""
    import pypdfium2

    files = []
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        for i in range(len(document)):
            target = out / f"{pdf.stem}_page{i + 1}.png"
            document[i].render(scale=PDF_PAGE_SCALE).to_pil().save(target)
            files.append(target)
    finally:
        document.close()
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.screens", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for the files (default: a new temporary folder)",
    )
    parser.add_argument(
        "--query",
        default="",
        help="the view's query string for every page and the briefings, "
        "e.g. 'actors=ISKP' (default: the full bundled view)",
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(
            "python -m bench.screens: error: needs Debian's chromium at /usr/bin/chromium "
            "(apt-get install -y chromium)",
            file=sys.stderr,
        )
        return 2
    try:
        import pypdfium2  # noqa: F401
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as exc:
        print(
            f"python -m bench.screens: error: {exc.name} is missing: pip install -e '.[test]'",
            file=sys.stderr,
        )
        return 2
    out = args.out or Path(tempfile.mkdtemp(prefix="iskp-atlas-screens-"))
    out.mkdir(parents=True, exist_ok=True)
    query = urlencode(dict(p.split("=", 1) for p in args.query.lstrip("?").split("&") if p))
    with tempfile.TemporaryDirectory(prefix="iskp-atlas-screens-home-") as tmp:
        home = Path(tmp) / "home"
        env = {
            "ISKP_ATLAS_CACHE_DIR": os.environ.get("ISKP_ATLAS_CACHE_DIR")
            or str(Path(tmp) / "cache")
        }
        os.environ.pop("ISKP_ATLAS_EXTRA_INCIDENTS", None)
        server = start_app(home, extra_env=env)
        try:
            files = take_pages(server.url, query, out)
        except Exception as exc:  # a page that never draws: say which, no traceback
            print(
                f"python -m bench.screens: error: a page did not draw: {str(exc).splitlines()[0]}",
                file=sys.stderr,
            )
            return 2
        finally:
            server.stop()
        os.environ["ISKP_ATLAS_CACHE_DIR"] = env["ISKP_ATLAS_CACHE_DIR"]
        files += write_briefings(home, query, out)
    manifest = out / "MANIFEST.txt"
    titles = {path or "risk-map": title for path, title in PAGES}
    lines = [
        f"ISKP Risk Atlas screenshots — view: {query or '(full bundled view)'}",
        f"window {VIEWPORT['width']}x{VIEWPORT['height']} (pages scroll inside it)",
        "",
    ]
    titles.update(
        {
            "export_briefing": "Export with the briefing image chosen",
            "briefing.png": "briefing image (mapspec.briefing, the pages' view)",
            "briefing.pdf": "briefing page (A4 PDF, the pages' view)",
        }
    )
    for f in files:
        stem = f.stem.split("_", 1)[-1]
        what = (
            titles.get(f.name)
            or titles.get(stem)
            or f"{f.suffix[1:].upper()} render of the PDF's {stem.replace('page', 'page ')}"
        )
        lines.append(f"{f.name}\t{f.stat().st_size:,} bytes\t{what}")
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(files)} files in {out} (see {manifest.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
