#!/usr/bin/env python3
"""Turns scripts/bench.sh's results (one JSON object a line) into RESULTS.md."""
import datetime
import json
import statistics
import sys

results_file, duration, cores, reps = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = [json.loads(line) for line in open(results_file) if line.strip()]
runs = {}
for r in rows:
    runs.setdefault((r["target"], r["scenario"]), []).append(r)


def median(values):
    values = sorted(v for v in values if v is not None)
    return statistics.median(values) if values else None


def clean_runs(target, scenario):
    """The runs of a measurement, or none if any of them had an error."""
    rs = runs.get((target, scenario), [])
    return rs if rs and all(r.get("errors", 1) == 0 for r in rs) else []


def get(target, scenario):
    rs = runs.get((target, scenario))
    return rs[0] if rs else None


def rate(target, scenario):
    return median(r.get("per_second") for r in clean_runs(target, scenario))


def latency(target, scenario, p):
    return median(r.get("latency_us", {}).get(p) for r in clean_runs(target, scenario))


def cpu(target, scenario):
    return median(r.get("server_cpu") for r in clean_runs(target, scenario))


def per_cpu(target, scenario):
    return median(
        r["per_second"] / r["server_cpu"]
        for r in clean_runs(target, scenario)
        if r.get("server_cpu")
    )


def per_connection(target):
    r = get(target, "idle")
    if not r or r.get("errors", 1) != 0 or not r.get("connections_held"):
        return None
    return (r["rss_after_kib"] - r["rss_before_kib"]) * 1024 / r["connections_held"]


def num(v, unit=""):
    if v is None:
        return "n/a"
    if v >= 100:
        return f"{v:,.0f}{unit}"
    return f"{v:,.1f}{unit}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


held = next((r.get("connections_held") for r in rows if r["scenario"] == "idle"), 0)
out = []
out.append("# Benchmark results\n")
out.append(
    f"Written by `scripts/bench.sh` on {datetime.date.today()}, on a {cores}-core machine, "
    f"all figures from one run, side by side: each measurement is the median of {reps} runs "
    f"of {duration} s after a 1 s warm-up, taken in turn on every server; each server pinned to CPU 0 and the load generator (`asio_client --bench`, "
    "every reply checked) to CPU 1. `ours` is `asio_server --threads 1`. Loads are written "
    "connections x depth x payload. Ratios are ours / the other; for latency and memory, "
    "lower is better.\n"
)
out.append("## Raw echo: the same load against each server\n")
out.append("| load | ours | epoll limit | lecture design (thread per connection) | ours / epoll | threaded / epoll |")
out.append("|---|---|---|---|---|---|")
for scenario, name in [
    ("1x1x64", "1 x 1 x 64 B, msg/s"),
    ("50x1x64", "50 x 1 x 64 B, msg/s"),
    ("50x16x64", "50 x 16 x 64 B (pipelined), msg/s"),
    ("10x4x16k", "10 x 4 x 16 KiB (bulk), msg/s"),
    ("cpr4", "connect per request, 4 workers, connections/s"),
]:
    o, e, t = rate("ours", scenario), rate("epoll", scenario), rate("threaded", scenario)
    out.append(f"| {name} | {num(o)} | {num(e)} | {num(t)} | {ratio(o, e)} | {ratio(t, e)} |")
for p in ["p50", "p99"]:
    o, e, t = (latency(x, "1x1x64", p) for x in ["ours", "epoll", "threaded"])
    out.append(
        f"| 1 x 1 x 64 B latency {p} | {num(o, ' us')} | {num(e, ' us')} | {num(t, ' us')} "
        f"| {ratio(o, e)} | {ratio(t, e)} |"
    )
for p in ["p50", "p99"]:
    o, e, t = (latency(x, "50x16x64", p) for x in ["ours", "epoll", "threaded"])
    out.append(
        f"| 50 x 16 x 64 B latency {p} | {num(o, ' us')} | {num(e, ' us')} | {num(t, ' us')} "
        f"| {ratio(o, e)} | {ratio(t, e)} |"
    )
