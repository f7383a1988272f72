"""Start the app (or another Streamlit script) on 127.0.0.1 and drive Debian's Chromium.

Shared by the benchmarks and the real-browser tests. Never runs ``playwright install``:
the browser is ``/usr/bin/chromium`` from Debian's packages.
"""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class AppServer:
    """A running ``streamlit run`` process and its URL."""

    proc: subprocess.Popen
    url: str
    port: int
    output: list[str] = field(default_factory=list)

    def stop(self) -> None:
        """Stop the server by its process id."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_app(
    home: Path,
    extra_env: dict[str, str] | None = None,
    script: str | Path = "app.py",
    timeout_s: float = 90,
) -> AppServer:
    """Start Streamlit and return once it announces its port (reads its output)."""
    port = free_port()
    env = {**os.environ, "ISKP_ATLAS_HOME": str(home), **(extra_env or {})}
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    server = AppServer(proc, f"http://127.0.0.1:{port}", port)
    deadline = time.monotonic() + timeout_s
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], deadline - time.monotonic())
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        server.output.append(line)
        if f":{port}" in line:
            return server
    server.stop()
    raise RuntimeError("the app did not start:\n" + "".join(server.output[-30:]))


def launch_chromium(playwright):
    """Headless Debian Chromium with the flags that keep it off the network."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


# Runs in the page before its own scripts: on every animation frame, look into the
# map iframe (same origin: the app serves it) and note the time of the first frame in
# which an element matching the selector has a size, i.e. the frame that paints it.
# (An init script in the iframe itself would not do: the iframe's window is the one of
# its initial about:blank document, which the script has already run in.)
_VISIBLE_PROBE = """
(() => {
  if (window !== window.top) return;
  const selector = %s, frameSelector = %s;
  const check = () => {
    const frame = document.querySelector(frameSelector);
    const doc = frame && frame.contentDocument;
    const el = doc && doc.querySelector(selector);
    const box = el && el.getBoundingClientRect();
    if (box && (box.width > 0 || box.height > 0)) {
      window.__atlasVisibleAt = performance.timeOrigin + performance.now();
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})();
"""


def time_to_map(
    browser, url: str, selector: str = "path.atlas-area", timeout_ms: int = 120_000
) -> float:
    """Seconds from navigation start to the first paint of a ``selector`` element in the
    map iframe, in a fresh browser context (no cached files).

    Timed inside the browser (navigation start of the page to the animation frame after
    the element appeared in the iframe, both on the browser's clock), so Playwright's
    polling interval does not add to the figure; Playwright still waits until the
    element is visible before reading it."""
    import json

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(_VISIBLE_PROBE % (json.dumps(selector), json.dumps(MAP_FRAME)))
    page = context.new_page()
    try:
        page.goto(url, wait_until="commit")
        frame = page.frame_locator(MAP_FRAME)
        frame.locator(selector).first.wait_for(state="visible", timeout=timeout_ms)
        page.wait_for_function("() => window.__atlasVisibleAt", timeout=timeout_ms)
        return page.evaluate("() => (window.__atlasVisibleAt - performance.timeOrigin) / 1000")
    finally:
        context.close()


# Armed in the page before a playback step: the time of the step's key press (the event's
# own timestamp) and of the first animation frame in which the map iframe's legend names
# the new month. The legend is filled in the same script that adds the month's layers to
# the map (mapspec.map_scripts.FrameData), so that frame is the one that paints them.
_STEP_PROBE = """
([month, frameSelector]) => {
  window.__atlasStep = undefined;
  let pressed = null;
  document.addEventListener('keydown', (e) => { pressed = e.timeStamp; },
                            {capture: true, once: true});
  const wanted = 'shown up to the end of ' + month;
  const check = () => {
    const frame = document.querySelector(frameSelector);
    const doc = frame && frame.contentDocument;
    const sent = doc && doc.querySelector('.atlas-legend .lg-sent');
    if (pressed !== null && sent && sent.textContent.includes(wanted)) {
      window.__atlasStep = (performance.now() - pressed) / 1000;
      return;
    }
    requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
}
"""


def playback_steps(
    browser, url: str, months: list[str], dwell_s: float, timeout_ms: int = 300_000
) -> list[float]:
    """Seconds from each playback step's key press (ArrowRight on the month slider) to the
    animation frame that paints the next month's layers on the Risk map, stepping from
    ``months[0]`` through the others (none of them the last month of the data: its view
    has no frame). Between steps the analyst looks at the month for ``dwell_s`` seconds,
    in which the app prepares the next one (``ui.prefetch_views``)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{url}/?frame={months[0]}", wait_until="domcontentloaded")
        legend = page.frame_locator(MAP_FRAME).locator(".atlas-legend .lg-sent")
        legend.filter(has_text=f"shown up to the end of {months[0]}").wait_for(timeout=timeout_ms)
        thumb = page.get_by_role("slider")
        steps = []
        for month in months[1:]:
            page.wait_for_timeout(dwell_s * 1000)
            page.evaluate(_STEP_PROBE, [month, MAP_FRAME])
            thumb.focus()
            thumb.press("ArrowRight")
            page.wait_for_function("() => window.__atlasStep !== undefined", timeout=timeout_ms)
            steps.append(float(page.evaluate("() => window.__atlasStep")))
        return steps
    finally:
        context.close()
