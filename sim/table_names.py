"""The names of a run's tables, and which of them a run records (the model, the command line and the API ask).

``blocs`` and ``world`` are always recorded: they are the run's summary, and the browser page and every sweep read
them. The others (see ``sim.metrics``) only when asked; all of them by default.
"""

from __future__ import annotations

from collections.abc import Iterable

TABLES = ("blocs", "world", "revenue", "flows", "prices", "production", "routes", "alliance", "capacity")
ALWAYS_RECORDED = ("blocs", "world")


def recorded_tables(asked: Iterable[str] | None) -> tuple[str, ...]:
    """The tables a run records, in TABLES order: ``asked`` (None: all of them) and always blocs and world.
    ValueError naming any name that is not a table, and the tables there are."""
    if asked is None:
        return TABLES
    asked = {asked} if isinstance(asked, str) else set(asked)  # one name is not its letters; any iterable will do
    unknown = sorted(asked - set(TABLES))
    if unknown:
        raise ValueError(f"no table named {', '.join(map(repr, unknown))}: the tables are {', '.join(TABLES)}")
    return tuple(name for name in TABLES if name in asked or name in ALWAYS_RECORDED)
