"""The directory against a real Mosquitto: search through it, its process, hostile requests."""

from __future__ import annotations

import json
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from _dirdocs import meta_doc, meta_topic
from broker import Broker
from conftest_directory import StartDirectory, directory_url
from conftest_mqtt import external_broker, need_own_broker, run_level

from iotic_app import Client
from iotic_app.directory import Index, directory_app, directory_service
from iotic_app.exceptions import DirectoryUnavailable, IOTSyncTimeout
from iotic_app.transports._protocol import Query, thing_guid
from iotic_app.transports._search import search
from iotic_app.transports.mqtt._dirwire import MAX_REQUEST_BYTES, query_to_json, request_body
from iotic_app.transports.mqtt._docsearch import candidate
from iotic_app.transports.mqtt._thingdoc import parse_thing_doc

pytestmark = [
    pytest.mark.timeout(90),
    # its directories and agents keep fixed names on root iotic: on a shared broker the
    # sessions earlier tests left (a directory's is persistent) bring their documents back
    pytest.mark.skipif(
        external_broker() is not None,
        reason="fixed names on root iotic: earlier tests' sessions on a shared broker reach them",
    ),
]

PATIENCE = 15.0
ACL = (Path(__file__).resolve().parents[2] / "docs" / "mosquitto-acl.conf").read_text()


def wait_until(check: Callable[[], bool], what: str = "condition") -> None:
    """Wait (bounded, on an Event nobody sets) until *check()* holds."""
    pause = threading.Event()
    for _ in range(int(PATIENCE / 0.02)):
        if check():
            return
        pause.wait(0.02)
    assert check(), f"{what} not met in time"


class Raw:
    """A plain paho client: publishes documents, sends requests, records what it receives."""

    def __init__(
        self,
        port: int,
        client_id: str,
        user: tuple[str, str] | None = None,
        protocol: int = run_level(),
    ) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self.acks: dict[int, Any] = {}
        self.cond = threading.Condition()
        self.paho = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol
        )
        if user is not None:
            self.paho.username_pw_set(*user)
        self.paho.on_message = lambda c, u, m: self._got(m.topic, bytes(m.payload), m.retain)
        self.paho.on_subscribe = lambda c, u, mid, rcs, p: self._ack(mid, rcs)
        self.paho.connect("127.0.0.1", port)
        self.paho.loop_start()

    def _got(self, topic: str, payload: bytes, retain: bool) -> None:
        with self.cond:
            self.messages.append((topic, payload, retain))
            self.cond.notify_all()

    def _ack(self, mid: int, rcs: Any) -> None:
        with self.cond:
            self.acks[mid] = rcs
            self.cond.notify_all()

    def subscribe(self, *topics: str) -> list[int]:
        rc, mid = self.paho.subscribe([(topic, 1) for topic in topics])
        assert rc == mqtt.MQTT_ERR_SUCCESS
        with self.cond:
            assert self.cond.wait_for(lambda: mid in self.acks, PATIENCE)
            return [r.value for r in self.acks[mid]]

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        """Publish and wait for the PUBACK; a retained thing document goes after its agent's
        status, as an agent publishes them (the directory learns agents from their status)."""
        if retain and topic.endswith("/meta"):
            status = topic.rsplit("/", 2)[0] + "/_status"
            self.paho.publish(status, b"online", qos=1, retain=True).wait_for_publish(PATIENCE)
        self.paho.publish(topic, payload, qos=1, retain=retain).wait_for_publish(PATIENCE)

    def got(self, topic: str) -> list[bytes]:
        with self.cond:
            return [p for t, p, _ in self.messages if t == topic]

    def wait_for(self, check: Callable[[], bool]) -> None:
        with self.cond:
            if not self.cond.wait_for(check, PATIENCE):
                pytest.fail(f"expected messages not received: {self.messages!r:.2000}")

    def ask(
        self,
        agent: str,
        query: Query,
        client: str | None = None,
        root: str = "iotic",
        owner: str | None = None,
    ) -> Any:
        """Send a search request as *agent* (saying *owner*) and wait for its reply on
        *client*'s topic."""
        rid = uuid.uuid4().hex
        body = {"v": 2, "rid": rid, "client": client or agent, "query": query_to_json(query)}
        if owner is not None:
            body["owner"] = owner
        reply = f"{root}/_directory/{client or agent}/reply"
        self.publish(f"{root}/_directory/{agent}/search", json.dumps(body))
        self.wait_for(lambda: any(json.loads(p)["rid"] == rid for p in self.got(reply)))
        return next(json.loads(p) for p in self.got(reply) if json.loads(p)["rid"] == rid)

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


