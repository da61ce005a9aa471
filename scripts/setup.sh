#!/usr/bin/env bash
# Shared by run.sh and test.sh: a virtualenv in .venv with the gateway installed.
# Usage: scripts/setup.sh [extra]   (extra "test" adds the test dependencies)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian's own python3 needs its venv package (ensurepip) for this.
    rm -rf .venv
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    version=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "python${version}-venv" \
      || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    "$PYTHON" -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
# The versions in requirements.lock (pip-compile; README "Install") are the ones the tests
# passed with: both installs take them.
if [ "${1:-}" = "test" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
  # The example channel package (docs/plugins.md), installed as an agency installs its own:
  # the suite drives complaints through it, and its door joins the security and fuzz tables.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e examples/lapor-channel-example
else
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e .
fi
