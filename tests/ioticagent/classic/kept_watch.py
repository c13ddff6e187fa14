# A classic script (written for these tests) in the shape of iotic_chat's "someone followed
# you": agent1 registers register_callback_subscription, says 'ready', and prints the first
# subscription count change of its feed (agent2's follow), then its followers.
import sys
import threading

from IoticAgent.IOT import Client
from IoticAgent.Core.Const import R_FEED

changed = threading.Event()


def subscription(args):
    print('subscription', args['r'] == R_FEED, args['entityLid'], args['lid'], args['subCount'])
    changed.set()


def main():
    with Client('agent1.ini') as client:
        client.register_callback_subscription(subscription)
        feed = client.create_thing('kept_watch').create_feed('counter')
        print('ready')
        sys.stdout.flush()
        if not changed.wait(20):
            print('no subscription callback')
        print('followers', len(feed.list_followers()))


if __name__ == '__main__':
    main()
