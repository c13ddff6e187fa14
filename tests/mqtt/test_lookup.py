"""Agents whose cost does not grow with the space: lookups by guid through retained pointers,
the wire version, and what an agent subscribes to (a stock-config Mosquitto)."""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from _inbox import Inbox
from broker import Broker
from conftest_mqtt import need_own_broker, run_level, stock_broker_url

from iotic_app import IOTAccessDenied, IOTUnknown, LinkException
from iotic_app.client import Client
from iotic_app.transports._protocol import FEED, point_guid, thing_guid
from iotic_app.transports.mqtt import _router
from iotic_app.transports.mqtt._thingdoc import encode_pointer, encode_thing_doc

pytestmark = pytest.mark.timeout(60)

PATIENCE = 10.0


class Space:
    """A fresh topic root on the session's stock broker, and a raw paho client on it."""

    def __init__(self) -> None:
        self.url = stock_broker_url()
        self.root = f"lookup-{uuid.uuid4().hex[:12]}"
        host, port = self.url.removeprefix("mqtt://").split(":")
        self.raw = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
        self.raw.connect(host, int(port))
        self.raw.loop_start()
        self.clients: list[Client] = []

    def client(self, agent: str, outbox: Any) -> Client:
        client = Client(f"{self.url}?agent={agent}&root={self.root}&outbox={outbox}")
        self.clients.append(client)
        return client

    def retained(self, topic: str) -> bytes:
        """The message the broker retains on ROOT/*topic* (fails the test if none comes)."""
        got: list[bytes] = []
        done = threading.Event()
        self.raw.on_message = lambda c, u, m: (got.append(m.payload), done.set())
        self.raw.subscribe(f"{self.root}/{topic}", qos=0)
        assert done.wait(PATIENCE), f"nothing retained on {topic!r}"
        return got[0]

    def publish(self, topic: str, body: bytes, retain: bool = True) -> None:
        """Publish at QoS 1 and wait for the PUBACK."""
        self.raw.publish(f"{self.root}/{topic}", body, qos=1, retain=retain).wait_for_publish(5)

    def thing(self, agent: str, lid: str, public: bool = True, pids: tuple[str, ...] = ()) -> str:
        """Publish agent *agent*'s thing *lid* as iotic_app does (document, then pointers)."""
        guid = thing_guid(agent, lid)
        points = [
            {"kind": FEED, "pid": pid, "guid": point_guid(guid, FEED, pid), "save_recent": 0}
            for pid in pids
        ]
        doc = {"agent": agent, "lid": lid, "guid": guid, "public": public, "points": points}
        self.publish(f"{agent}/{lid}/meta", encode_thing_doc(doc))
        for g in [guid, *(p["guid"] for p in points)]:
            self.publish(f"_guid/{g}", encode_pointer(agent, lid))
        return guid

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.raw.loop_stop()
        self.raw.disconnect()


@pytest.fixture
def space() -> Iterator[Space]:
    made = Space()
    try:
        yield made
    finally:
        made.close()


