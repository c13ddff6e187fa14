"""How many of Iotic Labs' example scripts run on iotic_app with the import substitution alone.

For each script of py-application-examples in scope (docs/porting-inventory.md: thing_runner/,
agent_tutorial_code/getting_started/, iotic_chat/main.py, mqtt_bridge/src/mqtt.py)::

    python benchmarks/port_examples.py --examples PATH [--broker local|mqtt] [--timeout S] [--json]

PATH is a checkout of https://github.com/Iotic-Labs/py-application-examples or its bare git
directory (read at HEAD). Each script is copied to a temporary directory, and ONLY its import
lines are rewritten, by this substitution on each line (nothing else in the script changes)::

    re.sub(r"^(\\s*(?:from|import)\\s+)IoticAgent\\b", r"\\1iotic_app.ioticagent", line)

The ini file it passes (``agent1.ini``, ``Getting_Started.ini``, ...; ``<script>.ini`` if it
passes none) is written with an iotic_app ``url`` and ``agent`` (the ini's name: one ini is one
agent, as an ini was one epid), ``owner = examples`` once iotic_app takes owners (all the
examples' agents were one user's), plus the original's ``host``, ``epid``, ``passwd`` and
``token``, to show they are accepted. The script then runs as a subprocess, after its partner
when it needs one (share_basic before follow_basic, ...), for ``--timeout`` seconds, and is
stopped with SIGINT. It is judged by evidence, in this order: its own problems (a missing
third-party module, reported as ``missing dependency X`` and never installed; a traceback, as
``fails`` with its last line; an exit status other than 0; not ending on SIGINT), then its
partners' (named in the verdict), then the output that its purpose implies (CASES below, from
the inventory: the follower logged the data it received, the offerer logged the request), in
what the script and the partners running beside it printed (not a partner stopped before the
script started: the follow_basic a restore script restores cannot stand in for it): all of it
there is ``works``, anything missing is ``runs-but-does-nothing``.
A script whose purpose depends on the long-gone Iotic Space itself (hard-coded guids of its
things, subscriptions made in its web UI) is not run: it is ``needs the Iotic Space``, with the
reason, and is not counted in the target.

Each script has its own terminal: ``stdin`` lines are typed at its start, ``later`` ones once
the judged script has run ``--lead`` + 2 seconds (the chat's users type once both are in). A
case with ``ui`` first runs a script of ours that does what the example's user did in the
Iotic Space web UI before running it (3.2 prints that handiwork); its verdict says so.

``--broker mqtt`` starts a stock Mosquitto (one listener on a free 127.0.0.1 port, anonymous,
nothing tuned; tests/broker.py) and a directory next to it (``iotic-app directory``, which
search on MQTT needs) for each script, and each script of a pair is its own process.
``--broker local`` uses ``local://``, the embedded space of one process, so a pair runs in one
interpreter: a launcher runs the partner in a thread and the script in the main thread (and
stops the partner's runners, when a case says so, by calling their ``stop()``).

Cases run ``--jobs`` at a time (default 2 per CPU: far more delays shutdowns past ``--grace``).
``--sharer share_basic_error.py`` is a diagnostic, not the figure: it stands in for
share_basic.py (which needs rdflib) as the follow_* scripts' partner, to show what fails next.

``--cases FILE`` replaces the table with a JSON list of case objects (the fields of ``Case``),
with ``script`` paths relative to ``--examples``; the smoke test uses it.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))

from broker import Broker  # noqa: E402

#: The porting substitution, applied to each line of a script.
IMPORT_LINE = re.compile(r"^(\s*(?:from|import)\s+)IoticAgent\b")

#: The 0.7.0 [agent] keys an original ini had (values made up): kept to show they are accepted.
CLASSIC_KEYS = {
    "host": "127.0.0.1:5671",
    "epid": "0f5b0ad6c24544c4a9f4e5c9e1a2b3c4",
    "passwd": "not-a-password",
    "token": "not-a-token",
}

GS = "agent_tutorial_code/getting_started/"
TR = "thing_runner/"
FF = "thing_runner/follow_feed/"
AC = "thing_runner/attach_control/"
MAIN_RUNNING = r"Main running, press ctrl\+c to quit\."
STARTED = r"Started\. Press CTRL\+C to end"
FOLLOWED = r"Found parsed data for key count: value: \d+"
GUID = r"[0-9a-f]{32}"


@dataclass(frozen=True)
class Partner:
    """A script started before the one judged, with its own argv; *stop*: SIGINT it first."""

    script: str
    args: tuple[str, ...] = ()
    stop: bool = False
    stdin: str | None = None
    #: Typed at its terminal once the judged script has run ``--lead`` + 2 seconds.
    later: str | None = None
    #: On MQTT (a process each), what its output shows once it is up; then ``--lead`` more.
    ready: str | None = STARTED


@dataclass(frozen=True)
class Case:
    """One script: how it is run, and what its output must show for it to work."""

    script: str
    #: The ini files it reads (as it names them); empty: ``<script>.ini``.
    inis: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    partners: tuple[Partner, ...] = ()
    #: Regular expressions, each to be found in the output (stdout and stderr of every process).
    expect: tuple[str, ...] = ()
    #: Why its purpose needs the Iotic Space itself (then it is not run).
    space: str | None = None
    #: Traceback-ending lines that are part of the script's purpose (a demonstrated retry).
    allowed_errors: tuple[str, ...] = ()
    stdin: str | None = None
    #: Typed at its terminal once it has run ``--lead`` + 2 seconds (a user answering).
    later: str | None = None
    #: Extra ini sections, ``{section: {key: value}}``; ``{broker}`` is the MQTT broker's port.
    extra_ini: dict[str, dict[str, str]] = field(default_factory=dict)
    #: Said after the verdict when the script does not work (e.g. it fails on 0.7.0 too).
    note: str = ""
    #: A script of ours (classic API) run to its end before the case, in place of what a user
    #: did in the Iotic Space web UI and the script shows ("see your handiwork").
    ui: str | None = None
    #: A stock Mosquitto on this fixed 127.0.0.1 port, which the script itself connects to,
    #: started whatever ``--broker`` is (one case at a time on this machine: a lock file).
    own_broker: int | None = None
    #: A script of benchmarks/ and its arguments (``{own_broker}`` is that port), run once the
    #: judged script's output matches *driver_ready*; the case ends when it exits. It plays
    #: the other side of the script's purpose; its output is judged with the script's.
    driver: tuple[str, ...] = ()
    driver_ready: str | None = None


#: What 3.2's user did in the Iotic Space web UI before running it (its header: "metadata added
#: in the UI", "tags added in the UI"), done with the classic API instead.
UI_HANDIWORK = """\
from iotic_app.ioticagent import IOT

