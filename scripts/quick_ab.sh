#!/usr/bin/env bash
# A quick interleaved A/B of two Release builds, messages per server
# CPU-second: the server pinned to CPU 0 (--threads 1), the load generator on
# CPU 1. For checking a change against a revision in minutes; scripts/bench.sh
# (BASELINE=...) is the full suite.
#   BEFORE=/path/to/old/build-release AFTER=build-release REPS=3 scripts/quick_ab.sh
#   MODE=protocol  the protocol's ECHO (default: raw echo, --mode echo)
#   ROWS="name:client args;..."  the rows (default: the four raw rows and cpr4)
#   IDLE=N  also hold N idle connections per side and print RSS per connection
#   TLS=1  over TLS 1.3 (certificates made by test/transport/make_certs.sh)
# Prints one line per run; take medians per row and side.
set -euo pipefail
BEFORE=${BEFORE:?the older build directory}
AFTER=${AFTER:-build-release}
REPS=${REPS:-3}
MODE=${MODE:-raw}
IDLE=${IDLE:-0}
CLIENT=$AFTER/asio_client
ROWS=${ROWS:-"1x1x64:-c 1 -d 1 -s 64;50x1x64:-c 50 -d 1 -s 64;50x16x64:-c 50 -d 16 -s 64;10x4x16k:-c 10 -d 4 -s 16384;cpr4:--connect-per-request -c 4 -s 64"}
IFS=';' read -r -a rows <<<"$ROWS"
server_mode=(--mode echo)
client_mode=(--raw)
if [ "$MODE" = protocol ]; then
  server_mode=()
  client_mode=()
fi
hz=$(getconf CLK_TCK)
scheme=tcp
tls_server=()
tls_client=()
if [ "${TLS:-0}" = 1 ]; then
  certs=$(mktemp -d)
  trap 'rm -rf "$certs"' EXIT
  bash "$(dirname "$0")/../test/transport/make_certs.sh" "$certs" >/dev/null
  scheme=tls
  tls_server=(--tls-cert "$certs/server.pem" --tls-key "$certs/server.key")
  tls_client=(--tls --ca "$certs/ca.pem")
fi

# start DIR: a server pinned to CPU 0; sets pid and port.
start() {
  out=$(mktemp)
  taskset -c 0 "$1/asio_server" "${server_mode[@]}" --threads 1 --log-level warn \
    --max-connections 20000 --listen "$scheme://127.0.0.1:0" "${tls_server[@]}" >"$out" 2>&1 &
  pid=$!
  port=
  for _ in $(seq 50); do
    port=$(grep -o '127.0.0.1:[0-9]*' "$out" | head -1 | cut -d: -f2) || true
    [ -n "$port" ] && break
    sleep 0.1
  done
}
stop() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  rm -f "$out"
}
rss_bytes() { awk '/^VmRSS/ {print $2 * 1024}' "/proc/$1/status"; }

for rep in $(seq "$REPS"); do
  for row in "${rows[@]}"; do
    name=${row%%:*}
    read -r -a args <<<"${row#*:}"
    for side in before after; do
      dir=$BEFORE
      [ "$side" = after ] && dir=$AFTER
      start "$dir"
      t0=$(awk '{print $14+$15}' "/proc/$pid/stat")
      json=$(taskset -c 1 "$CLIENT" --host 127.0.0.1 --port "$port" "${client_mode[@]}" "${tls_client[@]}" --bench \
        "${args[@]}" --duration 2 --warmup 0 --json)
      t1=$(awk '{print $14+$15}' "/proc/$pid/stat")
      stop
      n=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["answered"])' <<<"$json")
      ticks=$((t1 - t0))
      echo "rep $rep $side $MODE$([ "$scheme" = tls ] && echo +tls) $name: $n msgs, $ticks ticks, $((n * hz / (ticks > 0 ? ticks : 1))) per CPU-second"
    done
  done
  if [ "$IDLE" -gt 0 ]; then
    for side in before after; do
      dir=$BEFORE
      [ "$side" = after ] && dir=$AFTER
      start "$dir"
      sleep 0.3
      r0=$(rss_bytes "$pid")
      log=$(mktemp)
      taskset -c 1 "$CLIENT" --host 127.0.0.1 --port "$port" "${client_mode[@]}" "${tls_client[@]}" --bench --idle \
        -c "$IDLE" --duration 3 --json >/dev/null 2>"$log" &
      client=$!
      for _ in $(seq 600); do
        grep -q holding "$log" && break
        kill -0 "$client" 2>/dev/null || break
        sleep 0.1
      done
      sleep 0.5
      r1=$(rss_bytes "$pid")
      wait "$client" || true
      rm -f "$log"
      stop
      echo "rep $rep $side $MODE idle x$IDLE: $(((r1 - r0) / IDLE)) B per connection"
    done
  fi
done