@pytest.fixture
def raw_factory() -> Iterator[Callable[..., Raw]]:
    made: list[Raw] = []

    def make(*args: Any, **kwargs: Any) -> Raw:
        raw = Raw(*args, **kwargs)
        made.append(raw)
        return raw

    yield make
    for raw in made:
        raw.close()


def _agent_url(broker: Broker, agent: str, tmp: Path) -> str:
    return f"{broker.url}?agent={agent}&outbox={tmp / agent}"


def _make_things(client: Client) -> dict[str, str]:
    """Things of *client*: public and private, labelled, located; returns lid -> guid."""
    made = {}
    for n, (label, public, where) in enumerate(
        [
            ("River pump north", True, (51.5, -0.1)),
            ("River gauge", True, (51.6, -0.2)),
            ("Secret river tank", False, (51.5, -0.1)),
            ("Wind turbine", True, None),
        ]
    ):
        thing = client.create_thing(f"t{n}")
        with thing.get_meta() as meta:
            meta.set_label(label)
            if where is not None:
                meta.set_location(*where)
        thing.create_feed("level")
        if public:
            thing.set_public()
        made[f"t{n}"] = thing.guid
    return made


def test_search_through_the_directory_equals_search_over_the_same_things_on_a_stock_broker(
    stock_broker: Broker,
    start_directory: StartDirectory,
    raw_factory: Callable[..., Raw],
    tmp_path: Path,
) -> None:
    """Agents' searches through the directory give what the in-process search() gives over
    the documents the broker retains (read back with plain paho)."""
    queries = [
        Query(text="river"),
        Query(text="RIVER pump"),
        Query(text="ri"),
        Query(location=(51.5, -0.1, 20)),
        Query(text="river", scope="local"),
        Query(text="river", scope="localOwn"),
        Query(text="river", limit=1, offset=1),
        Query(text="turbine", with_pointless=False),
        Query(text="river", type_="located"),
        Query(text="river", type_="reduced", lang="en"),
    ]
    start_directory(stock_broker.url)
    with (
        Client(_agent_url(stock_broker, "alice", tmp_path)) as alice,
        Client(_agent_url(stock_broker, "bob", tmp_path)) as bob,
    ):
        made = _make_things(alice)
        reader = raw_factory(stock_broker.port, "reader")
        reader.subscribe("iotic/alice/+/meta")
        reader.wait_for(lambda: len({t for t, _, r in reader.messages if r}) == len(made))
        docs = [
            parse_thing_doc("iotic", topic, raw)
            for topic, raw, retained in reader.messages
            if retained
        ]
        for who, client in (("alice", alice), ("bob", bob)):
            transport = client._transport  # type: ignore[attr-defined]
            for query in queries:
                expected = search(who, [candidate(d) for d in docs], query)
                assert transport.search(query) == expected, (who, query)
        assert made["t2"] in alice.search(text="river", scope="local")  # hers, private
        assert made["t2"] not in bob.search(text="river", scope="local")  # never bob's
        assert list(bob.search(text="river")) == [made["t0"], made["t1"]]
        assert bob.search_located(text="river")[made["t0"]]["g"] == (51.5, -0.1)


