"""Contract: controls, attach, ask, tell and its four outcomes, confirm_tell, catchall."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from iotic_app import IOTAccessDenied, IOTUnknown
from iotic_app.datatypes import Datatypes


@pytest.fixture
def controller(make_client: Any) -> Any:
    return make_client("controller")


@pytest.fixture
def teller(make_client: Any) -> Any:
    return make_client("teller")


def _public_thing(client: Any) -> Any:
    thing = client.create_thing("lamp")
    thing.set_public()
    return thing


def test_ask_delivers_request_with_the_documented_keys(
    controller: Any, teller: Any, collector: Any
) -> None:
    control = _public_thing(controller).create_control("switch", callback=collector)
    remote = teller.create_thing("me").attach(control.guid)
    assert remote.guid == control.guid
    remote.ask({"on": True})
    (args,) = collector.wait(1)
    assert set(args) == {"data", "mime", "subId", "entityLid", "lid", "confirm", "requestId"}
    assert args["data"] == {"on": True}
    assert (args["entityLid"], args["lid"], args["confirm"]) == ("lamp", "switch", False)
    assert args["subId"] == remote.subid
    with pytest.raises(ValueError, match="ask"):
        controller.confirm_tell(args, True)


def test_tell_true_and_failed(controller: Any, teller: Any) -> None:
    def callback(args: dict[str, Any]) -> None:
        controller.confirm_tell(args, args["data"]["ok"])

    control = _public_thing(controller).create_control("switch", callback=callback)
    remote = teller.create_thing("me").attach(control.guid)
    assert remote.tell({"ok": True}, timeout=5) is True
    assert remote.tell({"ok": False}, timeout=5) == "failed"


def test_tell_confirmed_later_from_another_thread(controller: Any, teller: Any) -> None:
    pending: list[dict[str, Any]] = []
    arrived = threading.Event()

    def callback(args: dict[str, Any]) -> None:
        pending.append(args)
        arrived.set()

    control = _public_thing(controller).create_control("switch", callback=callback)
    remote = teller.create_thing("me").attach(control.guid)
    result: list[Any] = []
    telling = threading.Thread(target=lambda: result.append(remote.tell("go", timeout=5)))
    telling.start()
    assert arrived.wait(5)
    controller.confirm_tell(pending[0], True)
    telling.join(5)
    assert result == [True]


def test_tell_timeout_when_nobody_confirms(controller: Any, teller: Any, collector: Any) -> None:
    control = _public_thing(controller).create_control("switch", callback=collector)
    remote = teller.create_thing("me").attach(control.guid)
    assert remote.tell("go", timeout=0.2) == "timeout"
    assert collector.wait(1)[0]["confirm"] is True


def test_tell_failed_when_callback_raises(
    controller: Any, teller: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def callback(args: dict[str, Any]) -> None:
        raise RuntimeError("relay stuck")

    control = _public_thing(controller).create_control("switch", callback=callback)
    remote = teller.create_thing("me").attach(control.guid)
    with caplog.at_level(logging.ERROR, logger="iotic_app.client"):
        assert remote.tell("go", timeout=5) == "failed"
    assert "relay stuck" in caplog.text


def test_tell_unreachable_when_controller_is_stopped(controller: Any, teller: Any) -> None:
    control = _public_thing(controller).create_control("switch", callback=lambda a: None)
    remote = teller.create_thing("me").attach(control.guid)
    controller.stop()
    assert remote.tell("go", timeout=5) == "unreachable"


def test_parsed_control_request(controller: Any, teller: Any, collector: Any) -> None:
    control = _public_thing(controller).create_control("dim", callback_parsed=collector)
    control.create_value("level", Datatypes.INTEGER)
    remote = teller.create_thing("me").attach(control.guid)
    template = remote.get_template()
    template.values.level = 40
    remote.ask(template)
    (args,) = collector.wait(1)
    assert args["parsed"].values.level == 40


def test_catchall_controlreq(controller: Any, teller: Any, collector: Any) -> None:
    controller.register_catchall_controlreq(collector)
    control = _public_thing(controller).create_control("switch")
    teller.create_thing("me").attach(control.guid).ask("x")
    assert collector.wait(1)[0]["data"] == "x"


def test_tell_without_any_callback_fails(controller: Any, teller: Any) -> None:
    control = _public_thing(controller).create_control("switch")
    assert teller.create_thing("me").attach(control.guid).tell("x", timeout=5) == "failed"


def test_attach_errors_and_unattach(controller: Any, teller: Any) -> None:
    private = controller.create_thing("private").create_control("c")
    feed = _public_thing(controller).create_feed("f")
    me = teller.create_thing("me")
    with pytest.raises(IOTAccessDenied):
        me.attach(private.guid)
    with pytest.raises(IOTUnknown, match="Feed"):
        me.attach(feed.guid)
    control = controller.get_thing("lamp").create_control("switch")
    remote = me.attach(control.guid)
    assert me.list_connections() == {remote.subid: {"type": "Control", "guid": control.guid}}
    me.unattach(remote)
    assert me.list_connections() == {}


def test_tell_checks_timeout(controller: Any, teller: Any) -> None:
    control = _public_thing(controller).create_control("switch")
    remote = teller.create_thing("me").attach(control.guid)
    with pytest.raises(ValueError, match="timeout"):
        remote.tell("x", timeout=0)
