#!/usr/bin/env bash
# Set up .venv with the emulator and its test tools. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  # The CPU build of PyTorch: a bare `pip install torch` on Linux pulls a multi-GB CUDA build.
  if ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl >/dev/null 2>&1; then
    .venv/bin/python -m pip install --quiet "torch==2.13.0"          # a CPU wheel provided on this machine
  else
    .venv/bin/python -m pip install --quiet torch --index-url https://download.pytorch.org/whl/cpu
  fi
fi
.venv/bin/python -m pip install --quiet -e '.[test]'
