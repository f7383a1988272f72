"""Exports of a resolved map: RFC 7946 GeoJSON, CSV and GeoPackage.

Every function here is a pure function of one :class:`~mapspec.resolved.ResolvedMap`
(the same object the folium map and the briefing image are drawn from), returns ``str``
or ``bytes`` and never writes a file the caller can see: only the CLI and the pages
write.

The layers a user can export (:data:`ALL_EXPORT_LAYERS`; :data:`EXPORT_LAYERS` the record
and score ones) are views of the resolved frames, named in :mod:`mapspec.layers`:
``provinces`` and ``pak_admin1`` are the ``areas`` rows of Afghanistan and Pakistan,
``corridors`` the route lines (the map's corridors layer draws the ``segments``), the
forecast and hot-spot layers their analysis frames, whose method (model, horizons, data
span, back-test pointer) goes into the metadata's ``methods``.

Choices, in short:

- GeoJSON follows RFC 7946: WGS 84 longitude/latitude, no ``crs`` member, exterior rings
  counter-clockwise and holes clockwise, coordinates rounded to :data:`COORD_DECIMALS`
  decimals, dates as ISO 8601 strings, lists as arrays, ``null`` for every missing value
  (NaN is never written), ``"geometry": null`` for records without a location, and a
  top-level foreign member ``metadata`` with the spec, the filter sentence, the time of
  generation, the product version and the sources with their licences. ``<``, ``>`` and
  ``&`` are written as ``\\u003c``-style escapes, so the file is also safe to paste into
  a web page; any JSON reader returns the original text.
- CSV: one row per feature, ``lon``/``lat`` columns for point layers, lists joined with
  ``;``, dates as ISO 8601. Text cells that begin with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return get a leading single quote (OWASP guidance on CSV injection), so a
  spreadsheet shows the text instead of running it; the first character is judged after
  NFKC normalisation and leading spaces or control characters (a full-width ``＝``, ``" =1"``;
  :func:`geodata.csvcells.formula_like`). Cells of numeric columns are written
  by the number formatter and left alone: a negative number such as ``-12.5`` is a
  number to a spreadsheet, never a formula, and quoting it would turn it into text and
  break sums. Text that merely looks like a number (``-5`` in a text column) is quoted:
  we cannot tell it from the start of a formula.
- GeoPackage: one table per layer, lists and mappings as JSON text, the metadata as
  dataset metadata (``ISKP_ATLAS_METADATA``) and the filter sentence as each layer's
  description.
- Raw rows held under terms that forbid passing them on (an imported record whose
  ``licence`` says so, e.g. ACLED or GTD; see :mod:`geodata.importers.common`) are left
  out of every export and counted in the metadata; derived layers (scores) are always
  exported (DESIGN §5).
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from geodata.csvcells import neutralise_cell
from geodata.sources import BUNDLED_SOURCES
from geodata.spatial import has_geometry
from mapspec import layers as layer_registry
from mapspec.resolved import ResolvedMap

PRODUCT_NAME = "ISKP Risk Atlas"
COORD_DECIMALS = 6
"""Decimals kept in exported coordinates (about 0.1 m): RFC 7946 §11.2 advises no more."""

EXPORT_LAYERS: tuple[str, ...] = layer_registry.export_names(default_only=True)
"""The record and score layers (``--layer all``, the GeoPackage's default), in the order a
GeoPackage lists them: a view of :mod:`mapspec.layers`."""

ALL_EXPORT_LAYERS: tuple[str, ...] = layer_registry.export_names()
"""Every layer a user can export: :data:`EXPORT_LAYERS` and the analysis layers (forecasts
and hot spots, with their method in the metadata), computed only when exported."""

FORMATS: tuple[str, ...] = ("geojson", "csv", "gpkg")

LAYER_SOURCES: dict[str, tuple[str, str | None]] = {
    name: (e.frame, e.country) for name, e in layer_registry.EXPORTS.items()}
"""Export layer -> (resolved frame, country filter): a view of :mod:`mapspec.layers`."""

ID_COLUMNS: dict[str, str | None] = {
    name: e.id_column for name, e in layer_registry.EXPORTS.items()}
"""The column that identifies a feature (written as the GeoJSON feature ``id``)."""

LAYER_LABELS: dict[str, str] = {name: e.label for name, e in layer_registry.EXPORTS.items()}
"""Export layer -> label (the Export page's choices)."""

MIME_TYPES: dict[str, str] = {
    "geojson": "application/geo+json",
    "csv": "text/csv",
    "gpkg": "application/geopackage+sqlite3",
}

SCHEMATIC_NOTE = (
    "CPEC routes are schematic: straight lines between sourced waypoints, not surveyed "
    "roads."
)


_encode_string: Callable[[str], str] = json.encoder.encode_basestring  # type: ignore[attr-defined]
"""JSON string literal of a str, as ``json.dumps(ensure_ascii=False)`` writes it (C)."""
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


# --- Layer selection -------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerExport:
    """One export layer: the rows written, the column that names them, rows withheld."""

    name: str
    frame: gpd.GeoDataFrame
    id_column: str | None
    withheld: int = 0
    method: Mapping[str, Any] | None = None  # analysis layers: how the numbers were made

    @property
    def ids(self) -> list[str]:
        """Feature ids in file order (empty for a layer without an id column)."""
        if self.id_column is None or self.id_column not in self.frame.columns:
            return []
        return [str(v) for v in self.frame[self.id_column]]


def _check_layer(name: str) -> None:
    if name not in ALL_EXPORT_LAYERS:
        raise ValueError(f"unknown export layer {name!r}; use one of "
                         f"{', '.join(ALL_EXPORT_LAYERS)}")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def _restricted_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose ``licence`` forbids passing raw rows on (unknown licence codes too)."""
    if "licence" not in frame.columns or frame.empty:
        return np.zeros(len(frame), dtype=bool)
    from geodata.importers.common import LICENCES

    allowed = {code for code, lic in LICENCES.items() if lic.raw_export_allowed}
    codes = frame["licence"].astype(object)
    missing = codes.isna() | (codes.astype(str).str.strip() == "")
    return (~missing & ~codes.astype(str).isin(allowed)).to_numpy()


def layer_for_export(resolved: ResolvedMap, name: str) -> LayerExport:
    """The rows of export layer ``name`` (a new frame in EPSG:4326; inputs untouched)."""
    _check_layer(name)
    source, country = LAYER_SOURCES[name]
    frame = resolved.layer(source)
    method = frame.attrs.get("method") if name not in EXPORT_LAYERS else None
    if country is not None and "country" in frame.columns:
        frame = frame[frame["country"].astype(object) == country]
    restricted = _restricted_rows(frame)
    if restricted.any():
        frame = frame[~restricted]
    frame = gpd.GeoDataFrame(frame.copy(), geometry=frame.geometry.name, crs=frame.crs)
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    frame = frame.reset_index(drop=True)
    return LayerExport(name, frame, ID_COLUMNS[name], int(restricted.sum()),
                       dict(method) if method else None)


def feature_count(resolved: ResolvedMap, name: str) -> int:
    """How many features export layer ``name`` holds."""
    return len(layer_for_export(resolved, name).frame)


# --- Metadata -------------------------------------------------------------------------------


def product_version() -> str:
    """The product version: the installed package's, else pyproject.toml's, else "unknown"."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("iskp-risk-atlas")
    except PackageNotFoundError:  # running from a source tree: read pyproject.toml
        import tomllib

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
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


def export_metadata(resolved: ResolvedMap, layers: Sequence[LayerExport],
                    generated: datetime | None = None) -> dict[str, Any]:
    """What every export says about itself: spec, sentence, time, version, sources."""
    withheld = {layer.name: layer.withheld for layer in layers if layer.withheld}
    methods = {layer.name: layer.method for layer in layers if layer.method}
    notes = [SCHEMATIC_NOTE]
    if withheld:
        notes.append(
            "Rows held under terms that forbid passing raw records on (e.g. ACLED, GTD) "
            "are left out of this file: " + ", ".join(f"{k} {v}" for k, v in withheld.items())
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
        "aoi": (resolved.spec.filters.aoi.geojson()  # the area of interest as GeoJSON
                if resolved.spec.filters.aoi else None),
        "spec": resolved.spec.to_dict(),
        "point_mode": resolved.point_mode,
        "notices": list(resolved.notices),
        "coordinates": f"WGS 84 longitude/latitude, {COORD_DECIMALS} decimals",
        "notes": notes,
        "sources": data_sources(resolved),
    } | ({"methods": methods} if methods else {})


# --- Values ---------------------------------------------------------------------------------


def plain_value(value: Any) -> Any:
    """A JSON-ready Python value: None for every kind of missing, ISO text for dates,
    lists for tuples/arrays, Python numbers for NumPy ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, pd.Timestamp | datetime):
        return _iso_moment(pd.Timestamp(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else _iso_moment(pd.Timestamp(value))
    if isinstance(value, list | tuple | np.ndarray | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [plain_value(v) for v in items]
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, shapely.Geometry):
        return value.wkt
    return str(value)


def _iso_moment(stamp: pd.Timestamp) -> str:
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC")
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    if stamp == stamp.normalize():
        return stamp.date().isoformat()
    return stamp.isoformat(timespec="seconds")


def _datetime_texts(series: pd.Series) -> list[str | None]:
    values = series
    if getattr(series.dtype, "tz", None) is not None:
        values = series.dt.tz_convert("UTC").dt.tz_localize(None)
    arr = values.to_numpy(dtype="datetime64[s]")
    missing = np.isnat(arr)
    days = arr.astype("datetime64[D]")
    if bool((days[~missing] == arr[~missing]).all()):
        text = np.datetime_as_string(days)
    else:
        text = np.datetime_as_string(arr, unit="s")
        if getattr(series.dtype, "tz", None) is not None:
            text = np.char.add(text.astype(str), "Z")
    out = text.astype(object)
    out[missing] = None
    return out.tolist()


def _hashable(value: Any) -> Any:
    kind = type(value)
    if kind is list:
        return tuple(value)  # nested lists stay unhashable: the caller then goes row by row
    if kind is np.ndarray:
        return tuple(value.tolist())
    return value


def _unique_codes(values: np.ndarray, encode: Callable[[Any], str], missing: str
                  ) -> tuple[np.ndarray, list[str]] | None:
    """(codes, table): ``encode`` applied once per distinct value, ``missing`` (the last
    table entry) for None/NaN/NA; None when the values cannot be hashed."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # lists: factorize their tuple form
        try:
            keys = np.empty(len(values), dtype=object)
            keys[:] = [_hashable(v) for v in values]
            codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        except TypeError:  # unhashable values (e.g. mappings)
            return None
    table = [encode(u) for u in uniques] + [missing]
    return np.where(codes < 0, len(table) - 1, codes), table


def _per_unique(values: np.ndarray, encode: Callable[[Any], str], missing: str) -> list[str]:
    """``encode`` applied once per distinct value (``missing`` for None/NaN/NA): columns of
    a large layer repeat few values, so this is where the export time goes."""
    if len(values) == 0:
        return []
    coded = _unique_codes(values, encode, missing)
    if coded is None:
        return [missing if plain_value(v) is None else encode(v) for v in values]
    codes, table = coded
    return np.array(table, dtype=object)[codes].tolist()


def column_values(series: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values (None for missing)."""
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetime_texts(series)
    if pd.api.types.is_bool_dtype(dtype) and not series.isna().any():
        return [bool(v) for v in series.to_numpy()]
    if pd.api.types.is_integer_dtype(dtype):
        return series.to_numpy(dtype=object, na_value=None).tolist() if series.hasnans \
            else series.astype("int64").tolist()
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        out = arr.astype(object)
        out[~np.isfinite(arr)] = None
        return out.tolist()
    return [plain_value(v) for v in series.to_numpy(dtype=object)]


def _json_text(value: Any) -> str:
    """JSON text of one value; ``<``, ``>``, ``&`` written as \\u escapes."""
    if type(value) is str:
        text = _encode_string(value)
    else:
        text = json.dumps(plain_value(value), ensure_ascii=False, allow_nan=False)
    if "<" in text or ">" in text or "&" in text:
        for char, escape in _HTML_ESCAPES.items():
            text = text.replace(char, escape)
    return text


def _number_texts(series: pd.Series, prefix: str = "") -> list[str] | None:
    """Numbers as JSON text ('null' for missing) after ``prefix``, or None for a
    non-numeric column."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        words = {None: "null", True: "true", False: "false"}
        return [prefix + words[v] for v in column_values(series)]
    if pd.api.types.is_integer_dtype(dtype):
        return [prefix + ("null" if v is None else str(v)) for v in column_values(series)]
    if pd.api.types.is_float_dtype(dtype):
        arr = series.to_numpy(dtype=float, na_value=np.nan)
        texts = np.array([prefix + repr(v) for v in arr.tolist()], dtype=object)
        texts[~np.isfinite(arr)] = prefix + "null"
        return texts.tolist()
    return None


def json_column(series: pd.Series, prefix: str = "") -> list[str]:
    """Every value of a column as JSON text after ``prefix`` (dates ISO 8601, lists
    arrays, missing values null)."""
    numbers = _number_texts(series, prefix)
    if numbers is not None:
        return numbers
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = np.array(_datetime_texts(series), dtype=object)
    else:
        values = series.to_numpy(dtype=object)
    return _per_unique(values, lambda v: prefix + _json_text(v), prefix + "null")


def _attribute_columns(frame: gpd.GeoDataFrame) -> list[str]:
    """Columns written as attributes: everything except geometry-typed columns."""
    return [c for c in frame.columns
            if c != frame.geometry.name and not isinstance(frame[c].dtype, gpd.array.GeometryDtype)]


# --- Geometry -------------------------------------------------------------------------------


_present = has_geometry


def rfc7946_geometries(geoms: np.ndarray) -> np.ndarray:
    """Rounded geometries with RFC 7946 winding (exterior CCW, holes CW); empty -> None."""
    arr = np.asarray(geoms, dtype=object)
    present = _present(arr)
    out = np.full(len(arr), None, dtype=object)
    if present.any():
        kept = shapely.transform(arr[present], lambda c: np.round(c, COORD_DECIMALS))
        kept = shapely.orient_polygons(kept, exterior_cw=False)
        kept[shapely.is_empty(kept)] = None
        out[present] = kept
    return out


def _geometry_texts(geoms: np.ndarray) -> list[str]:
    """RFC 7946 geometry objects as JSON text ('null' without a location)."""
    arr = np.asarray(geoms, dtype=object)
    present = _present(arr)
    out = np.full(len(arr), "null", dtype=object)
    if not present.any():
        return out.tolist()
    kept = arr[present]
    if bool((shapely.get_type_id(kept) == shapely.GeometryType.POINT).all()):
        xs = np.round(shapely.get_x(kept), COORD_DECIMALS).tolist()
        ys = np.round(shapely.get_y(kept), COORD_DECIMALS).tolist()
        out[present] = [f'{{"type":"Point","coordinates":[{x!r},{y!r}]}}'
                        for x, y in zip(xs, ys, strict=True)]
    else:
        out[present] = [json.dumps(g.__geo_interface__, allow_nan=False, separators=(",", ":"))
                        for g in rfc7946_geometries(kept)]
    return out.tolist()


POINT_LAYERS: frozenset[str] = frozenset({"incidents", "threats", "sites"})
"""Record layers: points, or no location at all."""


def is_point_layer(export: LayerExport) -> bool:
    """Whether the layer is drawn as points (a record layer, or only Points present)."""
    if export.name in POINT_LAYERS:
        return True
    geoms = export.frame.geometry.to_numpy()
    present = _present(geoms)
    if not present.any():
        return False
    return bool((shapely.get_type_id(geoms[present]) == shapely.GeometryType.POINT).all())


# --- GeoJSON --------------------------------------------------------------------------------


def _arrow_fragments(series: pd.Series, prefix: str) -> pa.Array:
    """A column as an Arrow string array of ``prefix`` + JSON text (vectorised)."""
    dtype = series.dtype
    numeric = (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)) \
        and not pd.api.types.is_object_dtype(dtype)
    if numeric:
        missing = series.isna().to_numpy()
        if pd.api.types.is_bool_dtype(dtype):
            values = series.to_numpy(dtype=bool, na_value=False)
        elif pd.api.types.is_integer_dtype(dtype):
            values = series.to_numpy(dtype="int64", na_value=0)
        else:
            values = series.to_numpy(dtype=float, na_value=np.nan)
            missing = missing | ~np.isfinite(values)
        texts = pc.cast(pa.array(values, mask=missing), pa.string())  # shortest round-trip
        texts = pc.fill_null(texts, "null")
        return pc.binary_join_element_wise(prefix, texts, "")
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = np.array(_datetime_texts(series), dtype=object)
    else:
        values = series.to_numpy(dtype=object)
    coded = _unique_codes(values, lambda v: prefix + _json_text(v), prefix + "null") \
        if len(values) else None
    if coded is None:
        return pa.array(_per_unique(values, lambda v: prefix + _json_text(v),
                                    prefix + "null"), type=pa.string())
    codes, table = coded
    return pc.take(pa.array(table, type=pa.string()), pa.array(codes))


def _concatenated(texts: pa.Array) -> bytes:
    """The UTF-8 bytes of every string of an Arrow string array, back to back."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    if len(texts) == 0:
        return b""
    width = np.int64 if pa.types.is_large_string(texts.type) else np.int32
    offsets = np.frombuffer(texts.buffers()[1], dtype=width)
    start, end = int(offsets[texts.offset]), int(offsets[texts.offset + len(texts)])
    return memoryview(texts.buffers()[2])[start:end].tobytes()


def geojson_bytes(resolved: ResolvedMap, layer: str, generated: datetime | None = None
                  ) -> bytes:
    """Export layer ``layer`` as RFC 7946 GeoJSON (UTF-8 bytes); see :func:`to_geojson`.

    Built column by column with Arrow string kernels (each distinct text value is encoded
    once), which keeps 100k incidents under the 2 s budget.
    """
    export = layer_for_export(resolved, layer)
    frame = export.frame
    n = len(frame)
    id_texts = None
    if export.id_column in frame.columns:  # encoded once: a property and the feature id
        id_texts = _arrow_fragments(frame[export.id_column], "")
    parts = [pc.binary_join_element_wise(_json_text(str(c)) + ":", id_texts, "")
             if c == export.id_column and id_texts is not None
             else _arrow_fragments(frame[c], _json_text(str(c)) + ":")
             for c in _attribute_columns(frame)]
    properties = pc.binary_join_element_wise(*parts, ",") if parts \
        else pa.array([""] * n, type=pa.string())
    geometries = pa.array(_geometry_texts(frame.geometry.to_numpy()), type=pa.string())
    if id_texts is not None:
        ids = pc.if_else(pc.equal(id_texts, "null"), "",
                         pc.binary_join_element_wise('"id":', id_texts, ",", ""))
    else:
        ids = pa.array([""] * n, type=pa.string())
    features = pc.binary_join_element_wise(
        '{"type":"Feature",', ids, '"geometry":', geometries, ',"properties":{', properties,
        "}},\n", "")
    head = (f'{{"type":"FeatureCollection","name":{_json_text(layer)},'
            f'"metadata":{_json_text(export_metadata(resolved, [export], generated))},'
            '"features":[\n').encode()
    body = _concatenated(features)[:-2]  # no comma after the last feature
    return b"".join([head, body, b"\n]}\n"])


def to_geojson(resolved: ResolvedMap, layer: str, generated: datetime | None = None) -> str:
    """Export layer ``layer`` as RFC 7946 GeoJSON text.

    UTF-8 characters are kept as they are; ``<``, ``>``, ``&`` are written as
    ``\\u003c``-style escapes, so the text is also safe inside an HTML page.
    """
    return geojson_bytes(resolved, layer, generated).decode("utf-8")


def feature_collection(resolved: ResolvedMap, layer: str,
                       generated: datetime | None = None) -> dict[str, Any]:
    """The FeatureCollection of :func:`to_geojson` as Python objects."""
    return json.loads(to_geojson(resolved, layer, generated))


# --- CSV ------------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    plain = plain_value(value)
    if plain is None:
        return ""
    if isinstance(plain, list):
        return ";".join(_csv_text(v) for v in plain)
    if isinstance(plain, dict):
        return json.dumps(plain, ensure_ascii=False, allow_nan=False)
    return str(plain)


def _csv_column(series: pd.Series) -> list[str]:
    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return ["" if v is None else v for v in _datetime_texts(series)]
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        # written by the number formatter: never a formula, so left as numbers
        values = column_values(series)
        if pd.api.types.is_bool_dtype(dtype):
            return ["" if v is None else str(v) for v in values]
        return ["" if v is None else repr(v) if isinstance(v, float) else str(v)
                for v in values]
    return _per_unique(series.to_numpy(dtype=object),
                       lambda v: neutralise_cell(_csv_text(v)), "")


def to_csv(resolved: ResolvedMap, layer: str) -> str:
    """Export layer ``layer``'s attributes as CSV text (RFC 4180, CRLF line ends), with
    ``lon``/``lat`` for point layers and text cells neutralised against formula
    injection."""
    export = layer_for_export(resolved, layer)
    frame = export.frame
    columns = _attribute_columns(frame)
    data = {c: _csv_column(frame[c]) for c in columns}
    if is_point_layer(export) and "lon" not in data and "lat" not in data:
        geoms = frame.geometry.to_numpy()
        present = _present(geoms)
        lon = np.full(len(frame), "", dtype=object)
        lat = np.full(len(frame), "", dtype=object)
        if present.any():
            for target, coord in ((lon, shapely.get_x), (lat, shapely.get_y)):
                values = np.round(coord(geoms[present]), COORD_DECIMALS).tolist()
                target[present] = list(map(repr, values))
        data["lon"], data["lat"] = lon.tolist(), lat.tolist()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise_cell(str(c)) for c in data])
    writer.writerows(zip(*data.values(), strict=True))
    return buffer.getvalue()


# --- GeoPackage -----------------------------------------------------------------------------


def _gpkg_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns GDAL can store: lists and mappings as JSON text, mixed objects as text."""
    out = {}
    for column in _attribute_columns(frame):
        series = frame[column]
        dtype = series.dtype
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype) \
                or pd.api.types.is_datetime64_any_dtype(dtype):
            out[column] = series.to_numpy() if not series.hasnans or \
                pd.api.types.is_float_dtype(dtype) else series.array
            continue
        texts = []
        for value in series.to_numpy(dtype=object):
            plain = plain_value(value)
            if isinstance(plain, list | dict):
                texts.append(json.dumps(plain, ensure_ascii=False, allow_nan=False))
            else:
                texts.append(None if plain is None else str(plain))
        out[column] = pd.Series(texts, dtype=object)
    geoms = rfc7946_geometries(frame.geometry.to_numpy())
    return gpd.GeoDataFrame(pd.DataFrame(out, index=range(len(frame))),
                            geometry=gpd.GeoSeries(geoms, crs="EPSG:4326").values,
                            crs="EPSG:4326")


def to_geopackage(resolved: ResolvedMap, layers: Sequence[str] = EXPORT_LAYERS,
                  generated: datetime | None = None) -> bytes:
    """A GeoPackage (bytes) with one table per export layer in ``layers``.

    Dataset metadata ``ISKP_ATLAS_METADATA`` holds :func:`export_metadata` as JSON; each
    table's description is the filter sentence.
    """
    if isinstance(layers, str):
        layers = [layers]
    if not layers:
        raise ValueError("choose at least one layer for the GeoPackage")
    for name in layers:
        _check_layer(name)
    exports = [layer_for_export(resolved, name) for name in dict.fromkeys(layers)]
    metadata = json.dumps(plain_value(export_metadata(resolved, exports, generated)),
                          ensure_ascii=False, allow_nan=False)
    with tempfile.TemporaryDirectory(prefix="iskp-atlas-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for index, export in enumerate(exports):
            frame = _gpkg_frame(export.frame)
            pyogrio.write_dataframe(
                frame, path, layer=export.name, driver="GPKG", append=index > 0,
                geometry_type=None if len(frame.geometry.dropna()) else "Unknown",
                dataset_metadata={"ISKP_ATLAS_METADATA": metadata} if index == 0 else None,
                layer_metadata={"DESCRIPTION": resolved.sentence},
            )
        return path.read_bytes()


# --- One call for the CLI and the page ------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    """An export ready to save or download."""

    data: bytes
    file_name: str
    mime: str
    feature_counts: Mapping[str, int]
    withheld: Mapping[str, int]


def export_file(resolved: ResolvedMap, layers: str | Sequence[str], fmt: str,
                generated: datetime | None = None) -> ExportFile:
    """Export ``layers`` in ``fmt`` (geojson and csv take exactly one layer)."""
    _check_format(fmt)
    names = [layers] if isinstance(layers, str) else list(dict.fromkeys(layers))
    if not names:
        raise ValueError("choose at least one layer to export")
    for name in names:
        _check_layer(name)
    if fmt != "gpkg" and len(names) != 1:
        raise ValueError(f"{fmt} holds one layer; choose one, or use gpkg for several")
    selected = [layer_for_export(resolved, name) for name in names]
    if fmt == "geojson":
        data = geojson_bytes(resolved, names[0], generated)
    elif fmt == "csv":
        data = to_csv(resolved, names[0]).encode("utf-8")
    else:
        data = to_geopackage(resolved, names, generated)
    stem = names[0] if len(names) == 1 else "layers"
    return ExportFile(
        data=data,
        file_name=f"iskp-atlas_{stem}_{resolved.as_of.isoformat()}.{fmt}",
        mime=MIME_TYPES[fmt],
        feature_counts={e.name: len(e.frame) for e in selected},
        withheld={e.name: e.withheld for e in selected if e.withheld},
    )
