#!/usr/bin/env bash
# The test command: installs what is missing, builds with warnings as errors,
# and runs every test runner through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh -DASIO_SERVER_WERROR=ON
ctest --test-dir build --output-on-failure
