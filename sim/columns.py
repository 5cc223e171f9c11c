"""Tables kept as numpy columns, one row per record: the shape of the market's hot data.

Large worlds place a hundred thousand orders and ship as many consignments a month; an object per record costs more
than all the arithmetic on them. A ``ColumnTable`` is a frozen dataclass whose fields are equal-length arrays; rows are
selected, reordered and joined with array operations.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar, TypeVar

import numpy as np

T = TypeVar("T", bound="ColumnTable")

# Array state kept per (agent, chip) pair is keyed agent x CELL_KEY_SPAN + chip number.
CELL_KEY_SPAN = 1 << 32


@dataclass(frozen=True)
class ColumnTable:
    FLOAT_COLUMNS: ClassVar[tuple[str, ...]] = ()  # every other column holds int64

    @classmethod
    def column_names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    def __len__(self) -> int:
        return len(getattr(self, fields(self)[0].name))

    def take(self: T, rows) -> T:
        """The rows at ``rows`` (indexes, a boolean mask or a slice), in that order."""
        return type(self)(*(getattr(self, name)[rows] for name in self.column_names()))

    @classmethod
    def empty(cls: type[T]) -> T:
        return cls(*(np.zeros(0, dtype=cls._dtype(name)) for name in cls.column_names()))

    @classmethod
    def concatenate(cls: type[T], parts: list[T]) -> T:
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(part, name) for part in parts]) for name in cls.column_names()))

    @classmethod
    def from_rows(cls: type[T], rows: list[tuple]) -> T:
        """A table from row tuples whose values are in field order."""
        if not rows:
            return cls.empty()
        columns = zip(*rows, strict=True)
        return cls(*(np.array(column, dtype=cls._dtype(name))
                     for name, column in zip(cls.column_names(), columns, strict=True)))

    @classmethod
    def _dtype(cls, name: str) -> type:
        return float if name in cls.FLOAT_COLUMNS else np.int64


def segment_rows(start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every row of some segments of a pool (segment ``i`` is rows ``start[i]`` to ``start[i] + length[i]``), segment
    by segment: each one's segment number and pool row."""
    segment = np.repeat(np.arange(len(length)), length)
    row = np.asarray(start)[segment] + np.arange(len(segment)) - (np.cumsum(length) - length)[segment]
    return segment, row
