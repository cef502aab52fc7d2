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
#   ours over a Unix socket and over TLS 1.3 (raw echo), and haproxy
#             terminating TLS in front of ours over plain TCP (both pinned to
#             the server's core, their CPU time added): the transports
#   ours-http ours with --http on and GET /metrics scraped every second
#             (as a Prometheus would) during the whole run; with 10,000
#             idle connections held, how long one scrape takes
# with the same load generator (asio_client --bench), each server pinned to
# one core and the load to the other. Every measurement runs on each server
# in turn, REPS times over, and the median is reported, so that a drift of
# the machine touches all servers alike. Writes test/bench/RESULTS.md.
#
# Then a soak (SOAK_SECONDS, default 60): steady pipelined load over 50
# connections while 2 more workers open and close a connection per request;
# the server's RSS at the end must be within 5% of its RSS after the warm-up,
# with no error. Writes test/bench/SOAK.md.
#
# With BASELINE=<git revision>, that revision's asio_server is built too (in
# a temporary worktree) and measured beside ours in every row, as `before`:
# the before/after table of RESULTS.md.
#
#   scripts/bench.sh                      # 3 x 5 s per measurement, then the soak
#   DURATION=10 REPS=5 scripts/bench.sh
#   BASELINE=a4e00a6 scripts/bench.sh     # and the same rows for that revision
#   scripts/bench.sh --soak-only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

bench_packages=(redis-server redis-tools libbenchmark-dev python3 python3-matplotlib util-linux
  haproxy openssl)
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

cmake --preset release >/dev/null
cmake --build build-release

duration=${DURATION:-5}
reps=${REPS:-3}
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

