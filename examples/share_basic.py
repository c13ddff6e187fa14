"""Share a counter on a public feed: the classic IoticAgent "share" agent, written as an App.

Run it alone (``python examples/share_basic.py``) or next to ``follow_basic.py`` in another
terminal with the same ``--config`` (a broker URL, once the MQTT transport is there).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from iotic_app import App, Datatypes, Units

THING = "share_basic_counter"
TAG = "iotic-app-example-counter"  # how follow_basic.py finds this agent's thing


def say(message: str) -> None:
    """Print *message* as one write, so lines of agents on different threads never mix."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def build_app(config: Any = None, count: int | None = 10, interval: float = 0.5) -> App:
    """Return the sharing agent: *count* values (None: until stopped), one per *interval* s."""
    app = App(config=config, retrying=True, retry_timeout=2, name="share_basic")
    feeds: dict[str, Any] = {}

    @app.startup
    def create_counter(client: Any) -> None:
        thing = client.create_thing(THING)
        with thing.get_meta() as meta:
            meta.set_label("Counter (iotic_app example)")
            meta.set_description("Counts up by one, once per interval")
        thing.create_tag([TAG])
        thing.set_public()
        feed = thing.create_feed("count", save_recent=10)
        with feed.get_meta() as meta:
            meta.set_label("Count")
        feed.create_value(
            "count",
            Datatypes.INTEGER,
            description="values shared so far",
            unit=Units.COUNTS_PER_MIN,
        )
        feeds["count"] = feed
        say(
            f"[share] agent {client.agent_id!r}: thing {THING!r} is public, "
            f"feed 'count' has guid {feed.guid}"
        )

    @app.main
    def share_values(runner: Any) -> None:
        feed = feeds["count"]
        n = 0
        while count is None or n < count:
            n += 1
            template = feed.get_template()
            template.values.count = n
            feed.share(template)
            say(f"[share] shared count={n}")
            if runner.wait_for_shutdown(interval):
                break
        say("[share] done")

    return app


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the agent in the foreground (Ctrl+C stops it)."""
    parser = argparse.ArgumentParser(description="Share a counter on a public feed.")
    parser.add_argument(
        "--config",
        help="local://NAME, an .ini path; default <script>.ini here, $IOTIC_APP_CONFIG or local://",
    )
    parser.add_argument("--count", type=int, default=10, help="values to share (0: forever)")
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between values")
    args = parser.parse_args(argv)
    build_app(args.config, args.count or None, args.interval).run()


if __name__ == "__main__":
    main()
