# agent2 follows agent1's ('kept_watch', 'counter') by (lid, pid) (kept_watch.py's partner).
from IoticAgent.IOT import Client


def main():
    with Client('agent2.ini') as client:
        client.create_thing('kept_watcher').follow(('kept_watch', 'counter'))
        print('followed')


if __name__ == '__main__':
    main()