def test_start_receives_none_of_the_other_agents_things(
    space: Space, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A space with many retained things of another agent: an agent's start() receives not one
    of their documents or pointers (it subscribes to no ROOT/+/+/meta), and a lookup by guid
    brings exactly the one document (and pointer) asked for."""
    guids = [space.thing("filler", f"t{n}", pids=("f",)) for n in range(300)]
    space.publish("filler/_status", b"online")
    seen: list[str] = []
    on_message = _router.Router.on_message

    def counting(self: Any, conn: Any, msg: Any) -> None:
        seen.append(msg.topic)
        on_message(self, conn, msg)

    monkeypatch.setattr(_router.Router, "on_message", counting)
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    alice.create_thing("mine")
    assert not [t for t in seen if "filler" in t or "/_guid/" in t]
    found = alice.describe(point_guid(guids[7], FEED, "f"))
    assert found is not None and found["thing"] == guids[7]
    assert sorted({t for t in seen if "filler" in t or "/_guid/" in t}) == sorted(
        [f"{space.root}/filler/t7/meta", f"{space.root}/_guid/{point_guid(guids[7], FEED, 'f')}"]
    )


def test_describe_follow_and_attach_by_guid_work_cold_and_follow_changes(
    space: Space, tmp_path: Any
) -> None:
    """A fresh client describes, follows and attaches by guid another agent's things it never
    saw; once the thing is made private, describe says None and a new follow is denied; once
    it is deleted, its guid is unknown."""
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    lamp = alice.create_thing("lamp")
    lamp.set_public()
    feed = lamp.create_feed("level")
    asked: list[Any] = []
    control = lamp.create_control("switch", callback=lambda args: asked.append(args["data"]))
    bob = space.client("bob", tmp_path / "b")
    bob.start()
    described = bob.describe(lamp.guid)
    assert described is not None and described["agent"] == "alice"
    assert {p["guid"] for p in described["points"]} == {feed.guid, control.guid}
    inbox = Inbox()
    mine = bob.create_thing("mine")
    mine.follow(feed.guid, callback=inbox)
    feed.share(1)
    assert inbox.wait_for(1) == [1]
    remote = mine.attach(control.guid)
    assert remote.tell("on", timeout=5) in (True, "timeout")  # alice's callback confirms none
    lamp.set_public(False)
    assert bob.describe(lamp.guid) is None and bob.describe(feed.guid) is None
    with pytest.raises(IOTAccessDenied):
        bob.create_thing("other").follow(feed.guid, callback=inbox)
    cold = space.client("bob", tmp_path / "b2")  # a second client of bob: nothing held
    cold.start()
    assert cold.describe(lamp.guid) is None
    with pytest.raises(IOTAccessDenied):
        cold.create_thing("x").follow(feed.guid, callback=inbox)
    alice.delete_thing("lamp")
    fresh = space.client("bob", tmp_path / "b3")
    fresh.start()
    with pytest.raises(IOTUnknown):
        fresh.create_thing("y").follow(feed.guid, callback=inbox)
    assert fresh.describe(lamp.guid) is None


def test_a_forged_pointer_resolves_nothing_and_redirects_no_follow(
    space: Space, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """mallory points alice's feed guid at mallory's own (valid) thing: a client that looks the
    guid up finds it unknown (logged as a forged or stale pointer), never mallory's feed; a
    client that already holds alice's document is not moved either."""
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    lamp = alice.create_thing("lamp")
    lamp.set_public()
    feed = lamp.create_feed("level")
    bob = space.client("bob", tmp_path / "b")
    bob.start()
    early = Inbox()
    bob.create_thing("early").follow(feed.guid, callback=early)
    space.thing("mallory", "trap", pids=("level",))
    space.publish(f"_guid/{feed.guid}", encode_pointer("mallory", "trap"))
    space.publish("mallory/trap/feed/level", b'{"data": "forged"}', retain=True)
    carol = space.client("carol", tmp_path / "c")
    carol.start()
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        with pytest.raises(IOTUnknown):
            carol.create_thing("late").follow(feed.guid, callback=Inbox())
        assert carol.describe(feed.guid) is None
    assert "forged or stale pointer" in caplog.text
    bob.create_thing("again").follow(feed.guid, callback=early)  # held: alice's
    feed.share("real")
    assert early.wait_for("real").count("forged") == 0


def test_a_version_1_document_says_to_upgrade_its_agent(space: Space, tmp_path: Any) -> None:
    """A thing document of an older iotic_app (wire version 1, or no "v"): looking its guid up
    raises IOTUnknown saying so and naming the agent to upgrade."""
    for n, version in enumerate([1, None]):
        lid = f"old{n}"
        guid = thing_guid("elder", lid)
        feed = point_guid(guid, FEED, "f")
        points = [{"kind": FEED, "pid": "f", "guid": feed}]
        doc: dict[str, Any] = {"agent": "elder", "lid": lid, "guid": guid, "public": True}
        doc["points"] = points
        if version is not None:
            doc["v"] = version
        space.publish(f"elder/{lid}/meta", json.dumps(doc).encode())
        for pointed in (guid, feed):
            space.publish(f"_guid/{pointed}", encode_pointer("elder", lid))
        alice = space.client("alice", tmp_path / f"a{n}")
        alice.start()
        with pytest.raises(IOTUnknown, match=r"older iotic_app \(wire version 1\).*upgrade agent"):
            alice.create_thing("t").follow(feed, callback=Inbox())
        assert alice.describe(guid) is None


def test_a_space_of_another_wire_version_fails_start(space: Space, tmp_path: Any) -> None:
    """The first agent of a root publishes ROOT/_wire {"v": 2}; a root whose ROOT/_wire says
    another version makes start() raise LinkException saying so."""
    first = space.client("alice", tmp_path / "a")
    first.start()
    assert json.loads(space.retained("_wire")) == {"v": 2}
    space.publish("_wire", b'{"v": 3}')
    late = space.client("bob", tmp_path / "b")
    with pytest.raises(LinkException, match=r"wire version 3.*this agent speaks version 2"):
        late.start()


@pytest.mark.parametrize("junk", [b"x", b'{"v": "2"}', b"{}", b'{"v": true}', b'{"v": 0}'])
def test_junk_on_the_wire_topic_stops_no_agent(space: Space, tmp_path: Any, junk: bytes) -> None:
    """Anything but ``{"v": N}`` (N a positive int) on ROOT/_wire is no version: logged, and
    an agent starts and puts its own there (where the broker lets it)."""
    space.publish("_wire", junk)
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    assert json.loads(space.retained("_wire")) == {"v": 2}


def test_lookups_are_bounded_least_recently_used_first(space: Space, tmp_path: Any) -> None:
    """An agent keeps at most ``keep`` looked-up things subscribed: the least recently used
    goes first (describing it again looks it up again), never one a follow needs."""
    guids = [space.thing("filler", f"t{n}", pids=("f",)) for n in range(6)]
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    catalogue = alice._transport._catalogue  # type: ignore[attr-defined]
    catalogue.keep = 3
    inbox = Inbox()
    alice.create_thing("me").follow(point_guid(guids[0], FEED, "f"), callback=inbox)
    for guid in guids[1:]:
        assert alice.describe(guid) is not None
    assert catalogue.looked_up() == 3
    assert guids[0] in catalogue.docs  # followed: kept
    assert guids[1] not in catalogue.docs and guids[5] in catalogue.docs
    assert alice.describe(guids[1]) is not None  # looked up again
    space.publish("filler/t0/feed/f", b'{"data": 7}', retain=False)
    assert inbox.wait_for(7) == [7]


def test_a_reconnect_subscribes_again_to_what_was_looked_up(
    tmp_path: Any,
) -> None:
    """After the broker restarts (without persistence), a looked-up thing's changes still
    arrive: the agent subscribed to it again."""
    binary = need_own_broker()
    with Broker(tmp_path / "m", binary=binary, stock=True) as broker:
        root = "r" + uuid.uuid4().hex[:8]
        alice = Client(f"{broker.url}?agent=alice&root={root}&outbox={tmp_path / 'a'}")
        bob = Client(f"{broker.url}?agent=bob&root={root}&outbox={tmp_path / 'b'}")
        with alice, bob:
            lamp = alice.create_thing("lamp")
            lamp.set_public()
            assert bob.describe(lamp.guid) is not None
            broker.restart()  # forgets everything: alice publishes her thing again
            restored = threading.Event()

            def check() -> bool:
                try:
                    return bob.describe(lamp.guid) is not None
                except (LinkException, IOTUnknown):
                    return False

            for _ in range(100):
                if check():
                    restored.set()
                    break
                restored.wait(0.1)
            assert restored.is_set()
            lamp.set_public(False)
            assert bob.describe(lamp.guid) is None  # the change came: still subscribed


def test_a_tell_to_an_agent_found_cold_knows_whether_it_is_online(
    space: Space, tmp_path: Any
) -> None:
    """The status of a control's agent is subscribed exactly when an agent attaches or tells:
    a control whose agent stopped answers "unreachable" at once, also to a client that never
    saw that agent before."""
    alice = space.client("alice", tmp_path / "a")
    alice.start()
    lamp = alice.create_thing("lamp")
    lamp.set_public()
    confirmed: list[Any] = []

    def confirm(args: dict[str, Any]) -> None:
        confirmed.append(args["data"])
        alice.confirm_tell(args, True)

    control = lamp.create_control("switch", callback=confirm)
    bob = space.client("bob", tmp_path / "b")
    bob.start()
    remote = bob.create_thing("me").attach(control.guid)
    assert remote.tell("on", timeout=5) is True and confirmed == ["on"]
    alice.stop()
    assert remote.tell("off", timeout=5) == "unreachable"
    cold = space.client("bob", tmp_path / "b2")
    cold.start()
    assert cold.create_thing("me2").attach(control.guid).tell("off", timeout=5) == "unreachable"


def test_a_pointer_is_parsed_and_checked() -> None:
    """A pointer names an agent's thing (its meta topic); a bad one is a ValueError saying
    what is wrong, a version 1 one says to upgrade."""
    from iotic_app.transports.mqtt._thingdoc import parse_pointer

    assert parse_pointer("r", encode_pointer("alice", "a/b")) == "r/alice/a%2Fb/meta"
    for raw, match in [
        (b"[1]", "a JSON object"),
        (b'{"v": 2, "agent": "+", "lid": "x"}', "agent must be"),
        (b'{"v": 2, "agent": "a", "lid": ""}', "lid must be"),
        (b'{"agent": "a", "lid": "x"}', r"wire version 1\).*upgrade agent 'a'"),
        (b'{"v": 9, "agent": "a", "lid": "x"}', "wire version 9"),
        (b"x" * 2000, "more than 1024"),
    ]:
        with pytest.raises(ValueError, match=match):
            parse_pointer("r", raw)
