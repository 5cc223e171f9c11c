"""Arrays that outlive the month that makes them (recorded tables, installed cohorts), kept in memory maps of their
own instead of among the month's temporaries.

Why: numpy takes an array's memory from the C allocator, which serves a month's temporaries (columns of 100k orders)
and the few arrays that last (the month's prices as recorded, its cohorts of installed chips) from one heap, side by
side. An array that lasts keeps the freed temporaries around it from going back to the system and splits the free
space into pieces that later months cannot always use, so the heap only grows: at the end of a 520-month S10k run it
held ~100 MB of free space beside ~130 MB in use. Copied into maps of their own, the lasting arrays leave the heap to
arrays that come and go.

Small arrays share a map of ``SLAB_BYTES`` (filled in order); an array of over a quarter of that has a map to
itself. A map goes back to the system when the last array in it is dropped, so an owner whose arrays die together
(cohorts retire in the order they were installed) should have a ``LastingArrays`` of its own, apart from one whose
arrays are kept to the end (a run's records).

A run's records are read once, when their table is built, so ``keep_packed`` keeps them compressed (zlib, lossless)
when that saves at least a quarter: a month's revenue is mostly zeros and prices change in a tenth of the cells, so at
S10k the 24 MB of records of a 520-month run take ~6 MB, for ~0.2 s of compressing.

Cohorts of installed chips are read every month they are due, too often to decompress, so ``SplitInts`` keeps their
whole numbers as 16 low bits for every row plus the high bits where they are needed: 3 bytes for a holding number
below 2^24, 2 for a count below 2^16 (at S10k, 98% of them), instead of 4 each.
"""

from __future__ import annotations

import mmap
import zlib
from dataclasses import dataclass

import numpy as np

SLAB_BYTES = 4 << 20
ALIGN_BYTES = 64
PACKED_AT_MOST = 0.75  # of the array's bytes: worth keeping compressed
PACK_FROM_BYTES = 1024  # a smaller array is not worth a Packed object (a few hundred bytes itself)
ZLIB_LEVEL = 1  # the fastest: records compress well anyway


@dataclass(frozen=True)
class Packed:
    """An array kept compressed in a map: ``unpack`` gives back its values, dtype and shape."""

    data: np.ndarray  # zlib bytes, read-only, in a map
    dtype: np.dtype
    shape: tuple[int, ...]

    def __len__(self) -> int:
        return self.shape[0]

    def unpack(self) -> np.ndarray:
        return np.frombuffer(zlib.decompress(self.data), dtype=self.dtype).reshape(self.shape)


class SplitInts:
    """Non-negative whole numbers kept as their low 16 bits, row by row, plus their high bits: for every row (in the
    smallest unsigned type that holds them) when many rows have some, only for those rows when few do (below
    ``SPARSE_HIGH_SHARE``), and not at all when none do. ``values`` gives them back as int64."""

    SPARSE_HIGH_SHARE = 1 / 8

    def __init__(self, values: np.ndarray, lasting: LastingArrays) -> None:
        values = np.asarray(values, dtype=np.int64)
        if len(values) and values.min() < 0:
            raise ValueError(f"SplitInts holds non-negative numbers; got {int(values.min())}")
        self.low = lasting.keep(values.astype(np.uint16))  # the low 16 bits (astype wraps)
        high = values >> 16
        self.high_rows: np.ndarray | None = None  # rows with high bits, when only those are kept
        self.high: np.ndarray | None = None
        big = np.flatnonzero(high)
        if not len(big):
            return
        high_type = np.min_scalar_type(int(high[big].max()))  # the smallest unsigned type that holds them
        if len(big) < self.SPARSE_HIGH_SHARE * len(values):
            self.high_rows = lasting.keep(big.astype(np.uint32 if len(values) <= 2**32 else np.uint64))
            self.high = lasting.keep(high[big].astype(high_type))
        else:
            self.high = lasting.keep(high.astype(high_type))

    def __len__(self) -> int:
        return len(self.low)

    @property
    def nbytes(self) -> int:
        return sum(part.nbytes for part in (self.low, self.high, self.high_rows) if part is not None)

    def values(self) -> np.ndarray:
        values = self.low.astype(np.int64)
        if self.high is None:
            return values
        high = self.high.astype(np.int64) << 16
        if self.high_rows is None:
            values |= high
        else:
            values[self.high_rows] |= high
        return values


def unpacked(array: np.ndarray | Packed) -> np.ndarray:
    """The array, whether kept as it is or packed."""
    return array.unpack() if isinstance(array, Packed) else array


def _new_map(nbytes: int) -> np.ndarray:
    """``nbytes`` of fresh anonymous memory as a byte array (unmapped when no array refers to it any more)."""
    return np.frombuffer(mmap.mmap(-1, nbytes), dtype=np.uint8)


def _is_kept(array: np.ndarray) -> bool:
    """Whether ``array`` is a read-only view of a map (as ``keep`` returns)."""
    if array.flags.writeable:
        return False
    base = array.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer's view of the map
        base = base.obj
    return isinstance(base, mmap.mmap)


class LastingArrays:
    def __init__(self, slab_bytes: int = SLAB_BYTES) -> None:
        if slab_bytes < ALIGN_BYTES:
            raise ValueError(f"slab_bytes must be at least {ALIGN_BYTES}, got {slab_bytes}")
        self.slab_bytes = slab_bytes
        self._slab = np.zeros(0, dtype=np.uint8)
        self._used_bytes = 0

    def keep(self, array: np.ndarray) -> np.ndarray:
        """A read-only copy of ``array`` (same dtype, shape and values) in a map. A broadcast view (one value
        repeated, as ``table_blocks.compact_column`` makes) is kept as it is: it holds one value, not a column; so is
        an array of Python objects, whose values live elsewhere anyway, and an array kept already (shared by many
        months)."""
        array = np.asarray(array)
        if array.dtype.hasobject or (array.size > 1 and 0 in array.strides) or _is_kept(array):
            return array
        nbytes = array.nbytes
        if nbytes == 0:
            kept = np.empty(array.shape, dtype=array.dtype)
        elif nbytes > self.slab_bytes // 4:
            kept = _new_map(nbytes).view(array.dtype).reshape(array.shape)
        else:
            if self._used_bytes + nbytes > len(self._slab):
                self._slab, self._used_bytes = _new_map(self.slab_bytes), 0
            start = self._used_bytes
            self._used_bytes += -(-nbytes // ALIGN_BYTES) * ALIGN_BYTES
            kept = self._slab[start:start + nbytes].view(array.dtype).reshape(array.shape)
        kept[...] = array
        kept.flags.writeable = False
        return kept

    def keep_packed(self, array: np.ndarray) -> np.ndarray | Packed:
        """``keep``, compressed when that saves enough (see ``PACKED_AT_MOST`` and ``PACK_FROM_BYTES``): for arrays
        read rarely."""
        array = np.asarray(array)
        if (array.nbytes < PACK_FROM_BYTES or array.dtype.hasobject or (array.size > 1 and 0 in array.strides)
                or _is_kept(array)):
            return self.keep(array)
        packed = zlib.compress(np.ascontiguousarray(array), ZLIB_LEVEL)
        if len(packed) > PACKED_AT_MOST * array.nbytes:
            return self.keep(array)
        return Packed(self.keep(np.frombuffer(packed, dtype=np.uint8)), array.dtype, array.shape)
