"""The Risk map's drawing toolbar and the outline of the area of interest (folium only).

Leaflet.draw's toolbar offers a rectangle and a polygon (the two shapes an area of
interest can be, :func:`mapspec.playback.aoi_from_drawing`); its files are served offline
like every asset. The current area is drawn as a dashed outline that takes no clicks.
"""

from __future__ import annotations

import folium
from folium.plugins import Draw

from riskmodel.aoi import Aoi

AOI_COLOUR = "#1f4e9c"


def add_drawing(fmap: folium.Map, aoi: Aoi | None = None) -> None:
    """Add the toolbar (rectangle and polygon only) and, with ``aoi``, its outline."""
    shape = {"shapeOptions": {"color": AOI_COLOUR, "weight": 2, "fillOpacity": 0.05}}
    Draw(
        draw_options={
            "polyline": False,
            "circle": False,
            "marker": False,
            "circlemarker": False,
            "rectangle": shape,
            "polygon": {**shape, "allowIntersection": False},
        },
        edit_options={"edit": False, "remove": False},
    ).add_to(fmap)
    if aoi is not None:
        outline = folium.FeatureGroup(name="Area of interest", control=False)
        folium.GeoJson(
            aoi.geojson(),
            interactive=False,
            style_function=lambda _: {
                "color": AOI_COLOUR,
                "weight": 2.5,
                "dashArray": "6 4",
                "fill": False,
            },
        ).add_to(outline)
        outline.add_to(fmap)
