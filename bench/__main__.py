"""Run every benchmark section and print ``key=value`` lines.

Usage: ``python -m bench [SECTION ...]`` (sections: the ``bench_*`` module names without
the prefix, e.g. ``load``). ``--list`` names them. Each section runs in its own
subprocess (cold caches, its own peak RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import pkgutil
import platform
import subprocess
import sys

import bench as bench_pkg


def sections() -> list[str]:
    """Section names in run order."""
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules(bench_pkg.__path__)
        if m.name.startswith("bench_")
    )


def _run_one(name: str) -> dict[str, object]:
    code = (
        "import json, importlib, sys;"
        f"m = importlib.import_module('bench.bench_{name}');"
        "print('@@RESULT@@' + json.dumps(m.run()))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("@@RESULT@@"):
            return json.loads(line.removeprefix("@@RESULT@@"))
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {f"{name}_error": tail}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("sections", nargs="*", help="sections to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the sections and exit")
    args = parser.parse_args()
    available = sections()
    if args.list:
        print("\n".join(available))
        return 0
    unknown = sorted(set(args.sections) - set(available))
    if unknown:
        print(f"unknown section(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    print(f"machine={platform.machine()} cpus={os.cpu_count()} python={platform.python_version()}")
    for name in args.sections or available:
        for key, value in _run_one(name).items():
            print(f"{key}={value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
