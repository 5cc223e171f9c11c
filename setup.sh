#!/usr/bin/env bash
# Set-up: builds .venv beside this file from uv.lock (exactly the versions CI tested, with their hashes), and
# installs Debian's chromium for the browser tests when this machine can (root with apt-get).
#
#   ./setup.sh             the environment and, when possible, chromium
#   ./setup.sh --no-browser  the environment only (what ./chipsim needs)
#
# uv itself comes from PyPI, pinned, into .tools/ (it is not part of the project's environment). Python downloads
# are forbidden: chipsim runs on the machine's Python 3.11 (Mesa 3.3.1 is the newest Mesa for 3.11).
set -euo pipefail
cd "$(dirname "$0")"
UV_VERSION=0.13.9
PYTHON=${PYTHON:-python3.11}
browser=yes
for arg in "$@"; do
    case "$arg" in
        --no-browser) browser=no ;;
        *) echo "setup.sh: unknown option $arg (allowed: --no-browser)" >&2; exit 2 ;;
    esac
done
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null || {
    echo "chipsim needs Python 3.11 (Mesa 3.3.1); found $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
    exit 1
}
PYTHON=$(command -v "$PYTHON")
uv=.tools/uv/bin/uv
if ! [ -x "$uv" ] || [ "$("$uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "installing uv $UV_VERSION into .tools/uv" >&2
    rm -rf .tools/uv
    "$PYTHON" -m venv .tools/uv
    .tools/uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
# --frozen: install what uv.lock says, never re-resolve; a lock that no longer matches pyproject.toml fails the
# tests (tests/unit/test_lock.py) instead of drifting silently. Refresh it with: .tools/uv/bin/uv lock
UV_PYTHON_DOWNLOADS=never "$uv" sync --frozen --extra dev --python "$PYTHON" --quiet
sha256sum uv.lock | cut -d' ' -f1 > .venv/.chipsim-lock-sha256  # lets ./chipsim and ./run-tests see a stale .venv
if [ "$browser" = yes ] && ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian's chromium for the browser tests" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "note: chromium is not installed, so the browser tests will be skipped (apt-get install chromium)" >&2
    fi
fi
echo "chipsim installed in .venv (from uv.lock). Activate it with: source .venv/bin/activate" >&2
