# -*- coding: utf-8 -*-
# A getting_started-shaped classic script (port_examples' smoke test): connect, make a thing, wait.
from __future__ import unicode_literals, print_function

import time

from IoticAgent import IOT


def main():
    with IOT.Client(config='Tiny.ini') as client:
        print("Connected? ...", client.is_connected())
        my_thing = client.create_thing('Tiny_Thing')
        print("My Thing globally unique ID (guid):", my_thing.guid)
        while True:
            try:
                print("Main running, press ctrl+c to quit.")
                time.sleep(10)
            except KeyboardInterrupt:
                break


if __name__ == '__main__':
    main()
