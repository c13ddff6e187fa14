# -*- coding: utf-8 -*-
# A classic script for port_examples' smoke test: connects and waits, printing nothing it is
# judged by (its stopped partner tiny_alive.py prints that).
from __future__ import unicode_literals, print_function

import time

from IoticAgent import IOT


def main():
    with IOT.Client(config='Tiny.ini') as client:
        client.create_thing('Quiet_Thing')
        print("quiet")
        while True:
            try:
                time.sleep(10)
            except KeyboardInterrupt:
                break


if __name__ == '__main__':
    main()
