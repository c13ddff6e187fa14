"""A classic IoticAgent-style ThingRunner subclass, ported by changing one import.

The same agent written with App is examples/classic_app.py.
Run: python examples/classic_runner.py [--config URL]   (ends by itself; Ctrl+C stops)
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

# Was: from IoticAgent.ThingRunner import RetryingThingRunner
from iotic_app import RetryingThingRunner


class SampleRunner(RetryingThingRunner):
    LOOP_TIMER = 0.2

    def __init__(self, count, config=None):
        super().__init__(config=config)
        self.count = count
        self.__thing = None
        self.__feed = None

    def on_startup(self):
        self.__thing = self.client.create_thing("classic_sensor")
        with self.__thing.get_meta() as meta:
            meta.set_label("Classic sensor")
            meta.set_description("A ThingRunner subclass as IoticAgent scripts wrote them")
        self.__feed = self.__thing.create_feed("readings")
        print("on_startup: thing and feed created")

    def main(self):
        n = 0
        while n < self.count:
            n += 1
            self.__feed.share({"n": n, "at": datetime.now(timezone.utc).isoformat()})
            print(f"main: shared reading {n}")
            if self.wait_for_shutdown(self.LOOP_TIMER):
                break

    def on_shutdown(self, exc_info):
        print("on_shutdown:", "clean" if exc_info is None else repr(exc_info[1]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="where to connect (default: embedded)")
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args()
    SampleRunner(args.count, config=args.config).run()


if __name__ == "__main__":
    main()
