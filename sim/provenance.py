"""Where a result came from: package and library versions, the git commit of the code, the host's Python."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path

import mesa

import sim


def git_commit() -> dict[str, object]:
    """The commit of the chipsim source tree and whether it had uncommitted changes (None outside git)."""
    source = Path(sim.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "."], cwd=source, capture_output=True, text=True, timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit, "dirty": bool(status.strip())}


def environment() -> dict[str, object]:
    return {
        "chipsim_version": sim.__version__,
        "mesa_version": mesa.__version__,
        "python_version": platform.python_version(),
        "platform": platform.platform(),
        "git": git_commit(),
    }