declare -A pid port extra_pid reach
cleanup() {
  for p in "${pid[@]}" "${extra_pid[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -d $work/baseline ]]; then git worktree remove --force "$work/baseline" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

before_bin=
if [[ -n ${BASELINE-} ]]; then
  echo "bench: building asio_server at $BASELINE for the before/after rows" >&2
  git worktree add --detach "$work/baseline" "$BASELINE" >/dev/null
  (cd "$work/baseline" && cmake --preset release -DASIO_SERVER_BENCH=OFF >/dev/null &&
    cmake --build build-release --target asio_server >/dev/null)
  before_bin=$work/baseline/build-release/asio_server
fi

# start_server TARGET COMMAND...: starts it pinned to the server's core and
# waits for "listening on HOST:PORT" or "listening on unix:PATH" (10 s at
# most). reach[TARGET] is how the load generator gets there.
start_server() {
  local target=$1 log=$work/$1.log
  shift
  "${pin_server[@]}" "$@" >"$log" 2>&1 &
  pid[$target]=$!
  for _ in $(seq 100); do
    local line
    line=$(grep -m1 '^listening on ' "$log" || true)
    if [[ $line == "listening on unix:"* ]]; then
      port[$target]=0
      reach[$target]="--unix ${line#listening on unix:}"
      return 0
    fi
    port[$target]=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' <<<"$line")
    if [[ -n ${port[$target]} ]]; then
      reach[$target]="--host 127.0.0.1 --port ${port[$target]}"
      [[ $line == "listening on tls://"* ]] && reach[$target]+=" --tls --ca $certs/ca.pem"
      return 0
    fi
    sleep 0.1
  done
  echo "bench: $* did not start:" >&2
  cat "$log" >&2
  exit 1
}

# http_port TARGET: the port of its --http listener (its line may come a
# moment after the first listener's, which start_server waits for).
http_port() {
  local p
  for _ in $(seq 50); do
    p=$(sed -n 's|^listening on http://.*:\([0-9]*\)$|\1|p' "$work/$1.log" | head -1)
    [[ -n $p ]] && break
    sleep 0.1
  done
  echo "$p"
}

# scrape_every_second TARGET: GET /metrics once a second until stopped,
# from the load's core; a failed scrape is counted in $work/scrape-errors.
scrape_every_second() {
  "${pin_load[@]}" python3 - "$(http_port "$1")" "$work/scrape-errors" <<'PY' &
import socket, sys, time
port, errors = int(sys.argv[1]), sys.argv[2]
while True:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        s.close()
        if not answer.startswith(b"HTTP/1.1 200 "):
            raise RuntimeError(answer[:40])
    except Exception:
        open(errors, "a").write("1\n")
    time.sleep(1)
PY
  extra_pid[scraper-$1]=$!
}

# scrape_time TARGET SCENARIO: the median time of 20 scrapes of /metrics, in ms.
scrape_time() {
  echo "  $1: 20 scrapes of /metrics ($2)" >&2
  local json
  json=$("${pin_load[@]}" python3 - "$(http_port "$1")" <<'PY'
import json, socket, statistics, sys, time
port, times, errors = int(sys.argv[1]), [], 0
for _ in range(20):
    t = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    answer = b""
    while chunk := s.recv(65536):
        answer += chunk
    s.close()
    times.append((time.perf_counter() - t) * 1000)
    errors += not answer.startswith(b"HTTP/1.1 200 ")
    time.sleep(0.05)
print(json.dumps({"errors": errors, "scrape_ms": statistics.median(times), "scrape_ms_max": max(times)}))
PY
  ) || json='{"errors": 1, "first_error": "no result"}'
  record "$1" "$2" "$json"
}

# started TARGET: the server's RSS once it is up and has served nothing.
started() {
  sleep 0.5
  record "$1" start "{\"errors\": 0, \"rss_start_kib\": $(rss_kib "${pid[$1]}")}"
}

stop_servers() {
  for target in "${!pid[@]}"; do
    kill "${pid[$target]}" 2>/dev/null || true
    wait "${pid[$target]}" 2>/dev/null || true
    unset "pid[$target]"
  done
  for target in "${!extra_pid[@]}"; do
    kill "${extra_pid[$target]}" 2>/dev/null || true
    wait "${extra_pid[$target]}" 2>/dev/null || true
    unset "extra_pid[$target]"
  done
}

# start_haproxy TARGET BACKEND_PORT: haproxy terminating TLS 1.3 on a free
# port, in front of the plain server on BACKEND_PORT, one thread, pinned to
# the server's core. The backend's pid is extra_pid[TARGET]: its CPU time is
# added to haproxy's.
start_haproxy() {
  local target=$1 backend=$2 cfg=$work/$1.cfg
  local front
  front=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cat "$certs/server.pem" "$certs/server.key" >"$work/haproxy.pem"
  cat >"$cfg" <<CFG
global
  nbthread 1
  maxconn 4096
  ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend tls
  bind 127.0.0.1:$front ssl crt $work/haproxy.pem
  default_backend plain
backend plain
  server ours 127.0.0.1:$backend
CFG
  "${pin_server[@]}" haproxy -f "$cfg" -db >"$work/$target.log" 2>&1 &
  pid[$target]=$!
  port[$target]=$front
  reach[$target]="--host 127.0.0.1 --port $front --tls --ca $certs/ca.pem"
  for _ in $(seq 100); do
    (echo >"/dev/tcp/127.0.0.1/$front") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: haproxy did not start:" >&2
  cat "$work/$target.log" >&2
  exit 1
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# User and system CPU time of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The server side's: a target's process, and its backend's if it has one.
server_ticks() {
  local t
  t=$(cpu_ticks "${pid[$1]}")
  if [[ -n ${extra_pid[$1]-} ]]; then t=$((t + $(cpu_ticks "${extra_pid[$1]}"))); fi
  echo "$t"
}

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
  local json cpu_before cpu_after started ended server=${pid[$target]}
  cpu_before=$(server_ticks "$target")
  started=$(date +%s.%N)
  # shellcheck disable=SC2086 # reach holds several arguments
  json=$("${pin_load[@]}" "$bin/asio_client" ${reach[$target]} --bench \
    --json --duration "$duration" --warmup "$warmup" "$@") || true
  ended=$(date +%s.%N)
  cpu_after=$(server_ticks "$target")
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
  echo "  $target: ${IDLE_COUNT:-$idle_connections} idle connections" >&2
  local before after json log=$work/idle.log server=${pid[$target]}
  local connections=${IDLE_COUNT:-$idle_connections}
  sleep 0.5
  before=$(rss_kib "$server")
  # shellcheck disable=SC2086 # reach holds several arguments
  "${pin_load[@]}" "$bin/asio_client" ${reach[$target]} --bench --json \
    --idle -c "$connections" --duration 3 "$@" >"$work/idle.json" 2>"$log" &
  local client=$!
  for _ in $(seq 600); do
    grep -q holding "$log" && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.5
  after=$(rss_kib "$server")
  wait "$client" || true
  json=$(cat "$work/idle.json")
  [[ -n $json ]] || json='{"errors": 1, "first_error": "no result"}'
  json=$(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); r["rss_before_kib"]=int(sys.argv[2]); r["rss_after_kib"]=int(sys.argv[3]); print(json.dumps(r))' \
    "$json" "$before" "$after")
  record "$target" "idle" "$json"
}

# redis_ping: one redis-benchmark run, -c 50 -P 16, recorded like ours.
redis_ping() {
  echo "  redis: redis-benchmark -c 50 -P 16 -t ping" >&2
  local csv cpu_before cpu_after started ended
  cpu_before=$(server_ticks redis)
  started=$(date +%s.%N)
  csv=$(timeout $((duration * 6 + 60)) "${pin_load[@]}" redis-benchmark -p "${port[redis]}" \
    -c 50 -P 16 -t ping -n $((duration * 1000000)) --csv -q 2>/dev/null || true)
  ended=$(date +%s.%N)
  cpu_after=$(server_ticks redis)
  # Columns: test, rps, avg, min, p50, p95, p99, max (milliseconds). The
  # server's share of its core, as load() records it for ours.
  python3 -c '
import csv, io, json, sys
for row in list(csv.reader(io.StringIO(sys.argv[1])))[1:]:
    if row and row[0] == "PING_MBULK":
        cpu = (int(sys.argv[3]) - int(sys.argv[2])) / float(sys.argv[4]) / (float(sys.argv[6]) - float(sys.argv[5]))
        print(json.dumps({"target": "redis", "scenario": "50x16-ping", "per_second": float(row[1]),
                          "server_cpu": cpu, "errors": 0,
                          "latency_us": {"p50": float(row[4]) * 1000, "p99": float(row[6]) * 1000}}))
' "$csv" "$cpu_before" "$cpu_after" "$(getconf CLK_TCK)" "$started" "$ended" >>"$results"
}

soak() {
  local seconds=${SOAK_SECONDS:-60} warm=10
  echo "bench: soak, $seconds s after a $warm s warm-up" >&2
  start_server soak "$bin/asio_server" --threads 1 --log-level warn --bind 127.0.0.1 --port 0
  "${pin_load[@]}" "$bin/asio_client" --port "${port[soak]}" --bench --json -c 50 -d 16 \
    --warmup "$warm" --duration "$seconds" >"$work/soak-steady.json" &
  local steady=$!
  "${pin_load[@]}" "$bin/asio_client" --port "${port[soak]}" --bench --json --connect-per-request \
    -c 2 --warmup "$warm" --duration "$seconds" >"$work/soak-churn.json" &
  local churn=$!
  sleep "$warm"
  local after_warmup samples=()
  after_warmup=$(rss_kib "${pid[soak]}")
  for ((t = 0; t < seconds; t += 10)); do
    sleep 10
    samples+=("$(rss_kib "${pid[soak]}")")
  done
  wait "$steady" || true
  wait "$churn" || true
  local at_end
  at_end=$(rss_kib "${pid[soak]}")
  stop_servers
  python3 - "$work/soak-steady.json" "$work/soak-churn.json" "$after_warmup" "$at_end" \
    "$seconds" "${samples[*]}" >test/bench/SOAK.md <<'PY'
import datetime, json, sys
def load(path):
    try:
        return json.load(open(path))
    except Exception:
        return {"errors": 1, "first_error": "no result", "answered": 0, "per_second": 0}
steady, churn = load(sys.argv[1]), load(sys.argv[2])
warm, end, seconds, samples = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
growth = (end - warm) / warm
ok = abs(growth) <= 0.05 and steady["errors"] == 0 and churn["errors"] == 0
print("# Soak\n")
print(f"Written by `scripts/bench.sh` on {datetime.date.today()}: `asio_server --threads 1` under "
      f"{seconds} s of steady pipelined ECHO load (50 connections x depth 16) while two workers "
      "open a new connection for every request, after a 10 s warm-up.\n")
print("| | |\n|---|---|")
print(f"| steady load | {steady['answered']:,} answered, {steady['per_second']:,.0f} msg/s, errors {steady['errors']} |")
print(f"| connection churn | {churn['answered']:,} connections, {churn['per_second']:,.0f}/s, errors {churn['errors']} |")
print(f"| server RSS after warm-up | {warm:,} KiB |")
print(f"| server RSS every 10 s | {', '.join(f'{int(x):,}' for x in samples.split())} KiB |")
print(f"| server RSS at the end | {end:,} KiB ({growth:+.1%}) |")
print(f"| verdict | {'pass' if ok else 'FAIL'}: RSS within 5% of after warm-up, no error |")
PY
  cat test/bench/SOAK.md
  grep -q '| verdict | pass' test/bench/SOAK.md
}

if [[ ${1-} == --soak-only ]]; then
  soak
  exit
fi

certs=$work/certs
bash test/transport/make_certs.sh "$certs" >/dev/null
tls_options=(--tls-cert "$certs/server.pem" --tls-key "$certs/server.key")

raw_targets=(ours ours-http epoll threaded ours-unix ours-tls haproxy-tls)
echo "bench: raw echo, $reps x $duration s per measurement, server on CPU $server_cpu, load on CPU $load_cpu" >&2
start_server ours "$bin/asio_server" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 --port 0
started ours
start_server ours-http "$bin/asio_server" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 \
  --port 0 --http 127.0.0.1:0
scrape_every_second ours-http
start_server ours-unix "$bin/asio_server" --mode echo --threads 1 --log-level warn \
  --listen "unix:$work/ours.sock"
start_server ours-tls "$bin/asio_server" --mode echo --threads 1 --log-level warn \
  --listen tls://127.0.0.1:0 "${tls_options[@]}"
start_server haproxy-backend "$bin/asio_server" --mode echo --threads 1 --log-level warn \
  --bind 127.0.0.1 --port 0
extra_pid[haproxy-tls]=${pid[haproxy-backend]}
backend_port=${port[haproxy-backend]}
unset "pid[haproxy-backend]"
start_haproxy haproxy-tls "$backend_port"
start_server epoll "$bin/epoll_echo" 0
started epoll
start_server threaded "$bin/threaded_echo" 0
started threaded
if [[ -n $before_bin ]]; then
  raw_targets+=(before)
  start_server before "$before_bin" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 --port 0
  started before
fi
scenarios=(
  "1x1x64 -c 1 -d 1 -s 64"
  "50x1x64 -c 50 -d 1 -s 64"
  "50x16x64 -c 50 -d 16 -s 64"
  "10x4x16k -c 10 -d 4 -s 16384"
  "cpr4 --connect-per-request -c 4 -s 64"
)
# The transports run the rows they are compared on only.
runs_scenario() {
  case $1 in
    ours-unix) [[ $2 == 1x1x64 || $2 == 50x16x64 ]] ;;
    ours-tls | haproxy-tls) [[ $2 == 50x16x64 || $2 == 10x4x16k || $2 == cpr4 ]] ;;
    *) true ;;
  esac
}
for line in "${scenarios[@]}"; do
  read -r scenario args <<<"$line"
  for ((rep = 1; rep <= reps; ++rep)); do
    for target in "${raw_targets[@]}"; do
      runs_scenario "$target" "$scenario" || continue
      # shellcheck disable=SC2086 # the arguments are meant to split
      load "$target" "$scenario" --raw $args
    done
  done
