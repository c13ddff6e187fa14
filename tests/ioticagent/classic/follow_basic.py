# A classic py-IoticAgent script in the shape of thing_runner/follow_feed/follow_basic.py and
# follow_basic_recent.py (written for these tests, not copied): follows share_basic's feed by
# (lid, pid), replays its stored samples and reads its description. Run after share_basic.py,
# as the same agent (a (lid, pid) of another agent's thing is later work, issue 11).
import logging
from datetime import datetime, timedelta

from IoticAgent.Core.compat import monotonic
from IoticAgent.Core.Const import R_FEED
from IoticAgent.ThingRunner import RetryingThingRunner
from IoticAgent import Datatypes, Units

logging.basicConfig(level=logging.WARNING)

LOOP_TIMER = 0.05  # seconds


class FollowBasic(RetryingThingRunner):
    def __init__(self, config=None):
        super(FollowBasic, self).__init__(config=config)
        self.__thing = None
        self.__remote_feed = None

    def on_startup(self):
        self.__thing = self.client.create_thing('follow_basic')
        self.__remote_feed = self.__thing.follow(('share_basic', 'share_basic_feed'),
                                                 callback_parsed=self.__callback_parsed)
        subs = self.__thing.list_connections()
        print('following', [subs[sub]['type'] == R_FEED and subs[sub]['id'] == self.__remote_feed.guid
                            for sub in subs])

    def __callback_parsed(self, args):
        print('live', args['parsed'].values.count)

    def main(self):
        start = monotonic()
        now = datetime.utcnow()
        for sample in self.__remote_feed.get_recent(99):
            print('recent', sample['data']['count'], 'fresh', now - sample['time'] < timedelta(hours=1))
        print('none', list(self.__remote_feed.get_recent(0)))
        description = self.client.describe(self.__remote_feed)
        meta = description['meta']
        print('point', description['type'], meta['label'],
              [(value['label'], value['comment'], value['type'] == Datatypes.INTEGER,
                value['unit'] == Units.COUNTS_PER_MIN) for value in meta['values']])
        thing = self.client.describe(meta['parent'])
        print('thing', thing['type'], thing['meta']['label'], thing['meta']['comment'],
              thing['meta']['lat'], thing['meta']['long'], thing['meta']['tags'],
              [point['storesRecent'] for point in thing['meta']['points']])
        self.wait_for_shutdown(max(0, LOOP_TIMER - (monotonic() - start)))


def main():
    FollowBasic(config="agent2.ini").run()


if __name__ == '__main__':
    main()