o, e, t = (per_connection(x) for x in ["ours", "epoll", "threaded"])
out.append(
    f"| server RSS per idle connection ({held:,} held) | {num(o, ' B')} | {num(e, ' B')} "
    f"| {num(t, ' B')} | {ratio(o, e)} | {ratio(t, e)} |"
)


out.append(
    "\nThe same runs by the server's CPU time: where a server did not use its whole core, the "
    "load generator set the pace and raw rates understate the difference. Messages per second "
    "of server CPU time is the fairer comparison of the servers' own cost.\n"
)
out.append("| load | ours: core used, msg per CPU-second | epoll | threaded | ours / epoll | threaded / epoll |")
out.append("|---|---|---|---|---|---|")
for scenario, name in [
    ("1x1x64", "1 x 1 x 64 B"),
    ("50x1x64", "50 x 1 x 64 B"),
    ("50x16x64", "50 x 16 x 64 B"),
    ("10x4x16k", "10 x 4 x 16 KiB"),
    ("cpr4", "connect per request (connections)"),
]:
    cells = []
    for x in ["ours", "epoll", "threaded"]:
        c, v = cpu(x, scenario), per_cpu(x, scenario)
        cells.append("n/a" if c is None or v is None else f"{c:.0%}, {num(v)}")
    o, e, t = (per_cpu(x, scenario) for x in ["ours", "epoll", "threaded"])
    out.append(f"| {name} | {cells[0]} | {cells[1]} | {cells[2]} | {ratio(o, e)} | {ratio(t, e)} |")

out.append("\n## The protocol: our ECHO through our client, redis PING through redis-benchmark\n")
out.append("| load | ours (protocol) | redis-server | ours / redis |")
out.append("|---|---|---|---|")
o, r = rate("ours-protocol", "50x16x64"), rate("redis", "50x16-ping")
out.append(f"| 50 x 16, ECHO 64 B vs PING, msg/s | {num(o)} | {num(r)} | {ratio(o, r)} |")
o = rate("ours-protocol", "50x16-ping")
out.append(f"| 50 x 16, PING vs PING, msg/s | {num(o)} | {num(r)} | {ratio(o, r)} |")
for p in ["p50", "p99"]:
    o, r = latency("ours-protocol", "50x16x64", p), latency("redis", "50x16-ping", p)
    out.append(f"| 50 x 16 latency {p} | {num(o, ' us')} | {num(r, ' us')} | {ratio(o, r)} |")
o = latency("ours-protocol", "1x1x64", "p50")
out.append(f"| 1 x 1 x 64 B ECHO latency p50 (ours only) | {num(o, ' us')} | | |")
o = per_connection("ours-protocol")
out.append(f"| server RSS per idle connection, protocol mode | {num(o, ' B')} | | |")

def held_by(target):
    r = get(target, "idle")
    return r.get("connections_held", 0) if r else 0


