#!/usr/bin/env bash
# Runs each libFuzzer target (test/fuzz/) for FUZZ_SECONDS (default 60), both
# at once, on a copy of its seed corpus, in the asan preset's build (clang,
# ASan + UBSan). Fails on any finding; the input that found it is kept in
# build-asan/fuzz-findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset asan >/dev/null
cmake --build build-asan --target decode_fuzz engine_fuzz

seconds=${FUZZ_SECONDS:-60}
top=$PWD
findings=$top/build-asan/fuzz-findings
mkdir -p "$findings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

targets=(decode engine)
pids=()
for name in "${targets[@]}"; do
  mkdir -p "$work/$name"
  cp test/fuzz/corpus/"$name"/* "$work/$name/"
  "$top/build-asan/${name}_fuzz" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$findings/$name-" "$work/$name" >"$work/$name.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!targets[@]}"; do
  name=${targets[$i]}
  if wait "${pids[$i]}"; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$name.log")
    echo "fuzz: ${name}_fuzz ran $runs inputs in $seconds s, no finding"
  else
    status=1
    echo "fuzz: ${name}_fuzz FOUND A PROBLEM (input kept in $findings):"
    tail -40 "$work/$name.log"
  fi
done
exit "$status"
