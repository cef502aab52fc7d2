#!/usr/bin/env bash
# Where the server's CPU goes, row by row, beside the hand-written epoll echo
# server (test/bench/epoll_echo.c): per message answered, the server's CPU
# time and its system calls by kind, counted by the kernel's syscall
# tracepoints (`perf stat`, which works where hardware counters do not, as
# in a VM). Each server pinned to CPU 0 (ours with --mode echo --threads 1),
# the load generator on CPU 1, DURATION seconds per row.
#   scripts/profile_rows.sh                 # Release builds in build-release
#   BIN=build-release DURATION=3 scripts/profile_rows.sh
set -euo pipefail
BIN=${BIN:-build-release}
DURATION=${DURATION:-3}
ROWS=${ROWS:-"1x1x64:-c 1 -d 1 -s 64;50x1x64:-c 50 -d 1 -s 64;50x16x64:-c 50 -d 16 -s 64;10x4x16k:-c 10 -d 4 -s 16384;cpr4:--connect-per-request -c 4 -s 64"}
IFS=';' read -r -a rows <<<"$ROWS"
calls=(read write recvfrom sendto readv writev recvmsg sendmsg epoll_wait epoll_ctl
  accept accept4 close shutdown ioctl setsockopt getsockopt fcntl poll futex)
events=(-e raw_syscalls:sys_enter)
for c in "${calls[@]}"; do events+=(-e "syscalls:sys_enter_$c"); done
hz=$(getconf CLK_TCK)

echo "| row | server | CPU us/msg | syscalls/msg | of which |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
  name=${row%%:*}
  read -r -a args <<<"${row#*:}"
  for target in ours epoll; do
    out=$(mktemp)
    if [ "$target" = ours ]; then
      taskset -c 0 "$BIN/asio_server" --mode echo --threads 1 --log-level warn \
        --listen tcp://127.0.0.1:0 >"$out" 2>&1 &
    else
      taskset -c 0 "$BIN/epoll_echo" 0 >"$out" 2>&1 &
    fi
    server=$!
    port=
    for _ in $(seq 50); do
      port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -1)
      [ -n "$port" ] && break
      sleep 0.1
    done
    t0=$(awk '{print $14+$15}' "/proc/$server/stat")
    perf stat -x, "${events[@]}" -p "$server" -o "$out.perf" -- sleep $((DURATION + 1)) &
    perf_pid=$!
    sleep 0.5 # perf attached: the scenario, not a synchronisation
    json=$(taskset -c 1 "$BIN/asio_client" --host 127.0.0.1 --port "$port" --raw --bench \
      "${args[@]}" --duration "$DURATION" --warmup 0 --json)
    t1=$(awk '{print $14+$15}' "/proc/$server/stat")
    wait "$perf_pid" || true
    kill "$server"
    wait "$server" 2>/dev/null || true
    python3 - "$name" "$target" "$json" "$((t1 - t0))" "$hz" "$out.perf" <<'PY'
import json, sys
name, target, result, ticks, hz, perf = sys.argv[1:]
n = json.loads(result)["answered"] or 1
counts = {}
for line in open(perf):
    parts = line.strip().split(",")
    if len(parts) > 2 and parts[0].replace(".", "").isdigit():
        counts[parts[2].split(":")[-1].replace("sys_enter_", "")] = float(parts[0])
total = counts.pop("sys_enter", 0)
kinds = sorted(((v / n, k) for k, v in counts.items() if v / n >= 0.005), reverse=True)
print(f"| {name} | {target} | {int(ticks) / int(hz) * 1e6 / n:.2f} | {total / n:.2f} | "
      + ", ".join(f"{k} {v:.2f}" for v, k in kinds) + " |")
PY
    rm -f "$out" "$out.perf"
  done
done
