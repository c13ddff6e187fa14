"""A retrying agent: network failures are retried; here a flaky sensor fails twice, then works.

Run: python examples/retrying_agent.py [--config URL]   (ends by itself; Ctrl+C stops)
"""

from __future__ import annotations

import argparse

from iotic_app import App, RunContext
from iotic_app.retry import Backoff

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--config", default=None, help="where to connect (default: embedded space)")
args = parser.parse_args()

# retrying=True retries LinkException, IOTSyncTimeout, ConnectionError and TimeoutError.
# A Backoff policy waits 0.1 s, 0.2 s, 0.4 s ... (capped at 2 s), and gives up after 5 attempts.
app = App(
    config=args.config,
    retrying=True,
    retry_timeout=Backoff(initial=0.1, maximum=2, jitter=0.05, max_attempts=5),
    name="retrying",
)
failures_left = 2


@app.startup
def setup(client):
    client.create_thing("thermometer").create_feed("temperature")
    print("startup done (it is not re-run on retries)")


@app.main
def loop(runner, client):
    global failures_left
    if failures_left:
        failures_left -= 1
        print(f"sensor link failed, {failures_left} failure(s) to go: raising ConnectionError")
        raise ConnectionError("sensor link dropped")
    feed = client.get_thing("thermometer").get_feed("temperature")
    for reading in (21.5, 21.7, 21.6):
        feed.share({"celsius": reading})
        print(f"shared {reading} C")
        if runner.wait_for_shutdown(0.1):
            break


@app.on_exception(RunContext.MAIN)
def log_retry(exc_info):
    print(f"main failed with {exc_info[1]!r}; the retry policy decides when to try again")
    # returning None lets the base class decide: retrying=True retries ConnectionError


@app.shutdown
def bye(exc_info):
    print("done" if exc_info is None else f"gave up: {exc_info[1]!r}")


if __name__ == "__main__":
    app.run()
