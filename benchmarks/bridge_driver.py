"""port_examples' driver of mqtt_bridge: requests on the bridge's MQTT broker, responses printed.

Run by benchmarks/port_examples.py once the bridge is connected::

    python bridge_driver.py PORT

It publishes, as a device would (mqtt_bridge/wiki/Home.md's topics), on 127.0.0.1:PORT:

    ioticlabs/req/bench/0/list/entity        (repeated until the bridge answers: it is up)
    ioticlabs/req/bench/1/create/entity      {"lid": "bridged"}
    ioticlabs/req/bench/2/create/point/feed  {"lid": "bridged", "pid": "temp"}
    ioticlabs/req/bench/3/list/entity

and prints ``response N: JSON`` for each ``ioticlabs/rsp/bench/N`` it gets. Exit status 0 when
all four came, 1 otherwise.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import paho.mqtt.client as mqtt

REQUESTS = (
    ("1", "create/entity", {"lid": "bridged"}),
    ("2", "create/point/feed", {"lid": "bridged", "pid": "temp"}),
    ("3", "list/entity", None),
)
WAIT = 10.0


def main(port: int) -> int:
    """Drive the bridge on *port*; 0 when every request got its response."""
    responses: dict[str, str] = {}
    cond = threading.Condition()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with cond:
            responses[msg.topic.rsplit("/", 1)[1]] = msg.payload.decode()
            cond.notify_all()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bridge-driver")
    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.subscribe("ioticlabs/rsp/bench/+", qos=1)  # handled before the requests below
    client.loop_start()
    try:
        deadline = time.monotonic() + WAIT
        with cond:  # the bridge subscribes once connected: ask until it answers
            while "0" not in responses and time.monotonic() < deadline:
                client.publish("ioticlabs/req/bench/0/list/entity", b"", qos=1)
                cond.wait(0.5)
        published: list[str] = ["0"]
        for request_id, path, payload in REQUESTS:
            published.append(request_id)
            body = b"" if payload is None else json.dumps(payload).encode()
            client.publish(f"ioticlabs/req/bench/{request_id}/{path}", body, qos=1)
            with cond:
                cond.wait_for(lambda: len(responses) >= len(published), WAIT)
        for request_id in ("0", *(r[0] for r in REQUESTS)):
            print(f"response {request_id}: {responses.get(request_id, '(none)')}", flush=True)
        return 0 if len(responses) == 1 + len(REQUESTS) else 1
    finally:
        client.loop_stop()
        client.disconnect()


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1])))
