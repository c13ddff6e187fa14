"""The compat package's SearchScope and SearchType members pass through the modern client."""

from __future__ import annotations

import uuid

from iotic_app.client import Client
from iotic_app.ioticagent.Core.Const import SearchScope, SearchType

PROP = ("http://iotics.com/ns#category", "http://iotics.com/categories#Example")


def test_0_7_0_enums_are_taken_as_scope_and_type() -> None:
    space = f"compat-{uuid.uuid4().hex[:8]}"
    with Client(f"local://{space}?agent=a1") as a1, Client(f"local://{space}?agent=a2") as a2:
        thing = a1.create_thing("share_basic")
        thing.create_feed("f")
        thing.create_property(PROP)
        with thing.get_meta() as meta:
            meta.set_label("share basic")
        assert a1.search("share basic", scope=SearchScope.LOCAL_OWN).keys() == {thing.guid}
        assert a2.search("share basic", scope=SearchScope.PUBLIC) == {}
        thing.set_public()
        assert a2.search_property(PROP, scope=SearchScope.PUBLIC).keys() == {thing.guid}
        assert a2.search_property(PROP, type_=SearchType.MINIMAL) == [thing.guid]
        assert a2.search_property(PROP, type_=SearchType.LOCATED) == {}
        assert a2.search_property(PROP, type_=SearchType.REDUCED) == {
            thing.guid: {thing.get_feed("f").guid: "Feed"}
        }
        assert a2.search_property(PROP, scope=SearchScope.LOCAL_OWN) == {}
