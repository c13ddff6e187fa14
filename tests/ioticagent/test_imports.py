"""Every classic import line of the example scripts works after the one substitution."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

#: The ``IoticAgent`` import lines of Iotic Labs' py-application-examples (commit b8fc246,
#: ``git grep -h "^\s*from IoticAgent\|^\s*import IoticAgent" -- '*.py'``, with how many
#: scripts have each), as the scripts spell them.
CLASSIC_LINES: list[tuple[str, int]] = [
    ("from IoticAgent import IOT", 19),
    ("from IoticAgent.ThingRunner import RetryingThingRunner", 17),
    ("from IoticAgent.Core.compat import monotonic", 16),
    ("from IoticAgent import Datatypes, Units", 12),
    ("from IoticAgent.IOT.Exceptions import IOTUnknown", 4),
    ("from IoticAgent import Datatypes", 3),
    ("from IoticAgent.IOT.RemotePoint import RemoteFeed", 2),
    ("from IoticAgent.Core.Const import SearchScope", 2),
    ("from IoticAgent.Core.Const import R_FEED", 2),
    ("from IoticAgent.IOT.Exceptions import LinkException", 1),
    ("from IoticAgent.Core.compat import Queue, Empty", 1),
    ("from IoticAgent.Core.compat import PY3", 1),
    ("from IoticAgent.Core.compat import Event, Lock, monotonic", 1),
    ("from IoticAgent.Core.Const import R_FEED, R_CONTROL", 1),
    ("from IoticAgent import ThingRunner", 1),
    ("from IoticAgent import IOT, Datatypes, Units", 1),
    ("from IoticAgent import Core as IoticAgentCore", 1),
]

#: Lines of modules still to come (issue 11), expected to fail until they exist.
LATER: dict[str, str] = {}


def port(line: str) -> str:
    """The porting substitution: ``IoticAgent`` -> ``iotic_app.ioticagent``, in import lines."""
    return re.sub(r"^(\s*(?:from|import)\s+)IoticAgent\b", r"\1iotic_app.ioticagent", line)


def _bound(line: str) -> list[str]:
    names = line.partition(" import ")[2]
    return [part.split(" as ")[-1].strip() for part in names.split(",")]


def _params() -> list[object]:
    return [
        pytest.param(line, marks=pytest.mark.xfail(strict=True, reason=LATER[line]))
        if line in LATER
        else line
        for line, _ in CLASSIC_LINES
    ]


@pytest.mark.parametrize("line", _params())
def test_the_ported_line_imports(line: str) -> None:
    namespace: dict[str, object] = {}
    exec(port(line), namespace)
    assert all(namespace.get(name) is not None for name in _bound(line))


def test_the_substitution_touches_import_lines_only() -> None:
    assert port("from IoticAgent.Core.Const import R_FEED") == (
        "from iotic_app.ioticagent.Core.Const import R_FEED"
    )
    assert port("import IoticAgent") == "import iotic_app.ioticagent"
    assert port("print('IoticAgent')") == "print('IoticAgent')"


def test_the_names_are_the_classic_ones() -> None:
    """What the lines bind is what a script then uses (the values are pinned by the API table)."""
    from iotic_app.ioticagent import IOT, Core, Datatypes, ThingRunner, Units
    from iotic_app.ioticagent.Core.compat import Empty, Event, Lock, Queue, monotonic
    from iotic_app.ioticagent.Core.Const import R_CONTROL, R_FEED, SearchScope

    assert (R_FEED, R_CONTROL, SearchScope.LOCAL_OWN.value) == (2, 3, "localOwn")
    assert IOT.SearchScope is SearchScope and Core.Const.R_FEED == R_FEED
    assert Datatypes.INTEGER == "integer"
    assert Units.COUNTS_PER_MIN == "http://purl.obolibrary.org/obo/UO_0000148"
    import iotic_app

    # iotic_app's runners (their semantics), whose client is the classic IOT.Client
    assert issubclass(ThingRunner, iotic_app.ThingRunner)
    assert ThingRunner.client_factory is not iotic_app.ThingRunner.client_factory
    queue: Queue[int] = Queue()
    with pytest.raises(Empty):
        queue.get_nowait()
    assert isinstance(monotonic(), float) and Lock and Event


def test_a_ported_runner_script_runs() -> None:
    """A thing_runner-shaped script, its imports ported, runs to its end on local://."""
    script = "\n".join(
        port(line)
        for line in [
            "from IoticAgent.ThingRunner import RetryingThingRunner",
            "from IoticAgent.Core.compat import monotonic",
            "from IoticAgent import Datatypes, Units",
            "",
            "class Runner(RetryingThingRunner):",
            "    def on_startup(self):",
            "        self.thing = self.client.create_thing('share_basic')",
            "        self.feed = self.thing.create_feed('share_basic_feed')",
            "        self.feed.create_value('count', Datatypes.INTEGER, unit=Units.COUNTS_PER_MIN)",
            "    def main(self):",
            "        start = monotonic()",
            "        templ = self.feed.get_template()",
            "        templ.values.count = 7",
            "        self.feed.share(templ)",
            "        print('shared', self.feed.pid, self.wait_for_shutdown(0))",
            "",
            "Runner(config='local://ported?agent=agent1').run()",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout == "shared share_basic_feed False\n"
