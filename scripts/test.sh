#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors,
# and runs every test runner through CTest; then the same suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer and under ThreadSanitizer
# (the CMake presets asan and tsan, each in its own build folder; all but the
# package test), and the fuzz targets for 60 s each (scripts/fuzz.sh).
# The fast set while working: ctest --test-dir build -LE 'package|service|tools|browser|haproxy'.
#
#   scripts/test.sh                           # all of it
#   SANITIZERS= FUZZ_SECONDS=0 scripts/test.sh  # the plain build only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DASIO_SERVER_WERROR=ON
ctest --test-dir build --output-on-failure

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for preset in ${SANITIZERS-asan tsan}; do
  echo "== $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build "build-$preset"
  # The package is built and installed once, from the plain build.
  ctest --test-dir "build-$preset" --output-on-failure --label-exclude package
done

if [[ ${FUZZ_SECONDS-60} != 0 ]]; then
  echo "== fuzz"
  scripts/fuzz.sh
fi
