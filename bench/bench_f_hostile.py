"""The hostile-input corpus (tests/hostile/): every file through ``iskp-atlas import`` in a
fresh process, as a user would run it.

Targets (issue 11): ``hostile_corpus_max_s`` < 5 s (the slowest file, wall time of the
whole process: start-up, imports, reading, the refusal or the import), and
``hostile_corpus_peak_rss_mb`` < 600 MB (the largest peak resident memory of one of
those processes, from ``os.wait4``). Each file runs against a store already holding one
batch (a fresh copy per file, so accepted files do not pile up).

The process time includes the CLI's start-up (Python, pandas, geopandas and whatever the
subcommands import), which no input can avoid: ``hostile_corpus_startup_s`` is the
fastest process of the corpus (a refusal at the first check), and
``hostile_corpus_inprocess_max_s`` the slowest file once everything is imported (all
files in one process, ``atlas_cli.main.main``): the work a file itself can cause.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOSTILE = REPO / "tests" / "hostile"
BASE_FILE = REPO / "tests" / "fixtures" / "import" / "points_sample.geojson"


def _run(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MB, exit status) of one CLI process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "atlas_cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, proc.returncode


def _in_process(entries: list[dict], base: Path, root: Path) -> dict[str, float]:
    """Seconds per file with every module already imported (one process)."""
    import contextlib
    import io

    from atlas_cli.main import main

    out: dict[str, float] = {}
    sink = io.StringIO()
    for entry in [entries[0], *entries]:  # the first run warms the caches up
        home = root / "store-in"
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(base, home)
        start = time.perf_counter()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            main(["import", str(HOSTILE / "files" / entry["file"]), "--home", str(home)])
        out[entry["file"]] = time.perf_counter() - start
    return out


def run() -> dict[str, object]:
    manifest = HOSTILE / "MANIFEST.json"
    if not manifest.exists():
        return {"hostile_corpus_error": f"no corpus at {HOSTILE} (run from the repository)"}
    entries = json.loads(manifest.read_text(encoding="utf-8"))["files"]
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "ISKP_ATLAS_HOME": str(root / "home"),
            "ISKP_ATLAS_CACHE_DIR": str(root / "cache"),
        }
        base = root / "base"
        _run(["import", str(BASE_FILE), "--home", str(base)], env)
        times: dict[str, float] = {}
        peaks: dict[str, float] = {}
        wrong_exit = []
        for entry in entries:
            home = root / "store"
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(base, home)
            wall, peak, status = _run(
                ["import", str(HOSTILE / "files" / entry["file"]), "--home", str(home)], env
            )
            times[entry["file"]], peaks[entry["file"]] = wall, peak
            if status != entry["exit"]:
                wrong_exit.append(entry["file"])
        inprocess = _in_process(entries, base, root)
    slowest = max(times, key=lambda k: times[k])
    slowest_in = max(inprocess, key=lambda k: inprocess[k])
    biggest = max(peaks, key=lambda k: peaks[k])
    return {
        "hostile_corpus_files": len(entries),
        "hostile_corpus_max_s": round(times[slowest], 2),
        "hostile_corpus_slowest_file": slowest,
        "hostile_corpus_median_s": round(sorted(times.values())[len(times) // 2], 2),
        "hostile_corpus_startup_s": round(min(times.values()), 2),
        "hostile_corpus_inprocess_max_s": round(inprocess[slowest_in], 2),
        "hostile_corpus_inprocess_slowest_file": slowest_in,
        "hostile_corpus_peak_rss_mb": round(peaks[biggest], 1),
        "hostile_corpus_peak_rss_file": biggest,
        "hostile_corpus_wrong_exit": ",".join(wrong_exit) or "none",
    }
