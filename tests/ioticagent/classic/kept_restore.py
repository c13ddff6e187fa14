# A classic script (written for these tests) in the shape of follow_basic_restore.py: agent2
# starts again as 'kept_follow' and re-follows, with callback_parsed, every feed that
# list_connections() says it follows; prints the values held for it while it was away.
import threading

from IoticAgent.IOT import Client
from IoticAgent.Core.Const import R_FEED

got = []
done = threading.Event()


def parsed(args):
    got.append(args['parsed'].values.count)
    print('restored', got[-1])
    if len(got) == 3:
        done.set()


def main():
    with Client('agent2.ini') as client:
        thing = client.create_thing('kept_follow')
        subs = thing.list_connections()
        for sub in subs:
            if subs[sub]['type'] == R_FEED:
                print('re-following', len(subs[sub]['id']))
                thing.follow(subs[sub]['id'], callback_parsed=parsed)
        if not done.wait(10):
            print('only', got)


if __name__ == '__main__':
    main()
