# A classic script (written for these tests) in the shape of follow_basic_catchall.py: agent2
# starts again as 'kept_follow', makes no follow and gets the data of the follow the space
# kept for it at the catch-all (callback_parsed), the values held while it was away first.
import threading
from datetime import datetime, timedelta

from IoticAgent.IOT import Client

got = []
done = threading.Event()


def parsed(args):
    fresh = datetime.utcnow() - args['time'] < timedelta(hours=1)
    got.append(args['parsed'].values.count)
    print('catchall', got[-1], 'fresh', fresh)
    if len(got) == 2:
        done.set()


def main():
    client = Client('agent2.ini')
    client.register_catchall_feeddata(print, callback_parsed=parsed)
    with client:
        client.create_thing('kept_follow')
        if not done.wait(10):
            print('only', got)


if __name__ == '__main__':
    main()
