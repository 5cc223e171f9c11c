"""Calendar months: the model's clock.

One tick is one calendar month. Scenario files write months as ``YYYY-MM``; inside the model a month is an
integer count of months since year 0 (``year * 12 + month - 1``), so month arithmetic is plain integer arithmetic
and a tick is ``month - start_month``.
"""

from __future__ import annotations

import re

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100


def parse_month(text: str) -> int:
    """Return the month index of a ``YYYY-MM`` string; raise ValueError naming what is allowed."""
    match = MONTH_PATTERN.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a month written YYYY-MM (e.g. 2025-01), got {text!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"year {year} is outside the supported range {EARLIEST_YEAR}-{LATEST_YEAR}")
    return year * 12 + month - 1


def format_month(index: int) -> str:
    """Return the ``YYYY-MM`` string of a month index."""
    year, month0 = divmod(index, 12)
    return f"{year:04d}-{month0 + 1:02d}"


def months_between(start: str, end: str) -> int:
    """Number of months from ``start`` to ``end`` (0 when equal)."""
    return parse_month(end) - parse_month(start)
