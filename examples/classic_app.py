"""The agent of examples/classic_runner.py written as plain functions under an App.

Run: python examples/classic_app.py [--config URL]   (ends by itself; Ctrl+C stops)
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from iotic_app import App

LOOP_TIMER = 0.2

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--config", default=None, help="where to connect (default: embedded space)")
parser.add_argument("--count", type=int, default=3)
args = parser.parse_args()

app = App(config=args.config, retrying=True, name="classic")


@app.startup
def on_startup(client):
    thing = client.create_thing("classic_sensor")
    with thing.get_meta() as meta:
        meta.set_label("Classic sensor")
        meta.set_description("A ThingRunner subclass as IoticAgent scripts wrote them")
    thing.create_feed("readings")
    print("on_startup: thing and feed created")


@app.main
def main(runner, client):
    feed = client.get_thing("classic_sensor").get_feed("readings")
    n = 0
    while n < args.count:
        n += 1
        feed.share({"n": n, "at": datetime.now(timezone.utc).isoformat()})
        print(f"main: shared reading {n}")
        if runner.wait_for_shutdown(LOOP_TIMER):
            break


@app.shutdown
def on_shutdown(exc_info):
    print("on_shutdown:", "clean" if exc_info is None else repr(exc_info[1]))


if __name__ == "__main__":
    app.run()
