#!/usr/bin/env bash
# The main job, end to end: installs what is missing, builds, starts
# asio_server on loopback, runs asio_client against it (the lecture's
# exchange, then pipelined messages, then plain bytes like client.c), stops
# the server with SIGTERM and shows what it logged. The HTTP listener is on
# too: it prints the page's URL and what /metrics says after the exchanges.
#
#   scripts/demo.sh                 # on free ports
#   PORT=8080 HTTP_PORT=8081 scripts/demo.sh
#   scripts/demo.sh --web           # then keeps the server up for the page
#                                   # until Enter (10 minutes at most)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_TARGETS="asio_server asio_client" scripts/build.sh

log=$(mktemp)
server_pid=
cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then kill "$server_pid"; fi
  rm -f "$log"
}
trap cleanup EXIT

build/asio_server --bind 127.0.0.1 --port "${PORT:-0}" --threads 2 \
  --http "127.0.0.1:${HTTP_PORT:-0}" >"$log" 2>&1 &
server_pid=$!

# The server prints its real port first; wait for it (at most 10 s).
port= http_port=
for _ in $(seq 100); do
  port=$(grep -v '^listening on http://' "$log" | sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' | head -1 || true)
  http_port=$(sed -n 's|^listening on http://.*:\([0-9]*\)$|\1|p' "$log")
  [[ -n $port && -n $http_port ]] && break
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
echo "its page: open http://127.0.0.1:$http_port/ in a browser"
run build/asio_client --host 127.0.0.1 --port "$port"
run build/asio_client --host 127.0.0.1 --port "$port" --message "first message" --message "second"
echo
echo "\$ printf 'one\\ntwo\\nthree\\n' | build/asio_client --port $port --stdin"
printf 'one\ntwo\nthree\n' | build/asio_client --port "$port" --stdin
run build/asio_client --host 127.0.0.1 --port "$port" --raw

# What a Prometheus would scrape, in part.
echo
echo "\$ GET http://127.0.0.1:$http_port/metrics | grep requests_total"
exec 3<>"/dev/tcp/127.0.0.1/$http_port"
printf 'GET /metrics HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n' >&3
grep '^asio_server_requests_total' <&3 || true
exec 3<&-

if [[ ${1-} == --web ]]; then
  echo
  echo "The page is at http://127.0.0.1:$http_port/ ; press Enter to stop the server."
  read -r -t 600 || true
fi

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=
echo
echo "--- the server's log (stopped by SIGTERM, exit status $status) ---"
cat "$log"
exit "$status"
