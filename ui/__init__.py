"""The app's Streamlit edge: cached data, the shared sidebar, the map and its playback.

Pages stay thin: ``spec = ui.current_spec(); resolved = ui.resolved(spec)`` then render.
Everything that is not Streamlit lives in geodata, riskmodel and mapspec. The modules:

- :mod:`ui.errors` — the friendly page error and Markdown-safe text;
- :mod:`ui.loaders` — the cached data, date bounds and resolved views;
- :mod:`ui.state` — URL parameters <-> widget state <-> MapSpec (one table, ``WIDGETS``);
- :mod:`ui.widgets` — the sidebar's widgets; :mod:`ui.aoi` — the area of interest;
- :mod:`ui.mapview` — the offline assets and the st_folium map;
- :mod:`ui.playback` — the month slider, Play/Pause and the prefetch of months ahead;
- :mod:`ui.tables` — the tables next to a map, cached with their view.

The names below are the ones pages, app.py, bench and tests use (``ui.x``). A test that
patches a name patches it where it is read (e.g. ``ui.tables.top_areas``).
"""

from __future__ import annotations

from ui.aoi import aoi_controls, apply_drawing, set_aoi
from ui.errors import LOG, PAGE_ERROR_MESSAGE, friendly_errors, md_escape
from ui.loaders import (
    APP_DIR,
    _params_key,
    _resolve_cached,
    data,
    data_signature,
    methodology_documents,
    record_dates,
    resolved,
    view_data,
)
from ui.mapview import prepare_offline_assets, render_map, sentence_caption
from ui.playback import (
    PLAY_INTERVAL_S,
    frame_months,
    playback_map,
    playback_month,
    prefetch_views,
    run_playback,
    set_frame,
    view_ready,
)
from ui.state import WIDGETS, current_spec, spec_from_state, with_view
from ui.tables import segment_table, top_area_tables, top_areas
from ui.widgets import sidebar

__all__ = [
    "APP_DIR",
    "LOG",
    "PAGE_ERROR_MESSAGE",
    "PLAY_INTERVAL_S",
    "WIDGETS",
    "_params_key",
    "_resolve_cached",
    "aoi_controls",
    "apply_drawing",
    "current_spec",
    "data",
    "data_signature",
    "frame_months",
    "friendly_errors",
    "md_escape",
    "methodology_documents",
    "playback_map",
    "playback_month",
    "prefetch_views",
    "prepare_offline_assets",
    "record_dates",
    "render_map",
    "resolved",
    "run_playback",
    "segment_table",
    "sentence_caption",
    "set_aoi",
    "set_frame",
    "sidebar",
    "spec_from_state",
    "top_area_tables",
    "top_areas",
    "view_data",
    "view_ready",
    "with_view",
]
