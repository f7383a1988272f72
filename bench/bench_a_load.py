"""Cold load of the bundled data: a fresh process importing geodata and calling
load_bundle(), with the on-disk cache of the validated bundle (the normal case after the
first start) and without it (first start, or ISKP_ATLAS_NO_CACHE=1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = (
    "import json, time; t0 = time.perf_counter(); from geodata import load_bundle; "
    "t1 = time.perf_counter(); b = load_bundle(); t2 = time.perf_counter(); "
    "assert len(b.provinces) == 34 and len(b.incidents) >= 64; "
    "print(json.dumps([t2 - t0, t1 - t0, t2 - t1]))"
)


def _fresh_process(extra_env: dict[str, str]) -> list[float]:
    env = {**os.environ, **extra_env}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> dict[str, object]:
    _fresh_process({})  # make sure the cache exists for the current data and code
    cached = min((_fresh_process({}) for _ in range(3)), key=lambda r: r[0])
    uncached = min(
        (_fresh_process({"ISKP_ATLAS_NO_CACHE": "1"}) for _ in range(3)), key=lambda r: r[0]
    )
    return {
        "load_bundle_cold_s": round(cached[0], 3),
        "load_bundle_import_s": round(cached[1], 3),
        "load_bundle_uncached_s": round(uncached[0], 3),
        "load_bundle_uncached_validate_join_s": round(uncached[2], 3),
    }
