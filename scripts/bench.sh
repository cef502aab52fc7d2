#!/usr/bin/env bash
# The benchmark suite, side by side in one run: builds Release, then drives
#   ours      asio_server --mode echo --threads 1 (raw echo) and asio_server
#             --threads 1 (the protocol's ECHO)
#   epoll     test/bench/epoll_echo.c, a minimal single-threaded epoll echo
#             server: the practical limit
#   threaded  test/bench/threaded_echo.c, the lecture's design: a blocking
#             thread per connection
#   redis     redis-server, PING driven by redis-benchmark: the anchor for a
#             tuned single-threaded request/response server
# with the same load generator (asio_client --bench), the server pinned to one
# core and the load to the other. Writes test/bench/RESULTS.md.
#
#   scripts/bench.sh                 # 5 s per measurement
#   DURATION=10 scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

bench_packages=(redis-server redis-tools libbenchmark-dev python3 util-linux)
missing=()
for p in "${bench_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bench: installing ${missing[*]}"
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
# redis-server's package starts a service; ours runs on its own port.

cmake --preset release >/dev/null
cmake --build build-release

duration=${DURATION:-5}
warmup=1
idle_connections=${IDLE_CONNECTIONS:-10000}
bin=build-release
out_md=test/bench/RESULTS.md
work=$(mktemp -d)
results=$work/results.jsonl
ulimit -n "$(ulimit -Hn)"

if (($(nproc) >= 2)); then
  server_cpu=0 load_cpu=1
else
  server_cpu=0 load_cpu=0
  echo "bench: one core only; server and load share it" >&2
fi
pin_server=(taskset -c "$server_cpu")
pin_load=(taskset -c "$load_cpu")

server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT

# start_server LOG COMMAND...: starts it pinned, waits for "listening on
# HOST:PORT" (10 s at most), sets $server_pid and $port.
start_server() {
  local log=$1
  shift
  "${pin_server[@]}" "$@" >"$log" 2>&1 &
  server_pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log" | head -1)
    [[ -n $port ]] && return 0
    sleep 0.1
  done
  echo "bench: $* did not start:" >&2
  cat "$log" >&2
  exit 1
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# User and system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# record TARGET SCENARIO JSON: one line of the results.
record() {
  python3 -c 'import json,sys; r=json.loads(sys.argv[3]); r["target"]=sys.argv[1]; r["scenario"]=sys.argv[2]; print(json.dumps(r))' \
    "$1" "$2" "$3" >>"$results"
}

# load TARGET SCENARIO CLIENT-ARGS...: one measurement with our load generator.
load() {
  local target=$1 scenario=$2
  shift 2
  echo "  $target: $scenario" >&2
  local json cpu_before cpu_after started ended
  cpu_before=$(cpu_ticks "$server_pid")
  started=$(date +%s.%N)
  json=$("${pin_load[@]}" "$bin/asio_client" --host 127.0.0.1 --port "$port" --bench --json \
    --duration "$duration" --warmup "$warmup" "$@") || true
  ended=$(date +%s.%N)
  cpu_after=$(cpu_ticks "$server_pid")
  [[ -n $json ]] || json='{"errors": 1, "first_error": "no result"}'
  # The server's share of its core over the run: below 1, the load
  # generator, not the server, set the pace.
  json=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["server_cpu"]=(int(sys.argv[3])-int(sys.argv[2]))/float(sys.argv[4])/(float(sys.argv[6])-float(sys.argv[5])); print(json.dumps(r))' \
    "$json" "$cpu_before" "$cpu_after" "$(getconf CLK_TCK)" "$started" "$ended")
  record "$target" "$scenario" "$json"
}

# idle TARGET CLIENT-ARGS...: server RSS per connection while N idle ones are held.
idle() {
  local target=$1
  shift
  echo "  $target: $idle_connections idle connections" >&2
  sleep 0.5
  local before after json log=$work/idle.log
  before=$(rss_kib "$server_pid")
  "${pin_load[@]}" "$bin/asio_client" --host 127.0.0.1 --port "$port" --bench --json --idle \
    -c "$idle_connections" --duration 3 "$@" >"$work/idle.json" 2>"$log" &
  local client=$!
  for _ in $(seq 600); do
    grep -q holding "$log" && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.5
  after=$(rss_kib "$server_pid")
  wait "$client" || true
  json=$(cat "$work/idle.json")
  [[ -n $json ]] || json='{"errors": 1, "first_error": "no result"}'
  json=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["rss_before_kib"]=int(sys.argv[2]); r["rss_after_kib"]=int(sys.argv[3]); print(json.dumps(r))' \
    "$json" "$before" "$after")
  record "$target" "idle" "$json"
}

echo "bench: raw echo, ${duration} s per measurement, server on CPU $server_cpu, load on CPU $load_cpu" >&2
for target in ours epoll threaded; do
  case $target in
    ours) start_server "$work/$target.log" "$bin/asio_server" --mode echo --threads 1 \
      --log-level warn --bind 127.0.0.1 --port 0 ;;
    epoll) start_server "$work/$target.log" "$bin/epoll_echo" 0 ;;
    threaded) start_server "$work/$target.log" "$bin/threaded_echo" 0 ;;
  esac
  load "$target" "1x1x64" --raw -c 1 -d 1 -s 64
  load "$target" "50x1x64" --raw -c 50 -d 1 -s 64
  load "$target" "50x16x64" --raw -c 50 -d 16 -s 64
  load "$target" "10x4x16k" --raw -c 10 -d 4 -s 16384
  load "$target" "cpr4" --raw --connect-per-request -c 4 -s 64
  idle "$target" --raw
  stop_server
done

echo "bench: the protocol against redis" >&2
start_server "$work/ours-protocol.log" "$bin/asio_server" --threads 1 --log-level warn \
  --bind 127.0.0.1 --port 0
load "ours-protocol" "50x16x64" -c 50 -d 16 -s 64
load "ours-protocol" "50x16-ping" --type ping -c 50 -d 16
load "ours-protocol" "1x1x64" -c 1 -d 1 -s 64
idle "ours-protocol"
stop_server

redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${pin_server[@]}" redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no --logfile "$work/redis.log" &
server_pid=$!
for _ in $(seq 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
echo "  redis: redis-benchmark -c 50 -P 16 -t ping" >&2
requests=$((duration * 1000000))
csv=$(timeout $((duration * 6 + 60)) "${pin_load[@]}" redis-benchmark -p "$redis_port" -c 50 -P 16 \
  -t ping -n "$requests" --csv -q 2>/dev/null || true)
stop_server
python3 - "$csv" >>"$results" <<'EOF'
import csv, io, json, sys
rows = list(csv.reader(io.StringIO(sys.argv[1])))
for row in rows[1:]:
    if row and row[0] == "PING_MBULK":
        print(json.dumps({"target": "redis", "scenario": "50x16-ping", "per_second": float(row[1]),
                          "errors": 0, "latency_us": {"p50": float(row[4]) * 1000,
                                                      "p99": float(row[6]) * 1000}}))
EOF

python3 test/bench/make_results.py "$results" "$duration" "$(nproc)" >"$out_md"
echo "bench: wrote $out_md" >&2
cat "$out_md"
