"""Several brokers per agent (``mqtt://H1:P1,H2:P2?...``): tried in order, the next one on a
lost link; what the agent holds (outbox, follows, controls, things) is restored on the next
broker. Two independent Mosquittos here (a cluster of replicating nodes: test_cluster.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from broker import free_port

from iotic_app._config import AgentConfig
from iotic_app.client import Client
from iotic_app.exceptions import LinkException

pytestmark = pytest.mark.timeout(90)

PATIENCE = 20.0


def url(ports: list[int], agent: str, outbox: Path, extra: str = "") -> str:
    listed = ",".join(f"127.0.0.1:{port}" for port in ports)
    return f"mqtt://{listed}?agent={agent}&outbox={outbox}{extra}"


def wait_for(check: Callable[[], bool], what: str, timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        pause.wait(0.01)


def test_the_url_lists_brokers_in_order_and_shows_them_all(tls_files: Any) -> None:
    config = AgentConfig.from_url("mqtt://u:secret@h1:1884,h2,[::1]:1885?agent=a")
    assert config.space == "h1:1884,h2:1883,[::1]:1885"
    assert config.url == "mqtt://h1:1884,h2:1883,[::1]:1885?agent=a&username=u"
    assert "secret" not in repr(config) and "secret" not in config.url
    from iotic_app.transports.mqtt._settings import MqttSettings

    settings = MqttSettings.from_config(config)
    assert settings.addresses == (("h1", 1884), ("h2", 1883), ("::1", 1885))
    assert (settings.host, settings.port) == ("h1", 1884)
    assert settings.at(2).where == "[::1]:1885" and settings.at(3).where == "h1:1884"
    tls_url = f"mqtts://h1,h2:9?agent=a&ca_file={tls_files.ca_file}"
    tls = MqttSettings.from_config(AgentConfig.from_url(tls_url))
    assert tls.addresses == (("h1", 8883), ("h2", 9))


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mqtt://h1:1883;h2:1883?agent=a", "brokers are listed with ',' in one URL"),
        ("mqtt://h1:1883 h2:1883?agent=a", "brokers are listed with ',' in one URL"),
        ("mqtt://h1:1883|h2:1883?agent=a", "got '|' between them"),
        ("mqtt://h1:1883,mqtt://h2:1883?agent=a", "names 'mqtt://' a second time"),
        ("mqtt://h1:1883,,h2?agent=a", "got '' \\(an empty item"),
        ("mqtt://h1:1883,?agent=a", "got '' \\(an empty item"),
        ("mqtt://h1:1883,h1:1883?agent=a", "broker h1:1883 is listed twice"),
        ("mqtt://h1,h1:1883?agent=a", "broker h1:1883 is listed twice"),
        ("mqtt://h1:1883,h2:99999?agent=a", "the port must be 1-65535, got '99999'"),
        ("mqtt://h1:1883,h_2!:1?agent=a", "got 'h_2!:1'"),
        ("mqtt://h1:1883?agent=a&brokers=h2:1883", "several brokers are listed in the URL"),
        ("mqtt://h1:1883?agent=a&hosts=h2:1883", "several brokers are listed in the URL"),
    ],
)
def test_other_ways_of_listing_brokers_are_refused_saying_how(given: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as caught:
        AgentConfig.from_url(given)
    assert (
        "mqtt://HOST1:PORT1,HOST2:PORT2" in str(caught.value)
        or "twice" in says
        or ("empty" in says or "port" in says or "h_2" in says)
    )


def test_an_ini_file_takes_the_list_in_its_url(tmp_path: Path) -> None:
    ini = tmp_path / "agent.ini"
    ini.write_text("[agent]\nurl = mqtt://h1:1,h2:2\nagent = a\n")
    assert AgentConfig.from_file(ini).space == "h1:1,h2:2"
    ini.write_text("[agent]\nurl = mqtt://h1:1\nagent = a\nbrokers = h2:2\n")
    with pytest.raises(ValueError, match="several brokers are listed in the URL itself"):
        AgentConfig.from_file(ini)


def test_start_moves_on_to_the_next_broker_when_the_first_is_down(
    two_brokers: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _first, second = two_brokers
    down = free_port()
    with caplog.at_level(logging.WARNING, "iotic_app.mqtt"):
        client = Client(url([down, second.port], "alice", tmp_path / "o"))
        with client:
            thing = client.create_thing("t")
            assert thing.lid == "t"
    assert f"broker 127.0.0.1:{down}" in caplog.text
    assert f"trying the next broker, 127.0.0.1:{second.port}" in caplog.text


def test_start_fails_naming_every_broker_when_none_can_be_used(tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    client = Client(url(ports, "alice", tmp_path / "o", "&connect_timeout=1"))
    with pytest.raises(LinkException) as caught:
        client.start()
    text = str(caught.value)
    assert "none of its 2 MQTT brokers could be used" in text
    assert f"127.0.0.1:{ports[0]}" in text and f"127.0.0.1:{ports[1]}" in text
    assert text.count("agent 'alice'") == 1
    client.close()


def test_a_lost_broker_fails_over_and_the_agent_goes_on_there(
    two_brokers: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Sharer and follower on [A, B]; A killed mid-stream: both move to B, where the follow,
    the thing, its control and the outbox's unacknowledged values are restored; then A back,
    B killed: both move to A again. Values are never repeated nor out of order; what A held
    for the follower when it died is lost with it (independent brokers share nothing)."""
    first, second = two_brokers
    ports = [first.port, second.port]
    received: list[int] = []
    arrived = threading.Condition()

    def on_value(args: dict[str, Any]) -> None:
        with arrived:
            received.append(args["data"]["n"])
            arrived.notify_all()

    told: list[Any] = []

    def on_control(args: dict[str, Any]) -> None:
        told.append(args["data"])
        sharer.confirm_tell(args, True)

    sharer = Client(url(ports, "sharer", tmp_path / "s"))
    follower = Client(url(ports, "follower", tmp_path / "f"))
    caplog.set_level(logging.WARNING, "iotic_app.mqtt")
    with sharer, follower:
        thing = sharer.create_thing("src")
        thing.set_public()
        feed = thing.create_feed("f")
        control = thing.create_control("c", callback=on_control)
        mine = follower.create_thing("sink")
        mine.follow(feed.guid, callback=on_value)
        remote = mine.attach(control.guid)
        assert remote.tell("before", timeout=5) is True

        n = 0

        def share_until(check: Callable[[], bool], what: str) -> None:
            nonlocal n
            deadline = time.monotonic() + PATIENCE
            pause = threading.Event()
            while not check():
                if time.monotonic() > deadline:
                    pytest.fail(f"timed out waiting for {what}; received {len(received)}")
                feed.share({"n": n})
                n += 1
                pause.wait(0.002)

        share_until(lambda: len(received) >= 200, "200 values on the first broker")
        first.kill()
        mark = n
        share_until(lambda: bool(received) and received[-1] >= mark + 200, "values on B")
        assert remote.tell("on B", timeout=5) is True
        first.start()
        second.kill()
        mark = n
        share_until(lambda: received[-1] >= mark + 200, "values back on A")
        assert remote.tell("back on A", timeout=5) is True
        last = n - 1
        with arrived:
            assert arrived.wait_for(lambda: received[-1] == last, PATIENCE), received[-5:]
        wait_for(lambda: sharer.outbox_depth == 0, "the sharer's outbox to drain")
    assert told == ["before", "on B", "back on A"]
    for agent in ("sharer", "follower"):
        for was, there in (ports, ports[::-1]):
            moved = f"agent {agent!r}: broker 127.0.0.1:{was}: reconnect failed"
            assert f"{moved}; trying the next broker, 127.0.0.1:{there}" in caplog.text, agent
    assert received == sorted(set(received)), "a value repeated or out of order"
    assert received[0] == 0 and received[-1] == last
