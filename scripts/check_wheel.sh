#!/usr/bin/env bash
# The built wheel as another project meets it: build it, install it into a fresh venv (the CPU build of torch
# first), and run a user's test suite (tests/external/user_tests.py) from a project outside this checkout, so the
# installed package is the one imported. Fails if any step or test fails.
#   scripts/check_wheel.sh            (PYTHON=python3.12 to build and test with another interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"; echo "[cleanup done at $((SECONDS - START))s]"' EXIT
START=$SECONDS
step() { printf '[%3ds] %s\n' $((SECONDS - START)) "$*"; }

step "build the wheel into dist/"
rm -f dist/personalize_emulator-*.whl
"$PYTHON" -m pip wheel --quiet --no-deps -w dist .
WHEEL="$(ls dist/personalize_emulator-*.whl)"

step "a fresh venv with the CPU build of torch, then $(basename "$WHEEL") and pytest"
"$PYTHON" -m venv "$WORK/venv"
PIP=("$WORK/venv/bin/python" -m pip --quiet --disable-pip-version-check)
export PIP_NO_COMPILE=1   # torch ships thousands of modules: byte-compile only those a test imports
# A bare `pip install <wheel>` would resolve torch from PyPI: on Linux that is a multi-GB CUDA build.
if ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl >/dev/null 2>&1; then
  "${PIP[@]}" install "torch==2.13.0"          # a CPU wheel provided on this machine
else
  "${PIP[@]}" install torch --index-url https://download.pytorch.org/whl/cpu
fi
"${PIP[@]}" install "$WHEEL" pytest

step "a user's project outside the checkout: test_user.py and pytest.ini"
mkdir "$WORK/project"
cp tests/external/user_tests.py "$WORK/project/test_user.py"
printf '[pytest]\npersonalize_emulator_status_seconds = 0.05\n' > "$WORK/project/pytest.ini"
cd "$WORK/project"
IMPORTED="$("$WORK/venv/bin/python" -c 'import emulator; print(emulator.__file__)')"
[[ "$IMPORTED" == "$WORK/venv/"* ]] || { echo "FAILED: emulator imported from $IMPORTED, not the venv" >&2; exit 1; }
echo "        emulator imported from the venv: ${IMPORTED#"$WORK/"}"

step "pytest"
"$WORK/venv/bin/python" -m pytest -q -p no:cacheprovider
step "the wheel passed"