def test_search_with_no_directory_is_a_clear_error(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    url = f"mqtt://bob:s3cret-pw@127.0.0.1:{own_broker.port}?agent=bob&outbox={tmp_path}"
    # the tuned broker allows anonymous users: the password is sent and ignored
    with Client(url) as bob:
        directory = bob._transport._directory  # type: ignore[attr-defined]
        with pytest.raises(DirectoryUnavailable) as caught:
            directory.search(Query(text="x"))
        message = str(caught.value)
        assert "none is running" in message
        assert f"iotic-app directory --config mqtt://127.0.0.1:{own_broker.port}" in message
        assert "s3cret" not in message
        assert isinstance(caught.value, LookupError)
        with pytest.raises(DirectoryUnavailable, match="iotic-app directory --config mqtt://"):
            bob.search(text="x")  # the public call says the same
        service = start_directory(own_broker.url)
        wait_until(directory.online)
        assert directory.search(Query(text="x")) == {}
        service.stop()  # cleared at shutdown: the agent knows at once
        wait_until(lambda: not directory.online())
        with pytest.raises(DirectoryUnavailable):
            directory.search(Query(text="x"))


def test_the_directory_as_a_subprocess_answers_and_stops_on_sigterm(
    stock_broker: Broker, tmp_path: Path, raw_factory: Callable[..., Raw]
) -> None:
    raw = raw_factory(stock_broker.port, "bob")
    raw.subscribe("iotic/_directory/+/online", "iotic/_directory/bob/reply")
    raw.publish(
        meta_topic("iotic", "alice", "pump"),
        meta_doc("alice", "pump", labels={"en": "River pump"}),
        retain=True,
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "iotic_app",
            "directory",
            "--config",
            f"{stock_broker.url}?agent=dir1",
            "--db",
            str(tmp_path / "dir.db"),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        online = "iotic/_directory/dir1/online"
        raw.wait_for(lambda: any(p for p in raw.got(online)))
        reply = raw.ask("bob", Query(text="pump", type_="minimal"))
        assert reply == {"v": 2, "rid": reply["rid"], "result": [thing_guid("alice", "pump")]}
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
        raw.wait_for(lambda: raw.got(online)[-1] == b"")  # cleared at shutdown
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        output = process.communicate(timeout=PATIENCE)[0].decode()
    assert "resynced (1 things" in output, output


def test_two_directories_answer_each_request_once(
    own_broker: Broker, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    raw = raw_factory(own_broker.port, "bob")
    raw.subscribe("iotic/_directory/bob/reply")
    raw.publish(meta_topic("iotic", "alice", "pump"), meta_doc("alice", "pump"), retain=True)
    first = start_directory(own_broker.url, name="d1")
    second = start_directory(own_broker.url, name="d2")
    rids = []
    for _ in range(20):
        rids.append(raw.ask("bob", Query(unit=None, text="x"))["rid"])
    pause = threading.Event()
    pause.wait(0.5)  # a second answer would have come by now (nothing to wait on for none)
    replies = [json.loads(p)["rid"] for p in raw.got("iotic/_directory/bob/reply")]
    assert sorted(replies) == sorted(rids)
    assert first.answered + second.answered == 20
    assert first.answered > 0 and second.answered > 0  # the shared subscription spreads them


def test_a_restarted_directory_keeps_its_db_and_drops_what_was_deleted(
    own_broker: Broker,
    start_directory: StartDirectory,
    raw_factory: Callable[..., Raw],
    tmp_path: Path,
) -> None:
    raw = raw_factory(own_broker.port, "bob")
    raw.subscribe("iotic/_directory/bob/reply")
    for lid in ("a", "b", "c"):
        raw.publish(
            meta_topic("iotic", "alice", lid), meta_doc("alice", lid, tags=["pump"]), retain=True
        )
    db = str(tmp_path / "dir.db")
    service = start_directory(own_broker.url, db=db)
    query = Query(text="pump", type_="minimal")
    assert len(raw.ask("bob", query)["result"]) == 3
    service.stop()
    raw.publish(meta_topic("iotic", "alice", "b"), b"", retain=True)  # deleted meanwhile
    index = Index(db, "iotic")
    assert index.count() == 3  # the db persisted
    index.close()
    service.start()
    assert service.wait_synced(PATIENCE)
    wanted = [thing_guid("alice", lid) for lid in ("a", "c")]
    assert raw.ask("bob", query)["result"] == wanted
    assert service.index.count() == 2


def test_hostile_requests_are_refused(
    own_broker: Broker,
    start_directory: StartDirectory,
    raw_factory: Callable[..., Raw],
    caplog: pytest.LogCaptureFixture,
) -> None:
    mallory = raw_factory(own_broker.port, "mallory")
    mallory.subscribe("iotic/_directory/+/reply")
    doc = meta_doc("alice", "pump", tags=["pump"])
    mallory.publish(meta_topic("iotic", "alice", "pump"), doc, retain=True)
    start_directory(own_broker.url)
    ask = "iotic/_directory/mallory/search"
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        mallory.publish(ask, b"{not json")
        mallory.publish(ask, b"[" * 50_000 + b"]" * 50_000)
        huge = {
            "v": 2,
            "rid": "r1",
            "client": "mallory",
            "query": {"text": "x" * MAX_REQUEST_BYTES},
        }
        mallory.publish(ask, json.dumps(huge))
        # the answer to mallory's question would go to alice's client: refused, never sent
        to_alice = {"v": 2, "rid": "r2", "client": "alice", "query": {"text": "pump"}}
        mallory.publish(ask, json.dumps(to_alice))
        mallory.publish("iotic/_directory/%2Bx/search", json.dumps(to_alice))
        # bad queries are answered with an error that says what is wrong
        bad = {"v": 2, "rid": "r3", "client": "mallory~2", "query": {"limit": "all"}}
        mallory.publish(ask, json.dumps(bad))
        mallory.wait_for(lambda: bool(mallory.got("iotic/_directory/mallory~2/reply")))
        old = {"v": 1, "rid": "r4", "client": "mallory", "query": {}}
        mallory.publish(ask, json.dumps(old))
        mallory.wait_for(lambda: bool(mallory.got("iotic/_directory/mallory/reply")))
        # and a good request still works
        reply = mallory.ask("mallory", Query(text="pump", type_="minimal"), client="mallory~3")
    assert reply["result"] == [thing_guid("alice", "pump")]
    error = json.loads(mallory.got("iotic/_directory/mallory~2/reply")[0])
    assert error["rid"] == "r3" and "query limit must be an int, got 'all'" in error["error"]
    old_error = json.loads(mallory.got("iotic/_directory/mallory/reply")[0])
    assert old_error["rid"] == "r4" and "version 2" in old_error["error"]
    assert mallory.got("iotic/_directory/alice/reply") == []
    assert "ignored a search request from agent 'mallory'" in caplog.text
    assert f"more than {MAX_REQUEST_BYTES}" in caplog.text
    assert "which is not one of its own" in caplog.text
    assert "not an agent's topic" in caplog.text


def test_a_document_claiming_another_agent_and_private_things_stay_hidden(
    own_broker: Broker,
    start_directory: StartDirectory,
    raw_factory: Callable[..., Raw],
    caplog: pytest.LogCaptureFixture,
) -> None:
    raw = raw_factory(own_broker.port, "bob")
    raw.subscribe("iotic/_directory/+/reply")
    # mallory writes, under her own name, a document claiming alice's thing
    raw.publish(meta_topic("iotic", "mallory", "pump"), meta_doc("alice", "pump"), retain=True)
    # mallory claims owner plant without its membership: kept aside, never found
    raw.publish(
        meta_topic("iotic", "mallory", "tank"),
        meta_doc("mallory", "tank", owner="plant", tags=["pump"]),
        retain=True,
    )
    raw.publish(
        meta_topic("iotic", "alice", "secret"),
        meta_doc("alice", "secret", public=False, tags=["pump"]),
        retain=True,
    )
    raw.publish(meta_topic("iotic", "alice", "open"), meta_doc("alice", "open", tags=["pump"]))
    with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
        service = start_directory(own_broker.url)
    assert "claims agent 'alice' but was published under agent 'mallory'" in caplog.text
    assert service.index.count() == 1  # alice's secret; "open" was not retained
    for scope in ("public", "local", "localOwn"):
        query = Query(text="pump", type_="minimal", scope=scope)
        assert raw.ask("bob", query)["result"] == []
        assert raw.ask("plant", query)["result"] == []
    mine = raw.ask("alice", Query(text="pump", type_="minimal", scope="local"))["result"]
    assert mine == [thing_guid("alice", "secret")]


def test_the_acl_template_lets_the_directory_work_and_agents_not_forge(
    tmp_path: Path, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    binary = need_own_broker()
    users = {"directory": "dir-pw", "alice": "alice-pw", "bob": "bob-pw"}
    broker = Broker(tmp_path / "acl", passwords=users, acl=ACL, binary=binary)
    broker.start()
    try:
        alice = raw_factory(broker.port, "alice", ("alice", users["alice"]))
        doc = meta_doc("alice", "pump", tags=["pump"])
        alice.publish(meta_topic("iotic", "alice", "pump"), doc, retain=True)
        start_directory(f"mqtt://directory:dir-pw@127.0.0.1:{broker.port}")
        bob = raw_factory(broker.port, "bob", ("bob", users["bob"]))
        assert bob.subscribe("iotic/_directory/bob/reply", "iotic/_directory/+/online") == [1, 1]
        bob.wait_for(lambda: bool(bob.got("iotic/_directory/directory/online")))
        reply = bob.ask("bob", Query(type_="minimal", text="pump"))
        assert reply["result"] == [thing_guid("alice", "pump")]
        # bob may not read alice's replies, ask as alice, nor answer for the directory
        bob.subscribe("iotic/_directory/alice/reply")  # granted, but nothing is delivered
        alice.subscribe("iotic/_directory/alice/reply")
        forged = {"v": 2, "rid": "f", "result": ["forged"]}
        bob.publish("iotic/_directory/alice/reply", json.dumps(forged))
        as_alice = {"v": 2, "rid": "q", "client": "alice", "query": {"text": "pump"}}
        bob.publish("iotic/_directory/alice/search", json.dumps(as_alice))
        check = alice.ask("alice", Query(type_="minimal", text="pump"))
        assert check["result"] == [thing_guid("alice", "pump")]
        rids = [json.loads(p)["rid"] for p in alice.got("iotic/_directory/alice/reply")]
        assert rids == [check["rid"]]  # neither the forged reply nor an answer to bob's ask
        assert bob.got("iotic/_directory/alice/reply") == []
    finally:
        broker.close()


def test_a_directory_on_mqtt_3_1_1_answers(
    own_broker: Broker, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    raw = raw_factory(own_broker.port, "bob", protocol=mqtt.MQTTv311)
    raw.subscribe("iotic/_directory/bob/reply")
    doc = meta_doc("alice", "pump", tags=["pump"])
    raw.publish(meta_topic("iotic", "alice", "pump"), doc, retain=True)
    start_directory(f"{own_broker.url}?protocol=3.1.1")
    reply = raw.ask("bob", Query(text="pump", type_="minimal"))
    assert reply["result"] == [thing_guid("alice", "pump")]


def test_a_killed_directory_is_cleared_by_its_will(
    stock_broker: Broker, tmp_path: Path, raw_factory: Callable[..., Raw]
) -> None:
    raw = raw_factory(stock_broker.port, "bob")
    raw.subscribe("iotic/_directory/+/online")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "iotic_app", "directory", "--config", stock_broker.url]
    process = subprocess.Popen(
        [*command, "--db", str(tmp_path / "dir.db")], env=env, stderr=subprocess.DEVNULL
    )
    try:
        online = "iotic/_directory/directory/online"
        raw.wait_for(lambda: any(p for p in raw.got(online)))
        process.kill()
        raw.wait_for(lambda: raw.got(online)[-1] == b"")
    finally:
        process.kill()
        process.wait()


def test_a_stock_broker_brings_every_thing_in_batches(
    stock_broker: Broker, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    """A stock Mosquitto sends one subscription's retained messages at once and drops what its
    queue of 1,000 cannot hold (about 10,000 of ROOT/+/+/meta arrived): the directory
    subscribes agent by agent, a batch at a time, and gets all 14,000."""
    raw = raw_factory(stock_broker.port, "filler")
    last = None
    for agent in range(7):
        raw.publish(f"iotic/a{agent}/_status", b"online", retain=True)
        for lid in range(2000):
            doc = meta_doc(f"a{agent}", f"t{lid}", tags=["pump"])
            last = raw.paho.publish(meta_topic("iotic", f"a{agent}", f"t{lid}"), doc, 1, True)
    assert last is not None
    last.wait_for_publish(PATIENCE)
    service = start_directory(stock_broker.url)
    assert service.index.count() == 14_000
    assert service.index.docs_per_agent() == {f"a{agent}": 2000 for agent in range(7)}
    # an agent that comes later is subscribed too
    raw.publish(meta_topic("iotic", "late", "t"), meta_doc("late", "t", tags=["pump"]), True)
    wait_until(lambda: service.index.count() == 14_001, "the late agent's thing indexed")


def test_the_directory_command_refuses_a_config_that_is_no_mqtt_broker(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from iotic_app.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["directory", "--config", "local://space"])
    assert caught.value.code == 2
    assert "a directory serves an MQTT broker" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["directory"])  # --config is required
    assert "--config" in capsys.readouterr().err


def test_a_second_directory_of_the_same_name_takes_over_and_the_first_stops(
    own_broker: Broker, raw_factory: Callable[..., Raw], tmp_path: Path
) -> None:
    from iotic_app.directory import directory_app, directory_service
    from iotic_app.exceptions import SessionTakenOver

    first = directory_service(f"{own_broker.url}?agent=same", str(tmp_path / "1.db"))
    first_app = directory_app(first)
    first_app.run(background=True)
    second = directory_service(f"{own_broker.url}?agent=same", str(tmp_path / "2.db"))
    second_app = directory_app(second)
    try:
        assert first.wait_synced(PATIENCE)
        second_app.run(background=True)
        assert second.wait_synced(PATIENCE)
        assert first_app.wait_for_shutdown(PATIENCE)  # the first ends, not retried
        assert first_app.stop(PATIENCE)
        assert isinstance(first_app.exception, SessionTakenOver)
        assert "give each directory its own name" in str(first_app.exception).lower()
        # the first's last reconnect pushed the second off once: it comes back and serves
        wait_until(lambda: second.synced.is_set() and not second.lost.is_set(), "back")
        raw = raw_factory(own_broker.port, "bob")
        raw.subscribe("iotic/_directory/bob/reply", "iotic/_directory/same/online")
        raw.wait_for(lambda: bool(raw.got("iotic/_directory/same/online")))
        assert raw.got("iotic/_directory/same/online")[-1] != b""
        assert raw.ask("bob", Query(text="x"))["result"] == {}
    finally:
        first_app.stop(PATIENCE)
        second_app.stop(PATIENCE)
        first.close()
        second.close()


_COMMAND = [sys.executable, "-m", "iotic_app", "directory"]


def _directory_process(broker: Broker, name: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "iotic_app", "directory", "--config"]
    return subprocess.Popen(
        [*command, f"{broker.url}?agent={name}", "--db", str(tmp_path / f"{name}.db")],
        env=env,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("end", ["stop", "kill"])
def test_a_directory_gone_leaves_every_request_to_the_other(
    own_broker: Broker,
    start_directory: StartDirectory,
    raw_factory: Callable[..., Raw],
    tmp_path: Path,
    end: str,
) -> None:
    """MQTT 5: each request goes to one member of the shared subscription. A directory that
    stopped (or was killed) must leave no member behind (a persistent session kept it, and the
    broker queued every other request there): the other directory answers them all."""
    raw = raw_factory(own_broker.port, "bob")
    raw.subscribe("iotic/_directory/bob/reply", "iotic/_directory/+/online")
    doc = meta_doc("alice", "pump", tags=["pump"])
    raw.publish(meta_topic("iotic", "alice", "pump"), doc, retain=True)
    other = start_directory(own_broker.url, name="d2")
    online = "iotic/_directory/d1/online"
    if end == "kill":
        process = _directory_process(own_broker, "d1", tmp_path)
        try:
            raw.wait_for(lambda: any(raw.got(online)))
            process.kill()
        finally:
            process.kill()
            process.wait()
    else:
        service = directory_service(directory_url(own_broker.url, "d1"), ":memory:")
        app = directory_app(service)
        app.run(background=True)
        try:
            assert service.wait_synced(20)
        finally:
            app.stop(10)
            service.close()
    raw.wait_for(lambda: raw.got(online)[-1] == b"")  # the will, or cleared at shutdown
    for _ in range(10):
        reply = raw.ask("bob", Query(text="pump", type_="minimal"))
        assert reply["result"] == [thing_guid("alice", "pump")]
    wait_until(lambda: other.answered == 10, "d2 counted its 10 answers")  # counted after sending


def test_the_directory_takes_requests_on_a_connection_without_a_session(
    own_broker: Broker, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    """Requests and replies go on NAME~requests; the metadata connection (NAME) holds no
    request subscription, and the presence stays NAME's."""
    raw = raw_factory(own_broker.port, "bob")
    raw.subscribe("iotic/_directory/bob/reply")
    service = start_directory(own_broker.url, name="d1")
    assert service._req is not None and service._paho is not None
    assert service._req._client_id == b"d1~requests"
    assert service._paho._client_id == b"d1"
    assert raw.ask("bob", Query(text="pump"))["result"] == {}
    assert service.answered == 1


def test_the_askers_owner_is_the_one_it_says_when_its_membership_is_retained(
    own_broker: Broker, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    """a1 once belonged to alpha (that membership stays retained), now to zeta: its search as
    zeta's agent finds zeta's private things, not alpha's; an owner whose membership is not
    retained, or none said, is a1 itself."""
    raw = raw_factory(own_broker.port, "a1")
    raw.subscribe("iotic/_directory/a1/reply")
    for owner, agent in (("alpha", "b1"), ("zeta", "z2"), ("alpha", "a1"), ("zeta", "a1")):
        raw.publish(f"iotic/_owner/{owner}/{agent}", b"1", retain=True)
    for owner, agent in (("alpha", "b1"), ("zeta", "z2")):
        raw.publish(
            meta_topic("iotic", agent, "secret"),
            meta_doc(agent, "secret", owner=owner, public=False, tags=["pump"]),
            retain=True,
        )
    start_directory(own_broker.url)
    query = Query(text="pump", type_="minimal", scope="local")
    assert raw.ask("a1", query, owner="zeta")["result"] == [thing_guid("zeta", "secret")]
    assert raw.ask("a1", query, owner="alpha")["result"] == [thing_guid("alpha", "secret")]
    assert raw.ask("a1", query, owner="omega")["result"] == []
    assert raw.ask("a1", query)["result"] == []
    bad = raw.ask("a1", query, owner="no/such")
    assert "owner must be an agent name" in bad["error"]


def test_a_client_sends_its_configured_owner(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    start_directory(own_broker.url)
    with Client(f"{_agent_url(own_broker, 'a1', tmp_path)}&owner=alpha"):
        pass  # an earlier run as alpha's agent: its membership stays retained
    with (
        Client(f"{_agent_url(own_broker, 'b1', tmp_path)}&owner=alpha") as b1,
        Client(f"{_agent_url(own_broker, 'z2', tmp_path)}&owner=zeta") as z2,
        Client(f"{_agent_url(own_broker, 'a1', tmp_path)}&owner=zeta") as a1,
    ):
        for client, label in ((b1, "pump of alpha"), (z2, "pump of zeta")):
            with client.create_thing("secret").get_meta() as meta:
                meta.set_label(label)
        wait_until(lambda: bool(a1.search(text="pump", scope="localOwn")), "zeta's pump")
        found = a1.search(text="pump", scope="local")
    assert [v["label"] for v in found.values()] == ["pump of zeta"]


def test_an_agent_named_meta_is_answered_once_and_its_replies_stay_its_own(
    tmp_path: Path, start_directory: StartDirectory, raw_factory: Callable[..., Raw]
) -> None:
    """ROOT/_directory/AGENT/search: an agent named 'meta' makes no directory topic match a
    catalogue filter such as ROOT/+/+/meta, which everyone may read (with the old layout
    ROOT/_directory/search/meta, a spy read meta's requests and the directory answered twice)."""
    users = {"directory": "dir-pw", "meta": "meta-pw", "spy": "spy-pw"}
    broker = Broker(tmp_path / "acl", passwords=users, acl=ACL, binary=need_own_broker())
    broker.start()
    try:
        start_directory(f"mqtt://directory:dir-pw@127.0.0.1:{broker.port}")
        spy = raw_factory(broker.port, "spy", ("spy", users["spy"]))
        assert spy.subscribe("iotic/+/+/meta", "iotic/+/+/+") == [1, 1]
        meta = raw_factory(broker.port, "meta", ("meta", users["meta"]))
        meta.publish(
            meta_topic("iotic", "meta", "vault"),
            meta_doc("meta", "vault", public=False, labels={"en": "vault code 4711"}),
            retain=True,
        )
        meta.subscribe("iotic/_directory/meta/reply")
        reply = meta.ask("meta", Query(text="vault", type_="minimal", scope="local"))
        assert reply["result"] == [thing_guid("meta", "vault")]
        meta.ask("meta", Query(text="x"))  # after the first's second answer, if any
        assert len(meta.got("iotic/_directory/meta/reply")) == 2
        spy.ask("spy", Query(text="x"))  # what spy could read has come by now
    finally:
        broker.close()
    assert [t for t, _, _ in spy.messages if "/_directory/meta/" in t] == []


def test_the_directory_clears_its_presence_before_it_resyncs(
    own_broker: Broker, raw_factory: Callable[..., Raw]
) -> None:
    """A presence the broker kept (it restarted with its persistence) is cleared as soon as
    the directory connects, before its resync starts, and set again only once it serves."""
    raw = raw_factory(own_broker.port, "bob")
    online = "iotic/_directory/directory/online"
    raw.publish(online, b'{"v": 2, "name": "directory"}', retain=True)
    raw.subscribe(online)
    raw.wait_for(lambda: bool(raw.got(online)))
    service = directory_service(directory_url(own_broker.url, "directory"), ":memory:")
    at_resync: list[list[bytes]] = []
    index_begin = service.index.begin_resync

    def begin() -> None:
        raw.wait_for(lambda: len(raw.got(online)) >= 2)  # the clearing came first
        at_resync.append(raw.got(online))
        index_begin()

    service.index.begin_resync = begin  # type: ignore[method-assign]
    app = directory_app(service)
    app.run(background=True)
    try:
        assert service.wait_synced(20)
        raw.wait_for(lambda: len(raw.got(online)) >= 3)
    finally:
        app.stop(10)
        service.close()
    assert at_resync and at_resync[0][1] == b""
    assert json.loads(raw.got(online)[2]) == {"v": 2, "name": "directory"}


def test_a_search_that_times_out_says_a_directory_online_may_be_stale(
    own_broker: Broker, raw_factory: Callable[..., Raw], tmp_path: Path
) -> None:
    raw = raw_factory(own_broker.port, "ghost")
    raw.publish("iotic/_directory/ghost/online", b'{"v": 2, "name": "ghost"}', retain=True)
    with Client(_agent_url(own_broker, "bob", tmp_path)) as bob, pytest.raises(IOTSyncTimeout) as c:
        bob.search(text="pump")
    caught = c
    message = str(caught.value)
    assert "may be stale" in message
    assert "`mosquitto_pub -r -n -t iotic/_directory/ghost/online`" in message


def test_an_infinite_radius_is_sent_as_half_the_earth_and_finds_the_same(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    start_directory(own_broker.url)
    assert query_to_json(Query(location=(0.0, 0.0, math.inf)))["location"] == [0, 0, 20_100]
    assert query_to_json(Query(location=(0.0, 0.0, 1e9)))["location"] == [0, 0, 20_100]
    assert query_to_json(Query(location=(0.0, 0.0, 5.5)))["location"] == [0, 0, 5.5]
    with Client(_agent_url(own_broker, "bob", tmp_path)) as bob:
        thing = bob.create_thing("far")
        with thing.get_meta() as meta:
            meta.set_label("pump")
            meta.set_location(-51.5, 179.9)
        thing.set_public()
        found = bob.search(text="pump", location=(51.5, -0.1, math.inf))
    assert list(found) == [thing.guid]


def test_a_search_right_after_a_change_finds_the_change(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    """The directory reads requests and documents on two connections, which the broker does
    not order: a search sent right after a change was acknowledged must still see it (the
    directory answers once a marker on its documents' connection came back)."""
    start_directory(own_broker.url)
    with Client(_agent_url(own_broker, "bob", tmp_path)) as bob:
        thing = bob.create_thing("pump")
        thing.set_public()
        for n in range(30):
            with thing.get_meta() as meta:
                meta.set_label(f"label{n}x")
            assert list(bob.search(text=f"label{n}x")) == [thing.guid], n


def test_a_search_too_large_for_a_directory_is_refused_at_the_call(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    start_directory(own_broker.url)
    with (
        Client(_agent_url(own_broker, "bob", tmp_path)) as bob,
        pytest.raises(
            ValueError,
            match=r"search too large: [\d,]+ bytes, a directory "
            r"takes at most 65,536 \(its largest argument is props",
        ),
    ):  # each object within the limits, all of them not (a text is at most 4,096 characters)
        bob.search_property([(f"http://p/{n}", "x" * 1000) for n in range(100)])
    assert MAX_REQUEST_BYTES == 65_536
    body = request_body("r", "bob", Query(text="p" * 4096, props=()))
    assert len(body) < MAX_REQUEST_BYTES


def test_the_directory_command_says_which_db_it_cannot_open(tmp_path: Path) -> None:
    (tmp_path / "notadb.db").write_text("not a database")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    for db in (tmp_path / "no" / "x.db", tmp_path, tmp_path / "notadb.db"):
        done = subprocess.run(
            [*_COMMAND, "--config", "mqtt://127.0.0.1:9", "--db", str(db)],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2, done.stderr
        assert f"argument --db: db {str(db)!r} cannot be opened" in done.stderr
        assert "Traceback" not in done.stderr


def test_an_ini_config_naming_no_agent_names_the_directory_directory(tmp_path: Path) -> None:
    ini = tmp_path / "dir.ini"
    ini.write_text("[agent]\nurl = mqtt://127.0.0.1:9\n")
    assert directory_service(str(ini), ":memory:").name == "directory"
    ini.write_text("[agent]\nurl = mqtt://127.0.0.1:9\nagent = d7\n")
    assert directory_service(str(ini), ":memory:").name == "d7"
    ini.write_text("[agent]\nurl = mqtt://127.0.0.1:9?agent=d8\n")
    assert directory_service(ini, ":memory:").name == "d8"


@pytest.mark.parametrize(
    ("options", "hint"),
    [
        ("", "mqtt://127.0.0.1:PORT`"),
        ("&root=plant", "mqtt://127.0.0.1:PORT?root=plant`"),
        ("&root=plant&protocol=3.1.1", "'mqtt://127.0.0.1:PORT?root=plant&protocol=3.1.1'`"),
    ],
)
def test_the_no_directory_hint_starts_a_directory_that_serves_the_agent(
    own_broker: Broker, tmp_path: Path, options: str, hint: str
) -> None:
    with Client(f"{_agent_url(own_broker, 'bob', tmp_path)}{options}") as bob:
        with pytest.raises(DirectoryUnavailable) as caught:
            bob.search(text="pump")
        message = str(caught.value)
        assert f"--config {hint.replace('PORT', str(own_broker.port))}" in message
        config = message.split("--config ", 1)[1].split("`", 1)[0].strip("'")
        service = directory_service(config, ":memory:")
        app = directory_app(service)
        app.run(background=True)
        try:
            assert service.wait_synced(20)
            wait_until(lambda: bob._transport._directory.online(), "the directory seen")  # type: ignore[attr-defined]
            assert bob.search(text="pump") == {}
        finally:
            app.stop(10)
            service.close()


def test_a_directory_whose_request_connection_drops_says_so_at_once(
    own_broker: Broker, start_directory: StartDirectory, tmp_path: Path
) -> None:
    """The request connection drops while the metadata one stays: the directory clears its
    presence at once, so a search in the gap raises DirectoryUnavailable (no 10 s wait for an
    answer nobody will send), and it answers again once both connections are back."""
    import socket

    service = start_directory(own_broker.url)
    with Client(_agent_url(own_broker, "bob", tmp_path)) as bob:
        bob.search(text="pump")  # answered
        directory = bob._transport._directory  # type: ignore[attr-defined]
        for _ in range(3):
            request = service._req  # type: ignore[attr-defined]
            request.socket().shutdown(socket.SHUT_RDWR)
            wait_until(lambda: not directory.online(), "the presence cleared")
            with pytest.raises(DirectoryUnavailable):
                bob.search(text="pump")
            wait_until(directory.online, "the directory back")
            wait_until(service.synced.is_set, "resynced")
            assert bob.search(text="pump") == {}
