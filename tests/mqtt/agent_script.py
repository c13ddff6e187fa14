"""Agents for the fault tests, run as subprocesses: ``python agent_script.py MODE ...``.

``share URL RUN COUNT RATE``: make the public feed ("src", "f"), print ``ready``, wait for a
line on stdin, then share ``{"run": RUN, "n": i}`` for i in 0..COUNT-1 at RATE/s, printing
``shared RUN i`` after each share() returned, then ``done``.

``hold URL``: start a client, print ``ready``, and stay connected; for each line read on
stdin, create a thing with that lid and print ``ok`` (or ``error EXCEPTION``).

``follow URL SOURCE OUTFILE``: follow SOURCE's feed ("src", "f") and append ``RUN i`` to OUTFILE
from the callback, one line per value; prints ``ready`` once following.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import Any

from iotic_app.client import Client
from iotic_app.transports._protocol import FEED, point_guid, thing_guid


def share(url: str, run: str, count: int, rate: float) -> None:
    with Client(url) as client:
        thing = client.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        print("ready", flush=True)
        sys.stdin.readline()  # "go" from the test, once the followers follow
        pause = threading.Event()
        start = time.monotonic()
        for i in range(count):
            feed.share({"run": run, "n": i})
            print(f"shared {run} {i}", flush=True)
            ahead = start + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                pause.wait(ahead)  # pacing, not waiting for a condition
        print("done", flush=True)
        done = threading.Event()
        if os.environ.get("AGENT_LINGER"):
            done.wait()


def follow(url: str, source: str, outfile: str) -> None:
    fd = os.open(outfile, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def callback(args: dict[str, Any]) -> None:
        data = args["data"]
        os.write(fd, f"{data['run']} {data['n']}\n".encode())

    with Client(url) as client:
        guid = point_guid(thing_guid(source, "src"), FEED, "f")
        client.create_thing("sink").follow(guid, callback=callback)
        print("ready", flush=True)
        threading.Event().wait()


def hold(url: str) -> None:
    with Client(url) as client:
        client.create_thing("held")
        print("ready", flush=True)
        for line in sys.stdin:  # each line: make a thing of that lid, say how it went
            try:
                client.create_thing(line.strip())
            except Exception as exc:
                print(f"error {type(exc).__name__}", flush=True)
            else:
                print("ok", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "share":
        share(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    elif mode == "hold":
        hold(sys.argv[2])
    elif mode == "follow":
        follow(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
