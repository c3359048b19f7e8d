#!/usr/bin/env bash
# Creates .venv and installs urbanwatch with its test tools. Idempotent; safe to re-run.
#   PYTHON=python3.12 scripts/install.sh     # another interpreter (>= 3.11)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
"$PYTHON" - <<'PY'
import sys
if sys.version_info < (3, 11):
    sys.exit(f"urbanwatch needs Python >= 3.11, {sys.executable} is {sys.version.split()[0]}")
PY
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch first, pinned: an unpinned torch pulled in by ultralytics would fetch several GB.
# These releases are on this platform's local package index (x86_64, Python 3.11).
.venv/bin/python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
.venv/bin/python -m pip install -q -e ".[test]"
echo "installed: $(.venv/bin/urbanwatch --help >/dev/null && echo .venv/bin/urbanwatch)"
