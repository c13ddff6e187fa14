"""TLS with a test CA, passwords and the ACL template from docs/: what is allowed and what not."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from _inbox import Inbox
from broker import Broker, TlsFiles
from conftest_directory import StartDirectory
from conftest_mqtt import need_own_broker, run_level

from iotic_app import IOTAccessDenied, IOTUnknown, LinkException
from iotic_app.client import Client
from iotic_app.transports._protocol import FEED, point_guid, thing_guid

pytestmark = pytest.mark.fixed_root  # names iotic/... topics itself

ACL = (Path(__file__).resolve().parents[2] / "docs" / "mosquitto-acl.conf").read_text()
PASSWORDS = {"alice": "alice-secret-1", "bob": "bob-secret-2"}


@pytest.fixture
def secure_broker(tmp_path: Path, tls_files: TlsFiles) -> Broker:
    binary = need_own_broker()
    broker = Broker(tmp_path / "b", tls=tls_files, passwords=PASSWORDS, acl=ACL, binary=binary)
    broker.start()
    yield broker  # type: ignore[misc]
    broker.close()


def tls_url(broker: Broker, tls: TlsFiles, user: str, password: str, agent: str, tmp: Path) -> str:
    return (
        f"mqtts://{user}:{password}@127.0.0.1:{broker.tls_port}"
        f"?agent={agent}&ca_file={tls.ca_file}&outbox={tmp / 'outbox'}"
    )


def test_tls_password_connects_and_shares(
    secure_broker: Broker, tls_files: TlsFiles, tmp_path: Path
) -> None:
    alice = Client(tls_url(secure_broker, tls_files, "alice", "alice-secret-1", "alice", tmp_path))
    bob = Client(tls_url(secure_broker, tls_files, "bob", "bob-secret-2", "bob", tmp_path))
    got: list[object] = []
    import threading

    arrived = threading.Event()
    with alice, bob:
        thing = alice.create_thing("lamp")
        thing.set_public()
        feed = thing.create_feed("level")
        bob.create_thing("me").follow(
            feed.guid, callback=lambda a: (got.append(a["data"]), arrived.set())
        )
        feed.share({"v": 1})
        assert arrived.wait(10)
    assert got == [{"v": 1}]


def test_wrong_password_is_a_clear_error_without_the_password(
    secure_broker: Broker, tls_files: TlsFiles, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(tls_url(secure_broker, tls_files, "alice", "wrong-pw-xyz", "alice", tmp_path))
    with caplog.at_level(logging.DEBUG), pytest.raises(LinkException) as info:
        client.start()
    message = str(info.value)
    assert "refused" in message and "password" in message
    for text in (message, repr(client), repr(client.config), caplog.text):
        assert "wrong-pw-xyz" not in text


def test_plain_port_without_password_is_refused(secure_broker: Broker, tmp_path: Path) -> None:
    client = Client(f"{secure_broker.url}?agent=alice&outbox={tmp_path}")
    with pytest.raises(LinkException, match="refused"):
        client.start()


def test_tls_with_an_unknown_ca_fails_the_handshake(
    secure_broker: Broker, tls_files: TlsFiles, tmp_path: Path
) -> None:
    from broker import make_test_ca

    other = make_test_ca(tmp_path / "other-ca")
    url = tls_url(secure_broker, tls_files, "alice", "alice-secret-1", "alice", tmp_path)
    url = url.replace(str(tls_files.ca_file), str(other.ca_file))
    with pytest.raises(LinkException, match="TLS"):
        Client(url).start()


def test_acl_denies_changing_another_agents_things(
    secure_broker: Broker, tls_files: TlsFiles, tmp_path: Path
) -> None:
    # bob logs in with his own password but claims to be agent "alice": the broker's ACL
    # refuses every change under alice's name, starting with the session claim
    mallory = Client(tls_url(secure_broker, tls_files, "bob", "bob-secret-2", "alice", tmp_path))
    with pytest.raises(IOTAccessDenied, match=r"denied .*0x87"):
        mallory.start()
    assert not mallory.is_connected()


# --- hostile agents, with passwords and the documented ACL (plain port: no TLS needed) -------

USERS = {
    "alice": "alice-pw-1",
    "bob": "bob-pw-2",
    "carol": "carol-pw-3",
    "directory": "directory-pw-4",  # the ACL template's directory user
}
PATIENCE = 10.0


@pytest.fixture
def acl_broker(tmp_path: Path) -> Iterator[Broker]:
    binary = need_own_broker()
    broker = Broker(tmp_path / "acl-broker", passwords=USERS, acl=ACL, binary=binary)
    broker.start()
    yield broker
    broker.close()


def agent_url(
    broker: Broker, agent: str, tmp: Path, user: str | None = None, host: str = "127.0.0.1"
) -> str:
    user = user or agent
    return f"mqtt://{user}:{USERS[user]}@{host}:{broker.port}?agent={agent}&outbox={tmp}"


def wait_until(check: Callable[[], bool]) -> None:
    """Wait (bounded, on an Event nobody sets) until *check()* holds; fail the test if not."""
    pause = threading.Event()
    for _ in range(int(PATIENCE / 0.02)):
        if check():
            return
        pause.wait(0.02)
    assert check(), "condition not met in time"


class Raw:
    """A plain paho client logged in as *user* (an attacker's or an observer's tool)."""

    def __init__(self, broker: Broker, user: str, client_id: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.subscribed: set[int] = set()
        self.cond = threading.Condition()
        self.paho = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=run_level(),
            reconnect_on_failure=False,
        )
        self.paho.username_pw_set(user, USERS[user])
        self.paho.on_message = lambda c, u, m: self._got(m.topic, bytes(m.payload))
        self.paho.on_subscribe = lambda c, u, mid, rcs, p: self._suback(mid)
        self.paho.connect("127.0.0.1", broker.port)
        self.paho.loop_start()

    def _got(self, topic: str, payload: bytes) -> None:
        with self.cond:
            self.messages.append((topic, payload))
            self.cond.notify_all()

    def _suback(self, mid: int) -> None:
        with self.cond:
            self.subscribed.add(mid)
            self.cond.notify_all()

    def subscribe(self, *topics: str) -> None:
        """Subscribe and wait for the broker's SUBACK."""
        rc, mid = self.paho.subscribe([(topic, 1) for topic in topics])
        assert rc == mqtt.MQTT_ERR_SUCCESS
        with self.cond:
            assert self.cond.wait_for(lambda: mid in self.subscribed, PATIENCE)

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        info = self.paho.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(PATIENCE)

    def wait_for(self, check: Callable[[list[tuple[str, bytes]]], bool]) -> list[tuple[str, bytes]]:
        with self.cond:
            if not self.cond.wait_for(lambda: check(self.messages), PATIENCE):
                pytest.fail(f"expected messages not received: {self.messages!r}")
            return list(self.messages)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


