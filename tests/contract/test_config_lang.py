"""The config's ``lang`` is the default language of labels, descriptions and values, on every
transport, whether it comes from the URL or from the .ini file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from iotic_app.client import Client
from iotic_app.datatypes import Datatypes


@pytest.fixture(params=["url", "ini"])
def lang_client(
    request: pytest.FixtureRequest, space: Any, tmp_path: Path
) -> Iterator[Callable[[str], Client]]:
    """Make a started client of agent *agent* whose config says ``lang = de``: in the URL, or
    in a py-IoticAgent 0.7.0 .ini file with a ``url`` added."""
    made: list[Client] = []

    def make(agent: str) -> Client:
        if request.param == "url":
            config: str = space.url(agent) + "&lang=de"
        else:
            path = tmp_path / f"{agent}.ini"
            path.write_text(  # a py-IoticAgent file with a url added: its keys are ignored
                f"[agent]\nurl = {space.url(agent)}\nhost = h:5671\nepid = e\npasswd = p\n"
                "token = t\nlang = de\n\n[iot]\nsync_request_timeout = 330\n"
            )
            config = str(path)
        client = Client(config)
        made.append(client)
        client.start()
        return client

    yield make
    for client in made:
        client.close()


def test_labels_descriptions_and_values_without_lang_land_under_the_configured_one(
    lang_client: Callable[[str], Client], make_client: Any, eventually: Any
) -> None:
    client = lang_client("alice")
    assert client.config.lang == "de"
    thing = client.create_thing("kessel")
    with thing.get_meta() as meta:
        meta.set_label("Kessel")
        meta.set_description("Heißwasser")
        meta.set_label("Boiler", lang="en")
    feed = thing.create_feed("temp")
    with feed.get_meta() as meta:
        meta.set_label("Temperatur")
    feed.create_value("celsius", Datatypes.DECIMAL, description="Grad")
    feed.create_value("raw", Datatypes.INTEGER, lang="en", description="counts")
    thing.set_public()

    meta = thing.get_meta()
    assert (meta.get_label(), meta.get_label("en")) == ("Kessel", "Boiler")
    assert meta.get_description() == "Heißwasser"

    other = make_client("bob")  # no lang configured: what the space holds is the same
    described = eventually(lambda: other.describe(thing.guid))
    assert described["labels"] == {"de": "Kessel", "en": "Boiler"}
    assert described["descriptions"] == {"de": "Heißwasser"}
    point = eventually(lambda: other.describe(feed.guid))
    assert point["labels"] == {"de": "Temperatur"}
    assert sorted((v["label"], v["lang"]) for v in point["values"]) == [
        ("celsius", "de"),
        ("raw", "en"),
    ]
    # bob's default stays English
    assert other.config.lang is None
    bobs = other.create_thing("b")
    with bobs.get_meta() as meta:
        meta.set_label("Bob")
    assert other.describe(bobs.guid)["labels"] == {"en": "Bob"}  # type: ignore[index]
