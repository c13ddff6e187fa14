"""A directory for a test's broker: run in-process (its App in the background), stopped after.

``start_directory(url)`` starts one for the broker and topic root of *url* (an agent's URL is
fine: its ``agent=`` is replaced by the directory's name) and waits until it is online; the
contract suite's MQTT space can search through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest

from iotic_app.app import App
from iotic_app.directory import DirectoryService, directory_app, directory_service

__all__ = [
    "StartDirectory",
    "directories_for_spaces",
    "directory_url",
    "space_made",
    "start_directory",
]

StartDirectory = Callable[..., DirectoryService]


def directory_url(url: str, name: str) -> str:
    """*url* with ``agent=NAME`` (and no outbox: a directory has none)."""
    url = re.sub(r"([?&])(agent|outbox)=[^&]*", r"\1", url)
    url = re.sub(r"&&+", "&", url).replace("?&", "?").rstrip("?&")
    return f"{url}{'&' if '?' in url else '?'}agent={name}"


@pytest.fixture
def start_directory() -> Iterator[StartDirectory]:
    """Start directories (``start_directory(url, name="directory", db=":memory:")``); each is
    stopped when the test ends."""
    running: list[tuple[App, DirectoryService]] = []

    def start(url: str, name: str = "directory", db: str = ":memory:") -> DirectoryService:
        service = directory_service(directory_url(url, name), db)
        app = directory_app(service)
        app.run(background=True)
        running.append((app, service))
        if not service.wait_synced(20):
            pytest.fail(f"directory {name!r} did not come online: {app.exception!r}")
        return service

    yield start
    for app, service in reversed(running):
        app.stop(10)
        service.close()


# -- a directory for every MQTT space a test makes (tests marked ``needs_directory``) ----------

_FOR_SPACES: list[tuple[App, DirectoryService]] | None = None


def space_made(url: str, root: str, options: str = "") -> None:
    """An MQTT space (``conftest_mqtt.MqttSpace``) was made: in a test that needs a directory,
    start one for its broker and root (named after the root: one per space), with the space's
    *options* (``&protocol=3.1.1``, say)."""
    if _FOR_SPACES is None:
        return
    joined = f"{url}{'&' if '?' in url else '?'}root={root}{options}"
    service = directory_service(directory_url(joined, f"dir-{root}"), ":memory:")
    app = directory_app(service)
    app.run(background=True)
    _FOR_SPACES.append((app, service))
    if not service.wait_synced(20):
        pytest.fail(f"the directory of space {root!r} did not come online: {app.exception!r}")


@pytest.fixture
def directories_for_spaces() -> Iterator[None]:
    """Every MQTT space made during the test gets a directory, stopped after the test."""
    global _FOR_SPACES
    _FOR_SPACES = []
    try:
        yield
    finally:
        running, _FOR_SPACES = _FOR_SPACES, None
        for app, service in reversed(running):
            app.stop(10)
            service.close()