with IOT.Client('Getting_Started.ini') as client:
    thing = client.create_thing('My_First_Thing')
    with thing.get_meta() as meta:
        meta.set_label('My First Thing')
        meta.set_description('Given a label, a location and a tag in the web UI')
        meta.set_location(52.2, 0.12)
    thing.create_tag(['tutorial'])
print('handiwork done')
"""

SHARE = Partner(FF + "share_basic.py")
OFFER = Partner(AC + "offer_basic.py")

#: The 35 scripts of docs/porting-inventory.md section 1, with their expected evidence.
CASES: tuple[Case, ...] = (
    Case(GS + "1_its_alive.py", ("Getting_Started.ini",), expect=(r"Connected\? \.\.\. True",)),
    Case(
        GS + "2_wired_up_catchall.py",
        ("Getting_Started.ini",),
        # nothing is routed to it unless something is followed: connected and waiting is all
        expect=(r"Connected\? \.\.\. True", MAIN_RUNNING),
    ),
    Case(GS + "3.1_connect_thing.py", ("Getting_Started.ini",), expect=(rf"\(guid\): {GUID}",)),
    Case(
        GS + "3.2_connect_thing_see_handiwork.py",
        ("Getting_Started.ini",),
        expect=(r"lat = 52\.2", r"Tags for this Thing:\s+\['tutorial'\]", MAIN_RUNNING),
        # it prints what the user did to My_First_Thing in the web UI (its location printed
        # with %f: 0.7.0 fails alike without one); UI_HANDIWORK does that instead
        ui=UI_HANDIWORK,
    ),
    Case(
        GS + "3.3_connect_thing_following.py",
        ("Getting_Started.ini",),
        space="re-follows subscriptions of My_First_Thing made by 3.4 (a hard-coded Iotic Space "
        "guid) or in the Iotic Space web UI",
    ),
    Case(
        GS + "3.4_connect_thing_following_hardcoded.py",
        ("Getting_Started.ini",),
        space="follows the hard-coded guid of a feed in the Iotic Space",
    ),
    Case(
        GS + "4.1_create_minimal_thing.py",
        ("Getting_Started.ini",),
        expect=(rf"\(guid\): {GUID}", MAIN_RUNNING),
    ),
    Case(
        GS + "4.2_create_thing_metadata.py",
        ("Getting_Started.ini",),
        expect=(r"List of Tags for this Thing:", MAIN_RUNNING),
    ),
    Case(
        GS + "5.1_follow_feed.py",
        ("Feed_Follow.ini",),
        space="follows the hard-coded guid of a feed in the Iotic Space",
    ),
    Case(
        GS + "6.1_advertise_feed.py",
        ("Feed_Advertise.ini",),
        expect=(r"Check this is a feed or control: feed", MAIN_RUNNING),
    ),
    Case(
        GS + "6.2_advertise_feed_metadata.py",
        ("Feed_Advertise.ini",),
        expect=(r"Check this is a feed or control: feed", r"Returned descriptions:", MAIN_RUNNING),
    ),
    Case(
        GS + "6.3_advertise_feed_share.py",
        ("Feed_Advertise.ini",),
        expect=(r"Check this is a feed or control: feed", MAIN_RUNNING),
    ),
    Case(
        GS + "7.1_offer_control.py",
        ("Control_Offer.ini",),
        expect=(r"Check this is a feed or control: control", MAIN_RUNNING),
    ),
    Case(
        GS + "7.2_offer_control_metadata.py",
        ("Control_Offer.ini",),
        expect=(r"Check this is a feed or control: control", MAIN_RUNNING),
    ),
    Case(
        GS + "8.1_attach_to_control.py",
        ("Control_Actuate.ini",),
        space="attaches to the hard-coded guid of a control in the Iotic Space",
    ),
    Case(
        GS + "8.2_actuate_control_ask.py",
        ("Control_Actuate.ini",),
        space="asks the hard-coded guid of a control in the Iotic Space",
    ),
    Case(TR + "plain_template.py", ("your_config.ini",)),
    Case(
        TR + "plain_template_background.py",
        ("your_config.ini",),
        expect=(r"Press ctrl\+C to end", r"Ended"),
    ),
    Case(AC + "offer_basic.py", ("agent1.ini",), expect=(STARTED,)),
    Case(
        AC + "attach_basic.py",
        ("agent1.ini", "agent2.ini"),
        partners=(OFFER,),
        expect=(STARTED, r"Control request received", r"Found parsed data for key temp"),
    ),
    Case(
        AC + "attach_basic_tell.py",
        ("agent1.ini", "agent2.ini"),
        partners=(OFFER,),
        # offer_basic refuses tells: the tell reaches it and comes back failed
        expect=(STARTED, r"Control request received", r"Tell failed - reason: failed"),
    ),
    Case(FF + "share_basic.py", ("agent1.ini",), expect=(STARTED, r"Sharing value: \d+")),
    Case(
        FF + "share_basic_error.py",
        ("agent1.ini",),
        expect=(STARTED,),
        allowed_errors=(r"DemoException",),
    ),
    Case(
        FF + "follow_basic.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(STARTED, r"Feed data received\. Shared at ", FOLLOWED),
    ),
    Case(
        FF + "follow_basic_catchall.py",
        ("agent1.ini", "agent2.ini"),
        # it makes no follow: it gets the data of the follow follow_basic (same thing) made
        partners=(SHARE, Partner(FF + "follow_basic.py", stop=True)),
        # share_basic's data parses, so the parsed catch-all gets it (the plain one only
        # gets data that does not parse, as on 0.7.0)
        expect=(r"Feed data received\. Shared at ", FOLLOWED),
    ),
    Case(
        FF + "follow_basic_database.py",
        ("agent2.ini",),
        space="stores the feeds of subscriptions 'made on your behalf (probably in the UI)' of "
        "the Iotic Space (thing_runner/README.md)",
    ),
    Case(
        FF + "follow_basic_recent.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(r"Found recent data for key count: value: \d+", FOLLOWED),
    ),
    Case(
        FF + "follow_basic_restore.py",
        ("agent1.ini", "agent2.ini"),
        # it re-follows what follow_basic (same thing) followed before
        partners=(SHARE, Partner(FF + "follow_basic.py", stop=True)),
        expect=(r"re-connecting to feed " + GUID, FOLLOWED),
    ),
    Case(
        FF + "follow_basic_subscription.py",
        ("agent2.ini",),
        space="follows whatever a subscription made in the Iotic Space web UI names",
    ),
    Case(
        FF + "follow_search_global.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(FOLLOWED,),
    ),
    Case(
        FF + "follow_search_global_property.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(FOLLOWED,),
    ),
    Case(
        FF + "follow_search_local.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(FOLLOWED,),
    ),
    Case(
        FF + "follow_search_local_property.py",
        ("agent1.ini", "agent2.ini"),
        partners=(SHARE,),
        expect=(FOLLOWED,),
    ),
    Case(
        "iotic_chat/main.py",
        ("chat_alice.ini", "chat_bob.ini"),
        args=("chat_alice.ini", "alice"),
        partners=(
            Partner(
                "iotic_chat/main.py",
                ("chat_bob.ini", "bob"),
                stdin="bob\n",  # the nickname
                later="hi from bob\n",
                ready="Welcome to the Iotic Chat",
            ),
        ),
        stdin="alice\n",
        later="hi from alice\n",
        # each sees the other's line: alice follows bob (found by search), bob follows alice
        # when told of her follow (register_callback_subscription, list_followers, describe)
        expect=(r"Welcome to the Iotic Chat", r">bob: hi from bob", r">alice: hi from alice"),
        note="list_tag()['en'] fails on 0.7.0 (its list_tag() is a list; iotic_app's also "
        "takes a language, as IoticAgent's before 0.7)",
    ),
    Case(
        "mqtt_bridge/src/mqtt.py",
        ("mqtt.ini",),
        # as its README says; but 0.7.0's Config drops [mqtt] (only agent, iot, core and
        # logging are kept), so the bridge always used 127.0.0.1:1883, and so it does here
        extra_ini={"mqtt": {"host": "127.0.0.1", "port": "{broker}"}},
        own_broker=1883,
        # a device's requests on the bridge's broker get the agent's answers: a thing and a
        # feed created (201, E_CREATED), then the listing holds the thing
        driver=("bridge_driver.py", "{own_broker}"),
        driver_ready=r"Connected with result code",
        expect=(
            r"Agent connected: ",
            r'response 1: \{"code": 201, "p": \{[^}]*"lid": "bridged"[^}]*\}, "t": 4\}',
            r'response 2: \{"code": 201, "p": \{[^}]*"entityLid": "bridged"[^}]*\}, "t": 4\}',
            r'response 3: \{"code": 200, "p": \{"bridged": \{"id": "[0-9a-f]{32}"',
        ),
    ),
)

MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([^'.]+)")

LAUNCHER = '''\
"""port_examples' launcher: scripts in one process (local:// is one process's space)."""
import json, os, runpy, sys, threading, time, traceback
from pathlib import Path


def _runners(script):
    import gc
    import iotic_app
    path = str(Path(script).resolve())
    found = []
    for obj in gc.get_objects():
        if isinstance(obj, iotic_app.ThingRunner):
            codes = [getattr(f, "__code__", None) for f in vars(type(obj)).values()]
            if any(c is not None and str(Path(c.co_filename).resolve()) == path for c in codes):
                found.append(obj)
    return found


def _run(script, args):
    sys.argv = [script, *args]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


spec = json.loads(sys.argv[1])
MARK = spec["mark"]

# Each script has its own terminal: input() in a partner's thread reads the lines typed for it.
import builtins, queue
TERMINALS = {}
_real_input = builtins.input


def _input(prompt=""):
    terminal = TERMINALS.get(threading.current_thread().name)
    if terminal is None:
        return _real_input(prompt)
    sys.stdout.write(str(prompt))
    sys.stdout.flush()
    line = terminal.get()
    if line is None:
        raise EOFError
    return line


def _type(name, text):
    for line in (text or "").splitlines():
        TERMINALS[name].put(line)


builtins.input = _input
TERMINALS["MainThread"] = queue.Queue()
_type("MainThread", spec["stdin"])
if spec["ui"]:  # the web UI's part, in this process: local:// is one process's space
    _run("_ui.py", [])
threads = []
for n, partner in enumerate(spec["partners"]):
    name = f"partner{n}"
    TERMINALS[name] = queue.Queue()
    _type(name, partner["stdin"])
    thread = threading.Thread(
        target=_run, args=(partner["script"], partner["args"]), name=name, daemon=True
    )
    thread.start()
    time.sleep(spec["lead"])
    if partner["stop"]:
        for runner in _runners(partner["script"]):
            runner.stop()
        thread.join(10)
print(MARK, flush=True)  # what follows is the judged script's (and running partners')
print(MARK, file=sys.stderr, flush=True)


def _type_later():
    time.sleep(spec["later_after"])
    _type("MainThread", spec["later"])
    for n, partner in enumerate(spec["partners"]):
        _type(f"partner{n}", partner["later"])


threading.Thread(target=_type_later, daemon=True).start()
code = _run(spec["script"], spec["args"])
for partner in spec["partners"]:
    for runner in _runners(partner["script"]):
        runner.stop()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
'''


@dataclass
class Outcome:
    """What one case gave: the verdict, a detail and the output it was judged on."""

    script: str
    verdict: str
    detail: str = ""
    seconds: float = 0.0
    output: str = field(default="", repr=False)


# -- reading the examples --------------------------------------------------------------------


def _is_bare_git(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def read_script(examples: Path, script: str) -> str:
    """The text of *script* in a checkout, or at HEAD of a bare git directory."""
    if _is_bare_git(examples):
        done = subprocess.run(
            ["git", "--git-dir", str(examples), "show", f"HEAD:{script}"],
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout
    return (examples / script).read_text()


def port(text: str) -> str:
    """The script with its import lines ported, and nothing else changed."""
    lines = text.splitlines(keepends=True)
    return "".join(IMPORT_LINE.sub(r"\1iotic_app.ioticagent", line) for line in lines)


# -- running ---------------------------------------------------------------------------------


#: The owner every example agent belongs to (one user's agents, as in the Iotic Space).
OWNER = "examples"


def owner_supported(url: str) -> bool:
    """Whether iotic_app takes an ``owner`` for *url* (issue 11's owners); then inis name one."""
    from iotic_app.client import AgentConfig

    try:
        AgentConfig.from_url(url + ("&" if "?" in url else "?") + f"owner={OWNER}")
    except ValueError:
        return False
    return True


def _ini_text(stem: str, url: str, case: Case, broker_port: int | None) -> str:
    keys = {"url": url, "agent": stem, **CLASSIC_KEYS}
    if owner_supported(url):
        keys["owner"] = OWNER
    text = "[agent]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
    for section, values in case.extra_ini.items():
        text += f"\n[{section}]\n"
        for key, value in values.items():
            text += f"{key} = {value.replace('{broker}', str(broker_port or 1883))}\n"
    return text


def _prepare(folder: Path, examples: Path, case: Case, url: str, port_: int | None) -> None:
    for script in {case.script, *(p.script for p in case.partners)}:
        target = folder / Path(script).name
        target.write_text(port(read_script(examples, script)))
    inis = case.inis or (Path(case.script).stem + ".ini",)
    for ini in inis:
        (folder / ini).write_text(_ini_text(Path(ini).stem, url, case, port_))


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    killed: bool = False


#: Seconds after ``--lead`` at which the ``later`` lines are typed.
LATER = 2.0


def _type(proc: _Proc, text: str | None) -> None:
    """Type *text* at *proc*'s terminal (its stdin, kept open)."""
    if text and proc.popen.stdin is not None and proc.popen.poll() is None:
        try:
            proc.popen.stdin.write(text.encode())
            proc.popen.stdin.flush()
        except BrokenPipeError:
            pass


def _start(
    folder: Path, name: str, argv: list[str], stdin: str | None, env: dict[str, str]
) -> _Proc:
    out, err = folder / f"{name}.out", folder / f"{name}.err"
    with out.open("wb") as out_f, err.open("wb") as err_f:
        popen = subprocess.Popen(
            [sys.executable, *argv],
            cwd=folder,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=out_f,
            stderr=err_f,
            env=env,
        )
    if stdin is not None and popen.stdin is not None:
        popen.stdin.write(stdin.encode())
        popen.stdin.flush()  # kept open: the script waits for more, as at a terminal
    return _Proc(name, popen, out, err)


def _wait_ready(proc: _Proc, ready: str | None, timeout: float) -> None:
    """Wait until *proc*'s output matches *ready*, it exits, or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while ready is not None and proc.popen.poll() is None and time.monotonic() < deadline:
        text = proc.out.read_text(errors="replace") + proc.err.read_text(errors="replace")
        if re.search(ready, text):
            return
        time.sleep(0.05)


def _interrupt(proc: _Proc, grace: float) -> None:
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGINT)
        try:
            proc.popen.wait(grace)
        except subprocess.TimeoutExpired:
            proc.killed = True
            proc.popen.kill()
            proc.popen.wait(10)
    if proc.popen.stdin is not None:
        proc.popen.stdin.close()


def _env(folder: Path) -> dict[str, str]:
    env = dict(os.environ)
    # each case's agents keep their MQTT outbox in the case's folder, not ~/.local/state
    env["XDG_STATE_HOME"] = str(folder / "state")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("IOTIC_APP_CONFIG", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def _own_broker(folder: Path, port: int | None) -> Any:
    """A stock Mosquitto on *port* (None: nothing), holding a machine-wide lock on that port
    while it runs, so that concurrent runs take turns rather than clash."""
    if port is None:
        yield None
        return
    lock = Path(tempfile.gettempdir()) / f"port_examples-{port}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        own = Broker(folder / "own-mosquitto", stock=True, port=port)
        try:
            own.start()
            yield own
        finally:
            own.close()


def run_case(
    examples: Path, case: Case, broker: str, timeout: float, lead: float, grace: float
) -> Outcome:
    """Run one case and judge it."""
    if case.space is not None:
        return Outcome(case.script, "needs the Iotic Space", case.space, output="")
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="port-examples-"))
    try:
        with _own_broker(folder, case.own_broker):
            return _run_in(folder, examples, case, broker, timeout, lead, grace, started)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_in(
    folder: Path,
    examples: Path,
    case: Case,
    broker: str,
    timeout: float,
    lead: float,
    grace: float,
    started: float,
) -> Outcome:
    mosquitto: Broker | None = None
    directory: _Proc | None = None
    procs: list[_Proc] = []
    try:
        if broker == "mqtt":
            mosquitto = Broker(folder / "mosquitto", stock=True)
            mosquitto.start()
            url, broker_port = mosquitto.url, mosquitto.port
        else:
            url, broker_port = "local://examples", None
        _prepare(folder, examples, case, url, broker_port)
        env = _env(folder)
        if case.ui is not None:  # the web UI's part, done before the script
            (folder / "_ui.py").write_text(case.ui)
        if case.ui is not None and broker == "mqtt":
            subprocess.run(
                [sys.executable, "_ui.py"],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
                timeout=60,
            )
        main_argv = [Path(case.script).name, *case.args]
        if broker == "mqtt":  # search on MQTT needs a directory next to the broker (README)
            config = f"{url}?agent=directory"
            argv = ["-m", "iotic_app", "directory", "--config", config, "--db", "directory.db"]
            directory = _start(folder, "directory", [*argv, "--log-level", "INFO"], None, env)
            _wait_ready(directory, "resynced", 20.0)
            for n, partner in enumerate(case.partners):
                name = f"partner{n}-{Path(partner.script).stem}"
                argv = [Path(partner.script).name, *partner.args]
                procs.append(_start(folder, name, argv, partner.stdin, env))
                _wait_ready(procs[-1], partner.ready, 20.0)
                time.sleep(lead)
                if partner.stop:
                    _interrupt(procs[-1], grace)
            procs.append(_start(folder, "main", main_argv, case.stdin, env))
        else:
            (folder / "_launch.py").write_text(LAUNCHER)
            spec = {
                "script": main_argv[0],
                "args": main_argv[1:],
                "lead": lead,
                "mark": MAIN_STARTS,
                "ui": case.ui is not None,
                "stdin": case.stdin,
                "later": case.later,
                "later_after": lead + LATER,
                "partners": [
                    {
                        "script": Path(p.script).name,
                        "args": list(p.args),
                        "stop": p.stop,
                        "stdin": p.stdin,
                        "later": p.later,
                    }
                    for p in case.partners
                ],
            }
            argv = ["_launch.py", json.dumps(spec)]
            procs.append(_start(folder, "main", argv, None, env))
            # the script's time starts when it does, after its partners' (as on MQTT)
            _wait_ready(procs[-1], re.escape(MAIN_STARTS), 60.0)
        now = time.monotonic()
        deadline, later_at = now + timeout, now + lead + LATER
        main = procs[-1]
        if case.driver:
            _wait_ready(main, case.driver_ready, timeout)
        if case.driver and main.popen.poll() is None:  # not when the script ended already
            name, *args = (arg.replace("{own_broker}", str(case.own_broker)) for arg in case.driver)
            shutil.copy(HERE / name, folder / name)
            procs.append(_start(folder, f"driver-{Path(name).stem}", [name, *args], None, env))
            main = procs[-1]  # the case ends when the driver does
        while main.popen.poll() is None and time.monotonic() < deadline:
            if broker == "mqtt" and later_at is not None and time.monotonic() >= later_at:
                later_at = None  # the users type what they answer, each at their terminal
                for partner, proc in zip(case.partners, procs, strict=False):
                    _type(proc, partner.later)
                _type(next(p for p in procs if p.name == "main"), case.later)
            time.sleep(0.1)
        for proc in reversed(procs):
            _interrupt(proc, grace)
        if directory is not None:
            _interrupt(directory, grace)
        return judge(case, procs, time.monotonic() - started)
    finally:
        for proc in [*procs, *([directory] if directory is not None else [])]:
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(10)
        if mosquitto is not None:
            mosquitto.close()


# -- judging ---------------------------------------------------------------------------------


FRAME = re.compile(r'^\s*File "(?:.*/)?([^/"]+\.py)", line \d+')


def tracebacks(stderr: str) -> list[tuple[list[str], str]]:
    """Each traceback in *stderr*: the file names of its frames, and its last line."""
    found: list[tuple[list[str], str]] = []
    lines = stderr.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].startswith("Traceback (most recent call last):"):
            files: list[str] = []
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                frame = FRAME.match(lines[j])
                if frame:
                    files.append(frame.group(1))
                j += 1
            if j < len(lines):
                found.append((files, lines[j].strip()))
            i = j
        i += 1
    return found


def _problems(case: Case, procs: list[_Proc]) -> dict[str, list[str]]:
    """What went wrong, per script of the case (its file name), the judged script's first.

    A traceback belongs to the first of the case's scripts among its frames (local:// runs a
    pair in one process), else to the process it was printed by."""
    main_name = Path(case.script).name
    names = [main_name, *(Path(p.script).name for p in case.partners)]
    names += [Path(case.driver[0]).name] if case.driver else []
    problems: dict[str, list[str]] = {name: [] for name in names}
    for proc in procs:
        owner = main_name if proc.name == "main" else proc.name.split("-", 1)[1] + ".py"
        for files, last in tracebacks(proc.err.read_text(errors="replace")):
            if any(re.search(allowed, last) for allowed in case.allowed_errors):
                continue
            script = next((f for f in files if f in problems and f != "_launch.py"), owner)
            missing = MISSING_MODULE.search(last)
            if missing and not missing.group(1).startswith("iotic_app"):
                problems[script].insert(0, f"missing dependency {missing.group(1)}")
            else:
                problems[script].append(f"fails: {last}")
        if proc.killed:
            problems[owner].append("fails: did not end on SIGINT")
        elif proc.popen.returncode not in (0, -signal.SIGINT) and not problems[owner]:
            problems[owner].append(f"fails: exit status {proc.popen.returncode}")
    return problems


#: What the local:// launcher prints (stdout and stderr) before it runs the judged script.
MAIN_STARTS = "=== port_examples: the judged script starts ==="


def _own_output(case: Case, procs: list[_Proc]) -> str:
    """Where the case's evidence is looked for: the output of the judged script, of its driver
    and of the partners that run beside it (an offerer logs the request it got), never of one that
    was stopped before the script started (follow_basic cannot stand in for a restore script).
    On local:// one process prints it all: what it printed once the script started."""
    kept = {"main"} | {
        f"partner{n}-{Path(p.script).stem}" for n, p in enumerate(case.partners) if not p.stop
    }
    texts = []
    for proc in procs:
        if proc.name in kept or proc.name.startswith("driver-"):
            for text in (
                proc.out.read_text(errors="replace"),
                proc.err.read_text(errors="replace"),
            ):
                texts.append(text.partition(MAIN_STARTS)[2] or text)
    return "\n".join(texts)


