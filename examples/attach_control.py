"""Attach to offer_control.py's lamp and switch it: tell (confirmed) and ask (fire and forget).

On the embedded space (the default) nobody else is there, so when no lamp is found this example
starts offer_control's agent in-process as a demo peer. With a broker it waits for the lamp
(``--wait`` seconds) started in another terminal.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from iotic_app import App

TAG = "iotic-app-example-lamp"


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def find_control(client: Any, runner: Any, wait: float) -> str | None:
    """Search for the lamp until found (or *wait* s passed); return its control's guid."""
    waited = 0.0
    while True:
        for thing in client.search(text=TAG).values():
            for guid, point in thing["points"].items():
                if point["type"] == "Control":
                    return str(guid)
        if waited >= wait or runner.wait_for_shutdown(0.2):
            return None
        waited += 0.2


def build_app(
    config: Any = None, count: int = 3, wait: float = 30.0, demo_peer: bool = True
) -> App:
    """Return the switching agent: *count* tells, then one ask, then it ends."""
    app = App(config=config, retrying=True, retry_timeout=2, name="attach_control")
    remotes: dict[str, Any] = {}
    peers: list[App] = []

    @app.startup
    def attach_lamp(client: Any, runner: Any) -> None:
        demo = demo_peer and client.config.scheme == "local"
        guid = find_control(client, runner, 0 if demo else wait)
        if guid is None and demo:
            from offer_control import build_app as build_lamp

            say("[switch] no lamp on the embedded space: starting a demo lamp")
            peer = build_lamp(client.config.with_agent("demo_lamp"), None, demo_peer=False)
            peer.run(background=True)
            peers.append(peer)
            guid = find_control(client, runner, wait)
        if guid is None:
            raise SystemExit(f"[switch] found no thing tagged {TAG!r}; is offer_control running?")
        remotes["switch"] = client.create_thing("attach_control_switcher").attach(guid)
        say(f"[switch] agent {client.agent_id!r} attached to control {guid}")

    @app.main
    def switch(runner: Any) -> None:
        remote = remotes["switch"]
        for n in range(count):
            template = remote.get_template()
            template.values.on = n % 2 == 0
            result = remote.tell(template, timeout=5)
            say(f"[switch] tell on={template.values.on}: {result!r}")
            if runner.wait_for_shutdown(0.1):
                return
        template = remote.get_template()
        template.values.on = False
        remote.ask(template)
        say("[switch] ask on=False sent (no confirmation expected); done")

    @app.shutdown
    def stop_peer() -> None:
        for peer in peers:
            peer.stop(5)

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the agent in the foreground (Ctrl+C stops it)."""
    parser = argparse.ArgumentParser(description="Switch offer_control.py's lamp.")
    parser.add_argument(
        "--config",
        help="local://NAME, an .ini path; default <script>.ini here, $IOTIC_APP_CONFIG or local://",
    )
    parser.add_argument("--count", type=int, default=3, help="tells to send")
    parser.add_argument("--wait", type=float, default=30, help="seconds to wait for the lamp")
    args = parser.parse_args(argv)
    build_app(args.config, args.count, args.wait).run()


if __name__ == "__main__":
    main()
