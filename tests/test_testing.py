"""iotic_app.testing: run an App on a private space, share into its follows, read its shares."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from iotic_app import App, Client, IOTUnknown, ThingRunner
from iotic_app.testing import PrivateSpace, run_app

pytestmark = pytest.mark.timeout(20)


def doubler_app() -> App:
    """The module docstring's agent: follows the feed tagged "numbers", shares each n doubled."""
    app = App()

    @app.startup
    def setup(client: Any, app: App) -> None:
        out = client.create_thing("doubler").create_feed("out")

        def double(args: dict[str, Any]) -> None:
            out.share({"n": args["data"]["n"] * 2})

        for thing in client.search(text="numbers").values():
            for guid, point in thing["points"].items():
                if point["type"] == "Feed":
                    client.get_thing("doubler").follow(guid, callback=double)

    return app


def test_the_module_docstring_example() -> None:
    app = doubler_app()
    with PrivateSpace() as space:
        space.feed("numbers", "n", tags=["numbers"])  # before the app starts
        with space.run(app) as agent:
            agent.share_into({"n": 21})
            assert agent.wait_shared("doubler", "out") == [{"n": 42}]
            agent.share_into({"n": 5})
            assert agent.wait_shared("doubler", "out", count=2) == [{"n": 42}, {"n": 10}]
    assert app.status.state == "stopped"


def test_run_app_reads_shares_from_startup_and_main() -> None:
    app = App(config="local://not-this-one")
    log: list[str] = []

    @app.startup
    def setup(client: Any) -> None:
        client.create_thing("sensor").create_feed("temp").share({"celsius": 20})
        log.append(f"startup as {client.agent_id} in {client.config.space}")

    @app.main
    def loop(client: Any, runner: ThingRunner) -> None:
        feed = client.get_thing("sensor").get_feed("temp")
        feed.share({"celsius": 21})
        feed.share({"celsius": 22})
        runner.wait_for_shutdown()

    @app.shutdown
    def bye() -> None:
        log.append("shutdown")

    with run_app(app, agent="thermo") as agent:
        assert agent.wait_shared("sensor", "temp", count=3) == [
            {"celsius": 20},
            {"celsius": 21},
            {"celsius": 22},
        ]
        assert agent.shared("sensor", "temp") == [{"celsius": 20}, {"celsius": 21}, {"celsius": 22}]
        assert agent.client.agent_id == "thermo"
        space_name = agent.space.name
    assert log == [f"startup as thermo in {space_name}", "shutdown"]
    assert space_name.startswith("iotic-app-test-")
    assert app.config == "local://not-this-one", "the config is put back"


def test_a_feed_made_later_is_waited_for() -> None:
    app = App()
    go = threading.Event()

    @app.main
    def loop(client: Any, runner: ThingRunner) -> None:
        go.wait(10)
        client.create_thing("late").create_feed("f").share("hello")
        runner.wait_for_shutdown()

    with run_app(app) as agent:
        go.set()
        assert agent.wait_shared("late", "f") == ["hello"]


def test_private_spaces_do_not_see_each_other() -> None:
    with PrivateSpace() as one, PrivateSpace() as two:
        assert one.name != two.name
        one.feed("visible", "f", tags=["shared-tag"])
        assert one.peer.search(text="shared-tag")
        assert two.peer.search(text="shared-tag") == {}


def test_share_into_a_feed_the_app_does_not_follow_times_out() -> None:
    app = doubler_app()
    with PrivateSpace() as space:
        space.feed("numbers", "n", tags=["numbers"])
        other = space.feed("other", "x")
        with space.run(app) as agent:
            with pytest.raises(TimeoutError, match=rf"did not follow feed '{other.guid}'"):
                agent.share_into({"n": 1}, feed=other, timeout=0.2)
            assert agent.follows() == [space.peer.get_thing("numbers").get_feed("n").guid]


def test_share_into_without_a_feed_needs_exactly_one_followed() -> None:
    app = App()  # follows nothing
    with (
        PrivateSpace() as space,
        space.run(app, timeout=0.3) as agent,
        pytest.raises(ValueError, match="follows 0 of them"),
    ):
        agent.share_into({"n": 1})


