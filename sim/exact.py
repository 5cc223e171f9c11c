"""Arithmetic that array code must do exactly as the per-agent rules do, bit for bit.

numpy's vectorised ``power`` runs SIMD code chosen for the CPU, and for some inputs its answer differs in the last
bit from the C library's ``pow``, which Python's ``float ** float`` calls. Where the array code replaces a per-agent
rule written with ``**`` (prices, budgets), it raises element by element with the C library's ``pow`` so that the
numbers are the same as the rule's (tests compare them exactly) and do not depend on the CPU's vector units.
"""

from __future__ import annotations

import numpy as np


def power(base: np.ndarray, exponent: float) -> np.ndarray:
    """``base ** exponent`` element by element, as Python's float power computes it."""
    return np.array([value**exponent for value in np.asarray(base, dtype=float).tolist()], dtype=float)
