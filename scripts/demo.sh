#!/usr/bin/env bash
# The main job: install, migrate the embedded SQLite database under var/, seed the demo
# dataset and accounts, then run the web server and a background worker until Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/redline demo "$@"