def test_wait_shared_times_out_with_what_arrived() -> None:
    app = App()

    @app.startup
    def setup(client: Any) -> None:
        client.create_thing("t").create_feed("f").share({"n": 1})

    expected = r"shared 1 of 2 values on 't'/'f'.*\[\{'n': 1\}\]"
    with run_app(app) as agent, pytest.raises(TimeoutError, match=expected):
        agent.wait_shared("t", "f", count=2, timeout=0.2)


def test_a_failure_of_the_app_is_raised_when_the_block_ends() -> None:
    app = App()
    fail = threading.Event()

    @app.main
    def loop(runner: ThingRunner) -> None:
        fail.wait(10)
        raise ValueError("sensor on fire")

    with pytest.raises(ValueError, match="sensor on fire"), run_app(app) as agent:
        fail.set()
        assert agent.app.wait_for_shutdown(10)


def test_a_failure_while_waiting_is_raised_at_once() -> None:
    app = App()

    @app.main
    def loop() -> None:
        raise ValueError("no data")

    with pytest.raises(ValueError, match="no data"), run_app(app) as agent:
        agent.wait_shared("never", "made", timeout=10)


def test_a_startup_failure_is_raised_on_entering() -> None:
    app = App()
    shut_down: list[object] = []

    @app.startup
    def setup() -> None:
        raise RuntimeError("no sensor")

    @app.shutdown
    def bye() -> None:
        shut_down.append("ran")

    with pytest.raises(RuntimeError, match="no sensor"), run_app(app):
        pytest.fail("the block must not run")
    assert shut_down == []  # start-up never succeeded
    assert app.config is None


def test_an_app_with_its_own_client_is_refused() -> None:
    app = App(client=Client("local://x"))
    with (
        PrivateSpace() as space,
        pytest.raises(ValueError, match=r"app\.client must be None"),
        space.run(app),
    ):
        pytest.fail("the block must not run")


def test_the_same_app_runs_again_in_a_new_space() -> None:
    app = App()
    runs: list[str] = []

    @app.startup
    def setup(client: Any) -> None:
        runs.append(client.config.space)
        client.create_thing("t").create_feed("f").share(len(runs))

    for expected in (1, 2):
        with run_app(app) as agent:
            assert agent.wait_shared("t", "f") == [expected]
    assert len(set(runs)) == 2


def test_an_app_already_running_is_refused_and_left_running() -> None:
    app = App()
    app.run(background=True)
    try:
        with pytest.raises(RuntimeError, match="already running"), run_app(app):
            pytest.fail("the block must not run")
        assert app.status.state == "running"
        assert app.config is None
    finally:
        assert app.stop(5)


def switch_app() -> App:
    """An actuator: its control "power" takes {"on": bool}; each state is shared on "state"."""
    app = App()

    @app.startup
    def setup(client: Any) -> None:
        lamp = client.create_thing("lamp")  # not public: only its own agent may tell it
        state = lamp.create_feed("state")

        def obey(args: dict[str, Any]) -> None:
            on = args["data"].get("on")
            if isinstance(on, bool):
                state.share({"on": on})
            if args["confirm"]:
                client.confirm_tell(args, isinstance(on, bool))

        lamp.create_control("power", callback=obey)

    return app


def test_tell_and_ask_the_apps_control() -> None:
    with run_app(switch_app()) as agent:
        assert agent.tell("lamp", "power", {"on": True}) is True
        assert agent.tell("lamp", "power", {"on": "maybe"}) == "failed"
        agent.ask("lamp", "power", {"on": False})
        assert agent.wait_shared("lamp", "state", count=2) == [{"on": True}, {"on": False}]


def test_telling_a_control_the_app_does_not_have() -> None:
    with (
        run_app(switch_app(), timeout=0.3) as agent,
        pytest.raises(
            IOTUnknown, match=r"the app has no control 'volume' on thing 'lamp' after 0.3 s"
        ),
    ):
        agent.tell("lamp", "volume", 11)
