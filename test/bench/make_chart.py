#!/usr/bin/env python3
"""Draws scripts/bench.sh's results (one JSON object a line) as an SVG chart.

Left: messages per server CPU-second for each raw echo row, ours beside the
hand-written epoll server and the thread-per-connection one, and the
protocol's ECHO beside redis PING. Right: resident memory per idle
connection. Uses Debian's python3-matplotlib (installed by scripts/bench.sh).

    make_chart.py RESULTS.jsonl OUT.svg
"""
import json
import statistics
import sys

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

results_file, out_file = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(results_file) if line.strip()]


def per_cpu(target, scenario):
    """Median messages per server CPU-second, or None (errors, no figure)."""
    values = [
        r["per_second"] / r["server_cpu"]
        for r in rows
        if r["target"] == target and r["scenario"] == scenario
        and r.get("errors", 1) == 0 and r.get("server_cpu")
    ]
    return statistics.median(values) if values else None


def per_connection(target):
    """Bytes of server RSS per idle connection held, or None."""
    for r in rows:
        if r["target"] == target and r["scenario"] == "idle" and r.get("errors", 1) == 0:
            held = r.get("connections_held")
            if held:
                return (r["rss_after_kib"] - r["rss_before_kib"]) * 1024 / held
    return None


loads = [
    ("1x1x64", "1 conn, 1 in flight"),
    ("50x1x64", "50 x 1"),
    ("50x16x64", "50 x 16"),
    ("10x4x16k", "10 x 4 x 16 KiB"),
    ("cpr4", "connect per request"),
]
servers = [
    ("ours", "asio_server", "#1f77b4"),
    ("epoll", "hand-written epoll", "#7f7f7f"),
    ("threaded", "thread per connection", "#ff7f0e"),
]

fig, (left, right) = plt.subplots(
    1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [3.2, 1.3]}
)
width = 0.8 / (len(servers) + 1)
for i, (target, label, color) in enumerate(servers):
    xs, ys = [], []
    for j, (scenario, _) in enumerate(loads):
        v = per_cpu(target, scenario)
        if v:
            xs.append(j + (i - (len(servers) - 1) / 2) * width)
            ys.append(v)
    left.bar(xs, ys, width, label=label, color=color)
# The protocol: our ECHO through our client against redis PING through
# redis-benchmark, 50 connections x 16 in flight.
j = len(loads)
for i, (target, scenario, label, color) in enumerate(
    [("ours-protocol", "50x16x64", "asio_server, protocol ECHO", "#aec7e8"),
     ("redis", "50x16-ping", "redis-server, PING", "#d62728")]
):
    v = per_cpu(target, scenario)
    if v:
        left.bar(j + (i - 0.5) * width, v, width, label=label, color=color)
left.set_xticks(range(len(loads) + 1))
left.set_xticklabels([name for _, name in loads] + ["protocol 50 x 16"], fontsize=8)
left.set_yscale("log")
left.set_ylabel("messages per server CPU-second (log)")
left.set_title("Throughput per CPU-second, one pinned core each")
left.legend(fontsize=7, loc="upper left")
left.grid(axis="y", alpha=0.3)

memory = [
    ("ours", "asio_server"),
    ("ours-protocol", "asio_server\nprotocol"),
    ("epoll", "epoll"),
    ("threaded", "thread per\nconnection"),
    ("ours-tls", "asio_server\nTLS 1.3"),
]
names, values = [], []
for target, label in memory:
    v = per_connection(target)
    if v:
        names.append(label)
        values.append(v / 1024)
bars = right.bar(range(len(values)), values, color="#2ca02c")
right.set_xticks(range(len(values)))
right.set_xticklabels(names, fontsize=7)
right.set_yscale("log")
right.set_ylabel("KiB of server RSS per idle connection (log)")
right.set_title("Memory per idle connection")
for bar, v in zip(bars, values):
    right.annotate(f"{v:.1f}", (bar.get_x() + bar.get_width() / 2, v), ha="center",
                   va="bottom", fontsize=7)
right.grid(axis="y", alpha=0.3)

fig.tight_layout()
fig.savefig(out_file, metadata={"Date": None})
