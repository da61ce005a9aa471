#!/usr/bin/env bash
# Regenerate the consumers' JSON Schemas (schemas/complaint-v1.json,
# schemas/followup-event-v1.json) from the marshmallow schemas in normalizer/schema.py.
# Run after changing a contract schema; tests/gateway/test_contracts.py fails while a
# committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python -m gateway.contracts schemas