def judge(case: Case, procs: list[_Proc], seconds: float) -> Outcome:
    """The verdict on a case's processes, by the evidence of their exit and output.

    The judged script's own first problem, else its partner's (named in the detail), else the
    evidence its purpose implies."""
    outputs = {
        p.name: p.out.read_text(errors="replace") + p.err.read_text(errors="replace") for p in procs
    }
    output = "\n".join(f"--- {name}\n{text}" for name, text in outputs.items())
    problems = _problems(case, procs)
    main_name = Path(case.script).name
    own = problems.pop(main_name)
    partner_notes = [f"partner {name}: {found[0]}" for name, found in problems.items() if found]

    def outcome(verdict: str, *details: str) -> Outcome:
        note = case.note if verdict != "works" else ""
        if case.ui is not None:
            note = "; ".join(
                n for n in ("its web-UI handiwork done by a script of ours", note) if n
            )
        detail = "; ".join(d for d in (*details, note) if d)
        return Outcome(case.script, verdict, detail, round(seconds, 1), output)

    if own:
        return outcome(own[0], *partner_notes)
    if partner_notes:
        name, found = next((n, f) for n, f in problems.items() if f)
        verdict = found[0]
        if verdict.startswith("fails: "):
            verdict = "fails: partner " + name + ": " + verdict[len("fails: ") :]
        else:
            verdict += f" (partner {name})"
        return outcome(verdict, *partner_notes[1:])
    own_output = _own_output(case, procs)
    missing_evidence = [pattern for pattern in case.expect if not re.search(pattern, own_output)]
    if missing_evidence:
        return outcome("runs-but-does-nothing", "no " + " / no ".join(missing_evidence))
    return outcome("works")


