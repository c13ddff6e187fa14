"""Run an agent in a real subprocess and synchronise on the lines it prints."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parent.parent

#: How long to wait for an expected line or for the process to exit; generous, to catch hangs.
PATIENCE = 20.0


def agent_env() -> dict[str, str]:
    """The environment for an agent subprocess: this checkout importable, unbuffered output."""
    env = dict(os.environ)
    env.pop("IOTIC_APP_CONFIG", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """Start children with SIGINT not ignored, as from a terminal.

    A shell starts background jobs with SIGINT ignored, a child inherits that across exec, and
    Python then installs no KeyboardInterrupt handler. A Python handler, unlike SIG_IGN, is
    reset to the default across exec, so set one for the moment of the spawn.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class AgentProcess:
    """A subprocess whose stdout lines can be awaited one by one; killed on exit if still alive.

    Args:
        args: The command line (``sys.executable`` is prepended when it starts with ``-``).
        cwd: The working directory.
    """

    def __init__(self, args: Sequence[str], cwd: Path) -> None:
        argv = [sys.executable, *args] if args[0].startswith("-") else list(args)
        self.argv = argv
        with _sigint_not_ignored():
            self.proc = subprocess.Popen(
                argv,
                cwd=cwd,
                env=agent_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: object, is_stdout: bool) -> None:
        for line in stream:  # type: ignore[attr-defined]
            if is_stdout:
                self.stdout.append(line)
                self.lines.put(line.rstrip("\n"))
            else:
                self.stderr.append(line)
        if is_stdout:
            self.lines.put(None)

    def output(self) -> str:
        """What the process printed so far, for assertion messages."""
        return (
            f"argv: {self.argv}\nstdout:\n{''.join(self.stdout)}\nstderr:\n{''.join(self.stderr)}"
        )

    def expect(self, text: str, timeout: float = PATIENCE) -> str:
        """Wait for the next stdout line containing *text* and return it.

        Raises:
            AssertionError: The process ended or *timeout* passed first.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self.lines.get(timeout=max(remaining, 0))
            except queue.Empty:
                raise AssertionError(
                    f"no line with {text!r} in {timeout} s\n{self.output()}"
                ) from None
            if line is None:
                self.wait()
                raise AssertionError(f"process ended before printing {text!r}\n{self.output()}")
            if text in line:
                return line

    def signal(self, signum: int) -> None:
        """Send *signum* to the process."""
        self.proc.send_signal(signum)

    def wait(self, timeout: float = PATIENCE) -> int:
        """Wait for the process to exit and its output to be read; return its exit status."""
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        return code

    def __enter__(self) -> AgentProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for reader in self._readers:
            reader.join(PATIENCE)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.proc.stdout.close()
        self.proc.stderr.close()


def run_to_end(args: Sequence[str], cwd: Path, timeout: float = PATIENCE) -> tuple[int, str, str]:
    """Run a command to its end; return its exit status, stdout and stderr."""
    argv = [sys.executable, *args] if args[0].startswith("-") else list(args)
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=agent_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr
