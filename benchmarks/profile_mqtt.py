"""Profile iotic_app over MQTT: its own CPU per message on the share and receive paths, by stage.

A sharer process shares N values to a follower process through tests/broker.py's tuned
Mosquitto, each under py-spy (``record -f raw -r 1000 --nonblocking``); the samples are
attributed to stages by their frames and scaled by each thread's measured CPU::

    python benchmarks/profile_mqtt.py                  # 20,000 values, engine=builtin
    python benchmarks/profile_mqtt.py --engine paho    # the engine option in the URLs
    python benchmarks/profile_mqtt.py --quick          # 5,000 values (well under a minute)
    python benchmarks/profile_mqtt.py --rate 1000      # paced instead of as fast as it can

How a figure is made, per side:

* the measured part: the sharer from its first share() until the follower has every value;
  the follower from subscribed until its last value. Each process reads its threads' CPU
  (/proc/self/task) at both ends; CPU per message is that over N (sharer) or the arrivals
  (follower);
* py-spy samples every Python thread 1,000 times a second and leaves out the threads it sees
  idle; of the samples it keeps, those whose innermost frame is a blocking call (a wait, a
  select, a lock's acquire, a sleep) are waiting, not working: they are counted and dropped;
* each remaining sample goes to one stage, by the innermost frame that names one (below): the
  engine (the builtin engine's module, paho-mqtt's or awscrt's modules), iotic_app's stages,
  the user's code (the share loop, the callback), and ``other`` (the standard library or
  iotic_app code outside the stages, listed under the table);
* a thread's CPU is split over its stages in proportion to its samples; a sample of a thread
  that Python did not start (awscrt's event loop) without Python frames is the engine's C, and
  so is such a thread's CPU beyond what its samples cover (a kept sample covers as much CPU as
  one does on the threads Python started, about 1 ms) when py-spy sees it only now and then;
* so a stage's figure is µs of CPU per message. Sampling is statistical (about one sample a
  millisecond), and a runnable thread waiting for a core is sampled as working: on a busy
  machine the shares blur, the totals do not.

py-spy: found on PATH or next to this Python (``pip install py-spy``); it needs to be allowed
to read other processes' memory (root, or ``kernel.yama.ptrace_scope = 0``).
"""

from __future__ import annotations

import argparse
import json
import linecache
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE.parent))

from broker import Broker  # noqa: E402

CLOCK_TICK = os.sysconf("SC_CLK_TCK")
QUIET = 2.0  # seconds without arrivals, after the sharer is done, that end the follower

# The stages, in the order the table shows them.
ENGINE = "engine (builtin / paho / awscrt modules)"
NATIVE = "engine (native threads: awscrt's C)"
ADAPTER = "engine adapter (_paho_engine, _crt_engine, _conn, _link)"
ENCODE = "encode / decode (_payload, _json)"
OUTBOX = "outbox (_outbox*, _sharelog, _fileio)"
SENDER = "sender (_sender: share() and its thread)"
HAND_OFF = "hand-off (client/_dispatch)"
ROUTING = "routing (_router, _delivery.on_feed)"
ACCEPT = "accept / dedup (_delivery.accept_feed)"
LEDGER = "ledger (_ledger, outbox.mark_seen/last_seen)"
SETTLE = "settle / ack (_delivery.settle_feed)"
CLIENT = "client layer (iotic_app.client, transport facade)"
USER = "user code (the share loop / the callback)"
OTHER = "other (stdlib, rest of iotic_app)"
STAGES = [ENGINE, NATIVE, ADAPTER, ENCODE, OUTBOX, SENDER, HAND_OFF, ROUTING, ACCEPT]
STAGES += [LEDGER, SETTLE, CLIENT, USER, OTHER]

MQTT = "/iotic_app/transports/mqtt/"
# raw output, 1,000 Hz, not pausing the process, thread ids, whole paths (to tell modules apart)
RECORD = ["-f", "raw", "-r", "1000", "--nonblocking", "-t", "--full-filenames"]
# the innermost line of a waiting thread (a thread's join() waits in threading.py's acquire)
BLOCKING = ("select(", ".wait(", "acquire(", "sleep(", ".poll(", "readline(")