if any(r["target"] in ("ours-unix", "ours-tls") for r in rows):
    out.append("\n## Transports: Unix sockets and TLS 1.3\n")
    out.append(
        "Raw echo, `asio_server --mode echo --threads 1` over each transport, in the same runs "
        "as the rows above. `haproxy + plain` is Debian's haproxy terminating TLS 1.3 (one "
        "thread, no tickets) in front of the same server over plain TCP, both pinned to the "
        "server's core; its CPU time is the two processes' together. Connect per request over "
        "TLS is a full TLS 1.3 handshake (ECDSA P-256) per request.\n"
    )
    out.append("| load | transport: msg/s | per server CPU-second | plain TCP per CPU-second | transport / plain |")
    out.append("|---|---|---|---|---|")
    for target, scenario, name in [
        ("ours-unix", "1x1x64", "Unix socket, 1 x 1 x 64 B"),
        ("ours-unix", "50x16x64", "Unix socket, 50 x 16 x 64 B"),
        ("ours-tls", "50x16x64", "TLS, 50 x 16 x 64 B"),
        ("ours-tls", "10x4x16k", "TLS, 10 x 4 x 16 KiB (bulk)"),
        ("ours-tls", "cpr4", "TLS, connect per request (handshakes/s)"),
        ("haproxy-tls", "50x16x64", "haproxy + plain, 50 x 16 x 64 B"),
        ("haproxy-tls", "10x4x16k", "haproxy + plain, 10 x 4 x 16 KiB"),
        ("haproxy-tls", "cpr4", "haproxy + plain, connect per request"),
    ]:
        r, c, p = rate(target, scenario), per_cpu(target, scenario), per_cpu("ours", scenario)
        out.append(f"| {name} | {num(r)} | {num(c)} | {num(p)} | {ratio(c, p)} |")
    out.append("")
    out.append("| | ours | other | ours / other |")
    out.append("|---|---|---|---|")
    for p in ["p50", "p99"]:
        u, t = latency("ours-unix", "1x1x64", p), latency("ours", "1x1x64", p)
        out.append(f"| 1 x 1 x 64 B latency {p}, Unix socket vs TCP | {num(u, ' us')} | {num(t, ' us')} | {ratio(u, t)} |")
    for scenario, name in [("50x16x64", "50 x 16 x 64 B"), ("10x4x16k", "10 x 4 x 16 KiB"), ("cpr4", "connect per request")]:
        a, b = per_cpu("ours-tls", scenario), per_cpu("haproxy-tls", scenario)
        out.append(f"| TLS {name}, per server CPU-second: ours vs haproxy + plain | {num(a)} | {num(b)} | {ratio(a, b)} |")
    for target, name in [("ours-unix", "Unix socket"), ("ours-tls", "TLS")]:
        a, b = per_connection(target), per_connection("ours")
        out.append(f"| RSS per idle connection, {name} ({held_by(target):,} held) vs TCP ({held:,}) | {num(a, ' B')} | {num(b, ' B')} | {ratio(a, b)} |")


def start_rss(target):
    r = get(target, "start")
    return r.get("rss_start_kib") if r else None


if any(r["target"] == "before" for r in rows):
    out.append("\n## Before and after this change\n")
    out.append(
        "`before` is the baseline revision (`BASELINE`) built and run beside ours, in turn, "
        "in the same runs as everything above. Messages per second of server CPU time "
        "(higher is better), then memory (lower is better).\n"
    )
    out.append("| load | after: msg per CPU-second | before | after / before | after: msg/s | before | after / before |")
    out.append("|---|---|---|---|---|---|---|")
    for target_after, target_before, scenario, name in [
        ("ours", "before", "1x1x64", "raw echo 1 x 1 x 64 B"),
        ("ours", "before", "50x1x64", "raw echo 50 x 1 x 64 B"),
        ("ours", "before", "50x16x64", "raw echo 50 x 16 x 64 B"),
        ("ours", "before", "10x4x16k", "raw echo 10 x 4 x 16 KiB"),
        ("ours", "before", "cpr4", "connect per request, 4 workers"),
        ("ours-protocol", "before-protocol", "50x16x64", "protocol ECHO 50 x 16 x 64 B"),
        ("ours-protocol", "before-protocol", "50x16-ping", "protocol PING 50 x 16"),
        ("ours-protocol", "before-protocol", "1x1x64", "protocol ECHO 1 x 1 x 64 B"),
    ]:
        a, b = per_cpu(target_after, scenario), per_cpu(target_before, scenario)
        ra, rb = rate(target_after, scenario), rate(target_before, scenario)
        out.append(f"| {name} | {num(a)} | {num(b)} | {ratio(a, b)} | {num(ra)} | {num(rb)} | {ratio(ra, rb)} |")
    out.append("")
    out.append("| memory | after | before | after / before |")
    out.append("|---|---|---|---|")
    for target_after, target_before, name in [
        ("ours", "before", f"RSS per idle connection, echo mode ({held:,} held)"),
        ("ours-protocol", "before-protocol", f"RSS per idle connection, protocol mode ({held:,} held)"),
    ]:
        a, b = per_connection(target_after), per_connection(target_before)
        out.append(f"| {name} | {num(a, ' B')} | {num(b, ' B')} | {ratio(a, b)} |")
    a, b = start_rss("ours"), start_rss("before")
    out.append(f"| RSS at start | {num(a, ' KiB')} | {num(b, ' KiB')} | {ratio(a, b)} |")

