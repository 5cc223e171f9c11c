"""One sweep at a time in a sweep folder: an exclusive lock, taken before the folder is touched.

Without it a second ``chipsim sweep`` (a ``--force`` above all) could delete a running sweep's results while both
report success. The lock is ``fcntl.flock`` on a hidden file beside the folder (``.<name>.lock``), not in it, so
``--force`` can move the folder away while holding it. The kernel drops the lock when its holder dies, so a killed
sweep never leaves the folder locked; the file is removed when the sweep ends. A lock file can be removed by its
holder between another process opening it and locking it, so a lock is only trusted once the file it is on is
still the one at the path.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class SweepBusyError(ValueError):
    """Another chipsim sweep holds the folder."""


def lock_path(folder: Path) -> Path:
    return folder.with_name(f".{folder.name}.lock")


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip() or "unknown"
    except (OSError, UnicodeDecodeError):
        return "unknown"


@contextmanager
def sweep_lock(folder: Path) -> Iterator[None]:
    """Hold the folder's lock for the ``with`` block; SweepBusyError at once if another process holds it."""
    path = lock_path(folder)
    while True:
        # Read-only: a file held open for writing would stop the file system from being remounted read-only.
        descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            raise SweepBusyError(
                f"another chipsim sweep is using this folder (pid {_holder(path)}): {folder}. Wait for it to end, or "
                "stop it, then run this command again"
            ) from None
        try:
            same = os.fstat(descriptor).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)  # its holder removed the file as we opened it: lock the one at the path now
    try:
        path.write_text(f"{os.getpid()}\n", encoding="ascii")
        yield
    finally:
        try:
            path.unlink(missing_ok=True)  # while still holding the lock, so no one trusts the removed file
        except OSError:
            pass  # a folder turned read-only keeps its lock file; the lock itself goes with the descriptor
        os.close(descriptor)
