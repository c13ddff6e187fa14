"""The MQTT transport's own promises: config, start failures, reconnection, takeover, interop."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from broker import HOST, Broker, free_port
from conftest_mqtt import NEEDS_V5, external_broker, run_level

from iotic_app import App, LinkException
from iotic_app.client import Client
from iotic_app.exceptions import SessionTakenOver
from iotic_app.transports._protocol import FEED

pytestmark = pytest.mark.fixed_root  # names iotic/... topics itself

PATIENCE = 10.0


def wait_for(check: Callable[[], Any], timeout: float = PATIENCE) -> Any:
    """Poll a condition (bounded); return its first truthy value or fail."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        pause.wait(0.01)


class Inbox:
    """A follow callback that records data and lets a test wait for n of them."""

    def __init__(self) -> None:
        self.data: list[Any] = []
        self.cond = threading.Condition()

    def __call__(self, args: dict[str, Any]) -> None:
        with self.cond:
            self.data.append(args["data"])
            self.cond.notify_all()

    def _deliver(self, sample: Any) -> None:  # a bare transport token
        self({"data": sample[0]})

    def wait(self, count: int, timeout: float = PATIENCE) -> list[Any]:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.data) >= count, timeout):
                pytest.fail(f"expected {count} values, got {self.data!r}")
            return list(self.data)


def url_for(broker_url: str, agent: str, tmp_path: Path, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return f"{broker_url}?agent={agent}&outbox={tmp_path / 'outbox'}" + (
        f"&{query}" if query else ""
    )


# --- config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ("mqtt://", ValueError, "must name a broker"),
        ("mqtt://host:notaport", ValueError, "port must be 1-65535"),
        ("mqtt://host?agent=a&colour=red", ValueError, "unknown option 'colour'"),
        ("mqtt://host?agent=a&keepalive=soon", ValueError, "keepalive"),
        ("mqtt://host?agent=a&protocol=4.2", ValueError, "must be 5 or 3.1.1, got '4.2'"),
        ("mqtts://host?agent=a&ca_file=/nonexistent/ca.pem", ValueError, "cannot read"),
        ("mqtt://host?agent=a&root=%23bad", ValueError, "option 'root'"),
        ("mqtt://host?agent=a&cert_file=/etc/hostname", ValueError, "over TLS only"),
    ],
)
def test_bad_config_is_a_clear_error_at_construction(
    config: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        Client(config)


def test_unreadable_ca_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"option 'ca_file'.*missing\.pem"):
        Client(f"mqtts://127.0.0.1?agent=a&ca_file={tmp_path / 'missing.pem'}")


def test_password_never_in_url_repr_or_errors() -> None:
    client = Client("mqtt://user:hunter2-secret@127.0.0.1:1?agent=a")
    assert "hunter2" not in repr(client) and "hunter2" not in client.config.url
    assert "hunter2" not in repr(client.config) and "hunter2" not in repr(client._transport)
    with pytest.raises(ValueError) as info:
        Client("mqtt://user:hunter2-secret@127.0.0.1:1?agent=a&bad=1")
    assert "hunter2" not in str(info.value)


