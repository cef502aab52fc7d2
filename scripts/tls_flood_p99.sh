#!/usr/bin/env bash
# Plain clients' p99 while the same server's TLS listener is flooded with
# handshakes (issue: a handshake flood must not slow established clients).
# For each side, interleaved, REPS times: a server with a TLS and a TCP
# listener (--threads 2), ECHO at 2,000/s on 10 plain connections for 4 s
# quiet, then again while `asio_client --tls --connect-per-request -c 256`
# makes a full handshake per request. Prints p99 quiet and under the flood,
# and the flood's handshakes per second.
#   BEFORE=/path/to/old/build-release AFTER=build-release REPS=3 scripts/tls_flood_p99.sh
#   CAPS="32 8"  also run AFTER with --max-tls-handshakes N for each N
set -euo pipefail
BEFORE=${BEFORE:?the older build directory}
AFTER=${AFTER:-build-release}
REPS=${REPS:-3}
CLIENT=$AFTER/asio_client
certs=$(mktemp -d)
trap 'rm -rf "$certs"' EXIT
bash "$(dirname "$0")/../test/transport/make_certs.sh" "$certs" >/dev/null
p99() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["latency_us"]["p99"]))'; }
sides=(before after)
for cap in ${CAPS:-}; do sides+=("cap$cap"); done
for rep in $(seq "$REPS"); do
  for side in "${sides[@]}"; do
    bin=$AFTER/asio_server
    extra=()
    [ "$side" = before ] && bin=$BEFORE/asio_server
    [[ $side == cap* ]] && extra=(--max-tls-handshakes "${side#cap}")
    out=$(mktemp)
    "$bin" --listen tls://127.0.0.1:0 --listen tcp://127.0.0.1:0 --tls-cert "$certs/server.pem" \
      --tls-key "$certs/server.key" --threads 2 --log-level error "${extra[@]}" >"$out" 2>&1 &
    server=$!
    tls_port= tcp_port=
    for _ in $(seq 50); do
      tls_port=$(sed -n 's|^listening on tls://127.0.0.1:\([0-9]*\)$|\1|p' "$out")
      tcp_port=$(sed -n 's|^listening on 127.0.0.1:\([0-9]*\)$|\1|p' "$out")
      [ -n "$tls_port" ] && [ -n "$tcp_port" ] && break
      sleep 0.1
    done
    quiet=$("$CLIENT" --port "$tcp_port" --bench --rate 2000 -c 10 --duration 4 --warmup 0 --json | p99)
    "$CLIENT" --port "$tls_port" --tls --ca "$certs/ca.pem" --bench --connect-per-request -c 256 \
      --duration 7 --warmup 0 --json >"$out.flood" 2>/dev/null &
    flood=$!
    sleep 1 # the flood under way: the scenario, not a synchronisation
    flooded=$("$CLIENT" --port "$tcp_port" --bench --rate 2000 -c 10 --duration 4 --warmup 0 --json | p99)
    wait "$flood" || true
    rate=$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["per_second"]))' "$out.flood")
    kill "$server"
    wait "$server" 2>/dev/null || true
    rm -f "$out" "$out.flood"
    echo "rep $rep $side: plain p99 quiet $quiet us, under the flood $flooded us; $rate handshakes/s"
  done
done
