"""One RabbitMQ node (Debian's rabbitmq-server, MQTT plugin, MQTT 3.1.1 only), the test's own:
an MQTT 5 client is told to use protocol=3.1.1, and a sharer's values reach a follower once and
in order. Marked ``rabbitmq`` (not in the default run): ``python -m pytest -m rabbitmq``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _inbox import Numbered
from broker_more import RabbitNode, find_rabbitmq, shared_rabbitmq

from iotic_app.client import Client
from iotic_app.exceptions import LinkException
from iotic_app.transports.mqtt._settings import PROTOCOL_VARIABLE

pytestmark = [pytest.mark.rabbitmq, pytest.mark.timeout(120)]
ENGINES = pytest.mark.parametrize("engine", ["builtin", "paho"])
PATIENCE = 60.0


@pytest.fixture(scope="module")
def rabbit() -> Iterator[RabbitNode]:
    if find_rabbitmq() is None:
        pytest.skip("no rabbitmq-server: apt-get install rabbitmq-server")
    yield shared_rabbitmq()


def _url(node: RabbitNode, agent: str, tmp_path: Path, **extra: str) -> str:
    query = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"{node.url}?agent={agent}&outbox={tmp_path / agent}{query}"


@ENGINES
def test_mqtt5_on_rabbitmq_says_it_does_not_speak_mqtt5_and_how_to_fix_it(
    rabbit: RabbitNode, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PROTOCOL_VARIABLE, raising=False)
    client = Client(_url(rabbit, "five", tmp_path, engine=engine))
    try:
        begun = time.monotonic()
        with pytest.raises(LinkException) as caught:
            client.start()
        assert time.monotonic() - begun < 5.0
    finally:
        client.close()
    text = str(caught.value)
    assert f"the MQTT broker at 127.0.0.1:{rabbit.port} does not speak MQTT 5" in text
    assert "add protocol=3.1.1 to the URL" in text


@ENGINES
def test_5000_values_reach_a_follower_once_and_in_order(
    rabbit: RabbitNode, tmp_path: Path, engine: str
) -> None:
    root = f"r{engine}{time.monotonic_ns()}"
    opts = {"engine": engine, "protocol": "3.1.1", "root": root}
    sharer = Client(_url(rabbit, "sharer", tmp_path, **opts))
    follower = Client(_url(rabbit, "follower", tmp_path, **opts))
    with sharer, follower:
        thing = sharer.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        values = Numbered(PATIENCE)
        follower.create_thing("d").follow(feed.guid, callback=values)
        for n in range(5000):
            feed.share({"n": n})
        assert values.wait_for(5000) == list(range(5000))
        with values.cond:  # a duplicate would come right after
            assert not values.cond.wait_for(lambda: len(values.got) > 5000, 0.5)


@ENGINES
def test_a_follower_restarted_with_values_waiting_starts_and_gets_them_in_order(
    rabbit: RabbitNode, tmp_path: Path, engine: str
) -> None:
    """RabbitMQ sends a session at most its prefetch (10) unacknowledged messages, the values
    waiting in the session's queue before the start's sync marker among them."""
    root = f"r{engine}{time.monotonic_ns()}"
    opts = {"engine": engine, "protocol": "3.1.1", "root": root}
    with Client(_url(rabbit, "sharer", tmp_path, **opts)) as sharer:
        thing = sharer.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        values = Numbered(PATIENCE)
        follower = Client(_url(rabbit, "follower", tmp_path, **opts))
        with follower:
            follower.create_thing("d").follow(feed.guid, callback=values)
            feed.share({"n": 0})
            values.wait_for(1)
        for n in range(1, 200):
            feed.share({"n": n})
        pause = threading.Event()
        while sharer.outbox_depth:  # every value in the follower's session queue
            assert not pause.wait(0.01)
        again = Client(_url(rabbit, "follower", tmp_path, **opts))
        with again:
            again.create_thing("d").follow(feed.guid, callback=values)
            assert values.wait_for(200) == list(range(200))


@ENGINES
def test_an_agent_id_with_a_dot_is_told_that_rabbitmq_rewrites_it(
    rabbit: RabbitNode, tmp_path: Path, engine: str
) -> None:
    """RabbitMQ turns '.' in topic names into '/' (its AMQP routing keys): the start says so
    at once instead of waiting for a sync that never comes."""
    client = Client(_url(rabbit, "my.agent", tmp_path, engine=engine, protocol="3.1.1"))
    try:
        begun = time.monotonic()
        with pytest.raises(LinkException, match=r"rewrites '\.' in topic names to '/'"):
            client.start()
        assert time.monotonic() - begun < 3.0
    finally:
        client.close()
