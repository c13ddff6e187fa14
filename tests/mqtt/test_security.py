"""TLS with a test CA, passwords and the ACL template from docs/: what is allowed and what not."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from broker import Broker, TlsFiles
from conftest_mqtt import need_own_broker

from iotic_app import IOTAccessDenied, LinkException
from iotic_app.client import Client

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
