"""Scenario errors that name the file, the key path, the bad value and what is allowed."""

from __future__ import annotations

from dataclasses import dataclass

MAX_VALUE_CHARS = 80


def format_path(path: tuple[object, ...]) -> str:
    """``('fabs', 0, 'nodes', 'N4')`` -> ``fabs[0].nodes.N4``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def format_value(value: object) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


@dataclass(frozen=True)
class Problem:
    path: tuple[object, ...]
    message: str
    value: object = None
    has_value: bool = False

    def __str__(self) -> str:
        value = f" = {format_value(self.value)}" if self.has_value else ""
        return f"{format_path(self.path)}{value}: {self.message}"


class ScenarioError(ValueError):
    """A scenario or sweep file that cannot be used, with every problem found."""

    def __init__(self, origin: str, problems: list[Problem]) -> None:
        self.origin = origin
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{self.origin}: {count} problem{'s' if count != 1 else ''}"
        return "\n".join([head] + [f"  {problem}" for problem in self.problems])
