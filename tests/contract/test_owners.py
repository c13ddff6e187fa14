"""Contract: agents of one owner (``?owner=``) share its lids, see its private things, and follow
and attach by ``(lid, pid)``; agents of other owners stay out; the default owner is the agent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iotic_app import IOTAccessDenied, IOTUnknown
from iotic_app.client import Client
from iotic_app.transports._types import thing_guid


@pytest.fixture
def member(space: Any) -> Iterator[Callable[..., Client]]:
    """Make a started client of agent *agent* belonging to *owner* (on MQTT, with no ACL, the
    agent enrolls itself: it publishes its membership)."""
    made: list[Client] = []

    def make(agent: str, owner: str = "acme") -> Client:
        client = Client(f"{space.url(agent)}&owner={owner}")
        made.append(client)
        client.start()
        return client

    yield make
    for client in made:
        client.close()


def test_follow_by_lid_pid_a_feed_another_agent_of_the_owner_shares(
    member: Callable[..., Client], collector: Any
) -> None:
    """The classic share_basic + follow_basic pair, run as two agents of one owner."""
    sharer, follower = member("agent1"), member("agent2")
    feed = sharer.create_thing("share_basic").create_feed("share_basic_feed")  # private
    remote = follower.create_thing("follow_basic").follow(
        ("share_basic", "share_basic_feed"), callback=collector
    )
    assert remote.guid == feed.guid
    feed.share({"n": 1})
    (args,) = collector.wait(1)
    assert args["data"] == {"n": 1}
    assert args["pid"] == feed.guid


def test_unfollow_and_unattach_by_lid_pid_of_another_agent_of_the_owner(
    member: Callable[..., Client],
) -> None:
    one, two = member("agent1"), member("agent2")
    thing = one.create_thing("t")
    thing.create_feed("f")
    thing.create_control("c")
    mine = two.create_thing("mine")
    mine.follow(("t", "f"))
    mine.attach(("t", "c"))
    assert len(mine.list_connections()) == 2
    mine.unfollow(("t", "f"))
    mine.unattach(("t", "c"))
    assert mine.list_connections() == {}


def test_attach_and_tell_by_lid_pid_a_control_of_another_agent_of_the_owner(
    member: Callable[..., Client],
) -> None:
    """The classic offer_basic + attach_basic pair, run as two agents of one owner."""
    offerer, attacher = member("agent1"), member("agent2")

    def confirm(args: dict[str, Any]) -> None:
        offerer.confirm_tell(args, True)

    control = offerer.create_thing("offer_basic").create_control("ctrl", callback=confirm)
    remote = attacher.create_thing("attach_basic").attach(("offer_basic", "ctrl"))
    assert remote.guid == control.guid
    assert remote.tell({"on": True}, timeout=5) is True


@pytest.mark.needs("one_order")  # its get_recent: the retained copy of a share on another node
def test_the_owners_agents_see_each_others_private_things(
    member: Callable[..., Client], collector: Any, eventually: Any
) -> None:
    one, two = member("agent1"), member("agent2")
    thing = one.create_thing("secret")
    feed = thing.create_feed("f")
    described = two.describe(thing.guid)
    assert described is not None and described["lid"] == "secret"
    assert two.describe(feed.guid) is not None
    # follow and get_recent by guid too
    remote = two.create_thing("mine").follow(feed.guid, callback=collector)
    feed.share(5)
    assert collector.wait(1)[0]["data"] == 5
    assert eventually(lambda: [sample["data"] for sample in remote.get_recent(1)]) == [5]


def test_only_the_agent_that_made_a_thing_changes_it(member: Callable[..., Client]) -> None:
    one, two = member("agent1"), member("agent2")
    one.create_thing("t")
    with pytest.raises(IOTUnknown):
        two.get_thing("t")  # its things are its own to change; it follows or attaches them
    assert two.list() == {}


def test_a_lid_is_unique_per_owner(member: Callable[..., Client]) -> None:
    one, two = member("agent1"), member("agent2")
    one.create_thing("boiler")
    with pytest.raises(IOTAccessDenied, match=r"owner 'acme'.*'boiler'.*agent 'agent1'"):
        two.create_thing("boiler")
    assert one.create_thing("boiler").lid == "boiler"  # its maker gets it again
    # once deleted, the lid is free for the owner's other agents
    one.delete_thing("boiler")
    assert two.create_thing("boiler").lid == "boiler"


def test_guids_come_from_the_owner_and_lid(member: Callable[..., Client]) -> None:
    thing = member("agent1").create_thing("t")
    assert thing.guid == thing_guid("acme", "t")


def test_agents_of_another_owner_stay_out(member: Callable[..., Client]) -> None:
    ours, theirs = member("agent1"), member("agent9", owner="other")
    thing = ours.create_thing("secret")
    feed = thing.create_feed("f")
    assert theirs.describe(thing.guid) is None
    me = theirs.create_thing("secret")  # same lid, other owner: its own thing
    assert me.guid != thing.guid
    with pytest.raises(IOTAccessDenied):
        me.follow(feed.guid)
    with pytest.raises(IOTUnknown, match="owner 'other'"):
        me.follow(("secret", "f"))  # names the other owner's own thing, which has no feed f


def test_an_agent_without_an_owner_is_its_own(space: Any, make_client: Any) -> None:
    """Default owner = the agent: (lid, pid) names only its own points, as before."""
    alice, bob = make_client("alice"), make_client("bob")
    assert alice.config.owner == "alice"
    alice.create_thing("t").create_feed("f")
    with pytest.raises(IOTUnknown, match="agent 'bob' has no feed"):
        bob.create_thing("b").follow(("t", "f"))
    assert bob.create_thing("t").guid == thing_guid("bob", "t")  # each its own lid


def test_owner_from_an_ini_file(space: Any, tmp_path: Path, collector: Any) -> None:
    clients = []
    for agent in ("agent1", "agent2"):
        path = tmp_path / f"{agent}.ini"
        path.write_text(f"[agent]\nurl = {space.url(agent)}\nowner = acme\n")
        client = Client(str(path))
        client.start()
        clients.append(client)
    try:
        one, two = clients
        assert (one.config.owner, two.config.owner) == ("acme", "acme")
        feed = one.create_thing("s").create_feed("f")
        two.create_thing("r").follow(("s", "f"), callback=collector)
        feed.share(1)
        assert collector.wait(1)[0]["data"] == 1
    finally:
        for client in clients:
            client.close()


def test_the_agent_named_like_the_owner_is_one_of_its_agents(
    member: Callable[..., Client], make_client: Any, collector: Any
) -> None:
    """Agent 'acme' (its own owner) and agent1 of owner 'acme' share the owner's lids."""
    one = member("agent1")
    acme = make_client("acme")
    feed = one.create_thing("t").create_feed("f")
    acme.create_thing("mine").follow(("t", "f"), callback=collector)
    feed.share(3)
    assert collector.wait(1)[0]["data"] == 3
    with pytest.raises(IOTAccessDenied, match="agent 'agent1'"):
        acme.create_thing("t")


