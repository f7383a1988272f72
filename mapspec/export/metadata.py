"""What every export says about itself: the spec, the filter sentence, the time, the product
version, the sources with their licences, the rows withheld and the analysis methods."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from geodata.sources import BUNDLED_SOURCES
from mapspec.export.layers import LayerExport
from mapspec.export.values import COORD_DECIMALS
from mapspec.resolved import ResolvedMap

PRODUCT_NAME = "ISKP Risk Atlas"

SCHEMATIC_NOTE = (
    "CPEC routes are schematic: straight lines between sourced waypoints, not surveyed roads."
)


def product_version() -> str:
    """The product version: the installed package's, else pyproject.toml's, else "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iskp-risk-atlas")
    except PackageNotFoundError:  # running from a source tree: read pyproject.toml
        import tomllib

        pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def data_sources(resolved: ResolvedMap) -> list[dict[str, str]]:
    """Sources with their licence/attribution: the resolved map's, else the bundled ones."""
    sources = resolved.sources or BUNDLED_SOURCES
    return [{str(k): str(v) for k, v in src.items() if v is not None} for src in sources]


def utc_timestamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as an ISO 8601 UTC string ending in ``Z``."""
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def export_metadata(
    resolved: ResolvedMap, layers: Sequence[LayerExport], generated: datetime | None = None
) -> dict[str, Any]:
    """What every export says about itself: spec, sentence, time, version, sources."""
    withheld = {layer.name: layer.withheld for layer in layers if layer.withheld}
    methods = {layer.name: layer.method for layer in layers if layer.method}
    notes = [SCHEMATIC_NOTE]
    if withheld:
        notes.append(
            "Rows held under terms that forbid passing raw records on (e.g. ACLED, GTD) "
            "are left out of this file: "
            + ", ".join(f"{k} {v}" for k, v in withheld.items())
            + ". Derived layers (scores) include them."
        )
    return {
        "product": PRODUCT_NAME,
        "version": product_version(),
        "generated": utc_timestamp(generated),
        "layers": {layer.name: len(layer.frame) for layer in layers},
        "withheld_by_licence": withheld,
        "sentence": resolved.sentence,
        "as_of": resolved.as_of.isoformat(),
        "query": urlencode(resolved.spec.to_params()),
        "aoi": (
            resolved.spec.filters.aoi.geojson()  # the area of interest as GeoJSON
            if resolved.spec.filters.aoi
            else None
        ),
        "spec": resolved.spec.to_dict(),
        "point_mode": resolved.point_mode,
        "notices": list(resolved.notices),
        "coordinates": f"WGS 84 longitude/latitude, {COORD_DECIMALS} decimals",
        "notes": notes,
        "sources": data_sources(resolved),
    } | ({"methods": methods} if methods else {})
