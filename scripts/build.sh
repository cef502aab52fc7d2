#!/usr/bin/env bash
# Installs what is missing, then configures and builds into build/ (only what
# changed is rebuilt), with the CMake preset `default`. Extra arguments go
# to CMake's configure step; BUILD_TARGETS="asio_server asio_client" builds
# only those (the demo), not the test runners.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset default "$@" >/dev/null
targets=()
for t in ${BUILD_TARGETS-}; do targets+=(--target "$t"); done
cmake --build build "${targets[@]}"
