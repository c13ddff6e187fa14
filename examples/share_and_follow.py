"""A sharer and a follower in one process on the embedded space, printing what arrives.

Two agents (two Apps, each with its own client) meet in the in-process space ``local://demo``:
the sharer runs in the background and shares a counter, the follower finds it by search,
follows it and prints each value; after ``--count`` values both stop. No server needed.
"""

from __future__ import annotations

import argparse
import sys

from follow_basic import build_app as build_follower
from share_basic import build_app as build_sharer

from iotic_app.client import AgentConfig


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    """Run the sharer in the background and the follower in the foreground."""
    parser = argparse.ArgumentParser(description="A sharer and a follower in one process.")
    parser.add_argument(
        "--config", default="local://demo", help="the space both agents use (default local://demo)"
    )
    parser.add_argument("--count", type=int, default=5, help="values to receive, then end")
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between values")
    args = parser.parse_args(argv)
    config = AgentConfig.parse(args.config)

    sharer = build_sharer(config.with_agent("sharer"), count=None, interval=args.interval)
    follower = build_follower(
        config.with_agent("follower"), count=args.count, wait=10, demo_peer=False
    )
    say(f"[main] sharer and follower in one process, space {config.scheme}://{config.space}")
    sharer.run(background=True)
    try:
        follower.run()
    finally:
        sharer.stop(5)
    say("[main] both agents stopped")


if __name__ == "__main__":
    main()
