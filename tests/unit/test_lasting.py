"""Arrays that last (records, cohorts) are kept in maps of their own: same values, read-only, and the memory goes
back when the last array in a map is dropped."""

import gc
import mmap
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.lasting import ALIGN_BYTES, PACK_FROM_BYTES, PACKED_AT_MOST, LastingArrays, Packed, SplitInts, unpacked
from sim.model import ChipSupplyModel
from sim.scenario import validate
from sim.synthetic import synthetic_scenario

DTYPES = st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.float64, np.uint8, np.bool_])


def _map_of(array: np.ndarray) -> mmap.mmap | None:
    base = array.base
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer's view of the map
        base = base.obj
    return base if isinstance(base, mmap.mmap) else None


@given(st.lists(hnp.arrays(DTYPES, hnp.array_shapes(max_dims=2, max_side=40)), max_size=12))
def test_kept_arrays_hold_the_same_values_read_only(arrays):
    lasting = LastingArrays(slab_bytes=1024)  # small slabs: some arrays share one, some have a map of their own
    kept = [lasting.keep(array) for array in arrays]
    for original, copy in zip(arrays, kept, strict=True):
        assert copy.dtype == original.dtype and copy.shape == original.shape
        np.testing.assert_array_equal(copy, original)
        assert not copy.flags.writeable
        assert copy.size == 0 or _map_of(copy) is not None
        assert copy.size == 0 or copy.ctypes.data % ALIGN_BYTES == 0
    # Changing an original afterwards leaves its kept copy alone.
    for original, copy in zip(arrays, kept, strict=True):
        if original.size and original.dtype != np.bool_:
            before = copy.copy()
            original += 1
            np.testing.assert_array_equal(copy, before)


def test_an_array_kept_already_and_a_broadcast_value_are_not_copied_again():
    lasting = LastingArrays()
    once = lasting.keep(np.arange(10))
    assert lasting.keep(once) is once
    repeated = np.broadcast_to(np.array([0.0]), (1000,))
    assert lasting.keep(repeated) is repeated


def test_a_map_goes_back_when_its_last_array_is_dropped():
    lasting = LastingArrays(slab_bytes=4096)
    first, second = lasting.keep(np.arange(100)), lasting.keep(np.arange(100))
    assert _map_of(first) is _map_of(second)  # small arrays share a slab
    big = lasting.keep(np.arange(1000))  # over a quarter of a slab: a map of its own
    assert _map_of(big) is not _map_of(first)
    while _map_of(lasting.keep(np.zeros(100, dtype=np.int64))) is _map_of(first):  # until the slab is full
        pass
    slab, own = weakref.ref(_map_of(first)), weakref.ref(_map_of(big))
    del big
    gc.collect()
    assert own() is None
    del first
    gc.collect()
    assert slab() is not None  # the second array still lives in it
    del second
    gc.collect()
    assert slab() is None


def test_slabs_too_small_to_align_are_refused():
    with pytest.raises(ValueError, match="slab_bytes"):
        LastingArrays(slab_bytes=8)


@given(st.lists(hnp.arrays(DTYPES, hnp.array_shapes(max_dims=2, max_side=200),
                          elements={"min_value": 0, "max_value": 3}), max_size=8))
def test_packed_arrays_give_back_the_same_values(arrays):
    # Small values, so that many arrays are worth packing; the rest are kept as they are.
    lasting = LastingArrays(slab_bytes=1024)
    for original in arrays:
        kept = lasting.keep_packed(original)
        back = unpacked(kept)
        assert back.dtype == original.dtype and back.shape == original.shape
        np.testing.assert_array_equal(back, original)
        if isinstance(kept, Packed):
            assert original.nbytes >= PACK_FROM_BYTES
            assert kept.data.nbytes <= PACKED_AT_MOST * original.nbytes and _map_of(kept.data) is not None
            assert len(kept) == len(original)


def test_records_are_packed_only_when_that_saves_memory():
    lasting = LastingArrays()
    mostly_zero = np.zeros(10_000)
    mostly_zero[::97] = np.arange(len(mostly_zero[::97])) * 1.5
    packed = lasting.keep_packed(mostly_zero)
    assert isinstance(packed, Packed) and packed.data.nbytes < mostly_zero.nbytes / 10
    noise = np.random.default_rng(0).random(10_000)  # random mantissas do not compress
    assert not isinstance(lasting.keep_packed(noise), Packed)
    shared = lasting.keep(np.arange(100))
    assert lasting.keep_packed(shared) is shared  # kept once for many months: not packed again


@given(st.lists(st.integers(0, 2**62), max_size=60), st.lists(st.integers(0, 2**16 - 1), max_size=400))
def test_split_ints_give_back_the_same_numbers(large: list[int], small: list[int]):
    # Few or many rows with high bits, and none: every way of keeping them.
    lasting = LastingArrays(slab_bytes=1024)
    for values in (large + small, small + large, small, large):
        split = SplitInts(np.array(values, dtype=np.int64), lasting)
        back = split.values()
        assert back.dtype == np.int64 and back.tolist() == values and len(split) == len(values)


def test_split_ints_take_fewer_bytes_than_the_smallest_integer_type():
    lasting = LastingArrays()
    rng = np.random.default_rng(0)
    holding_numbers = rng.permutation(200_000)[:80_000]  # below 2^18: 2 + 1 bytes a row, not 4
    assert SplitInts(holding_numbers, lasting).nbytes == 3 * 80_000
    counts = rng.integers(1, 30_000, size=80_000)
    counts[::50] = 1_600_000  # 2% too large for 16 bits: kept with their rows only
    assert SplitInts(counts, lasting).nbytes == 80_000 * 2 + 1_600 * (4 + 1)
    assert SplitInts(np.arange(1000), lasting).nbytes == 2000 and SplitInts(np.zeros(0), lasting).nbytes == 0


def test_split_ints_refuse_negative_numbers():
    with pytest.raises(ValueError, match="non-negative.*-3"):
        SplitInts(np.array([5, -3]), LastingArrays())


def test_a_runs_records_and_cohorts_are_kept_in_maps():
    # What keeps a long run's memory from growing with freed temporaries: every array that lasts is in a map.
    model = ChipSupplyModel(validate(synthetic_scenario(300, ticks=6), "synthetic"), seed=1)
    for _ in range(6):
        model.step()
    recorded = [column.data if isinstance(column, Packed) else column
                for blocks in (model.recorder.revenue, model.recorder.prices, model.recorder.production)
                for _tick, columns in blocks.blocks for column in columns]
    recorded = [column for column in recorded if column.size > 1 and column.strides[0]]
    cohorts = [part for batches in model.installed._cohorts.values() for batch in batches for column in batch
               for part in (column.low, column.high, column.high_rows) if part is not None]
    assert recorded and cohorts
    assert all(_map_of(array) is not None for array in recorded + cohorts)