def test_an_owners_agent_started_again_has_its_thing_and_the_lid_stays_its(
    member: Callable[..., Client],
) -> None:
    first = member("agent2")
    made = first.create_thing("kept")
    made.create_feed("f")
    first.close()
    again = member("agent2")
    assert again.create_thing("kept").guid == made.guid == thing_guid("acme", "kept")
    with pytest.raises(IOTAccessDenied, match="agent 'agent2'"):
        member("agent1").create_thing("kept")


@pytest.mark.needs_directory
def test_search_scopes_see_the_things_of_the_owner(
    member: Callable[..., Client], eventually: Any
) -> None:
    """``localOwn`` is the owner's things (any of its agents'), ``local`` adds public ones, and
    a full result names the thing's owner; another owner's private things stay out."""
    one, two, other = member("agent1"), member("agent2"), member("stranger", owner="globex")
    private = one.create_thing("share_basic")
    private.create_feed("share_basic_feed")
    meta = private.get_meta()
    meta.set_label("share basic")
    meta.set()
    theirs = other.create_thing("theirs")
    theirs.create_feed("f")
    their_meta = theirs.get_meta()
    their_meta.set_label("share basic too")
    their_meta.set()

    def found(scope: str) -> set[str]:
        return set(two.search("share basic", scope=scope))

    eventually(lambda: found("localOwn") == {private.guid})
    assert found("local") == {private.guid}
    assert found("public") == set()
    assert two.search("share basic", scope="localOwn")[private.guid]["owner"] == "acme"
    assert set(other.search("share basic", scope="local")) == {theirs.guid}


def _create_at_once(clients: list[Client], lid: str) -> dict[str, Any]:
    """Each client's create_thing(lid) (or its IOTAccessDenied), all started at one moment."""
    import threading

    barrier = threading.Barrier(len(clients))
    results: dict[str, Any] = {}

    def create(client: Client) -> None:
        barrier.wait(5)
        try:
            results[client.config.agent_id] = client.create_thing(lid)
        except IOTAccessDenied as exc:
            results[client.config.agent_id] = exc

    threads = [threading.Thread(target=create, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


@pytest.mark.needs("one_order")
def test_two_agents_creating_one_lid_at_once_one_wins(member: Callable[..., Client]) -> None:
    """A lid is unique per owner also when two agents create it at the same moment: exactly
    one create_thing succeeds, the other is IOTAccessDenied, and every agent (and a client that
    starts afterwards) sees the winner's thing."""
    for round_ in range(5):
        lid = f"boiler{round_}"
        one, two = member(f"a{round_}x"), member(f"a{round_}y")
        results = _create_at_once([one, two], lid)
        denied = [r for r in results.values() if isinstance(r, IOTAccessDenied)]
        assert len(results) == 2 and len(denied) == 1, results
        late = member(f"a{round_}z")
        for client in (one, two, late):
            assert client.describe(thing_guid("acme", lid)) is not None, client.config.agent_id


def test_an_agent_started_again_with_another_owner_replaces_its_old_owners_thing(
    member: Callable[..., Client],
) -> None:
    """An agent that moves to another owner has none of its old owner's things as its own; its
    thing of a lid made under the new owner replaces the old owner's (on MQTT both live on the
    agent's one topic ROOT/AGENT/LID), so the old owner's lid is free again."""
    first = member("mover", "acme")
    first.create_thing("boiler").create_feed("f")
    first.close()
    moved = member("mover", "beta")
    assert moved.list() == {}
    with pytest.raises(IOTUnknown):
        moved.get_thing("boiler")
    made = moved.create_thing("boiler")
    assert made.guid == thing_guid("beta", "boiler")
    assert list(moved.list()) == ["boiler"]
    other = member("stayer", "acme")
    assert other.describe(thing_guid("acme", "boiler")) is None
    assert other.create_thing("boiler").guid == thing_guid("acme", "boiler")
