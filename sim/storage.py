"""Everything chipsim writes to disk, written so that nothing is ever half-written or overwritten.

A run's results are assembled in a hidden ``.partial`` folder next to their final place and renamed into place only
when every file is complete (``sim.outputs`` does that with ``writing_to``), so a crash or Ctrl-C never leaves a folder
that looks like a finished result. Single files are written to a temporary name in the same folder, flushed and
synced, then renamed. The sweep manifest is a JSON-lines file appended one complete line at a time; a torn last
line (a killed process) is ignored when read.
The CLI (through ``sim.outputs``) and the sweep runner are the only callers: no other module of chipsim writes
files. It imports nothing of chipsim's: the layers that render results sit above it.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


class StorageError(Exception):
    """Results could not be written: where, why in plain words, and what became of what was already there."""

    def __init__(self, message: str, errno_code: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno_code


WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied (is the folder read-only?)",
    errno.EPERM: "the operation is not permitted",
    errno.ENOTDIR: "a file is in the way where a folder is needed",
    errno.ENAMETOOLONG: "the path is too long",
}


# pyarrow's I/O errors carry the system's words but no errno.
TEXT_CLUES = ((errno.ENOSPC, "no space left"), (errno.EROFS, "read-only file system"),
              (errno.EACCES, "permission denied"), (errno.EDQUOT, "quota exceeded"))


def _errno_of(error: OSError) -> int | None:
    if error.errno in WHY:
        return error.errno
    text = str(error).lower()
    return next((code for code, words in TEXT_CLUES if words in text), error.errno)


@contextmanager
def writing_to(place: Path, aftermath: str) -> Iterator[None]:
    """Turn an operating-system error while writing under ``place`` into a StorageError that says what happened
    and, in ``aftermath``, what was kept and what to do next."""
    try:
        yield
    except OSError as error:
        code = _errno_of(error)
        why = WHY.get(code) or error.strerror or str(error)
        raise StorageError(f"could not write to {place}: {why}. {aftermath}", code) from error


def remove_stale_temporaries(folder: Path) -> int:
    """Delete the temporary files a killed writer left behind (never a finished file); return how many."""
    stale = [path for path in folder.glob(".*.tmp") if path.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)


def _umask_mode() -> int:
    """The mode an ordinary new file gets (mkstemp would make it private: 0600)."""
    current = os.umask(0)
    os.umask(current)
    return 0o666 & ~current


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _umask_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.to_parquet(temporary, index=False)
        os.chmod(temporary, _umask_mode())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_json_line(path: Path, record: dict) -> None:
    """Append one JSON record as one line, flushed and synced before returning.

    If a killed writer left a torn last line, it is closed off first so that this record starts on a line of its own.
    """
    line = json.dumps(record, default=str, sort_keys=True) + "\n"
    if path.exists() and path.stat().st_size:
        with open(path, "rb") as existing:
            existing.seek(-1, os.SEEK_END)
            if existing.read(1) != b"\n":
                line = "\n" + line
    with open(path, "a", encoding="utf-8") as stream:
        stream.write(line)
        stream.flush()
        os.fsync(stream.fileno())


def read_json_records(path: Path) -> tuple[list[dict], list[tuple[int, str]]]:
    """The records of a JSON-lines file, and (line number, why) for each line that is not one.

    A line that is not UTF-8, not JSON or not a JSON object is skipped, never fatal: one damaged line must not
    hide the records around it. A torn last line (a writer killed mid-line) is skipped without comment.
    """
    if not path.exists():
        return [], []
    data = path.read_bytes()
    lines = data.split(b"\n")
    torn_last = not data.endswith(b"\n")
    records, damaged = [], []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            why = f"not UTF-8 ({error.reason} at byte {error.start})"
        except json.JSONDecodeError as error:
            why = f"not JSON ({error.msg})"
        else:
            if isinstance(record, dict):
                records.append(record)
                continue
            why = f"a JSON {type(record).__name__}, not a record"
        if not (torn_last and number == len(lines)):
            damaged.append((number, why))
    return records, damaged


def read_json_lines(path: Path) -> list[dict]:
    """The complete records of a JSON-lines file; a torn or damaged line is skipped."""
    return read_json_records(path)[0]
