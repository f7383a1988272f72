"""Risk model: filter + score of provinces, segments and sites on synthetic events.

Events come from :func:`geodata.synth.synthesize` and are enriched with
:func:`geodata.enrich_records` (timed separately as ``enrich_100k_s``/``enrich_1m_s``).
The million-event data set is enriched in a child process and handed over as a pickle, so
``peak_rss_1m_mb`` (ru_maxrss of this process) covers holding and scoring one million
events, not the enrichment. Targets (2 cores): score_all_100k_s < 0.5, score_all_1m_s < 3,
peak_rss_1m_mb < 2000.
"""

from __future__ import annotations

import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEED = 7
CHUNK = 100_000


def enriched_events(n: int):
    """``n`` synthetic incidents, enriched (in chunks, to bound memory) and the seconds."""
    import geopandas as gpd
    import pandas as pd

    from geodata import WGS84, enrich_records, load_geography
    from geodata.synth import synthesize

    geo = load_geography()
    raw = synthesize(n, SEED, geo)
    start = time.perf_counter()
    parts = [enrich_records(raw.iloc[i : i + CHUNK], "incidents", geo) for i in range(0, n, CHUNK)]
    events = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=WGS84)
    return events, time.perf_counter() - start


def _timed_score(events) -> float:
    from geodata import load_bundle
    from riskmodel import Filters, score

    bundle = load_bundle()
    layers = {
        "incidents": events,
        "threats": bundle.threats,
        "admin1": bundle.admin1,
        "corridors": bundle.corridors,
        "sites": bundle.sites,
    }
    score(layers, Filters(countries=("AFG",)), levels=("site",))  # warm imports and caches
    start = time.perf_counter()
    result = score(layers, Filters())
    elapsed = time.perf_counter() - start
    assert len(result.provinces) == 41 and len(result.segments) >= 100
    return elapsed


def _make_pickle(n: int, path: str) -> None:
    events, seconds = enriched_events(n)
    with open(path, "wb") as fh:
        pickle.dump((events, seconds), fh, protocol=pickle.HIGHEST_PROTOCOL)


def run() -> dict[str, object]:
    events, enrich_s = enriched_events(100_000)
    score_100k = _timed_score(events)
    del events
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "events_1m.pkl")
        code = f"from bench.bench_b_risk import _make_pickle; _make_pickle(1_000_000, {path!r})"
        subprocess.run([sys.executable, "-c", code], check=True)
        with open(path, "rb") as fh:
            events, enrich_1m_s = pickle.load(fh)
    score_1m = _timed_score(events)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "enrich_100k_s": round(enrich_s, 3),
        "score_all_100k_s": round(score_100k, 3),
        "enrich_1m_s": round(enrich_1m_s, 2),
        "score_all_1m_s": round(score_1m, 3),
        "peak_rss_1m_mb": round(peak_mb, 1),
    }
