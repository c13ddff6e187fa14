# A classic py-IoticAgent script in the shape of
# thing_runner/follow_feed/follow_search_global_property.py (written for these tests, not
# copied): as another agent of share_props' owner, finds the things with the property
# (IOTICS.category, IOTICS_CATEGORIES.Example) in public and in the owner's, and follows the
# first feed found. Run after share_props.py.
import logging

try:
    from rdflib.namespace import Namespace
except ImportError:  # the tests do not need rdflib: its terms are str subclasses, as these are
    class URIRef(str):
        pass

    class Namespace(str):
        def __getattr__(self, name):
            return URIRef(self + name)

from IoticAgent.Core.Const import SearchScope
from IoticAgent.ThingRunner import RetryingThingRunner

logging.basicConfig(level=logging.WARNING)

IOTICS = Namespace('http://iotics.com/ns#')
IOTICS_CATEGORIES = Namespace('http://iotics.com/categories#')


class FollowSearchProperty(RetryingThingRunner):
    def __init__(self, config=None):
        super(FollowSearchProperty, self).__init__(config=config)
        self.__thing = None

    def on_startup(self):
        self.__thing = self.client.create_thing('follow_search_property')

    def main(self):
        prop = (IOTICS.category, IOTICS_CATEGORIES.Example)
        found = self.client.search_property(prop)
        print('public', sorted(thing['label'] for thing in found.values()))
        for thing_guid, thing in found.items():
            for point_guid, point in thing['points'].items():
                if point['type'] == 'Feed':
                    feed = self.__thing.follow(point_guid)
                    print('followed', thing['label'],
                          'recent', [sample['data']['count'] for sample in feed.get_recent(99)])
                    break
        own = self.client.search_property_minimal(prop, scope=SearchScope.LOCAL_OWN)
        print('own', len(own))
        print('with pointless', len(self.client.search_property_minimal(prop, with_pointless=True)))
        located = self.client.search_property_located(prop)
        print('located', sorted(where['l'] for where in located.values()))


def main():
    FollowSearchProperty(config="agent2.ini").run()


if __name__ == '__main__':
    main()
