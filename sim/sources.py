"""The registry of public sources behind the numbers in scenario files.

Every calibrated number in a scenario cites a source: either an id from ``sim/data/sources.csv`` (a public figure
with its origin and our confidence in it) or a text starting with ``assumption`` that says what was assumed and why.
A number estimated by ``chipsim calibrate --fit`` cites the fit (``fit: ...``), whose own evidence is the
calibration targets and their sources.
The registry ships with the package so that a scenario can be checked without anything outside the repository.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

ASSUMPTION_PREFIX = "assumption"
FIT_PREFIX = "fit:"  # written by chipsim calibrate --fit: the fit, its date and its loss


@dataclass(frozen=True)
class Source:
    id: str
    parameter: str
    value: str
    unit: str
    origin: str
    confidence: str


@cache
def registry() -> dict[str, Source]:
    """All known sources by id."""
    text = resources.files("sim").joinpath("data/sources.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    return {
        row["id"]: Source(
            id=row["id"],
            parameter=row["parameter"],
            value=row["value"],
            unit=row["unit"],
            origin=row["source"],
            confidence=row["confidence"],
        )
        for row in rows
    }


def citation_problem(citation: str) -> str | None:
    """Why a citation is not acceptable, or None when it is.

    A citation is one or more source ids joined by ``+`` (a number derived from several figures), optionally
    followed by ``: how it was derived``; an assumption stated in words (``assumption: ...``); or a fit to the
    calibration targets (``fit: ...``, as ``chipsim calibrate --fit`` writes it).
    """
    text = citation.strip()
    if text.lower().startswith(FIT_PREFIX):
        if len(text) <= len(FIT_PREFIX) + 1:
            return "a fit must say how it was made, e.g. 'fit: chipsim calibrate --fit, 2026-12-05, loss 0'"
        return None
    if text.lower().startswith(ASSUMPTION_PREFIX):
        if len(text) <= len(ASSUMPTION_PREFIX) + 2:
            return "an assumption must say what is assumed, e.g. 'assumption: ...'"
        return None
    ids = text.split(":", 1)[0]
    unknown = [part.strip() for part in ids.split("+") if part.strip() not in registry()]
    if unknown:
        return (
            f"unknown source id {', '.join(repr(u) for u in unknown)}; use an id from sim/data/sources.csv "
            f"(e.g. {', '.join(sorted(registry())[:4])}, ...) or a text starting with 'assumption: '"
        )
    return None
