"""Benchmark ``import iotic_app`` against ``import attrs`` with ``python -X importtime``.

Each import runs in a fresh interpreter, several times, alternating; the median cumulative
time of the top-level module is reported (target: iotic_app <= 1.5 x attrs)::

    python benchmarks/bench_import.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys


def compile_bytecode() -> None:
    """Compile iotic_app's .pyc files first, as an installed package has them.

    Otherwise, with PYTHONDONTWRITEBYTECODE set or a fresh checkout, every run would time
    the compiler rather than the import.
    """
    import iotic_app

    package = os.path.dirname(iotic_app.__file__)
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True, env=ENV)


#: The environment of the timed interpreters: bytecode is read, never compiled on the fly.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def import_time_us(module: str) -> tuple[int, set[str]]:
    """Return the cumulative import time of *module* in us, and every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    cumulative = None
    imported = set()
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cum, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if not cum.isdigit():
            continue
        imported.add(name)
        if name == module:
            cumulative = int(cum)
    if cumulative is None:
        raise RuntimeError(f"no import time for {module!r} in:\n{done.stderr}")
    return cumulative, imported


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    compile_bytecode()
    times: dict[str, list[int]] = {"attrs": [], "iotic_app": []}
    modules: set[str] = set()
    for _ in range(args.runs):
        for module in times:
            cumulative, imported = import_time_us(module)
            times[module].append(cumulative)
            if module == "iotic_app":
                modules = imported
    attrs_us = statistics.median(times["attrs"])
    ours_us = statistics.median(times["iotic_app"])
    print(f"import attrs:     {attrs_us / 1000:6.2f} ms (median of {args.runs})")
    print(f"import iotic_app: {ours_us / 1000:6.2f} ms (median of {args.runs})")
    print(f"ratio:            {ours_us / attrs_us:6.2f} x (target <= 1.5)")
    heavy = sorted(
        m
        for m in modules
        if m.split(".")[0] in {"paho", "iotic_app"} and (m.startswith("paho") or "client" in m)
    )
    print(f"client or MQTT modules imported by `import iotic_app`: {heavy or 'none'}")


if __name__ == "__main__":
    main()