def _stage_of(path: str, function: str) -> str | None:
    """The stage a frame names (None: none; look further out)."""
    if "/paho/" in path or "/awscrt/" in path or path.endswith("/_builtin_engine.py"):
        return ENGINE
    if path == __file__ or path.endswith("/benchmarks/profile_mqtt.py"):
        return USER
    if MQTT in path:
        module = path.rsplit("/", 1)[1][:-3]
        if module in ("_paho_engine", "_crt_engine", "_conn", "_link"):
            return ADAPTER
        if module in ("_payload", "_json"):
            return ENCODE
        if module == "_ledger" or (module == "_outbox" and function.endswith("_seen")):
            return LEDGER
        if module.startswith("_outbox") or module in ("_sharelog", "_fileio"):
            return OUTBOX
        if module == "_sender":
            return SENDER
        if module == "_router":
            return ROUTING
        if module == "_delivery":
            if function.endswith(("accept_feed", "_missed")):
                return ACCEPT
            if function.endswith("settle_feed"):
                return SETTLE
            return ROUTING
        if module == "_transport":
            return CLIENT
        return None
    if path.endswith("/iotic_app/client/_dispatch.py"):
        return HAND_OFF
    if "/iotic_app/client/" in path:
        return CLIENT
    return None


def _frame(text: str) -> tuple[str, str, int]:
    """``function (path:line)`` -> (path, function, line)."""
    function, _, rest = text.rpartition(" (")
    path, _, line = rest.rstrip(")").rpartition(":")
    return path, function, int(line) if line.isdigit() else 0


def attribute(raw: Path) -> dict[int, dict[str, Any]]:
    """Read py-spy's raw output (``-t --full-filenames``): per thread id, its samples by
    stage, the waiting samples dropped (by innermost frame) and the "other" frames."""
    threads: dict[int, dict[str, Any]] = {}
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        head, *frames = stack.split(";")
        tid = int(head.split("(", 1)[1].split(")", 1)[0])  # "thread (TID): name" or "thread (TID)"
        entry = threads.setdefault(
            tid,
            {
                "name": head.split(": ", 1)[1] if ": " in head else head,
                "stages": Counter(),
                "waiting": Counter(),
                "other": Counter(),
                "entry": Counter(),  # engine samples: where iotic_app (or the thread) called in
                "inner": Counter(),  # engine samples: the engine's innermost function
            },
        )
        parsed = [_frame(f) for f in frames]
        if not parsed:  # a thread state and no Python frame: a native thread, in its C
            entry["stages"][NATIVE] += count
            continue
        leaf_path, leaf_function, leaf_line = parsed[-1]
        source = linecache.getline(leaf_path, leaf_line)
        if any(call in source for call in BLOCKING):
            entry["waiting"][f"{leaf_function} ({Path(leaf_path).name}:{leaf_line})"] += count
            continue
        stage = OTHER
        for i in range(len(parsed) - 1, -1, -1):
            path, function, _ = parsed[i]
            found = _stage_of(path, function)
            if found is not None:
                stage = found
                break
        if stage == ENGINE:
            j = i
            while j > 0 and _stage_of(*parsed[j - 1][:2]) == ENGINE:
                j -= 1
            entry["entry"][f"{parsed[j][1]} ({Path(parsed[j][0]).name})"] += count
            entry["inner"][f"{function} ({Path(path).name})"] += count
        if stage == OTHER:
            entry["other"][f"{leaf_function} ({Path(leaf_path).name})"] += count
        entry["stages"][stage] += count
    return threads


# --- the two processes --------------------------------------------------------------------------


