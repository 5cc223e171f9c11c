"""Named random streams.

Each stochastic process in the model draws from its own numpy Generator, seeded from the run seed and the
process's stable name. Adding, removing or switching on a process therefore never shifts the draws of any other,
so two runs with the same seed that differ in one policy share every draw the policy does not touch (paired
comparisons with little noise), and results are identical in any process (no dependence on Python's ``hash``).
"""

from __future__ import annotations

import hashlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (the same on every machine and Python process)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def counter_draw(seed: int, process: str, month: int, *names: str) -> float:
    """One uniform draw in [0, 1) for (run seed, process, month, names), the same whatever else the run draws or
    asks and however often it is asked (licences, a partly obeyed import ban)."""
    key = [seed, stream_key(process), month, *(stream_key(name) for name in names)]
    return float(np.random.Generator(np.random.PCG64(np.random.SeedSequence(key))).random())


class RandomStreams:
    """Hands out one Generator per stream name, created on first use."""

    def __init__(self, seed: int) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=(stream_key(name),))
            stream = np.random.Generator(np.random.PCG64(sequence))
            self._streams[name] = stream
        return stream

    @property
    def names(self) -> list[str]:
        return sorted(self._streams)
