"""Housekeeping for a page server that outlives its tabs.

Mesa 3.3.1's model controller runs PLAY with ``solara.lab.use_task``. Solara 1.58.2 backs each such task with a
``Singleton``, and every ``Singleton`` adds a callback to a module-level list in ``solara.lifecycle`` that nothing ever
removes. The callback holds the task, the task's function holds the controller's closures, and those hold the tab's
model: every tab ever opened kept its model (10-15 MB for the baseline) for as long as the server ran.

``use_forget_tab_on_close(model)`` removes, when the tab's page goes (its kernel closes), the callbacks whose task
function reaches that tab's model through its closures. Removing one only skips clearing that task's per-tab state at
close, and the state goes with the task once nothing refers to it. If solara changes these internals the page still
works; only the clean-up stops (the browser memory test would show it).
"""

from __future__ import annotations

import logging
from typing import Any

import solara
import solara.lifecycle

logger = logging.getLogger(__name__)
CLOSURE_DEPTH = 4  # the task function -> do_step -> the model's reactive: two levels; a little margin


def _registered() -> list:
    return getattr(solara.lifecycle, "_on_kernel_start_callbacks", [])


def _task_function(entry) -> Any:
    """The function behind a Singleton's callback (its factory), or None for any other kind of callback."""
    for cell in getattr(getattr(entry, "callback", None), "__closure__", None) or ():
        storage = getattr(_contents(cell), "_storage", None)
        factory = getattr(storage, "factory", None)
        if callable(factory):
            return factory
    return None


def _contents(cell) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def reaches(function: Any, target: Any, depth: int = CLOSURE_DEPTH) -> bool:
    """Whether ``target`` is in ``function``'s closure, or in the closures of functions found there."""
    stack, seen = [(function, 0)], set()
    while stack:
        current, level = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        inner = [getattr(current, "__wrapped__", None)]
        inner += [_contents(cell) for cell in getattr(current, "__closure__", None) or ()]
        for value in inner:
            if value is target:
                return True
            if callable(value) and level < depth:
                stack.append((value, level + 1))
    return False


def forget_callbacks_reaching(target: Any) -> int:
    """Remove the lifecycle callbacks whose task function reaches ``target``; return how many were removed."""
    registered = _registered()
    kept = [entry for entry in registered if not reaches(_task_function(entry), target)]
    removed = len(registered) - len(kept)
    registered[:] = kept
    return removed


def use_forget_tab_on_close(model: Any) -> None:
    """In the page component: when the component goes (its tab's kernel closes), drop the callbacks that keep
    ``model`` (the page's model reactive) alive."""

    def watch():
        def cleanup() -> None:
            logger.debug("tab closed: %d lifecycle callbacks removed", forget_callbacks_reaching(model))

        return cleanup

    solara.use_effect(watch, dependencies=[])
