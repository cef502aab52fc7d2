#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts
# asio_server on loopback, runs asio_client against it (the lecture's
# exchange, then pipelined messages, then plain bytes like client.c), stops
# the server with SIGTERM and shows what it logged.
#
#   scripts/demo.sh            # on a free port
#   PORT=8080 scripts/demo.sh  # on a port of your choice
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh

log=$(mktemp)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; fi
  rm -f "$log"
}
trap cleanup EXIT

build/asio_server --bind 127.0.0.1 --port "${PORT:-0}" --threads 2 >"$log" 2>&1 &
server_pid=$!

# The server prints its real port first; wait for it (at most 10 s).
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$log")
  [[ -n $port ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[[ -n $port ]] || { echo "demo: the server did not start" >&2; cat "$log"; exit 1; }

run() {
  echo
  echo "\$ $*"
  "$@"
}
echo "asio_server is listening on 127.0.0.1:$port (pid $server_pid)"
run build/asio_client --host 127.0.0.1 --port "$port"
run build/asio_client --host 127.0.0.1 --port "$port" --message "first message" --message "second"
echo
echo "\$ printf 'one\\ntwo\\nthree\\n' | build/asio_client --port $port --stdin"
printf 'one\ntwo\nthree\n' | build/asio_client --port "$port" --stdin
run build/asio_client --host 127.0.0.1 --port "$port" --raw

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
echo
echo "--- the server's log (stopped by SIGTERM, exit status $status) ---"
cat "$log"
exit "$status"