def forged_doc(agent: str, lid: str, pids: list[str]) -> bytes:
    """A thing document that claims to be *agent*'s thing *lid* with feeds *pids*."""
    guid = thing_guid(agent, lid)
    points = [
        {"kind": FEED, "pid": pid, "guid": point_guid(guid, FEED, pid), "labels": {}, "tags": []}
        for pid in pids
    ]
    doc = {"v": 2, "agent": agent, "lid": lid, "guid": guid, "public": True, "points": points}
    return json.dumps(doc).encode()


def forged_pointer(agent: str, lid: str) -> bytes:
    """A retained ``iotic/_guid/GUID`` pointer that names *agent*'s thing *lid*."""
    return json.dumps({"v": 2, "agent": agent, "lid": lid}).encode()


def test_a_forged_thing_document_never_reaches_a_follower(
    acl_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """bob publishes, in his own namespace (the ACL lets him), a document that claims alice's
    thing and feed guids, points those guids at it (any agent may write a pointer), and values
    on his own topics: followers of alice's feed, before and after the forgery, get alice's
    values only; a fresh client that looks the guids up finds them unknown (the forged pointer
    hides them), never bob's thing."""
    alice = Client(agent_url(acl_broker, "alice", tmp_path / "a"))
    carol = Client(agent_url(acl_broker, "carol", tmp_path / "c"))
    dave = Client(agent_url(acl_broker, "carol", tmp_path / "d"))  # a fresh client: cold
    bob = Raw(acl_broker, "bob", "bob")
    early, late = Inbox(), Inbox()
    try:
        alice.start()
        carol.start()
        lamp = alice.create_thing("lamp")
        lamp.set_public()
        feed = lamp.create_feed("level")
        carol.create_thing("early").follow(feed.guid, callback=early)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            bob.publish("iotic/bob/lamp/meta", forged_doc("alice", "lamp", ["level"]), True)
            bob.publish("iotic/bob/lamp/feed/level", json.dumps({"data": "forged"}), True)
            for guid in (lamp.guid, feed.guid):
                bob.publish(f"iotic/_guid/{guid}", forged_pointer("bob", "lamp"), True)
            described = carol.describe(feed.guid)  # held since the follow: alice's
            assert described is not None and described["thing"] == lamp.guid
            thing = carol.describe(lamp.guid)
            assert thing is not None and thing["agent"] == "alice"
            carol.create_thing("late").follow(feed.guid, callback=late)
            bob.publish("iotic/bob/lamp/feed/level", json.dumps({"data": "forged"}))
            feed.share("real")
            assert early.wait_for("real") == ["real"]
            assert late.wait_for("real") == ["real"]
            dave.start()
            assert dave.describe(feed.guid) is None and dave.describe(lamp.guid) is None
            with pytest.raises(IOTUnknown):
                dave.create_thing("d").follow(feed.guid, callback=late)
        assert "iotic/bob/lamp/meta" in caplog.text and "claims" in caplog.text
    finally:
        bob.close()
        dave.stop()
        carol.stop()
        alice.stop()


def test_the_victim_never_adopts_a_forged_document(
    acl_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A document in bob's namespace that claims to be alice's (a thing she has, and one she
    has not) is not taken by alice's next run as her own: her shares go to her own topics."""
    with Client(agent_url(acl_broker, "alice", tmp_path / "a")) as first_run:
        first_run.create_thing("lamp").create_feed("level")
    bob = Raw(acl_broker, "bob", "bob")
    watcher = Raw(acl_broker, "carol", "carol")
    try:
        bob.publish("iotic/bob/lamp/meta", forged_doc("alice", "lamp", ["level", "x"]), True)
        bob.publish("iotic/bob/ghost/meta", forged_doc("alice", "ghost", ["level"]), True)
        watcher.subscribe("iotic/alice/lamp/feed/level")
        with (
            caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"),
            Client(agent_url(acl_broker, "alice", tmp_path / "a")) as alice,
        ):
            assert sorted(alice.list()) == ["lamp"]
            with pytest.raises(IOTUnknown):
                alice.get_thing("ghost")
            lamp = alice.get_thing("lamp")
            with pytest.raises(IOTUnknown):
                lamp.get_feed("x")
            lamp.get_feed("level").share("mine")
            got = watcher.wait_for(lambda ms: any(b'"mine"' in body for _, body in ms))
            assert [t for t, body in got if b'"mine"' in body] == ["iotic/alice/lamp/feed/level"]
        assert "iotic/bob/ghost/meta" not in caplog.text  # alice never even reads bob's things
    finally:
        bob.close()
        watcher.close()


def test_malformed_thing_documents_are_skipped_and_describe_works(
    acl_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """bob points guids at malformed documents of his: a client that looks them up logs each
    and finds the guid unknown; alice's thing is described as before."""
    bob = Raw(acl_broker, "bob", "bob")
    junk: list[Any] = [
        {"agent": "bob", "lid": "junk", "points": [{"kind": 1}]},
        {"agent": "bob", "lid": "junk", "labels": ["x"]},
        {"agent": "bob", "lid": "junk", "location": ["a", 1]},
        {"agent": "bob", "lid": "junk"},  # no "v": an older iotic_app's
    ]
    with Client(agent_url(acl_broker, "alice", tmp_path / "a")) as alice:
        lamp = alice.create_thing("lamp")
        lamp.set_public()
        try:
            with (
                caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"),
                Client(agent_url(acl_broker, "carol", tmp_path / "c")) as carol,
            ):
                for n, doc in enumerate(junk):
                    lid = f"junk{n}"
                    guid = thing_guid("bob", lid)
                    body = {"v": 2, "guid": guid, "public": True, **doc, "lid": lid}
                    if n == len(junk) - 1:
                        del body["v"]
                    bob.publish(f"iotic/bob/{lid}/meta", json.dumps(body), True)
                    bob.publish(f"iotic/_guid/{guid}", forged_pointer("bob", lid), True)
                    assert carol.describe(guid) is None
                deep = thing_guid("bob", "deep")
                bob.publish("iotic/bob/deep/meta", "[" * 100_000 + "]" * 100_000, True)
                bob.publish(f"iotic/_guid/{deep}", forged_pointer("bob", "deep"), True)
                assert carol.describe(deep) is None
                found = carol.describe(lamp.guid)
                assert found is not None and found["agent"] == "alice"
        finally:
            bob.close()
    assert caplog.text.count("ignored the thing document on 'iotic/bob/") >= len(junk) + 1
    assert "older iotic_app (wire version 1)" in caplog.text and "upgrade agent 'bob'" in (
        caplog.text
    )


@pytest.mark.needs_directory
def test_malformed_thing_documents_are_skipped_and_search_works(
    acl_broker: Broker,
    start_directory: StartDirectory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    start_directory(f"mqtt://directory:{USERS['directory']}@127.0.0.1:{acl_broker.port}")
    bob = Raw(acl_broker, "bob", "bob")
    guid = thing_guid("bob", "junk")
    junk: list[Any] = [
        {"agent": "bob", "lid": "junk", "guid": guid, "public": True, "points": [{"kind": 1}]},
        {"agent": "bob", "lid": "junk", "guid": guid, "public": True, "labels": ["x"]},
        {"agent": "bob", "lid": "junk", "guid": guid, "public": True, "location": ["a", 1]},
        [1, 2, 3],
    ]
    with Client(agent_url(acl_broker, "alice", tmp_path / "a")) as alice:
        lamp = alice.create_thing("lamp")
        with lamp.get_meta() as meta:
            meta.set_label("Desk lamp")
        lamp.set_public()
        try:
            with (
                caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"),
                Client(agent_url(acl_broker, "carol", tmp_path / "c")) as carol,
            ):
                for n, doc in enumerate(junk):
                    bob.publish(f"iotic/bob/junk{n}/meta", json.dumps(doc), True)
                bob.publish("iotic/bob/junk/meta", json.dumps(junk[0]), True)
                bob.publish("iotic/bob/deep/meta", "[" * 100_000 + "]" * 100_000, True)
                assert list(carol.search(text="lamp")) == [lamp.guid]
                assert carol.describe(guid) is None
                with Client(agent_url(acl_broker, "carol", tmp_path / "c2")) as again:
                    assert list(again.search(text="lamp")) == [lamp.guid]
        finally:
            bob.close()
    # the directory (agents no longer mirror every thing) ignored each bad document
    assert caplog.text.count("ignored the thing document on 'iotic/bob/") >= len(junk) + 2


def test_another_user_with_the_agents_client_id_does_not_stop_it(
    acl_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """bob logs in with his own password but alice's client id: the broker pushes alice off
    for it, then refuses bob every change under alice's name. Only a claim on alice's own
    session topic (which only alice may write) is a takeover: alice reconnects and goes on."""
    alice = Client(agent_url(acl_broker, "alice", tmp_path / "a"))
    # another host name for the same broker: a client of this process that uses agent
    # alice's client id itself (not "alice.2"), as another process would
    mallory = Client(agent_url(acl_broker, "alice", tmp_path / "m", user="bob", host="localhost"))
    inbox = Inbox()
    try:
        alice.start()
        feed = alice.create_thing("lamp").create_feed("level")
        alice.create_thing("me").follow(feed.guid, callback=inbox)
        transport: Any = alice._transport
        pushed_off = transport._conn_in_service
        with caplog.at_level(logging.INFO, logger="iotic_app.mqtt"):
            with pytest.raises(IOTAccessDenied):
                mallory.start()
            # A broker tells the client it pushed off why: DISCONNECT "session taken over"
            # (0x8E; EMQX and HiveMQ send it, Mosquitto 2.0.11 mostly just closes the socket).
            # That reason alone is no takeover either.
            transport._supervisor.on_closed(pushed_off, 0x8E)  # what the engine reports
            wait_until(lambda: transport.reconnects >= 1 and alice.is_connected())
        assert not transport.is_stopping()
        feed.share("still here")
        inbox.wait_for("still here")
        assert alice.create_thing("other").lid == "other"
        assert "took the MQTT session over" not in caplog.text
    finally:
        mallory.stop()
        alice.stop()


def test_a_reply_topic_outside_the_reply_namespace_is_refused(
    acl_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A request names its reply topic: bob asks alice's control to reply on her own status
    or meta topic (which she may write), on a wildcard, or on "". She refuses each (logged),
    publishes nothing there, stays online for everyone and keeps her thing."""
    asked = Inbox()

    def confirm(args: dict[str, Any]) -> None:
        asked(args)
        if args["confirm"]:
            alice.confirm_tell(args, True)

    alice = Client(agent_url(acl_broker, "alice", tmp_path / "a"))
    carol = Client(agent_url(acl_broker, "carol", tmp_path / "c"))
    bob = Raw(acl_broker, "bob", "bob")
    try:
        alice.start()
        carol.start()
        lamp = alice.create_thing("lamp")
        lamp.set_public()
        control = lamp.create_control("switch", callback=confirm)
        bob.subscribe("iotic/alice/_status", "iotic/alice/lamp/meta", "iotic/_reply/bob")
        before = len(bob.wait_for(lambda ms: len(ms) >= 2))  # the two retained ones
        topic = "iotic/alice/lamp/control/switch"
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            for n, reply in enumerate(
                [
                    "iotic/alice/_status",
                    "iotic/alice/lamp/meta",
                    "",
                    "iotic/_reply/#",
                    "iotic/_reply/+",
                    "iotic/_reply/bob/deeper",
                    "iotic/_reply",
                    7,
                    None,
                ]
            ):
                request = {"data": n, "rid": f"r{n}", "confirm": True, "reply": reply}
                bob.publish(topic, json.dumps(request))
            for bad in (
                {"data": 1, "rid": ["x"], "confirm": True, "reply": "iotic/_reply/bob"},
                {"data": 1, "rid": "r", "confirm": "yes", "reply": "iotic/_reply/bob"},
                {"data": 1, "rid": "r", "sub": {"a": 1}},
            ):
                bob.publish(topic, json.dumps(bad))
            good = {"data": "ok", "rid": "good", "confirm": True, "reply": "iotic/_reply/bob"}
            bob.publish(topic, json.dumps(good))
            got = bob.wait_for(lambda ms: any(t == "iotic/_reply/bob" for t, _ in ms))
        assert got[before:] == [("iotic/_reply/bob", b'{"rid": "good", "result": true}')]
        assert asked.data == ["ok"]
        assert caplog.text.count("refused a request") == 12
        assert alice.is_connected() and alice._transport.reconnects == 0  # type: ignore[attr-defined]
        remote = carol.create_thing("me").attach(control.guid)
        assert remote.tell("x", timeout=5) is True
        assert carol.describe(lamp.guid) is not None
    finally:
        bob.close()
        carol.stop()
        alice.stop()


def test_a_flood_of_requests_is_refused_past_the_bound_and_memory_stays_bounded(
    acl_broker: Broker,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Requests are acknowledged on arrival, so the broker does not hold them back: while
    alice's control callback is busy, bob's flood is refused past REQUESTS_WAITING (logged, a
    tell answered "failed"), and once the callback is free again her control works as before."""
    from iotic_app.transports.mqtt import _requests as _mqtt

    monkeypatch.setattr(_mqtt, "REQUESTS_WAITING", 5)
    release = threading.Event()
    asked = Inbox()

    def slow(args: dict[str, Any]) -> None:
        release.wait(PATIENCE)
        asked(args)
        if args["confirm"]:
            alice.confirm_tell(args, True)

    alice = Client(agent_url(acl_broker, "alice", tmp_path / "a"))
    bob = Raw(acl_broker, "bob", "bob")
    try:
        alice.start()
        lamp = alice.create_thing("lamp")
        lamp.set_public()
        lamp.create_control("switch", callback=slow)
        bob.subscribe("iotic/_reply/bob")
        topic = "iotic/alice/lamp/control/switch"
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            for n in range(20):
                bob.publish(topic, json.dumps({"data": n, "rid": f"r{n}"}))
            ask = {"data": "t", "rid": "t1", "confirm": True, "reply": "iotic/_reply/bob"}
            bob.publish(topic, json.dumps(ask))
            got = bob.wait_for(lambda ms: len(ms) >= 1)
        assert got == [("iotic/_reply/bob", b'{"rid": "t1", "result": "failed"}')]
        # five admitted (one of them in the callback): the other fifteen and the tell refused
        assert caplog.text.count("refused a request") == 16
        release.set()
        asked.wait_for(4)
        assert asked.data == [0, 1, 2, 3, 4]
        again = {"data": "t", "rid": "t2", "confirm": True, "reply": "iotic/_reply/bob"}
        bob.publish(topic, json.dumps(again))
        got = bob.wait_for(lambda ms: len(ms) >= 2)
        assert got[1] == ("iotic/_reply/bob", b'{"rid": "t2", "result": true}')
    finally:
        release.set()
        bob.close()
        alice.close()


# --- owners: the ACL enrolls an agent in an owner; a claim it does not grant is refused -------

OWNER_ACL = ACL + "\nuser carol\ntopic write iotic/_owner/alice/carol\n"


@pytest.fixture
def owner_broker(tmp_path: Path) -> Iterator[Broker]:
    binary = need_own_broker()
    broker = Broker(tmp_path / "owner-broker", passwords=USERS, acl=OWNER_ACL, binary=binary)
    broker.start()
    yield broker
    broker.close()


def test_an_agent_the_acl_does_not_enroll_cannot_join_an_owner(
    owner_broker: Broker, tmp_path: Path
) -> None:
    bob = Client(agent_url(owner_broker, "bob", tmp_path / "b") + "&owner=alice")
    with pytest.raises(IOTAccessDenied, match=r"denied join owner 'alice'.*0x87"):
        bob.start()
    assert not bob.is_connected()


def test_an_agent_the_acl_does_not_enroll_cannot_join_an_owner_on_mqtt_3_1_1(
    owner_broker: Broker, tmp_path: Path
) -> None:
    """MQTT 3.1.1 has no reason codes: Mosquitto acknowledges the denied membership and drops
    it. The agent still learns it was refused (its membership never comes back) and does not
    start believing it belongs to the owner."""
    url = agent_url(owner_broker, "bob", tmp_path / "b") + "&owner=alice&protocol=3.1.1"
    bob = Client(url)
    with pytest.raises(IOTAccessDenied, match=r"join owner 'alice'"):
        bob.start()
    assert not bob.is_connected()
    carol = Client(agent_url(owner_broker, "carol", tmp_path / "c") + "&owner=alice&protocol=3.1.1")
    with carol:  # enrolled: joins on 3.1.1 too
        assert carol.describe(carol.create_thing("t").guid) is not None


def test_an_enrolled_agent_shares_its_private_things_with_the_owner(
    owner_broker: Broker, tmp_path: Path
) -> None:
    """carol, enrolled in owner alice by the ACL, makes a private thing; agent alice follows it
    by (lid, pid) and sees it; bob (another owner) does not."""
    carol = Client(agent_url(owner_broker, "carol", tmp_path / "c") + "&owner=alice")
    alice = Client(agent_url(owner_broker, "alice", tmp_path / "a"))
    bob = Client(agent_url(owner_broker, "bob", tmp_path / "b"))
    inbox = Inbox()
    with carol, alice, bob:
        feed = carol.create_thing("share_basic").create_feed("share_basic_feed")
        assert feed.guid == point_guid(thing_guid("alice", "share_basic"), FEED, "share_basic_feed")
        alice.create_thing("follow_basic").follow(
            ("share_basic", "share_basic_feed"), callback=inbox
        )
        assert alice.describe(feed.guid) is not None
        assert bob.describe(feed.guid) is None
        with pytest.raises(IOTAccessDenied, match="agent 'carol'"):
            alice.create_thing("share_basic")  # one lid per owner
        feed.share("hello")
        assert inbox.wait_for("hello") == ["hello"]


def test_a_forged_owner_claim_is_ignored(
    owner_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """bob, not enrolled in owner alice, publishes in his own namespace a private document that
    claims owner alice (her guids), and tries to enroll himself: alice's client never takes the
    thing as her owner's, and her own thing of that lid is hers."""
    bob = Raw(owner_broker, "bob", "bob")
    alice = Client(agent_url(owner_broker, "alice", tmp_path / "a"))
    guid = thing_guid("alice", "lamp")
    pguid = point_guid(guid, FEED, "level")
    doc = json.loads(forged_doc("alice", "lamp", ["level"]))
    doc.update(agent="bob", owner="alice", public=False)
    try:
        bob.publish("iotic/_owner/alice/bob", '"member"', True)  # the ACL drops it
        bob.publish("iotic/bob/lamp/meta", json.dumps(doc), True)
        with alice:
            assert alice.describe(guid) is None
            assert alice.describe(pguid) is None
            with pytest.raises(IOTUnknown, match="agent 'alice' has no feed"):
                alice.create_thing("me").follow(("lamp", "level"))
            assert alice.create_thing("lamp").guid == guid  # not taken by the forgery
    finally:
        bob.close()


PROP = ("http://iotics.com/ns#category", "http://iotics.com/categories#Example")


def _doc(agent: str, lid: str, public: bool, properties: Any) -> bytes:
    """A thing document of *agent*'s thing *lid* with one feed and *properties* as written."""
    doc = json.loads(forged_doc(agent, lid, ["f"]))
    doc["public"] = public
    doc["properties"] = properties
    return json.dumps(doc).encode()


@pytest.mark.needs_directory
def test_forged_and_malformed_properties_never_break_search_property(
    acl_broker: Broker,
    start_directory: StartDirectory,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """bob publishes, in his namespace, a document claiming alice's thing with her property,
    documents whose properties are malformed, and a private thing of his own: search_property
    by anyone finds alice's thing (and bob's own public one, as bob's) and nothing else, in
    every scope."""
    start_directory(f"mqtt://directory:{USERS['directory']}@127.0.0.1:{acl_broker.port}")
    bob = Raw(acl_broker, "bob", "bob")
    junk: list[Any] = [
        "not a list",
        [["http://x"]],
        [["no iri", 1]],
        [[1, 2]],
        [["http://x", {"a": 1}]],
        [["http://x", ["lexical"]]],
        [["http://x", ["lexical", "has space"]]],
        [["http://x", 2**70]],
        [["http://x", "y" * 5000]],
        [["http://x", 1]] * 201,
    ]
    try:
        with Client(agent_url(acl_broker, "alice", tmp_path / "a")) as alice:
            oven = alice.create_thing("oven")
            oven.create_feed("f")
            oven.create_property(PROP)
            oven.set_public()
            with (
                caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"),
                Client(agent_url(acl_broker, "carol", tmp_path / "c")) as carol,
            ):
                bob.publish("iotic/bob/oven/meta", _doc("alice", "oven", True, [list(PROP)]), True)
                for n, props in enumerate(junk):
                    bob.publish(
                        f"iotic/bob/junk{n}/meta", _doc("bob", f"junk{n}", True, props), True
                    )
                bob.publish("iotic/bob/hob/meta", _doc("bob", "hob", True, [list(PROP)]), True)
                bob.publish("iotic/bob/mine/meta", _doc("bob", "mine", False, [list(PROP)]), True)
                hob = thing_guid("bob", "hob")
                found = carol.search_property(PROP)
                assert sorted(found) == sorted([oven.guid, hob])
                assert found[oven.guid]["owner"] == "alice" and found[hob]["owner"] == "bob"
                assert carol.search_property(PROP, scope="local") == found
                assert carol.search_property(PROP, scope="localOwn") == {}
                assert alice.search_property(PROP, scope="localOwn", type_="minimal") == [oven.guid]
                assert sorted(alice.search_property(PROP, scope="local", type_="minimal")) == (
                    sorted([oven.guid, hob])
                )
                assert list(carol.search(text="junk0")) == []
        with Client(agent_url(acl_broker, "alice", tmp_path / "a")) as again:  # not adopted
            assert again.get_thing("oven").list_property() == {PROP[0]: [PROP[1]]}
    finally:
        bob.close()
    assert caplog.text.count("ignored the thing document on 'iotic/bob/junk") >= len(junk)
    assert "iotic/bob/oven/meta" in caplog.text


# --- kept subscriptions under the ACL ---------------------------------------------------------


def test_followers_are_listed_under_the_acl_and_forged_records_are_not_counted(
    acl_broker: Broker, tmp_path: Path
) -> None:
    """alice follows bob's feed: bob lists her (the records the ACL template allows). carol
    can neither read bob's records nor write one in alice's name; the records she may write
    (in her own name) count only for a thing she has and a point she can see."""
    bob = Client(agent_url(acl_broker, "bob", tmp_path / "b"))
    alice = Client(agent_url(acl_broker, "alice", tmp_path / "a"))
    carol = Raw(acl_broker, "carol", "carol-raw")
    try:
        bob.start()
        alice.start()
        station = bob.create_thing("station")
        station.set_public()
        feed = station.create_feed("temp")
        hidden = bob.create_thing("hidden").create_feed("secret")  # private
        watcher = alice.create_thing("watcher")
        wait_until(lambda: alice.describe(feed.guid) is not None)
        remote = watcher.follow(feed.guid)
        wait_until(lambda: feed.list_followers() == {remote.subid: watcher.guid})

        carol.subscribe("iotic/_followers/bob/#", "iotic/alice/+/subs")
        carol.publish(
            f"iotic/_followers/bob/alice/ghost/{feed.guid}", b'{"v":1,"kind":"Feed"}', True
        )
        carol.publish(
            f"iotic/_followers/bob/carol/ghost/{feed.guid}", b'{"v":1,"kind":"Feed"}', True
        )
        carol.publish("iotic/carol/spy/meta", forged_doc("carol", "spy", []), True)
        carol.publish(
            f"iotic/_followers/bob/carol/spy/{hidden.guid}", b'{"v":1,"kind":"Feed"}', True
        )
        carol.publish(f"iotic/_followers/bob/carol/spy/{feed.guid}", b"not json", True)
        bob.describe(feed.guid)  # a sync: bob has seen all of it
        assert feed.list_followers() == {remote.subid: watcher.guid}
        assert hidden.list_followers() == {}
        assert carol.messages == []  # nothing of bob's followers nor of alice's records
        alice.close()
        assert feed.list_followers() == {remote.subid: watcher.guid}  # away, still follows
    finally:
        carol.close()
        alice.close()
        bob.close()


def test_a_forged_subs_record_is_skipped_and_the_rest_restores(
    stock_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A malformed ``subs`` record (a bad guid, a topic with wildcards, a foreign id) restores
    nothing and is logged; the agent's other things restore theirs."""
    url = f"{stock_broker.url}?agent=alice&outbox={tmp_path / 'o'}"
    sharer = Client(f"{stock_broker.url}?agent=bob&outbox={tmp_path / 'b'}")
    sharer.start()
    try:
        feed = sharer.create_thing("station").create_feed("temp")
        sharer.get_thing("station").set_public()
        with Client(url) as first:
            wait_until(lambda: first.describe(feed.guid) is not None)
            good = first.create_thing("good").follow(feed.guid)
            first.create_thing("bad")
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
        publisher.connect("127.0.0.1", stock_broker.port)
        publisher.loop_start()
        bogus = {
            "v": 1,
            "subs": {
                "0" * 32: {"kind": "Feed", "guid": feed.guid, "topic": "iotic/#", "group": None}
            },
        }
        publisher.publish(
            "iotic/alice/bad/subs", json.dumps(bogus), qos=1, retain=True
        ).wait_for_publish(PATIENCE)
        publisher.disconnect()
        publisher.loop_stop()
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"), Client(url) as again:
            assert again.get_thing("bad").list_connections() == {}
            assert again.get_thing("good").list_connections() == {
                good.subid: {"type": "Feed", "guid": feed.guid}
            }
        assert "iotic/alice/bad/subs" in caplog.text
    finally:
        sharer.close()


def test_under_the_acl_no_agent_can_stop_the_space_through_the_wire_topic(
    acl_broker: Broker, tmp_path: Path
) -> None:
    """Agents may read ``iotic/_wire`` but not write it: bob cannot retain another version (or
    junk) there to make every other agent's start() fail, and agents start without it."""
    import paho.mqtt.client as mqtt

    bob = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
    bob.username_pw_set("bob", USERS["bob"])
    bob.connect("127.0.0.1", acl_broker.port)
    bob.loop_start()
    try:
        for junk in (b"x", b'{"v": 3}'):  # the last would stop every start, if kept
            info = bob.publish("iotic/_wire", junk, qos=1, retain=True)
            info.wait_for_publish(5)
        with Client(agent_url(acl_broker, "alice", tmp_path)) as alice:  # starts: no version
            assert alice.create_thing("lamp").guid
    finally:
        bob.disconnect()
        bob.loop_stop()
