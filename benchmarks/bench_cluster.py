"""Benchmark across two nodes of a NATS server cluster: iotic_app against plain paho, one run.

Issue 14's figure: a sharer on node 1 and a follower on node 2 of a 3-node nats-server cluster
(tests/cluster.py: loopback, JetStream, MQTT 3.1.1, streams on every node), QoS 1, side by side
with plain paho-mqtt (a publisher on node 1, a subscriber on node 2), peers taking turns, median
of ``--rounds`` rounds; iotic_app's throughput at least 0.8 x plain paho's::

    python benchmarks/bench_cluster.py              # 10,000 values, 3 rounds
    python benchmarks/bench_cluster.py --quick      # 2,000 values, 1 round

The peers and what is measured are those of bench_engines.py (throughput with losses counted,
CPU per message on each side, latency at 1,000/s); needs ``nats-server`` (Debian's package).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ["BENCH_MQTT_PROTOCOL"] = "3.1.1"  # NATS server speaks MQTT 3.1.1 (the workers too)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import bench_engines as engines  # noqa: E402
from cluster import NatsCluster  # noqa: E402

PEERS = ("paho", "iotic_app-builtin", "iotic_app-paho")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 values, 1 round")
    parser.add_argument("--rounds", type=int, help="rounds (median; default 3, --quick 1)")
    parser.add_argument("--count", type=int, help="values per throughput run (default 10,000)")
    parser.add_argument("--peers", default=",".join(PEERS), help=f"of {', '.join(PEERS)}")
    args = parser.parse_args()
    logging.getLogger("iotic_app").setLevel(logging.ERROR)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    if not peers or any(p not in PEERS for p in peers):
        parser.error(f"--peers must name some of {', '.join(PEERS)}, got {args.peers!r}")
    rounds = args.rounds if args.rounds is not None else (1 if args.quick else 3)
    if rounds < 1:
        parser.error(f"--rounds must be at least 1, got {rounds}")
    n = args.count or (2_000 if args.quick else 10_000)
    lat_n = 500 if args.quick else 3_000
    print(
        f"QoS 1, MQTT 3.1.1, sender on node 1, receiver on node 2 of 3; {n:,} values per "
        f"throughput run, {lat_n:,} at 1,000/s for latency, median of {rounds} round(s)"
    )
    tps: dict[str, list[engines.Run]] = {p: [] for p in peers}
    lats: dict[str, list[engines.Run]] = {p: [] for p in peers}
    failed: dict[str, str] = {}
    # the nodes' stores in memory when the machine has /dev/shm: JetStream's raft log syncs
    # each write, which on this machine's disk held every peer to about 80 values/s
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with (
        tempfile.TemporaryDirectory() as tmp,
        tempfile.TemporaryDirectory(dir=shm) as stores,
        NatsCluster(Path(stores) / "nats") as cluster,
    ):
        sender_url, receiver_url = cluster.url(0), cluster.url(1)
        runs = 0
        for r in range(rounds):
            order = peers[r % len(peers) :] + peers[: r % len(peers)]
            for rate, into in ((0.0, tps), (1000.0, lats)):
                for peer in order:
                    if peer in failed:
                        continue
                    runs += 1
                    tag = f"{os.getpid()}-{runs}"
                    try:
                        run = engines.run_python(
                            peer, sender_url, n if not rate else lat_n, tmp, tag, rate, receiver_url
                        )
                    except Exception as exc:
                        failed[peer] = f"{type(exc).__name__}: {exc}"
                        continue
                    into[peer].append(run)
                    if not rate:
                        label = engines.LABELS[peer]
                        print(f"  round {r + 1}: {label} {run.rate:,.0f}", file=sys.stderr)
    done = [p for p in peers if tps[p] and lats[p]]
    report(done, tps, lats)
    for peer, error in failed.items():
        print(f"  {engines.LABELS[peer]}: failed, left out: {error}")
    version = subprocess.run([cluster.binary, "--version"], capture_output=True, text=True)
    print(
        f"\n({version.stdout.strip()}, 3 nodes on 127.0.0.1, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}; lost: the most values any round lost)"
    )


def report(
    peers: list[str], tps: dict[str, list[engines.Run]], lats: dict[str, list[engines.Run]]
) -> None:
    rates = {p: engines._rate(tps[p]) for p in peers}
    latency = {p: engines._latency(lats[p]) for p in peers}
    print()
    engines.table(peers, {p: engines.LABELS[p] for p in peers}, tps, rates, latency)
    if "paho" not in peers:
        return
    for peer in peers:
        if peer.startswith("iotic_app-"):
            lost = " (values lost: not comparable)" if max(r.lost for r in tps[peer]) else ""
            ratio = rates[peer][0] / rates["paho"][0]
            print(f"  {engines.LABELS[peer]} / plain paho: {ratio:.2f} x (target >= 0.8 x){lost}")


if __name__ == "__main__":
    main()