done
stop_servers

# Idle connections on servers started afresh: memory a server freed after
# the loads above would otherwise hide what new connections cost.
echo "bench: $idle_connections idle connections, server RSS" >&2
start_server ours "$bin/asio_server" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 --port 0
idle ours --raw
start_server ours-protocol "$bin/asio_server" --threads 1 --log-level warn --bind 127.0.0.1 --port 0
idle ours-protocol
stop_servers
# One scrape while 10,000 connections are held: its cost does not grow
# with them (per-worker counters, summed).
start_server ours-http "$bin/asio_server" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 \
  --port 0 --http 127.0.0.1:0
scrape_time ours-http scrape-0
rm -f "$work/idle.log"
IDLE_COUNT=$idle_connections idle ours-http --raw &
idle_job=$!
for _ in $(seq 600); do
  grep -q holding "$work/idle.log" 2>/dev/null && break
  sleep 0.1
done
sleep 1
scrape_time ours-http scrape-10000
wait "$idle_job" || true
if [[ -n $before_bin ]]; then
  start_server before "$before_bin" --mode echo --threads 1 --log-level warn --bind 127.0.0.1 --port 0
  idle before --raw
  start_server before-protocol "$before_bin" --threads 1 --log-level warn --bind 127.0.0.1 --port 0
  idle before-protocol
