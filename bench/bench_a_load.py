"""Cold load of the bundled data (run in a fresh process by the runner)."""

from __future__ import annotations

import time


def run() -> dict[str, object]:
    start = time.perf_counter()
    from geodata import load_bundle

    imported = time.perf_counter()
    bundle = load_bundle()
    done = time.perf_counter()
    assert len(bundle.provinces) == 34
    return {
        "load_bundle_cold_s": round(done - start, 3),
        "load_bundle_import_s": round(imported - start, 3),
        "load_bundle_only_s": round(done - imported, 3),
    }
