"""Follow the counter of share_basic.py: find it by search, follow it, print what arrives.

On the embedded space (the default) nobody else is there, so when no counter is found this
example starts share_basic's agent in-process as a demo peer. With a broker it waits for the
sharer (``--wait`` seconds) started in another terminal.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from iotic_app import App

TAG = "iotic-app-example-counter"


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def find_feed(client: Any, runner: Any, wait: float) -> str | None:
    """Search for the counter's thing until found (or *wait* s passed); return its feed's guid."""
    waited = 0.0
    while True:
        for thing in client.search(text=TAG).values():
            for guid, point in thing["points"].items():
                if point["type"] == "Feed":
                    return str(guid)
        if waited >= wait or runner.wait_for_shutdown(0.2):
            return None
        waited += 0.2


def build_app(
    config: Any = None, count: int = 5, wait: float = 30.0, demo_peer: bool = True
) -> App:
    """Return the following agent: it ends after *count* values."""
    app = App(config=config, retrying=True, retry_timeout=2, name="follow_basic")
    got_all = threading.Event()
    received: list[int] = []
    peers: list[App] = []

    def on_value(args: dict[str, Any]) -> None:
        value = args["parsed"].values.count
        received.append(value)
        say(f"[follow] count={value} (shared at {args['time']:%H:%M:%S.%f})")
        if len(received) >= count:
            got_all.set()

    @app.startup
    def follow_counter(client: Any, runner: Any) -> None:
        demo = demo_peer and client.config.scheme == "local"
        guid = find_feed(client, runner, 0 if demo else wait)
        if guid is None and demo:
            from share_basic import build_app as build_sharer

            say("[follow] no counter on the embedded space: starting a demo sharer")
            peer = build_sharer(client.config.with_agent("demo_sharer"), None, 0.2)
            peer.run(background=True)
            peers.append(peer)
            guid = find_feed(client, runner, wait)
        if guid is None:
            raise SystemExit(f"[follow] found no thing tagged {TAG!r}; is share_basic running?")
        me = client.create_thing("follow_basic_display")
        me.follow(guid, callback_parsed=on_value)
        say(f"[follow] agent {client.agent_id!r} follows feed {guid}")

    @app.main
    def wait_for_values(runner: Any) -> None:
        while not got_all.wait(0.1):
            if runner.shutdown_requested:
                break
        say(f"[follow] done: received {received}")

    @app.shutdown
    def stop_peer() -> None:
        for peer in peers:
            peer.stop(5)

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the agent in the foreground (Ctrl+C stops it)."""
    parser = argparse.ArgumentParser(description="Follow share_basic.py's counter.")
    parser.add_argument(
        "--config",
        help="local://NAME, an .ini path; default <script>.ini here, $IOTIC_APP_CONFIG or local://",
    )
    parser.add_argument("--count", type=int, default=5, help="values to receive, then end")
    parser.add_argument("--wait", type=float, default=30, help="seconds to wait for a sharer")
    args = parser.parse_args(argv)
    build_app(args.config, args.count, args.wait).run()


if __name__ == "__main__":
    main()
