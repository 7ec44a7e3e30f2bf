#!/usr/bin/env bash
# Runs the whole Rapport test suite: installs what is missing, builds with
# AddressSanitizer and UndefinedBehaviorSanitizer, and runs every unit and
# integration test through ctest. Exits non-zero on any failure.
#
#   bash tests/run.sh                  # everything
#   bash tests/run.sh -R integration   # extra arguments go to ctest
#
# RAPPORT_TEST_BUILD overrides the build directory (default build-test).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${RAPPORT_TEST_BUILD:-$ROOT/build-test}
JOBS=$(nproc 2>/dev/null || echo 2)

# Nothing here may wait for a keyboard.
export DEBIAN_FRONTEND=noninteractive
if [[ -f deploy/install-deps.sh ]]; then
    bash deploy/install-deps.sh </dev/null
else
    echo "tests/run.sh: deploy/install-deps.sh not found; assuming the dependencies are installed" >&2
fi

cmake_args=(-S "$ROOT" -B "$BUILD" -DRAPPORT_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DRAPPORT_TESTS=ON)
if [[ -n "${CI:-}" ]]; then
    cmake_args+=(-DRAPPORT_WERROR=ON)
fi
cmake "${cmake_args[@]}"
cmake --build "$BUILD" -j"$JOBS"

# Leaks fail the run; the suppressions cover third-party libraries only
# (see tests/lsan.supp). Every process the tests start inherits these.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"

ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" "$@"
