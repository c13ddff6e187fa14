# A classic script (written for these tests) in the shape of follow_basic.py with
# follow_basic_subscription.py's callback: agent2 (same owner as agent1) follows agent1's
# ('kept_share', 'counter') by (lid, pid) and is told of its new subscription.
import threading

from IoticAgent.IOT import Client
from IoticAgent.IOT.RemotePoint import RemoteFeed
from IoticAgent.Core.Const import R_FEED

told = threading.Event()


def subscribed(remote):
    print('subscribed', type(remote).__name__, isinstance(remote, RemoteFeed), remote.lid)
    told.set()


def main():
    with Client('agent2.ini') as client:
        client.register_callback_subscribed(subscribed)
        thing = client.create_thing('kept_follow')
        feed = thing.follow(('kept_share', 'counter'), callback=print)
        if not told.wait(10):
            print('no subscribed callback')
        subs = thing.list_connections()
        print('connections', [(subs[sub]['type'] == R_FEED, subs[sub]['id'] == feed.guid)
                              for sub in subs])


if __name__ == '__main__':
    main()
