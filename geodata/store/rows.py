"""The stored text rows: one Arrow IPC stream of nullable strings per batch."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pyarrow as pa

from geodata.store.connection import _frame
from geodata.store.pg import PgConnection


def _encode_rows(records: pd.DataFrame) -> bytes:
    """A batch's text rows as one Arrow IPC stream (every column a nullable string)."""
    table = pa.Table.from_pandas(records.astype(pd.StringDtype("pyarrow")), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode_rows(blob: bytes, positions: np.ndarray | None = None) -> pd.DataFrame:
    table = pa.ipc.open_stream(blob).read_all()
    if positions is not None:
        table = table.take(pa.array(positions, type=pa.int64()))
    frame = table.to_pandas().astype(object)
    return frame.where(frame.notna(), None)


def _batch_blob(con: sqlite3.Connection | PgConnection, batch_id: int) -> bytes:
    """The stored text rows of batch ``batch_id`` (one Arrow stream)."""
    if isinstance(con, PgConnection):
        return con.blob(batch_id)
    return bytes(
        con.execute("SELECT data FROM batch_rows WHERE batch_id = ?", (int(batch_id),)).fetchone()[
            0
        ]
    )


def _rows_of(con: sqlite3.Connection | PgConnection, kind: str, ids: list[str]) -> pd.DataFrame:
    """The stored text rows of records ``ids`` of ``kind`` (current versions)."""
    index = _frame(con, "SELECT id, batch_id, batch_row FROM records WHERE kind = ?", (kind,))
    index = index[index["id"].isin(set(ids))]
    parts = []
    for batch_id, rows in index.groupby("batch_id", sort=False):
        blob = _batch_blob(con, batch_id)
        text = _decode_rows(blob).iloc[rows["batch_row"].to_numpy()]
        parts.append(text.assign(id=rows["id"].to_numpy()))
    return pd.concat(parts, ignore_index=True)