def _threads_cpu() -> dict[int, tuple[str, float, bool]]:
    """This process's threads: id -> (name, CPU seconds so far, whether Python started it).

    A thread that Python started runs Python code only (C that it calls included, which its
    samples show as the calling frame); any other thread (awscrt's event loop, which calls into
    Python for its callbacks) runs C that py-spy cannot see."""
    found: dict[int, tuple[str, float, bool]] = {}
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                name = comm.read().strip()
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        found[int(task)] = (name, (int(fields[11]) + int(fields[12])) / CLOCK_TICK, False)
    for thread in threading.enumerate():
        if thread.native_id in found and thread.ident is not None:
            if isinstance(thread, threading._DummyThread):  # C's thread, met in a callback
                continue
            try:  # nanosecond resolution, rather than /proc's clock ticks
                cpu = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except OSError:
                cpu = found[thread.native_id][1]
            found[thread.native_id] = (thread.name, cpu, True)
    return found


def _window(before: dict[int, tuple[str, float, bool]], wall: float) -> dict[str, Any]:
    after = _threads_cpu()
    return {
        "wall": wall,
        "threads": {
            str(tid): [name, cpu - before.get(tid, (name, 0.0, python))[1], python]
            for tid, (name, cpu, python) in after.items()
        },
    }


def sharer(url: str, count: int, tmp: str, engine: str, rate: float) -> None:
    """Share *count* values when told "go"; report the CPU window when told "stop"."""
    from iotic_app.client import Client

    client = Client(f"{url}?agent=prof-sharer&outbox={tmp}/sharer&engine={engine}")
    client.start()
    thing = client.create_thing("src")
    thing.set_public()
    feed = thing.create_feed("f")
    print("ready", flush=True)
    sys.stdin.readline()  # go
    before, began = _threads_cpu(), time.monotonic()
    pause = threading.Event()
    for n in range(count):
        feed.share({"n": n, "t": time.perf_counter_ns()})
        if rate:
            ahead = began + (n + 1) / rate - time.monotonic()
            if ahead > 0:
                pause.wait(ahead)
    sys.stdin.readline()  # stop: the follower has them all
    window = _window(before, time.monotonic() - began)
    print(json.dumps({**window, "messages": count}), flush=True)
    sys.stdin.readline()  # exit
    client.stop()


def follower(url: str, count: int, tmp: str, engine: str) -> None:
    """Follow the sharer's feed; on "go" measure until *count* values came (or all is quiet)."""
    from iotic_app.client import Client
    from iotic_app.transports._protocol import FEED, point_guid, thing_guid

    arrivals: list[int] = []
    distinct: set[int] = set()
    done = threading.Event()

    def callback(args: Any) -> None:
        arrivals.append(args["data"]["n"])
        distinct.add(args["data"]["n"])
        if len(distinct) >= count:  # a repeat does not end the run early
            done.set()

    client = Client(f"{url}?agent=prof-follower&outbox={tmp}/follower&engine={engine}")
    client.start()
    guid = point_guid(thing_guid("prof-sharer", "src"), FEED, "f")
    client.create_thing("me").follow(guid, callback=callback)
    ran = client._transport._conn_in_service.engine.name  # type: ignore[attr-defined]
    print("ready", flush=True)
    sys.stdin.readline()  # go
    before, began = _threads_cpu(), time.monotonic()
    seen, last_change = 0, time.monotonic()
    while not done.wait(0.05):
        if len(arrivals) != seen:
            seen, last_change = len(arrivals), time.monotonic()
        elif time.monotonic() - last_change >= QUIET:
            break
    window = _window(before, time.monotonic() - began)
    print(
        json.dumps({**window, "messages": len(arrivals), "distinct": len(distinct), "engine": ran})
    )
    sys.stdout.flush()
    sys.stdin.readline()  # exit
    client.stop()


class Side:
    """One of the two processes, started as this script with ``--worker``."""

    def __init__(self, role: str, url: str, count: int, tmp: str, engine: str, rate: float):
        self.role = role
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--worker", role, url, str(count), tmp, engine, str(rate)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.readline()
        if line != "ready":
            self.process.kill()
            raise RuntimeError(f"the {role} did not start: {line!r}")

    def readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def tell(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.readline())
        return data

    def close(self) -> None:
        try:
            self.tell("exit")
            self.process.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def find_py_spy() -> str:
    found = shutil.which("py-spy")
    beside = Path(sys.executable).parent / "py-spy"
    if found:
        return found
    if beside.exists():
        return str(beside)
    sys.exit(
        "py-spy not found on PATH nor next to this Python: install it with "
        f"'{sys.executable} -m pip install py-spy' and run again"
    )


