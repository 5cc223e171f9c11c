"""Reading a scenario or sweep file's bytes: regular files only, and never more than the size limit.

A path can name something that is not a file: ``/dev/zero`` (endless bytes), a FIFO (a read waits for a writer that
never comes), a symbolic-link loop. The file is opened without blocking, the opened descriptor (not the path, which
could be swapped in between) is checked to be a regular file, and at most the limit plus one byte is read, so a file
that grows after the check is refused too. Every failure is a ScenarioError naming the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from sim.scenario.errors import Problem, ScenarioError

# The shipped baseline is about 30 KB. A synthetic world of 10,000 agents written out one by one (900 vendors, 3,000
# intermediaries, 6,000 data centers) is about 1.9 MB, which is why the limit is 8 MiB rather than 1 MiB: a world
# of tens of thousands of agents listed one by one still fits, and 8 MiB of YAML reads in about 9 s.
MAX_FILE_BYTES = 8 * 1_048_576
_CHUNK_BYTES = 1_048_576

_KINDS = (
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _refused(path: Path, message: str) -> ScenarioError:
    return ScenarioError(str(path), [Problem((), message)])


def _open_error(path: Path, error: OSError) -> ScenarioError:
    if isinstance(error, FileNotFoundError):
        return _refused(path, "file not found")
    if isinstance(error, PermissionError):
        return _refused(path, "cannot be read (permission denied)")
    if error.errno == errno.ELOOP:
        return _refused(path, "is a loop of symbolic links; give the path of a regular file")
    return _refused(path, f"cannot be opened ({error.strerror or error})")


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    return next((kind for is_kind, kind in _KINDS if is_kind(mode)), "not a regular file")


def read_file_bytes(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them; anything else is a ScenarioError."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer. It does not change reads of a regular file.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise _open_error(path, error) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise _refused(path, f"is {_kind_of(status.st_mode)}, not a regular file; scenario and sweep files "
                                 "must be regular files")
        too_big = (f"the file is over {limit:,} bytes; scenario and sweep files are limited to {limit:,} bytes "
                   "(the shipped baseline is about 30 KB)")
        if status.st_size > limit:
            raise _refused(path, too_big.replace("over", f"{status.st_size:,} bytes, over", 1))
        chunks: list[bytes] = []
        remaining = limit + 1  # one byte more than allowed tells a file that grew since fstat
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, _CHUNK_BYTES))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise _refused(path, too_big)
        return b"".join(chunks)
    except OSError as error:
        raise _refused(path, f"cannot be read ({error.strerror or error})") from None
    finally:
        os.close(descriptor)
