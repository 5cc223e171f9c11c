"""How a run's recorded tables are kept: blocks of compact numpy columns a month at a time, built into data frames
the first time they are read."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from sim.columns import smallest_int
from sim.lasting import LastingArrays, Packed, unpacked
from sim.table_names import TABLES


class Blocks:
    """A table that grows a month's block of rows at a time (rows per vendor and chip, say), each block kept as numpy
    columns: the month once, whole-number columns (codes of text, counts) as the smallest integers that hold them,
    compressed when that saves memory (they are read once, when the table is built; see ``sim.lasting``).
    Text columns are stored as codes and decoded once, in ``frame``, which also spells the month as "date" and
    "tick". Large worlds add thousands of rows a month; a Python object per value took about 100 bytes a row."""

    def __init__(self, *names: str) -> None:
        self.names = names  # after "date" and "tick"
        self.blocks: list[tuple[int, tuple[np.ndarray | Packed, ...]]] = []
        self._lasting = LastingArrays()

    def add(self, tick: int, *columns: np.ndarray) -> None:
        """A month's rows; a column ``kept`` already (shared by many months) is kept as it is."""
        self.blocks.append((tick, tuple(self._lasting.keep_packed(compact_column(column)) for column in columns)))

    def kept(self, column: np.ndarray) -> np.ndarray:
        """``column`` as a block keeps it (compact, read-only, not compressed): for a column shared by many blocks."""
        return self._lasting.keep(compact_column(column))

    def copy(self) -> Blocks:
        """The blocks so far (the arrays are shared: a block is never changed once added)."""
        copied = Blocks(*self.names)
        copied.blocks = list(self.blocks)
        return copied

    def frame(self, dates: list[str], decode: dict[str, list[str]]) -> pd.DataFrame:
        """The table, with the columns named in ``decode`` turned from codes into the strings they stand for."""
        lengths = [len(columns[0]) if columns else 0 for _tick, columns in self.blocks]
        tick = np.repeat(np.array([tick for tick, _columns in self.blocks], dtype=np.int64), lengths)
        frame = {"date": np.array(dates, dtype=object)[tick], "tick": tick}
        for index, name in enumerate(self.names):
            parts = [unpacked(columns[index]) for _tick, columns in self.blocks]
            column = np.concatenate(parts) if parts else np.zeros(0)
            if name in decode:
                column = np.array(decode[name], dtype=object)[column.astype(np.int64)]
            elif column.dtype.kind in "iu":
                column = column.astype(np.int64)
            frame[name] = column
        return pd.DataFrame(frame)


class Tables(Mapping[str, pd.DataFrame]):
    """A run's tables by name, each built from the recorded rows the first time it is read, then kept.

    A large world's per-vendor tables (revenue, prices, production) are millions of rows, hundreds of MB as data
    frames; a sweep reads only the bloc and world tables, so it never builds them."""

    def __init__(self, builders: dict[str, Callable[[], pd.DataFrame]]) -> None:
        self._builders = builders
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._builders:
            left_out = " (not asked for: run with tables=[...] naming it)" if name in TABLES else ""
            raise KeyError(f"no table {name!r} in this run{left_out}; it recorded {', '.join(self._builders)}")
        if name not in self._built:
            self._built[name] = self._builders[name]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


def compact_column(column: np.ndarray) -> np.ndarray:
    """A column in as little memory as holds it exactly: a column of one value repeated (a month's tariffs where
    none are levied, say) as a read-only view of that one value; whole numbers in the smallest signed integer type
    that holds them; anything else as it is."""
    column = np.asarray(column)
    if not len(column):
        return column
    if column.dtype.kind in "fiu":
        # Compared by bit pattern: 0.0 and -0.0 are not one value.
        bits = np.ascontiguousarray(column).view(np.uint8).reshape(len(column), -1)
        if (bits == bits[0]).all():
            return np.broadcast_to(column[:1].copy(), column.shape)
    return smallest_int(column) if column.dtype.kind == "i" else column
