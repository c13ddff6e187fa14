# A classic py-IoticAgent script in the shape of thing_runner/follow_feed/share_basic.py with its
# semantic property (written for these tests, not copied): a public thing with a feed and the
# property (IOTICS.category, IOTICS_CATEGORIES.Example), a private one alike, and a public one
# with the property but no point. The follow_search_* scripts find them, as another agent of
# the same owner. Its imports are IoticAgent's; the test ports them by substitution alone.
import logging

try:
    from rdflib.namespace import Namespace
except ImportError:  # the tests do not need rdflib: its terms are str subclasses, as these are
    class URIRef(str):
        pass

    class Namespace(str):
        def __getattr__(self, name):
            return URIRef(self + name)

from IoticAgent.Core.compat import monotonic
from IoticAgent.ThingRunner import RetryingThingRunner
from IoticAgent import Datatypes, Units

logging.basicConfig(level=logging.WARNING)

IOTICS = Namespace('http://iotics.com/ns#')
IOTICS_CATEGORIES = Namespace('http://iotics.com/categories#')

LOOP_TIMER = 0.05  # seconds
SHARES = 3


class SampleRunner(RetryingThingRunner):
    def __init__(self, config=None):
        super(SampleRunner, self).__init__(config=config)
        self.__feeds = []

    def __make(self, lid, label, public, with_feed):
        thing = self.client.create_thing(lid)
        with thing.get_meta() as meta:
            meta.set_label(label)
            meta.set_location(52.427, 0.327)
        thing.create_property((IOTICS.category, IOTICS_CATEGORIES.Example))
        if with_feed:
            feed = thing.create_feed(lid + '_feed', save_recent=-1)
            feed.create_value('count', Datatypes.INTEGER, description='Random Counter',
                              unit=Units.COUNTS_PER_MIN)
            self.__feeds.append(feed)
        thing.set_public(public=public)
        print('created', lid, 'public', public, 'properties', sorted(thing.list_property().items()))

    def on_startup(self):
        self.__make('share_basic', 'share basic example', True, True)
        self.__make('share_private', 'share basic private', False, True)
        self.__make('share_pointless', 'share basic pointless', True, False)

    def main(self):
        for count in range(1, SHARES + 1):
            start = monotonic()
            for feed in self.__feeds:
                templ = feed.get_template()
                templ.values.count = count
                feed.share(templ)
            print('shared', count)
            if self.wait_for_shutdown(max(0, LOOP_TIMER - (monotonic() - start))):
                break


def main():
    SampleRunner(config="agent1.ini").run()


if __name__ == '__main__':
    main()
