#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors,
# and runs every test through CTest, the suites side by side (most of them
# wait on sockets and processes, not on the CPU); then the same suite again
# under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer (the CMake presets asan and tsan, each in its own build
# folder; all but the package test, and under TSan not the single-threaded
# unit and alloc tests), and the fuzz targets for 60 s each
# (scripts/fuzz.sh). A sanitizer build compiles the programs and the
# runners that hold the server in their own process; the runners that
# drive the programs as processes are the plain build's (test/CMakeLists.txt).
# The fast set while working: ctest --preset fast.
#
#   scripts/test.sh                           # all of it
#   SANITIZERS= FUZZ_SECONDS=0 scripts/test.sh  # the plain build only
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
stage() { echo "== $1 (at $((SECONDS - start)) s)"; }
scripts/build.sh
stage "plain tests"
ctest --preset all

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
for preset in ${SANITIZERS-asan tsan}; do
  stage "$preset build"
  cmake --preset "$preset" >/dev/null
  if [[ $preset == tsan ]]; then
    # What its test preset runs: the programs and the net tests.
    cmake --build build-tsan --target asio_server asio_client net_tests
  else
    cmake --build "build-$preset"
  fi
  stage "$preset tests"
  # The package is built and installed once, from the plain build.
  ctest --preset "$preset"
done

if [[ ${FUZZ_SECONDS-60} != 0 ]]; then
  stage fuzz
  scripts/fuzz.sh
fi
stage done
