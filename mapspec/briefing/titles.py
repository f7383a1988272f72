"""The slide's literal text: :func:`draw_text` (no mathtext), the default title and the
banner."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mapspec.briefing.options import BANNER_COLOUR
from mapspec.resolved import ResolvedMap


def draw_text(target: Any, x: float, y: float, s: str, **kwargs: Any) -> Any:
    """Literal text (no mathtext: '$' in data stays '$')."""
    return target.text(x, y, s, parse_math=False, **kwargs)


def default_title(resolved: ResolvedMap) -> str:
    """``ISKP Risk Atlas — <what the view frames>``."""
    view = resolved.spec.view
    framed = {
        "all": "Afghanistan and Pakistan",
        "admin1": _area_name(resolved, view.value),
        "route": route_name(resolved, view.value),
        "bbox": f"area {view.value}",
    }[view.kind]
    return f"ISKP Risk Atlas — risk to Chinese and Pakistani interests: {framed}"


def _area_name(resolved: ResolvedMap, code: str | None) -> str:
    areas = resolved.layer("areas")
    hit = areas.loc[areas["id"] == code, "name"] if "id" in areas.columns else []
    return f"{hit.iloc[0]} ({code})" if len(hit) else str(code)


def route_name(resolved: ResolvedMap, route: str | None) -> str:
    corridors = resolved.layer("corridors")
    hit = (
        corridors.loc[corridors["route_id"] == route, "name"]
        if "route_id" in corridors.columns
        else []
    )
    return str(hit.iloc[0]) if len(hit) else str(route)


def draw_banner(fig: Figure, text: str, y: float, height: float, fontsize: float = 13) -> None:
    fig.add_artist(
        Rectangle(
            (0, y),
            1,
            height,
            transform=fig.transFigure,
            facecolor=BANNER_COLOUR,
            edgecolor="none",
            gid="banner_bar",
        )
    )
    draw_text(
        fig,
        0.5,
        y + height / 2,
        text.upper(),
        ha="center",
        va="center",
        color="white",
        fontsize=fontsize,
        fontweight="bold",
        gid="banner",
    )
