# -*- coding: utf-8 -*-
# A classic script needing a third-party module nobody has (port_examples' smoke test).
from __future__ import unicode_literals, print_function

from IoticAgent import IOT
import not_a_module_anyone_has  # noqa

with IOT.Client(config='Tiny.ini') as client:
    print("Connected? ...", client.is_connected())