def test_ini_file_with_password_file_and_protocol_311(own_broker: Broker, tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("not-checked-here\n")
    ini = tmp_path / "agent.ini"
    ini.write_text(
        "[agent]\n"
        f"url = {own_broker.url}\n"
        "agent = sensor311\n"
        "username = sensor311\n"
        f"password_file = {password}\n"
        "keepalive = 20\n"
        f"outbox = {tmp_path / 'box'}\n"
        "protocol = 3.1.1\n"
    )
    inbox = Inbox()
    with Client(str(ini)) as client:
        assert client.agent_id == "sensor311"
        assert client._transport.settings.protocol == mqtt.MQTTv311  # type: ignore[attr-defined]
        assert client._transport.settings.keepalive == 20  # type: ignore[attr-defined]
        feed = client.create_thing("t").create_feed("f")
        client.create_thing("me").follow(("t", "f"), callback=inbox)
        for n in range(3):
            feed.share({"n": n})
        assert inbox.wait(3) == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert (tmp_path / "box" / "sensor311.sqlite").exists()


# --- start, link loss, reconnection --------------------------------------------------------


def test_start_raises_link_exception_when_nothing_listens(tmp_path: Path) -> None:
    client = Client(url_for(f"mqtt://{HOST}:{free_port()}", "a", tmp_path))
    began = time.monotonic()
    with pytest.raises(LinkException, match="cannot connect"):
        client.start()
    assert time.monotonic() - began < 5
    assert not client.is_connected()


def test_start_raises_within_connect_timeout_when_broker_is_silent(tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind((HOST, 0))
        server.listen()
        port = server.getsockname()[1]
        client = Client(url_for(f"mqtt://{HOST}:{port}", "a", tmp_path, connect_timeout="1"))
        began = time.monotonic()
        with pytest.raises(LinkException, match="within 1 s"):
            client.start()
        assert time.monotonic() - began < 2


def test_retrying_app_connects_once_the_broker_is_up(own_broker: Broker, tmp_path: Path) -> None:
    own_broker.kill()
    failures: list[type[BaseException]] = []
    started = threading.Event()
    app = App(
        config=url_for(own_broker.url, "retrier", tmp_path), retry_timeout=0.05, retrying=True
    )

    @app.on_exception
    def note(exc_info: Any) -> None:
        failures.append(exc_info[0])

    @app.startup
    def up(client: Client) -> None:
        client.create_thing("t")
        started.set()

    app.run(background=True)
    try:
        wait_for(lambda: failures)
        own_broker.start()
        assert started.wait(PATIENCE)
    finally:
        app.stop(PATIENCE)
    assert set(failures) == {LinkException}


def test_link_lost_then_back_restores_follows_and_delivers_in_order(
    own_broker: Broker, tmp_path: Path
) -> None:
    inbox = Inbox()
    sharer = Client(url_for(own_broker.url, "s", tmp_path))
    follower = Client(url_for(own_broker.url, "f", tmp_path))
    with sharer, follower:
        thing = sharer.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        control = thing.create_control("c", callback=lambda a: sharer.confirm_tell(a, True))
        mine = follower.create_thing("me")
        mine.follow(feed.guid, callback=inbox)
        remote = mine.attach(control.guid)
        feed.share({"n": 0})
        inbox.wait(1)
        saved = own_broker.directory / "broker.db"
        since = time.time()
        wait_for(lambda: saved.exists() and saved.stat().st_mtime > since)
        own_broker.kill()
        wait_for(lambda: not follower.is_connected() and not sharer.is_connected())
        for call in (
            lambda: remote.tell({}, timeout=1),
            lambda: follower.search("x"),
            lambda: follower.describe(feed.guid),
        ):
            with pytest.raises(LinkException):
                call()
        for n in range(1, 6):
            feed.share({"n": n})  # never fails: the outbox keeps them
        assert sharer.outbox_depth is not None and sharer.outbox_depth >= 5
        own_broker.start()
        wait_for(lambda: follower.is_connected() and sharer.is_connected())
        wait_for(lambda: sharer.outbox_depth == 0)
        assert remote.tell({}, timeout=5) is True
        feed.share({"n": 6})
        assert inbox.wait(7) == [{"n": n} for n in range(7)]


def test_stop_delivers_what_waits_while_the_link_allows(own_broker: Broker, tmp_path: Path) -> None:
    inbox = Inbox()
    sharer = Client(url_for(own_broker.url, "s", tmp_path))
    follower = Client(url_for(own_broker.url, "f", tmp_path))
    with follower:
        with sharer:
            thing = sharer.create_thing("t")
            thing.set_public()
            feed = thing.create_feed("f")
            follower.create_thing("me").follow(feed.guid, callback=inbox)
            for n in range(2000):
                feed.share({"n": n})
        assert sharer.outbox_depth == 0  # all acknowledged by the broker before stop() returned
        assert inbox.wait(2000) == [{"n": n} for n in range(2000)]


def test_a_stale_claim_brought_back_by_a_broker_restart_is_not_a_takeover(
    own_broker: Broker, tmp_path: Path
) -> None:
    """A broker restarted from an older snapshot may bring back a claim of a process long gone;
    it is older than this process's claim, so this process reconnects instead of stopping."""
    client = Client(url_for(own_broker.url, "phoenix", tmp_path))
    with client:
        transport = client._transport
        stale = json.dumps({"instance": "gone", "generation": 0, "pid": 1}).encode()
        host, port = own_broker.url.removeprefix("mqtt://").split(":")
        writer = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=run_level())
        writer.connect(host, int(port))
        writer.loop_start()
        since = time.time()
        writer.publish(transport.session_topic, stale, qos=1, retain=True).wait_for_publish(5)
        writer.disconnect()
        writer.loop_stop()
        saved = own_broker.directory / "broker.db"
        wait_for(lambda: saved.exists() and saved.stat().st_mtime > since)
        own_broker.kill()
        wait_for(lambda: not client.is_connected())
        own_broker.start()
        wait_for(client.is_connected)
        thing = client.create_thing("alive")  # the link works: the client did not stop
        assert thing.lid == "alive"


def test_session_taken_over_stops_the_first_clearly(
    own_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from test_faults import Agent

    url = url_for(own_broker.url, "solo", tmp_path)
    client = Client(url)
    client.start()
    second = Agent("hold", url)
    try:
        with caplog.at_level(logging.ERROR, logger="iotic_app.mqtt"):
            second.expect("ready")
            wait_for(lambda: "took the MQTT session over" in caplog.text)
        assert not client.is_connected()
        with pytest.raises(SessionTakenOver, match="one process per agent"):
            client.create_thing("t")
        # it does not fight back: it stopped reconnecting, the second process holds the claim
        assert client._transport.is_stopping()  # type: ignore[attr-defined]
        assert second.process.poll() is None
        claim = subprocess.run(
            [
                _tool("mosquitto_sub"),
                "-h",
                HOST,
                "-p",
                str(own_broker.port),
                "-t",
                "iotic/solo/_session/solo",
                "-C",
                "1",
                "-W",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        ).stdout
        assert json.loads(claim)["pid"] == second.process.pid
    finally:
        client.stop()
        second.close()


# --- interop with other MQTT tools ---------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install mosquitto-clients)")
    return path


def test_mosquitto_sub_reads_a_feed_and_mosquitto_pub_asks_a_control(
    own_broker: Broker, tmp_path: Path
) -> None:
    sub, pub = _tool("mosquitto_sub"), _tool("mosquitto_pub")
    asked = Inbox()
    with Client(url_for(own_broker.url, "plant", tmp_path)) as client:
        thing = client.create_thing("boiler")
        thing.set_public()
        feed = thing.create_feed("temp")
        thing.create_control("valve", callback=asked)
        reader = subprocess.Popen(
            [
                sub,
                "-h",
                HOST,
                "-p",
                str(own_broker.port),
                "-t",
                "iotic/plant/boiler/feed/temp",
                "-C",
                "1",
                "-W",
                "10",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        # mosquitto_sub has subscribed once the (retained) previous value reaches it
        feed.share({"celsius": 60})
        out, _ = reader.communicate(timeout=15)
        value = json.loads(out)
        assert value["data"] == {"celsius": 60} and value["mime"] is None
        assert value["time"].startswith("20")
        subprocess.run(
            [
                pub,
                "-h",
                HOST,
                "-p",
                str(own_broker.port),
                "-q",
                "1",
                "-t",
                "iotic/plant/boiler/control/valve",
                "-m",
                '{"data": {"open": true}}',
            ],
            check=True,
            timeout=15,
        )
        assert asked.wait(1) == [{"open": True}]


def test_foreign_garbage_on_a_feed_is_logged_and_skipped(
    own_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pub = _tool("mosquitto_pub")
    inbox = Inbox()
    with Client(url_for(own_broker.url, "plant", tmp_path)) as client:
        feed = client.create_thing("boiler").create_feed("temp")
        client.create_thing("me").follow(("boiler", "temp"), callback=inbox)
        with caplog.at_level(logging.WARNING, logger="iotic_app.mqtt"):
            for junk in ("not json", '{"no": "data"}', '{"data": 1, "encoding": "base64"}'):
                subprocess.run(
                    [
                        pub,
                        "-h",
                        HOST,
                        "-p",
                        str(own_broker.port),
                        "-q",
                        "1",
                        "-t",
                        "iotic/plant/boiler/feed/temp",
                        "-m",
                        junk,
                    ],
                    check=True,
                    timeout=15,
                )
            feed.share({"ok": True})
            assert inbox.wait(1) == [{"ok": True}]
        assert caplog.text.count("skipped a value") == 3


# --- scale -----------------------------------------------------------------------------------


@NEEDS_V5  # groups
def test_group_follow_each_value_reaches_exactly_one_follower(
    own_broker: Broker, tmp_path: Path
) -> None:
    sharer = Client(url_for(own_broker.url, "s", tmp_path))
    workers = [Client(url_for(own_broker.url, f"w{i}", tmp_path)) for i in range(3)]
    inboxes = [Inbox() for _ in workers]
    with sharer:
        thing = sharer.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        try:
            for worker, inbox in zip(workers, inboxes, strict=True):
                worker.start()
                me = worker.create_thing("me")
                # Thing.follow(..., group=) is wired in the API layer separately; the transport
                # call below is what it does.
                worker._session.link().subscribe(me._ref, FEED, feed.guid, inbox, group="pool")  # type: ignore[attr-defined, call-arg]
            total = 300
            for n in range(total):
                feed.share({"n": n})
            wait_for(lambda: sum(len(i.data) for i in inboxes) >= total)
        finally:
            for worker in workers:
                worker.stop()
    got = [d["n"] for inbox in inboxes for d in inbox.data]
    assert sorted(got) == list(range(total))  # each value exactly once overall
    assert all(inbox.data for inbox in inboxes)  # the load was shared
    for inbox in inboxes:
        ns = [d["n"] for d in inbox.data]
        assert ns == sorted(ns)


# --- lifecycle: failure for good, stop() from callbacks, client ids --------------------------


def test_after_a_takeover_every_call_raises_and_the_failure_listeners_are_told(
    own_broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from test_faults import Agent

    url = url_for(own_broker.url, "solo", tmp_path)
    client = Client(url)
    client.start()
    thing = client.create_thing("t")
    feed = thing.create_feed("f")
    told: list[tuple[BaseException, str]] = []
    came = threading.Event()

    def broken(exc: BaseException) -> None:
        raise RuntimeError("a bug in a listener")

    def listener(exc: BaseException) -> None:
        told.append((exc, threading.current_thread().name))
        came.set()

    client.add_failure_listener(broken)
    client.add_failure_listener(listener)
    assert client.failure is None
    second = Agent("hold", url)
    try:
        with caplog.at_level(logging.ERROR, logger="iotic_app"):
            second.expect("ready")
            assert came.wait(PATIENCE), "no failure listener was called"
            wait_for(lambda: "a failure listener" in caplog.text)
        assert "a bug in a listener" in caplog.text  # logged, and the next listener still ran
        [(exc, thread)] = told
        assert isinstance(exc, SessionTakenOver)
        assert client.failure is exc
        assert thread.startswith("iotic_app-failed-")  # the client's own thread
        calls: list[Callable[[], Any]] = [
            lambda: feed.share({"n": 1}),
            lambda: client.create_thing("u"),
            lambda: client.describe(thing.guid),
            lambda: client.search("x"),
            lambda: thing.create_feed("g"),
        ]
        for call in calls:
            with pytest.raises(SessionTakenOver, match="one process per agent"):
                call()
        late: list[BaseException] = []
        client.add_failure_listener(late.append)  # after the failure: called at once
        assert late == [exc]
        client.stop()
        with pytest.raises(SessionTakenOver):
            client.start()
        assert len(told) == 1  # once
    finally:
        client.close()
        second.close()


def test_add_failure_listener_needs_a_callable(tmp_path: Path) -> None:
    client = Client(url_for(f"mqtt://{HOST}:1", "a", tmp_path))
    with pytest.raises(TypeError, match="listener must be callable, got 'nope'"):
        client.add_failure_listener("nope")  # type: ignore[arg-type]


def _threads_of(agent: str) -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.endswith(f"-{agent}")]


@pytest.mark.parametrize("how", ["stop", "close"])
@pytest.mark.parametrize("where", ["follow", "control"])
def test_stop_from_a_callback_returns_promptly(
    broker_url: str, tmp_path: Path, how: str, where: str, unique_name: str
) -> None:
    # agents of their own: the value whose callback stopped the client was not acknowledged on
    # that connection, so the broker gives it to the next client with that id (another test's)
    agent = f"selfstop{unique_name}"
    client = Client(url_for(broker_url, agent, tmp_path))
    asker = Client(url_for(broker_url, f"asker{unique_name}", tmp_path))
    took: list[float] = []
    done = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        began = time.monotonic()
        getattr(client, how)()
        took.append(time.monotonic() - began)
        done.set()

    with asker:
        client.start()
        thing = client.create_thing("t")
        thing.set_public()
        if where == "follow":
            feed = thing.create_feed("f")
            thing.follow(feed.guid, callback=callback)
            feed.share({"n": 1})
        else:
            control = thing.create_control("c", callback=callback)
            asker.create_thing("me").attach(control.guid).ask({"go": True})
        assert done.wait(PATIENCE), "the callback did not run"
        assert took[0] < 0.5, f"{how}() from a {where} callback took {took[0]:.2f} s"
        assert not client.is_connected()
        wait_for(lambda: _threads_of(agent) == [], 5)  # its link, sender, worker
        if how == "close":  # and its outbox files, once the callback has returned
            wait_for(lambda: _open_files_of(tmp_path / "outbox" / f"{agent}.sqlite") == [], 5)
    client.close()


def _open_files_of(path: Path) -> list[str]:
    found = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(path)):
            found.append(target)
    return found


def test_stop_from_a_callback_while_another_thread_stops_the_client(
    broker_url: str, tmp_path: Path
) -> None:
    """The stopping thread waits for the running callback; the callback's own stop() must not
    wait for the stopping thread (it returns at once), or both wait 10 s for each other."""
    client = Client(url_for(broker_url, "twostops", tmp_path))
    entered = threading.Event()
    took: list[float] = []

    def callback(args: dict[str, Any]) -> None:
        entered.set()
        wait_for(lambda: client._session.live is None, 5)  # the other thread is inside stop() now
        began = time.monotonic()
        client.stop()
        took.append(time.monotonic() - began)

    client.start()
    thing = client.create_thing("t")
    feed = thing.create_feed("f")
    thing.follow(feed.guid, callback=callback)
    feed.share({"n": 1})
    assert entered.wait(PATIENCE)
    began = time.monotonic()
    client.stop()
    elapsed = time.monotonic() - began
    assert took and took[0] < 0.5, took
    assert elapsed < 1, f"stop() took {elapsed:.2f} s"
    client.close()


@pytest.mark.skipif(
    external_broker() is not None,
    reason="agent 'x.2': NATS server refuses and RabbitMQ rewrites '.' in topic names",
)
def test_agent_x2_and_the_second_client_of_x_never_share_a_client_id(
    own_broker: Broker, tmp_path: Path
) -> None:
    """Agent ``x.2`` in another process and two clients of agent ``x`` in this one: three
    sessions, none pushes another off (the second client of x used to be ``x.2`` too)."""
    from test_faults import Agent

    other = Agent("hold", url_for(own_broker.url, "x.2", tmp_path / "other"))
    try:
        other.expect("ready")
        first = Client(url_for(own_broker.url, "x", tmp_path))
        second = Client(url_for(own_broker.url, "x", tmp_path))
        with first, second:
            ids = [c._transport.settings.client_id for c in (first, second)]  # type: ignore[attr-defined]
            assert ids == ["x", "x~2"]
            second.create_thing("mine")
            other.go()  # the other process makes a thing: its session is still its own
            assert other.expect(lambda line: line == "ok" or line.startswith("error")) == "ok"
            assert first.is_connected() and second.is_connected()
            assert [c._transport.reconnects for c in (first, second)] == [0, 0]  # type: ignore[attr-defined]
        assert (tmp_path / "outbox" / "x~2.sqlite").exists()  # its own outbox, too
    finally:
        other.close()


def test_two_clients_of_one_agent_on_two_addresses_of_one_broker_get_two_client_ids(
    tmp_path: Path,
) -> None:
    """Two clients of agent ``x`` in this process, each on another listener of one broker (as
    on two nodes of a cluster): ``x`` and ``x~2``, and neither pushes the other off (the ids
    used to be counted per address, so both were ``x``)."""
    from conftest_mqtt import need_own_broker

    second_port = free_port()
    extra = (f"listener {second_port} {HOST}",)
    with Broker(tmp_path / "mosquitto", binary=need_own_broker(), extra=extra) as broker:
        first = Client(url_for(broker.url, "x", tmp_path))
        second = Client(url_for(f"mqtt://{HOST}:{second_port}", "x", tmp_path))
        with first, second:
            ids = [c._transport.settings.client_id for c in (first, second)]  # type: ignore[attr-defined]
            assert ids == ["x", "x~2"]
            first.create_thing("one")
            second.create_thing("two")
            assert first.is_connected() and second.is_connected()
            assert [c._transport.reconnects for c in (first, second)] == [0, 0]  # type: ignore[attr-defined]


# --- connection-time mistakes fail at once, saying what is likely wrong ----------------------


@pytest.fixture
def cert_broker(tmp_path: Path, tls_files: Any) -> Any:
    """A broker with a plain listener and a TLS one that requires a client certificate."""
    from conftest_mqtt import need_own_broker

    broker = Broker(
        tmp_path / "mosquitto", tls=tls_files, binary=need_own_broker(), require_certificate=True
    )
    broker.start()
    yield broker
    broker.close()


def test_tls_mistakes_fail_fast_saying_what_is_likely_wrong(
    cert_broker: Broker, tls_files: Any, tmp_path: Path
) -> None:
    from broker import make_test_ca

    stranger = make_test_ca(tmp_path / "stranger")  # a certificate the broker's CA never signed
    tls, plain = cert_broker.tls_port, cert_broker.port
    ca = f"ca_file={tls_files.ca_file}"
    mine = f"{ca}&cert_file={tls_files.cert_file}&key_file={tls_files.key_file}"
    theirs = f"{ca}&cert_file={stranger.cert_file}&key_file={stranger.key_file}"
    cases = [
        (f"mqtt://{HOST}:{tls}", "", "is a TLS listener, use mqtts://"),
        (f"mqtts://{HOST}:{plain}", f"&{mine}", "plain MQTT listener"),
        (f"mqtts://{HOST}:{tls}", f"&{theirs}", "client certificate"),
        (f"mqtts://{HOST}:{tls}", f"&{ca}", "client certificate"),
        (
            f"mqtts://{HOST}:{tls}",
            f"&cert_file={tls_files.cert_file}&key_file={tls_files.key_file}",
            "check ca_file",
        ),
    ]
    for where, extra, hint in cases:
        client = Client(url_for(where, "careless", tmp_path) + extra)
        began = time.monotonic()
        with pytest.raises(LinkException) as caught:
            client.start()
        elapsed = time.monotonic() - began
        assert hint in str(caught.value), (where, extra, str(caught.value))
        assert "within" not in str(caught.value)
        assert elapsed < 2, f"{where}{extra}: failed after {elapsed:.1f} s"
        client.close()
    with Client(url_for(f"mqtts://{HOST}:{tls}", "careful", tmp_path) + f"&{mine}") as client:
        assert client.create_thing("t").lid == "t"


@pytest.mark.skipif(sys.platform == "win32", reason="select() limits descriptors' values")
def test_a_process_with_too_many_files_open_fails_at_once_saying_so_on_paho(
    broker_url: str, tmp_path: Path
) -> None:
    """paho's network loop uses select(), which takes descriptors below 1024 only; a client
    started in a process with more files open used to wait 5 s for "no answer"."""
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        client = Client(url_for(broker_url, "crowded", tmp_path, engine="paho"))
        began = time.monotonic()
        with pytest.raises(LinkException, match=r"select\(\)\) takes descriptors below 1024"):
            client.start()
        assert time.monotonic() - began < 2
        client.close()
    finally:
        for fd in opened:
            os.close(fd)


def test_the_builtin_engine_works_with_many_files_open(broker_url: str, tmp_path: Path) -> None:
    """The builtin engine waits with the selectors module (epoll, kqueue): no limit on the
    descriptors' values, so a crowded process shares and follows as any other."""
    opened = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with Client(url_for(broker_url, "crowded", tmp_path, engine="builtin")) as client:
            inbox = Inbox()
            feed = client.create_thing("t").create_feed("f")
            client.create_thing("me").follow(feed.guid, callback=inbox)
            feed.share("hello")
            assert inbox.wait(1) == ["hello"]
    finally:
        for fd in opened:
            os.close(fd)


@NEEDS_V5  # MQTT 3.1.1's CONNACK says no maximum packet size
@pytest.mark.parametrize("engine", ["builtin", "paho"])
def test_a_share_larger_than_the_brokers_maximum_packet_is_refused_and_the_rest_arrive(
    tmp_path: Path, engine: str
) -> None:
    """A broker that says Maximum Packet Size would end the connection on a larger PUBLISH,
    and again after every reconnect (the outbox resends it): share() raises ValueError,
    naming both sizes, the value leaves the outbox, and what comes after it arrives."""
    broker = Broker(tmp_path / "limited", extra=("max_packet_size 20000",))
    with broker:
        broker.start()
        url = broker.url
        with (
            Client(url_for(url, "sharer", tmp_path, engine=engine)) as sharer,
            Client(url_for(url, "follower", tmp_path, engine=engine)) as follower,
        ):
            thing = sharer.create_thing("t")
            thing.set_public()
            feed = thing.create_feed("f")
            inbox = Inbox()
            follower.create_thing("me").follow(feed.guid, callback=inbox)
            with pytest.raises(ValueError, match=r"maximum packet size, 20,000 bytes"):
                feed.share("x" * 50_000)
            for n in range(5):
                feed.share(n)
            assert inbox.wait(5) == [0, 1, 2, 3, 4]
            assert sharer._transport.reconnects == 0  # type: ignore[attr-defined]
        assert broker.log_file.read_text().count("oversize") == 0


# --- broker restarts -------------------------------------------------------------------------


def test_a_broker_restarted_without_persistence_gets_each_agents_things_back(
    stock_broker: Broker, tmp_path: Path
) -> None:
    """A broker without persistence forgets every retained thing when it restarts: each agent
    publishes its own things again when it reconnects, so describe and follow work again."""
    owner = Client(url_for(stock_broker.url, "owner", tmp_path))
    other = Client(url_for(stock_broker.url, "other", tmp_path))
    inbox = Inbox()
    with owner, other:
        thing = owner.create_thing("t")
        thing.set_public()
        with thing.get_meta() as meta:
            meta.set_label("Boiler")
        feed = thing.create_feed("f")
        control = thing.create_control("c", callback=lambda a: owner.confirm_tell(a, True))
        assert other.describe(thing.guid) is not None
        stock_broker.kill()
        wait_for(lambda: not owner.is_connected() and not other.is_connected())
        stock_broker.start()
        wait_for(lambda: owner.is_connected() and other.is_connected())
        described = other.describe(thing.guid)
        assert described is not None and described["label"] == "Boiler"
        mine = other.create_thing("me")
        mine.follow(feed.guid, callback=inbox)
        assert mine.attach(control.guid).tell({}, timeout=5) is True
        feed.share({"n": 1})
        assert inbox.wait(1) == [{"n": 1}]


def test_a_broker_restarted_without_persistence_gets_the_kept_subscriptions_back(
    stock_broker: Broker, tmp_path: Path
) -> None:
    """The broker forgets the follower's records and the feed's owner its followers: the
    follower publishes them again when it reconnects, so the owner lists it again, the
    follower still gets the values, and a later run of the follower still sees its follow."""
    owner = Client(url_for(stock_broker.url, "owner", tmp_path))
    follower_url = url_for(stock_broker.url, "follower", tmp_path)
    follower = Client(follower_url)
    inbox = Inbox()
    with owner:
        thing = owner.create_thing("t")
        thing.set_public()
        feed = thing.create_feed("f")
        with follower:
            mine = follower.create_thing("me")
            wait_for(lambda: follower.describe(feed.guid) is not None)
            remote = mine.follow(feed.guid, callback=inbox)
            wait_for(lambda: feed.list_followers() == {remote.subid: mine.guid})
            stock_broker.kill()
            wait_for(lambda: not owner.is_connected() and not follower.is_connected())
            stock_broker.start()
            wait_for(lambda: owner.is_connected() and follower.is_connected())
            wait_for(lambda: feed.list_followers() == {remote.subid: mine.guid})
            feed.share({"n": 1})
            assert inbox.wait(1) == [{"n": 1}]
        with Client(follower_url) as again:
            assert again.get_thing("me").list_connections() == {
                remote.subid: {"type": "Feed", "guid": feed.guid}
            }
