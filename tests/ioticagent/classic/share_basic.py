# A classic py-IoticAgent script in the shape of thing_runner/follow_feed/share_basic.py (written
# for these tests, not copied): shares a count from a public thing, keeping every sample. Its
# imports are IoticAgent's; the test ports them by substitution alone and runs it.
import logging

from IoticAgent.Core.compat import monotonic
from IoticAgent.ThingRunner import RetryingThingRunner
from IoticAgent import Datatypes, Units

logging.basicConfig(level=logging.WARNING)

LOOP_TIMER = 0.05  # seconds
SHARES = 5


class SampleRunner(RetryingThingRunner):
    def __init__(self, config=None):
        super(SampleRunner, self).__init__(config=config)
        self.__thing = None
        self.__feed = None
        self.__count = 0

    def on_startup(self):
        self.__thing = self.client.create_thing('share_basic')
        with self.__thing.get_meta() as meta:
            meta.set_label('Share basic example')
            meta.set_description('Shares a counter')
            meta.set_location(52.427, 0.327)
            print('labels', meta.get_labels(), 'descriptions', meta.get_descriptions())
        self.__thing.create_tag(['example', 'share'])
        self.__feed = self.__thing.create_feed('share_basic_feed', save_recent=-1)
        with self.__feed.get_meta() as meta:
            meta.set_label('Counter feed')
        self.__feed.create_value('count', Datatypes.INTEGER, description='Random Counter',
                                 unit=Units.COUNTS_PER_MIN)
        self.__thing.set_public(public=True)
        print('created', self.__feed.foc, self.__feed.lid, self.__feed.pid)

    def main(self):
        while True:
            start = monotonic()
            self.__count += 1
            templ = self.__feed.get_template()
            templ.values.count = self.__count
            self.__feed.share(templ)
            print('shared', self.__count)
            if self.__count >= SHARES:
                break
            stop = monotonic()
            if self.wait_for_shutdown(max(0, LOOP_TIMER - (stop - start))):
                break


def main():
    SampleRunner(config="agent1.ini").run()


if __name__ == '__main__':
    main()
