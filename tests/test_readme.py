"""README's set-up commands and examples are the ones that CI runs and that work."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_ci_runs_readmes_test_command() -> None:
    commands = [block.strip() for block in code_blocks("console")]
    test_command = next(c for c in commands if "pytest" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_agent_example_runs() -> None:
    example = next(block for block in code_blocks("python") if "app.run()" in block)
    out = subprocess.run(
        [sys.executable, "-c", example], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.strip() == "bye"


def test_the_client_example_runs() -> None:
    example = next(block for block in code_blocks("python") if "with Client(" in block)
    namespace: dict[str, object] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    found = namespace["found"]
    assert isinstance(found, dict) and len(found) == 1
    (thing,) = found.values()
    assert thing["label"] == "Kitchen thermometer"
    assert (thing["lat"], thing["long"]) == (51.5, -0.12)
