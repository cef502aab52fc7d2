#!/usr/bin/env bash
# A quick interleaved A/B of two Release builds, raw echo, messages per server
# CPU-second: the server pinned to CPU 0 (--mode echo --threads 1), the load
# generator on CPU 1. For checking a change against a revision in minutes;
# scripts/bench.sh (BASELINE=...) is the full suite.
#   BEFORE=/path/to/old/build-release AFTER=build-release REPS=3 scripts/quick_ab.sh
# Prints one line per run; take medians per row and side.
set -euo pipefail
BEFORE=${BEFORE:?the older build directory}
AFTER=${AFTER:-build-release}
REPS=${REPS:-3}
CLIENT=$AFTER/asio_client
rows=("1 1 64" "50 1 64" "50 16 64" "10 4 16384")
for rep in $(seq "$REPS"); do
  for row in "${rows[@]}"; do
    for side in before after; do
      dir=$BEFORE
      [ "$side" = after ] && dir=$AFTER
      out=$(mktemp)
      taskset -c 0 "$dir/asio_server" --mode echo --threads 1 --log-level warn \
        --listen tcp://127.0.0.1:0 >"$out" 2>&1 &
      pid=$!
      port=
      for _ in $(seq 50); do
        port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2) || true
        [ -n "$port" ] && break
        sleep 0.1
      done
      set -- $row
      t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
      json=$(taskset -c 1 "$CLIENT" --host 127.0.0.1 --port "$port" --raw --bench -c "$1" -d "$2" \
        -s "$3" --duration 2 --warmup 0 --json)
      t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
      kill "$pid"
      wait "$pid" 2>/dev/null || true
      rm -f "$out"
      n=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["answered"])' <<<"$json")
      ticks=$((t1 - t0))
      hz=$(getconf CLK_TCK)
      echo "rep $rep $side ${1}x${2}x${3}: $n msgs, $ticks ticks, $((n * hz / (ticks > 0 ? ticks : 1))) per CPU-second"
    done
  done
done
