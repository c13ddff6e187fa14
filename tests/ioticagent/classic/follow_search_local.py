# A classic py-IoticAgent script in the shape of thing_runner/follow_feed/follow_search_local.py
# (written for these tests, not copied): as another agent of share_props' owner, searches "share
# basic" in the owner's things (SearchScope.LOCAL_OWN) and in public, follows the feeds found and
# replays their stored samples. Run after share_props.py.
import logging

from IoticAgent.Core.Const import SearchScope
from IoticAgent.IOT.Exceptions import IOTUnknown
from IoticAgent.ThingRunner import RetryingThingRunner

logging.basicConfig(level=logging.WARNING)


def labels(result):
    return sorted(thing['label'] for thing in result.values())


class FollowSearchLocal(RetryingThingRunner):
    def __init__(self, config=None):
        super(FollowSearchLocal, self).__init__(config=config)
        self.__thing = None

    def on_startup(self):
        self.__thing = self.client.create_thing('follow_search_local')

    def main(self):
        print('public', labels(self.client.search('share basic')))
        try:
            found = self.client.search('share basic', scope=SearchScope.LOCAL_OWN)
        except IOTUnknown:
            print('search failed')
            return
        print('own', labels(found))
        for thing_guid in sorted(found, key=lambda guid: found[guid]['label']):
            for point_guid, point in found[thing_guid]['points'].items():
                if point['type'] == 'Feed':
                    feed = self.__thing.follow(point_guid)
                    print('followed', found[thing_guid]['label'], 'stores', point['storesRecent'],
                          'recent', [sample['data']['count'] for sample in feed.get_recent(99)])
        reduced = self.client.search_reduced(text='share basic', scope=SearchScope.LOCAL_OWN)
        print('reduced', sorted(sorted(points.values()) for points in reduced.values()))
        located = self.client.search_located('share basic', scope=SearchScope.LOCAL_OWN)
        print('located', sorted((where['l'], where['g']) for where in located.values()))
        print('minimal', len(self.client.search_minimal('share basic', scope=SearchScope.LOCAL)))


def main():
    FollowSearchLocal(config="agent2.ini").run()


if __name__ == '__main__':
    main()
