#!/usr/bin/env bash
# Compile the citizen texts (config/locale/*/LC_MESSAGES/messages.po) into the .mo files
# the gateway reads. Run after editing a .po file; tests/normalizer/test_catalogue.py fails
# while a .mo is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/pybabel compile --statistics -D messages -d config/locale
