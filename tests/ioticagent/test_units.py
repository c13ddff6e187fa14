"""The classic Units' URIs (OBO) work where the client takes a unit, on every transport."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest_mqtt import StockMqttSpace

from iotic_app.client import Client
from iotic_app.ioticagent import Datatypes, Units


class _LocalSpace:
    def __init__(self) -> None:
        self.name = f"compat-units-{uuid.uuid4().hex[:8]}"

    def url(self, agent: str) -> str:
        return f"local://{self.name}?agent={agent}"


SPACES: dict[str, Callable[[], Any]] = {"local": _LocalSpace, "mqtt": StockMqttSpace}


@pytest.fixture(params=sorted(SPACES))
def space(request: pytest.FixtureRequest) -> Any:
    return SPACES[request.param]()


@pytest.fixture
def agents(space: Any) -> Iterator[tuple[Client, Client]]:
    with Client(space.url("agent1")) as agent1, Client(space.url("agent2")) as agent2:
        yield agent1, agent2


@pytest.mark.needs_directory
def test_a_classic_unit_is_declared_searched_and_filtered(agents: tuple[Client, Client]) -> None:
    """share_basic + follow_search_global + follow_basic's filter, with 0.7.0's unit URIs."""
    agent1, agent2 = agents
    sharer = agent1.create_thing("share_basic")
    feed = sharer.create_feed("share_basic_feed")
    feed.create_value(
        "count", Datatypes.INTEGER, description="Random Counter", unit=Units.COUNTS_PER_MIN
    )
    sharer.set_public(True)

    found = agent2.search(unit=Units.COUNTS_PER_MIN)
    assert list(found) == [sharer.guid]
    assert agent2.search(unit=Units.CELSIUS) == {}

    got: list[Any] = []
    arrived = threading.Event()

    def on_data(args: dict[str, Any]) -> None:
        got.extend(
            args["parsed"].filter_by(
                types=(Datatypes.INTEGER,), units=(Units.COUNTS_PER_MIN,), text=("random",)
            )
        )
        arrived.set()

    agent2.create_thing("follow_basic").follow(feed.guid, callback_parsed=on_data)
    template = feed.get_template()
    template.values.count = 42
    feed.share(template)
    assert arrived.wait(10)
    assert [(value.label, value.unit, value.value) for value in got] == [
        ("count", Units.COUNTS_PER_MIN, 42)
    ]


def test_every_classic_unit_is_taken_by_create_value() -> None:
    with Client(f"local://compat-units-{uuid.uuid4().hex[:8]}?agent=a") as client:
        feed = client.create_thing("t").create_feed("f")
        for i, name in enumerate(Units.__all__):
            feed.create_value(f"v{i}", Datatypes.DECIMAL, unit=getattr(Units, name))
        template = feed.get_template()
        units = [value.unit for value in template.filter_by(include_unset=True)]
        assert units == [getattr(Units, name) for name in Units.__all__]
