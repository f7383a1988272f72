"""The data every page shows, cached: the loaded records for the store's state, the
date bounds, and each view resolved (filtered and scored) once per parameters and data.

Also the repository's documents the Methodology page renders.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import streamlit as st

from geodata import Bundle, load_bundle
from geodata.catalog import DataSource, load_source
from geodata.store_query import StoreQuery
from mapspec.resolve import resolve
from mapspec.resolved import ResolvedMap
from mapspec.spec import MapSpec, SpecError
from ui.errors import LOG, md_escape, new_reference

APP_DIR = Path(__file__).resolve().parents[1]
"""The repository (app.py, docs/, static/)."""


@st.cache_resource(show_spinner="Loading data…", max_entries=2)
def _data(signature: tuple[str, str | None], home: str | None, extra: str | None) -> Bundle:
    """Bundled + imported (+ optional extra file) records for one store state, through the
    one loader the CLI uses too (:func:`geodata.catalog.load_current`)."""
    return load_source(DataSource.from_env(home, extra))


def data_signature() -> tuple[str, str | None]:
    """What the loaded data depends on: the store's state and the extra file. Any session's
    import or rollback changes it, so every session sees the new data."""
    return DataSource.from_env().signature()


def data() -> Bundle:
    """The records every page shows. A store or extra file that cannot be read gives an
    error on the page and the bundled data instead of a crash."""
    source = DataSource.from_env()
    try:
        return _data(
            source.signature(),
            str(source.store) if source.store else None,
            str(source.extra) if source.extra else None,
        )
    except (ValueError, OSError) as exc:  # the product's own messages (row, column, fix)
        st.error(
            f"Imported or extra records could not be loaded ({md_escape(exc)}); showing "
            "the bundled data only."
        )
        return load_bundle()
    except Exception:  # anything else: no internals on the page, the traceback in the log
        ref = new_reference()
        LOG.exception("loading the imported or extra records failed (reference %s)", ref)
        st.error(
            "Imported or extra records could not be loaded; the details are in the "
            f"server log — reference {ref}. Showing the bundled data only."
        )
        return load_bundle()


@st.cache_resource(show_spinner="Loading data…", max_entries=8)
def _view_data(
    signature: tuple[str, str | None], url: str, extra: str | None, query: StoreQuery
) -> Bundle:
    """The records of one view's date range and area on the team store at ``url``."""
    return load_source(DataSource.from_env(url, extra), filters=query)


def view_data(filters) -> Bundle:
    """The records a view with ``filters`` needs: on a team store, when the filter bounds
    the dates or the area, only the stored records the database selects for it (a superset
    of the filter's, :mod:`geodata.store_query`: the same scores); otherwise :func:`data`."""
    source = DataSource.from_env()
    query = StoreQuery.from_filters(filters) if source.database_url else None
    if query is None:
        return data()
    try:
        return _view_data(
            source.signature(),
            source.database_url,
            str(source.extra) if source.extra else None,
            query,
        )
    except Exception:  # data() shows the error on the page (and falls back) as always
        LOG.exception("the filtered read of the team store failed; reading everything")
        return data()


def _team_store_alone() -> str | None:
    """The team store's URL when it is the only source of extra records (no extra file)."""
    source = DataSource.from_env()
    return source.database_url if source.extra is None else None


def choices_data() -> Bundle:
    """What the sidebar's choices need (units, routes): on a team store the bundle's
    geography, without reading every stored record; else :func:`data`."""
    return load_bundle() if _team_store_alone() else data()


@st.cache_resource(show_spinner=False, max_entries=2)
def _store_dates(signature: tuple[str, str | None], url: str) -> tuple[date, date] | None:
    from geodata.store_query import incident_dates

    return incident_dates(url)


def record_dates() -> tuple[date, date]:
    """The first and last incident date (the date filter's bounds, the playback months):
    on a team store asked of the database (its date index), else from :func:`data`."""
    url = _team_store_alone()
    if url:
        try:
            stored = _store_dates(data_signature(), url)
        except Exception:  # data() shows the store's error on the page as always
            LOG.exception("reading the team store's dates failed")
        else:
            dates = load_bundle().incidents["date"]
            lo, hi = dates.min().date(), dates.max().date()
            return (lo, hi) if stored is None else (min(lo, stored[0]), max(hi, stored[1]))
    dates = data().incidents["date"]
    return dates.min().date(), dates.max().date()


@st.cache_resource(show_spinner="Scoring…", max_entries=32)
def _resolve_cached(
    params_key: tuple[tuple[str, str], ...], signature: tuple[str, str | None]
) -> ResolvedMap:
    spec = MapSpec.from_params(dict(params_key))
    return resolve(spec, view_data(spec.filters))


def _params_key(spec: MapSpec) -> tuple[tuple[str, str], ...]:
    """A spec as a hashable cache key (its URL parameters, sorted)."""
    return tuple(sorted(spec.to_params().items()))


def view_key(resolved_map: ResolvedMap) -> tuple:
    """The cache key of what is derived from a resolved view: the same key as the view."""
    return _params_key(resolved_map.spec), data_signature()


def resolved(spec: MapSpec) -> ResolvedMap:
    """The resolved map of a spec (filtered and scored once, cached by its parameters and
    the data's state)."""
    try:
        return _resolve_cached(_params_key(spec), data_signature())
    except SpecError as exc:
        st.error(f"{md_escape(exc)} — showing the default view.")
        return _resolve_cached((), data_signature())


def methodology_documents() -> list[tuple[str, str]]:
    """(title, markdown) of the methodology and provenance documents in the repository."""
    from geodata import data_path

    docs = [
        ("Risk model (docs/METHODOLOGY.md)", APP_DIR / "docs" / "METHODOLOGY.md"),
        ("Data provenance and licences", data_path("PROVENANCE.md")),
        ("Geometry provenance", data_path("PROVENANCE_GEO.md")),
        ("Reference records: conventions, confidence, conflicts", data_path("NOTES_REFERENCE.md")),
    ]
    out = []
    for title, path in docs:
        text = (
            Path(path).read_text(encoding="utf-8")
            if Path(path).exists()
            else (f"_{path.name} is missing from this installation._")
        )
        out.append((title, text))
    return out
