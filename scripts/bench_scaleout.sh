#!/usr/bin/env bash
# Scale-out figures, side by side in one run, with the same load
# (asio_client --bench -c 50 -d 16, ECHO 64 B, every reply checked) against
#   direct     one asio_server --threads 1
#   haproxy-1  HAProxy with server/dist/haproxy.cfg (PROXY v2, the PING
#              health check) in front of one such server
#   haproxy-3  the same in front of three
# each REPS times in turn, the median reported; then the rolling restart
# through HAProxy: under the same load with --reconnect for 20 s, each of
# the three backends in turn gets SIGTERM, exits and is started again; its
# slowest second against its mean. Nothing is pinned: on a 2-core machine
# HAProxy, the servers and the load share both cores, so the figures say
# what the hop costs on one machine, not what HAProxy can do on its own.
# Writes the "Behind HAProxy" section of test/bench/RESULTS.md.
#
#   scripts/bench_scaleout.sh
#   DURATION=10 REPS=5 scripts/bench_scaleout.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build build-release

bin=build-release
duration=${DURATION:-5}
reps=${REPS:-3}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for FILE TEXT: up to 10 s.
wait_for() {
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench_scaleout: no '$2' in $1" >&2
  return 1
}

declare -A backend_pid
# start_backend PORT [?proxy]
start_backend() {
  "$bin/asio_server" --threads 1 --listen "tcp://127.0.0.1:$1$2" --log-level warn \
    >"$work/server-$1.log" 2>&1 &
  backend_pid[$1]=$!
  pids+=("$!")
  wait_for "$work/server-$1.log" "listening on"
}

# start_haproxy NAME FRONT_PORT BACKEND_PORT...: the shipped config, moved.
start_haproxy() {
  local name=$1 front=$2
  shift 2
  local cfg="$work/$name.cfg" i=1
  sed -e "s/bind 127.0.0.1:8080/bind 127.0.0.1:$front/" -e '/^    server s[0-9]/d' \
    server/dist/haproxy.cfg >"$cfg"
  for p in "$@"; do
    echo "    server s$i 127.0.0.1:$p" >>"$cfg"
    i=$((i + 1))
  done
  haproxy -db -f "$cfg" >"$work/$name.log" 2>&1 &
  pids+=("$!")
  for ((j = 1; j < i; j++)); do wait_for "$work/$name.log" "asio_servers/s$j succeeded"; done
}

# bench PORT [ARGS...]: one JSON line.
bench() {
  local port=$1
  shift
  "$bin/asio_client" --bench -c 50 -d 16 --duration "$duration" --warmup 1 --json --port "$port" "$@"
}

direct=$(free_port)
start_backend "$direct" ""
b=()
for _ in 1 2 3 4; do
  p=$(free_port)
  b+=("$p")
  start_backend "$p" "?proxy"
done
one=$(free_port)
three=$(free_port)
start_haproxy one "$one" "${b[0]}"
start_haproxy three "$three" "${b[1]}" "${b[2]}" "${b[3]}"

declare -A results
for ((r = 1; r <= reps; r++)); do
  for target in direct one three; do
    echo "bench_scaleout: $target, run $r of $reps" >&2
    results[$target]+="$(bench "${!target}")"$'\n'
  done
done

# The rolling restart, through the three.
echo "bench_scaleout: rolling restart under load, 20 s" >&2
"$bin/asio_client" --bench -c 50 -d 16 --duration 20 --warmup 0 --json --reconnect \
  --port "$three" >"$work/rolling.json" &
load=$!
sleep 2
for i in 1 2 3; do
  p=${b[$i]}
  kill -TERM "${backend_pid[$p]}"
  wait "${backend_pid[$p]}" || true
  # Started again once HAProxy has seen it go (so that its UP is news).
  wait_for "$work/three.log" "Server asio_servers/s$i is DOWN" || true
  start_backend "$p" "?proxy"
  wait_for "$work/three.log" "Server asio_servers/s$i is UP" || true
done
wait "$load"

RESULTS="$(printf '%s' "${results[direct]}")" ONE="$(printf '%s' "${results[one]}")" \
  THREE="$(printf '%s' "${results[three]}")" ROLLING="$(cat "$work/rolling.json")" \
  DURATION="$duration" REPS="$reps" python3 - <<'EOF'
import json, os, re, statistics, datetime

def runs(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]

def median(rs, f):
    return statistics.median(f(r) for r in rs)

rows = {name: runs(os.environ[key]) for name, key in
        [("direct", "RESULTS"), ("one", "ONE"), ("three", "THREE")]}
for name, rs in rows.items():
    for r in rs:
        if r["errors"]:
            raise SystemExit(f"bench_scaleout: {name}: {r['first_error']}")
rate = {n: median(rs, lambda r: r["per_second"]) for n, rs in rows.items()}
p99 = {n: median(rs, lambda r: r["latency_us"]["p99"]) for n, rs in rows.items()}
rolling = json.loads(os.environ["ROLLING"])

def g(x):
    return f"{x:,.0f}"

lines = [
    "## Behind HAProxy",
    "",
    f"Written by `scripts/bench_scaleout.sh` on {datetime.date.today()}, all figures from one run: "
    f"`asio_client --bench -c 50 -d 16` (ECHO 64 B, every reply checked), the median of "
    f"{os.environ['REPS']} runs of {os.environ['DURATION']} s after a 1 s warm-up, in turn on each "
    "target. HAProxy runs `server/dist/haproxy.cfg` (PROXY v2 to the servers, the PING health "
    "check); each server is `asio_server --threads 1`. Nothing is pinned: on this 2-core machine "
    "HAProxy, the servers and the load share both cores, so these say what the hop costs on one "
    "machine, not what a balancer on its own machine can carry.",
    "",
    "| target | msg/s | p99 | / direct (msg/s) | / direct (p99) |",
    "|---|---|---|---|---|",
]
names = {"direct": "one server, direct", "one": "HAProxy + one server",
         "three": "HAProxy + three servers"}
for n in ("direct", "one", "three"):
    lines.append(f"| {names[n]} | {g(rate[n])} | {p99[n]:,.0f} us | "
                 f"{rate[n] / rate['direct']:.2f}x | {p99[n] / p99['direct']:.2f}x |")
lines += [
    "",
    "The rolling restart through HAProxy and three servers: 20 s of the same load with "
    "`--reconnect`, each server in turn sent SIGTERM, waited for and started again.",
    "",
    "| errors | reconnects | requests sent again | mean msg/s | slowest second | slowest / mean |",
    "|---|---|---|---|---|---|",
    f"| {rolling['errors']} | {rolling['reconnects']} | {rolling['resends']} | "
    f"{g(rolling['per_second'])} | {g(rolling['min_1s_msgs_per_s'])} | "
    f"{rolling['min_1s_msgs_per_s'] / rolling['per_second']:.2f} |",
    "",
]
path = "test/bench/RESULTS.md"
text = open(path).read()
text = re.sub(r"## Behind HAProxy\n.*?(?=\n## |\Z)", "", text, flags=re.S).rstrip("\n") + "\n\n"
open(path, "w").write(text + "\n".join(lines))
print("\n".join(lines))
EOF
