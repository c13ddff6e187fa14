"""``python -m iotic_app run ...``: the same command line as ``iotic-app``."""

from __future__ import annotations

from iotic_app.cli import main

if __name__ == "__main__":
    raise SystemExit(main(prog="python -m iotic_app"))