if any(r["target"] == "ours-http" for r in rows):
    out.append("\n## With the HTTP listener on and /metrics scraped every second\n")
    out.append(
        "`ours-http` is ours with `--http` on and `GET /metrics` scraped once a second, as a "
        "Prometheus would, during the whole run (the scrapes' cost is in its CPU time); "
        "measured in the same runs as everything above. Messages per second of server CPU "
        "time (higher is better).\n"
    )
    out.append("| load | HTTP on: msg per CPU-second | off | on / off | HTTP on: msg/s | off | on / off |")
    out.append("|---|---|---|---|---|---|---|")
    for target_on, target_off, scenario, name in [
        ("ours-http", "ours", "1x1x64", "raw echo 1 x 1 x 64 B"),
        ("ours-http", "ours", "50x1x64", "raw echo 50 x 1 x 64 B"),
        ("ours-http", "ours", "50x16x64", "raw echo 50 x 16 x 64 B"),
        ("ours-http", "ours", "10x4x16k", "raw echo 10 x 4 x 16 KiB"),
        ("ours-http", "ours", "cpr4", "connect per request, 4 workers"),
        ("ours-protocol-http", "ours-protocol", "50x16x64", "protocol ECHO 50 x 16 x 64 B"),
        ("ours-protocol-http", "ours-protocol", "50x16-ping", "protocol PING 50 x 16"),
        ("ours-protocol-http", "ours-protocol", "1x1x64", "protocol ECHO 1 x 1 x 64 B"),
    ]:
        a, b = per_cpu(target_on, scenario), per_cpu(target_off, scenario)
        ra, rb = rate(target_on, scenario), rate(target_off, scenario)
        out.append(f"| {name} | {num(a)} | {num(b)} | {ratio(a, b)} | {num(ra)} | {num(rb)} | {ratio(ra, rb)} |")
    s0, s1 = get("ours-http", "scrape-0"), get("ours-http", "scrape-10000")
    failed = get("scraper", "errors")
    out.append("")
    out.append("| scrape of /metrics | median | slowest of 20 |")
    out.append("|---|---|---|")
    for r, name in [(s0, "no connection open"), (s1, f"{held:,} idle connections held")]:
        if r and r.get("errors") == 0:
            out.append(f"| {name} | {r['scrape_ms']:.2f} ms | {r['scrape_ms_max']:.2f} ms |")
        else:
            out.append(f"| {name} | n/a | n/a |")
    if failed:
        out.append(f"\nScrapes that failed during the loads: {failed.get('failed_scrapes', 'n/a')}.")

out.append("\n## Memory at start\n")
out.append("| server | RSS after start, nothing served |")
out.append("|---|---|")
for target, name in [("ours", "ours"), ("epoll", "epoll limit"), ("threaded", "lecture design")]:
    out.append(f"| {name} | {num(start_rss(target), ' KiB')} |")

errors = [r for r in rows if r.get("errors", 0) != 0]
if errors:
    out.append("\n## Errors\n")
    for r in errors:
        out.append(f"- {r['target']} {r['scenario']}: {r.get('errors')} ({r.get('first_error', '')})")
print("\n".join(out))
