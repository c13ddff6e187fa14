"""Offer a control (a lamp's switch) and act on requests: the classic IoticAgent "offer" agent.

Other agents attach to the control and ask (fire and forget) or tell (wait for a confirmation).
On the embedded space (the default) this example starts attach_control.py's agent in-process as
a demo peer; with a broker, run attach_control.py in another terminal.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from iotic_app import App, Datatypes

THING = "offer_control_lamp"
TAG = "iotic-app-example-lamp"  # how attach_control.py finds this agent's thing


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def build_app(config: Any = None, count: int | None = 3, demo_peer: bool = True) -> App:
    """Return the lamp agent: it ends after *count* requests (None: when stopped)."""
    app = App(config=config, retrying=True, retry_timeout=2, name="offer_control")
    handled: list[bool] = []
    enough = threading.Event()
    peers: list[App] = []

    @app.startup
    def offer_switch(client: Any) -> None:
        def on_request(args: dict[str, Any]) -> None:
            on = args["parsed"].values.on
            kind = "tell" if args["confirm"] else "ask"
            say(f"[lamp] {kind}: switch {'on' if on else 'off'}")
            if args["confirm"]:
                client.confirm_tell(args, success=isinstance(on, bool))
            handled.append(bool(on))
            if count is not None and len(handled) >= count:
                enough.set()

        thing = client.create_thing(THING)
        with thing.get_meta() as meta:
            meta.set_label("Lamp (iotic_app example)")
            meta.set_description("A lamp that other agents can switch on and off")
        thing.create_tag([TAG])
        thing.set_public()
        control = thing.create_control("switch", callback_parsed=on_request)
        control.create_value("on", Datatypes.BOOLEAN, description="True: light on")
        say(f"[lamp] agent {client.agent_id!r} offers control 'switch' {control.guid}")
        if demo_peer and client.config.scheme == "local":
            from attach_control import build_app as build_switcher

            say("[lamp] embedded space: starting a demo agent that switches the lamp")
            peer = build_switcher(
                client.config.with_agent("demo_switcher"), count or 3, demo_peer=False
            )
            peer.run(background=True)
            peers.append(peer)

    @app.main
    def serve(runner: Any) -> None:
        while not enough.wait(0.1):
            if runner.shutdown_requested:
                break
        say(f"[lamp] done after {len(handled)} requests")

    @app.shutdown
    def stop_peer() -> None:
        for peer in peers:
            peer.stop(5)

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the agent in the foreground (Ctrl+C stops it)."""
    parser = argparse.ArgumentParser(description="Offer a lamp switch as a control.")
    parser.add_argument(
        "--config",
        help="local://NAME, an .ini path; default <script>.ini here, $IOTIC_APP_CONFIG or local://",
    )
    parser.add_argument("--count", type=int, default=3, help="requests to serve (0: forever)")
    args = parser.parse_args(argv)
    build_app(args.config, args.count or None).run()


if __name__ == "__main__":
    main()
