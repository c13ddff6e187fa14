# A classic py-IoticAgent script (written for these tests, not copied), in the shape of
# thing_runner's share scripts: agent1 makes thing 'kept_share' with feed 'counter'. Run with an
# argument FIRST LAST it lists the feed's followers, then shares FIRST..LAST and ends.
import sys

from IoticAgent.IOT import Client
from IoticAgent import Datatypes


def main():
    first, last = (int(arg) for arg in sys.argv[1:3]) if len(sys.argv) > 2 else (0, -1)
    with Client('agent1.ini') as client:
        thing = client.create_thing('kept_share')
        feed = thing.create_feed('counter')
        feed.create_value('count', Datatypes.INTEGER, description='a counter')
        followers = feed.list_followers()
        print('followers', len(followers),
              [len(subid) == 32 and len(guid) == 32 for subid, guid in followers.items()])
        for count in range(first, last + 1):
            feed.share({'count': count})
            print('shared', count)


if __name__ == '__main__':
    main()