fi
start_server epoll "$bin/epoll_echo" 0
idle epoll --raw
start_server threaded "$bin/threaded_echo" 0
idle threaded --raw
stop_servers
# TLS connections hold OpenSSL's state and a read buffer each: fewer of them.
start_server ours-tls "$bin/asio_server" --mode echo --threads 1 --log-level warn \
  --listen tls://127.0.0.1:0 "${tls_options[@]}"
IDLE_COUNT=2000 idle ours-tls --raw
start_server ours-unix "$bin/asio_server" --mode echo --threads 1 --log-level warn \
  --listen "unix:$work/ours.sock"
idle ours-unix --raw
stop_servers

echo "bench: the protocol against redis" >&2
start_server ours-protocol "$bin/asio_server" --threads 1 --log-level warn --bind 127.0.0.1 --port 0
start_server ours-protocol-http "$bin/asio_server" --threads 1 --log-level warn --bind 127.0.0.1 \
  --port 0 --http 127.0.0.1:0
scrape_every_second ours-protocol-http
protocol_targets=(ours-protocol ours-protocol-http)
if [[ -n $before_bin ]]; then
  start_server before-protocol "$before_bin" --threads 1 --log-level warn --bind 127.0.0.1 --port 0
  protocol_targets+=(before-protocol)