# -- reporting -------------------------------------------------------------------------------


def totals(outcomes: list[Outcome]) -> dict[str, int]:
    """How many work of how many are in scope (all but those needing the Iotic Space)."""
    in_scope = [o for o in outcomes if o.verdict != "needs the Iotic Space"]
    return {
        "works": sum(o.verdict == "works" for o in in_scope),
        "in_scope": len(in_scope),
        "needs_space": len(outcomes) - len(in_scope),
        "runs_but_does_nothing": sum(o.verdict == "runs-but-does-nothing" for o in in_scope),
        "fails": sum(o.verdict.startswith("fails") for o in in_scope),
        "missing_dependency": sum(o.verdict.startswith("missing dependency") for o in in_scope),
        "total": len(outcomes),
    }


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as a Markdown table, then the totals line."""
    rows = ["| script | verdict | detail |", "|---|---|---|"]
    for o in outcomes:
        verdict, detail = (text.replace("|", "\\|") for text in (o.verdict, o.detail))
        rows.append(f"| `{o.script}` | {verdict} | {detail} |")
    t = totals(outcomes)
    rows.append("")
    rows.append(
        f"{t['works']} of {t['in_scope']} in scope work "
        f"({t['runs_but_does_nothing']} run but do nothing, {t['fails']} fail, "
        f"{t['missing_dependency']} miss a dependency; {t['needs_space']} of {t['total']} "
        "need the Iotic Space and are not counted)"
    )
    return "\n".join(rows)


def load_cases(path: Path) -> tuple[Case, ...]:
    """Cases from a JSON list of objects with ``Case``'s fields (partners as objects)."""
    cases = []
    for item in json.loads(path.read_text()):
        item = dict(item)
        item["partners"] = tuple(
            Partner(**{**p, "args": tuple(p.get("args", ()))}) for p in item.get("partners", ())
        )
        for key in ("inis", "args", "expect", "allowed_errors", "driver"):
            item[key] = tuple(item.get(key, ()))
        cases.append(Case(**item))
    return tuple(cases)


