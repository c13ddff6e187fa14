"""A minimal agent: a thing with a feed that shares a counter five times, then ends.

Run: python examples/minimal_agent.py [--config URL]   (embedded space by default; Ctrl+C stops)
"""

from __future__ import annotations

import argparse

from iotic_app import App

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--config", default=None, help="where to connect (default: embedded space)")
parser.add_argument("--count", type=int, default=5, help="values to share before ending")
parser.add_argument("--interval", type=float, default=0.2, help="seconds between values")
args = parser.parse_args()

app = App(config=args.config, name="minimal")


@app.startup
def setup(client):
    thing = client.create_thing("counter")
    with thing.get_meta() as meta:
        meta.set_label("Minimal counter")
    thing.create_feed("count")
    print(f"started as agent {client.agent_id}: thing 'counter' with feed 'count'")


@app.main
def loop(runner, client):
    feed = client.get_thing("counter").get_feed("count")
    for n in range(1, args.count + 1):
        feed.share({"count": n})
        print(f"shared count={n}")
        if runner.wait_for_shutdown(args.interval):
            break


@app.shutdown
def bye(exc_info):
    print("shutting down" if exc_info is None else f"shutting down after {exc_info[1]!r}")


if __name__ == "__main__":
    app.run()
