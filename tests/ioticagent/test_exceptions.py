"""IOT.Exceptions catch what iotic_app raises, as classic scripts catch them (on local://)."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator

import pytest

import iotic_app.exceptions as modern
from iotic_app.client import Client
from iotic_app.ioticagent.Core import Exceptions as CoreExceptions
from iotic_app.ioticagent.IOT import Exceptions
from iotic_app.ioticagent.IOT.Exceptions import (
    IOTAccessDenied,
    IOTException,
    IOTUnknown,
    LinkException,
)

GUID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def space() -> str:
    return f"local://compat-exc-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def agent1(space: str) -> Iterator[Client]:
    with Client(f"{space}?agent=agent1") as client:
        yield client


@pytest.fixture
def agent2(space: str) -> Iterator[Client]:
    with Client(f"{space}?agent=agent2") as client:
        yield client


# -- the classes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["IOTException", "IOTSyncTimeout", "IOTUnknown", "IOTAccessDenied", "LinkException"]
)
def test_the_classes_iotic_app_raises_are_iotic_apps_own(name: str) -> None:
    assert getattr(Exceptions, name) is getattr(modern, name)


@pytest.mark.parametrize(
    "name",
    [
        "IOTSyncTimeout",
        "IOTUnknown",
        "IOTMalformed",
        "IOTNotAllowed",
        "IOTInternalError",
        "IOTAccessDenied",
        "IOTClientError",
    ],
)
def test_every_request_failure_is_an_iotexception_and_in_iotic_apps_family(name: str) -> None:
    cls = getattr(Exceptions, name)
    assert issubclass(cls, IOTException) and issubclass(cls, modern.IoticAppError)
    builtin = [base for base in cls.__mro__[1:] if vars(builtins).get(base.__name__) is base]
    assert builtin[0] is not Exception, f"{name} inherits no matching builtin"


def test_the_link_errors_are_not_iotexceptions_as_in_0_7_0() -> None:
    for cls in (LinkException, Exceptions.LinkShutdownException, modern.SessionTakenOver):
        assert not issubclass(cls, IOTException)
    assert CoreExceptions.LinkException is LinkException
    assert issubclass(Exceptions.LinkShutdownException, LinkException)
    assert issubclass(Exceptions.LinkShutdownException, ConnectionError)


def test_iotexception_keeps_msg_and_event() -> None:
    plain = IOTUnknown("no such thing")
    assert (str(plain), plain.args, plain.event) == ("no such thing", ("no such thing",), None)
    marker = object()
    with_event = modern.IOTSyncTimeout("late", marker)
    assert (str(with_event), with_event.event) == ("late", marker)


# -- raised by the real client, caught as scripts catch them --------------------------------------


def test_following_an_unknown_guid_is_caught_as_iotunknown(agent1: Client) -> None:
    """follow_search_global's shape: try each point found, skip what cannot be followed."""
    thing = agent1.create_thing("follower")
    try:
        thing.follow(GUID, callback_parsed=lambda args: None)
    except IOTUnknown as exc:
        caught: IOTException = exc
    assert isinstance(caught, modern.IOTUnknown) and isinstance(caught, LookupError)


def test_a_private_feed_of_another_agent_is_caught_as_iotaccessdenied(
    agent1: Client, agent2: Client
) -> None:
    sharer = agent1.create_thing("share_basic")
    sharer.set_public(False)
    feed = sharer.create_feed("share_basic_feed")
    follower = agent2.create_thing("follow_basic")
    with pytest.raises(IOTAccessDenied):
        follower.follow(feed.guid)
    try:
        follower.follow(feed.guid)
    except IOTException as exc:  # the base catches it too
        assert isinstance(exc, PermissionError)


def test_every_request_failure_of_the_client_is_caught_by_iotexception(agent1: Client) -> None:
    thing = agent1.create_thing("t")
    failures = []
    for call in (
        lambda: thing.follow(GUID),
        lambda: thing.attach(GUID),
        lambda: thing.unfollow(GUID),
    ):
        try:
            call()
        except IOTException as exc:
            failures.append(type(exc))
    assert failures == [modern.IOTUnknown] * 3


def test_a_client_not_started_raises_linkexception_which_iotexception_does_not_catch(
    space: str,
) -> None:
    client = Client(f"{space}?agent=idle")
    caught = []
    try:
        client.create_thing("t")
    except IOTException:
        caught.append("IOTException")
    except LinkException:
        caught.append("LinkException")
    finally:
        client.close()
    assert caught == ["LinkException"]
