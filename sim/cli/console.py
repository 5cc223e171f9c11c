"""What the command line prints (consoles, progress bars, tables) and the exit codes it returns."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.style import compact

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_STORAGE = 3  # results could not be written (disk full, read-only folder): the message says what was kept
EXIT_INTERRUPTED = 130

PIPE_WIDTH = 160  # rich assumes 80 columns when output is not a terminal; tables read better wider in logs


def stdout_console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else PIPE_WIDTH)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def progress_bar(detail: str, quiet: bool) -> Progress:
    """A progress bar on stderr (so tables on stdout stay clean) that disappears when done."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(detail),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=True,
        disable=quiet,
    )


def usd(value: float) -> str:
    """Dollars as an analyst reads them: billions as '2.50B', less as compact() has it."""
    return f"{value / 1e9:,.2f}B" if abs(value) >= 1e9 else compact(value)


def frame_table(title: str, frame, columns: dict[str, str]) -> Table:
    """A rich table of ``frame``'s ``columns`` (name -> heading); numbers compact, text as it is."""
    table = Table(title=title, title_justify="left", min_width=min(len(title), PIPE_WIDTH))
    for heading in columns.values():
        table.add_column(heading, justify="left" if heading in ("from", "to", "intermediary", "country") else "right")
    for row in frame.itertuples(index=False):
        values = row._asdict()
        table.add_row(*(compact(values[name]) if isinstance(values[name], (int, float)) else str(values[name])
                        for name in columns))
    if frame.empty:
        table.add_row(*(["(none)"] + [""] * (len(columns) - 1)))
    return table