class Spy:
    """py-spy recording one process, raw output, until ``stop()``."""

    def __init__(self, binary: str, pid: int, out: Path) -> None:
        self.out = out
        self.process = subprocess.Popen(
            [binary, "record", *RECORD, "-p", str(pid), "-o", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "Sampling process 1000 times a second..."
        if "Sampling" not in line:
            self.process.kill()
            raise RuntimeError(f"py-spy did not start on {pid}: {line.strip()!r}")
        self.began = time.monotonic()

    def stop(self) -> tuple[int, float]:
        """Stop recording (SIGINT: py-spy writes its file); returns py-spy's count of samples
        and the seconds it recorded."""
        wall = time.monotonic() - self.began
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=60)
        if "Samples:" not in out:
            raise RuntimeError(f"py-spy wrote no samples: {out.strip()!r}")
        return int(out.split("Samples:")[1].split()[0]), wall


def table(
    title: str,
    window: dict[str, Any],
    threads: dict[int, dict[str, Any]],
    recorded: tuple[int, float],
) -> None:
    """Print one side: CPU per message in all and by stage, and what was dropped."""
    messages = max(window["messages"], 1)
    per_stage: Counter[str] = Counter()
    kept = waiting = 0
    waits: Counter[str] = Counter()
    other: Counter[str] = Counter()
    entries: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    engine_by_thread: Counter[str] = Counter()
    # CPU per kept sample, from the threads Python started (all their CPU is sampled), to
    # tell how much of a native thread's CPU its samples cover (1 ms at 1,000 Hz, nominally)
    py_cpu = py_samples = 0.0
    for tid_text, (_, cpu, python) in window["threads"].items():
        entry = threads.get(int(tid_text))
        if python and entry is not None:
            py_cpu += cpu
            py_samples += sum(entry["stages"].values())
    period = py_cpu / py_samples if py_samples else 1 / 1000
    for tid_text, (name, cpu, python) in window["threads"].items():
        entry = threads.get(int(tid_text))
        samples = sum(entry["stages"].values()) if entry else 0
        if entry:
            waiting += sum(entry["waiting"].values())
            waits.update(entry["waiting"])
            other.update(entry["other"])
            entries.update(entry["entry"])
            inner.update(entry["inner"])
            kept += samples
        if entry is None or samples == 0:  # CPU, no Python samples: a native thread
            per_stage[NATIVE if not python else OTHER] += cpu
            continue
        sampled = cpu if python else min(cpu, samples * period)
        per_stage[NATIVE] += cpu - sampled
        for stage, n in entry["stages"].items():
            per_stage[stage] += sampled * n / samples
        engine = entry["stages"][ENGINE] + entry["stages"][NATIVE]
        engine_by_thread[name] += (cpu - sampled) + sampled * engine / samples
    total = sum(per_stage.values())
    print(f"\n{title}")
    print(
        f"  {window['messages']:,} messages in {window['wall']:.2f} s; CPU {total:.2f} s = "
        f"{total / messages * 1e6:.1f} us per message"
    )
    print(
        f"  py-spy: {recorded[0]:,} samples of working threads in {recorded[1]:.1f} s (the "
        f"idle ones it left out); of those {waiting:,} waiting, dropped; {kept:,} kept, "
        f"{period * 1e6:,.0f} us of CPU each on Python's threads"
    )
    width = max(len(s) for s in STAGES)
    print(f"  {'stage':{width}}  {'us/msg':>7}  {'share':>6}")
    for stage in STAGES:
        us = per_stage[stage] / messages * 1e6
        if us >= 0.05:
            print(f"  {stage:{width}}  {us:7.1f}  {per_stage[stage] / total:6.1%}")
    own = sum(v for s, v in per_stage.items() if s not in (ENGINE, NATIVE, USER))
    print(
        f"  {'iotic_app in all (not engine, not user code)':{width}}  "
        f"{own / messages * 1e6:7.1f}  {own / total if total else 0:6.1%}"
    )
    if other:
        print(
            "  'other', most sampled innermost frames: "
            + ", ".join(f"{frame} {n}" for frame, n in other.most_common(6))
        )
    if entries:
        total_engine = sum(entries.values())

        def shares(counter: Counter[str]) -> str:
            top = counter.most_common(5)
            return ", ".join(f"{frame} {n / total_engine:.0%}" for frame, n in top)

        print(f"  engine samples, called in from: {shares(entries)}")
        print(f"  engine samples, innermost: {shares(inner)}")
        print(
            "  engine us/msg by thread: "
            + ", ".join(
                f"{name} {v / messages * 1e6:.1f}"
                for name, v in engine_by_thread.most_common()
                if v / messages * 1e6 >= 0.05
            )
        )
    if waits:
        print(
            "  waiting (dropped), most sampled: "
            + ", ".join(f"{frame} {n}" for frame, n in waits.most_common(4))
        )
    threads_cpu = sorted(window["threads"].values(), key=lambda t: -t[1])
    print(
        "  threads' CPU (s): "
        + ", ".join(
            f"{name}{'' if python else ' [native]'} {cpu:.2f}"
            for name, cpu, python in threads_cpu
            if cpu >= 0.005
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("builtin", "paho"), default="builtin")
    parser.add_argument("--count", type=int, help="values shared (default 20,000)")
    parser.add_argument("--quick", action="store_true", help="5,000 values")
    parser.add_argument("--rate", type=float, default=0.0, help="values/s (default: flat out)")
    parser.add_argument("--keep", type=Path, help="keep py-spy's raw files in this directory")
    parser.add_argument("--stock", action="store_true", help="a stock-config Mosquitto")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("iotic_app").setLevel(logging.ERROR)
    if args.worker:
        role, url, count, tmp, engine, rate = args.worker
        if role == "sharer":
            sharer(url, int(count), tmp, engine, float(rate))
        else:
            follower(url, int(count), tmp, engine)
        return
    if args.rate < 0:
        parser.error(f"--rate must be a positive number of values/s, got {args.rate}")
    count = args.count or (5_000 if args.quick else 20_000)
    spy = find_py_spy()
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        out = args.keep or tmp
        out.mkdir(parents=True, exist_ok=True)
        broker = Broker(tmp / "mosquitto", stock=args.stock)
        broker.start()
        sides: list[Side] = []
        spies: list[Spy] = []
        try:
            share = Side("sharer", broker.url, count, tmp_text, args.engine, args.rate)
            sides.append(share)
            follow = Side("follower", broker.url, count, tmp_text, args.engine, args.rate)
            sides.append(follow)
            for side in (share, follow):
                spies.append(Spy(spy, side.process.pid, out / f"{side.role}.raw"))
            follow.tell("go")
            share.tell("go")
            received = follow.result()
            share.tell("stop")
            shared = share.result()
            recorded = [s.stop() for s in spies]
        finally:
            for s in spies:
                if s.process.returncode is None:
                    s.process.kill()
                    s.process.wait()
            for side in sides:
                side.close()
            broker.close()
        print(
            f"iotic_app share -> follow, QoS 1, {count:,} values "
            f"({'flat out' if not args.rate else f'{args.rate:,.0f}/s'}), engine={args.engine} "
            f"asked, the follower ran on {received['engine']}; "
            f"{received['distinct']:,} distinct values arrived ({received['messages']:,} in all)"
        )
        table("sharer (the share path)", shared, attribute(out / "sharer.raw"), recorded[0])
        table("follower (the receive path)", received, attribute(out / "follower.raw"), recorded[1])
    print(f"\n({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, py-spy at 1,000 Hz)")


if __name__ == "__main__":
    main()