fi
port[redis]=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${pin_server[@]}" redis-server --port "${port[redis]}" --bind 127.0.0.1 --save "" \
  --appendonly no --daemonize no --logfile "$work/redis.log" &
pid[redis]=$!
for _ in $(seq 100); do
  redis-cli -p "${port[redis]}" ping >/dev/null 2>&1 && break
  sleep 0.1
done
for ((rep = 1; rep <= reps; ++rep)); do
  for target in "${protocol_targets[@]}"; do
    load "$target" "50x16x64" -c 50 -d 16 -s 64
  done
  redis_ping
  for target in "${protocol_targets[@]}"; do
    load "$target" "50x16-ping" --type ping -c 50 -d 16
    load "$target" "1x1x64" -c 1 -d 1 -s 64
  done
done
stop_servers

scrape_errors=0
[[ -f $work/scrape-errors ]] && scrape_errors=$(wc -l <"$work/scrape-errors")
record scraper errors "{\"errors\": 0, \"failed_scrapes\": $scrape_errors}"
# The sections other scripts write (Behind HAProxy) or people keep (Summary,
# notes) are carried over from the old file.
kept=$(python3 -c 'import re,sys; t=open(sys.argv[1]).read(); m=re.search(r"^## (Behind HAProxy|Summary)", t, re.M); print(t[m.start():] if m else "", end="")' "$out_md" 2>/dev/null || true)
python3 test/bench/make_results.py "$results" "$duration" "$(nproc)" "$reps" >"$out_md.new"
if [[ -n $kept ]]; then printf '\n%s\n' "$kept" >>"$out_md.new"; fi
mv "$out_md.new" "$out_md"
echo "bench: wrote $out_md" >&2
# The chart, with Debian's matplotlib (not a Python of the user's own).
cp "$results" test/bench/results.jsonl # the raw figures, to draw again or compare
/usr/bin/python3 test/bench/make_chart.py "$results" test/bench/results.svg
echo "bench: wrote test/bench/results.svg and results.jsonl" >&2
cat "$out_md"
if [[ ${SOAK_SECONDS:-60} != 0 ]]; then soak; fi
