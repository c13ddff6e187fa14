"""Contract: ``list(all_agents=True)`` lists the things of every agent of the owner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from iotic_app.client import Client


@pytest.fixture
def member(space: Any) -> Iterator[Callable[..., Client]]:
    """Make a started client of agent *agent* belonging to *owner*."""
    made: list[Client] = []

    def make(agent: str, owner: str = "acme") -> Client:
        client = Client(f"{space.url(agent)}&owner={owner}")
        made.append(client)
        client.start()
        return client

    yield make
    for client in made:
        client.close()


def test_all_agents_lists_the_owners_things_with_their_agents(
    member: Callable[..., Client],
) -> None:
    one, two, stranger = member("agent1"), member("agent2"), member("agent3", "other")
    a = one.create_thing("a")  # private
    b = two.create_thing("b")
    b.set_public(True)
    stranger.create_thing("c").set_public(True)
    expected = {
        "a": {"guid": a.guid, "public": False, "agent": "agent1"},
        "b": {"guid": b.guid, "public": True, "agent": "agent2"},
    }
    assert one.list(all_agents=True) == expected
    assert two.list(all_agents=True) == expected
    assert one.list() == {"a": {"guid": a.guid, "public": False}}  # the agent's own, unchanged
    assert stranger.list(all_agents=True) == {
        "c": {"guid": stranger.get_thing("c").guid, "public": True, "agent": "agent3"}
    }


def test_all_agents_pages_and_drops_deleted_things(member: Callable[..., Client]) -> None:
    one, two = member("agent1"), member("agent2")
    for lid in ("a", "b"):
        one.create_thing(lid)
    two.create_thing("z")
    assert sorted(one.list(all_agents=True)) == ["a", "b", "z"]
    everything = one.list(all_agents=True, limit=10)
    first = one.list(all_agents=True, limit=2)
    rest = one.list(all_agents=True, limit=2, offset=2)
    assert {**first, **rest} == everything and len(first) == 2 and len(rest) == 1
    two.delete_thing("z")
    assert sorted(one.list(all_agents=True)) == ["a", "b"]


def test_all_agents_must_be_a_bool(member: Callable[..., Client]) -> None:
    with pytest.raises(TypeError, match="all_agents must be True or False, got 1"):
        member("agent1").list(all_agents=1)  # type: ignore[arg-type]