def main(argv: list[str] | None = None) -> int:
    """Run every case and print the table (or JSON); exit status 0 whatever the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=Path, required=True, help="checkout or bare git dir")
    parser.add_argument("--broker", choices=("local", "mqtt"), default="local")
    parser.add_argument(
        "--timeout", type=float, default=14.0, help="seconds each script runs before SIGINT"
    )
    parser.add_argument(
        "--lead", type=float, default=2.0, help="seconds a partner runs before the next starts"
    )
    parser.add_argument("--grace", type=float, default=10.0, help="seconds to end after SIGINT")
    parser.add_argument(
        "--jobs", type=int, default=2 * (os.cpu_count() or 1), help="cases run at once"
    )
    parser.add_argument("--only", action="append", default=[], help="scripts whose path has this")
    parser.add_argument("--cases", type=Path, help="a JSON case table instead of the built-in one")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--verbose", action="store_true", help="print each case's output too")
    parser.add_argument(
        "--sharer",
        default=None,
        help="diagnostic, not the figure: this script (e.g. share_basic_error.py, which needs no "
        "rdflib) replaces share_basic.py as the partner of the follow_* scripts",
    )
    args = parser.parse_args(argv)
    cases = load_cases(args.cases) if args.cases else CASES
    if args.sharer:
        sharer = Partner(FF + args.sharer)
        cases = tuple(
            replace(c, partners=tuple(sharer if p == SHARE else p for p in c.partners))
            for c in cases
        )
    if args.only:
        cases = tuple(c for c in cases if any(part in c.script for part in args.only))
    examples: Path = args.examples.resolve()
    if (examples / ".git").is_dir() and not (examples / "thing_runner").exists():
        examples = examples / ".git"
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = list(
            pool.map(
                lambda c: run_case(examples, c, args.broker, args.timeout, args.lead, args.grace),
                cases,
            )
        )
    if args.json:
        result: dict[str, Any] = {
            "broker": args.broker,
            "outcomes": [
                {k: v for k, v in asdict(o).items() if args.verbose or k != "output"}
                for o in outcomes
            ],
            "totals": totals(outcomes),
        }
        result["owner_written"] = owner_supported("local://examples")
        print(json.dumps(result, indent=2))
    else:
        if args.verbose:
            for o in outcomes:
                print(f"===== {o.script}: {o.verdict}\n{o.output}")
        print(table(outcomes))
        if owner_supported("local://examples"):
            print(f"(inis: url, agent, owner = {OWNER}, the 0.7.0 keys)")
        else:
            print(
                f"(inis: url, agent, the 0.7.0 keys; no owner = {OWNER}: iotic_app takes none yet)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
