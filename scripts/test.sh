#!/usr/bin/env bash
# Installs Redline with its test tools and runs the whole suite: lint, type-check, pytest
# against real PostgreSQL and Redis (started when down) and headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
bash scripts/services.sh
.venv/bin/ruff check app worker training tests benchmarks
.venv/bin/mypy app worker training
.venv/bin/pytest "$@"
