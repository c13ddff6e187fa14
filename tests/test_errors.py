"""Every public argument of the client: a wrong type is a TypeError, a wrong value a ValueError.

Each row calls one method with one bad argument; the message names the argument (the words
matched) and the exception's class says which kind of mistake it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from iotic_app import Datatypes
from iotic_app.client import Client


@attrs.frozen
class Objects:
    client: Any
    thing: Any
    feed: Any
    control: Any
    rfeed: Any
    rcontrol: Any
    meta: Any
    pmeta: Any
    template: Any


@pytest.fixture(scope="module")
def o() -> Iterator[Objects]:
    with Client(f"local://errors{uuid.uuid4().hex[:8]}?agent=a") as client:
        thing = client.create_thing("t")
        feed = thing.create_feed("f")
        feed.create_value("v", Datatypes.INTEGER)
        control = thing.create_control("c", callback=lambda args: None)
        yield Objects(
            client=client,
            thing=thing,
            feed=feed,
            control=control,
            rfeed=thing.follow(("t", "f")),
            rcontrol=thing.attach(("t", "c")),
            meta=thing.get_meta(),
            pmeta=feed.get_meta(),
            template=feed.get_template(),
        )


GUID = "0" * 32
STRING = Datatypes.STRING
Call = Callable[[Objects], object]

# (id, call, the exception, words of its message)
ROWS: list[tuple[str, Call, type[Exception], str]] = [
    # Client
    ("create_thing type", lambda o: o.client.create_thing(5), TypeError, "lid must be a str"),
    ("create_thing value", lambda o: o.client.create_thing(""), ValueError, "lid must be 1-64"),
    ("get_thing type", lambda o: o.client.get_thing(None), TypeError, "lid"),
    ("delete_thing value", lambda o: o.client.delete_thing(" x"), ValueError, "lid"),
    ("list limit type", lambda o: o.client.list(limit="5"), TypeError, "limit must be an int"),
    ("list limit bool", lambda o: o.client.list(limit=True), TypeError, "limit must be an int"),
    ("list limit value", lambda o: o.client.list(limit=0), ValueError, "limit .* 1 to 10000"),
    ("list offset type", lambda o: o.client.list(offset=1.5), TypeError, "offset"),
    ("list offset value", lambda o: o.client.list(offset=-1), ValueError, "offset"),
    ("search text type", lambda o: o.client.search(text=5), TypeError, "text must be a str"),
    ("search text value", lambda o: o.client.search(text="  "), ValueError, "text"),
    ("search unit type", lambda o: o.client.search(unit=5), TypeError, "unit must be a str"),
    ("search unit value", lambda o: o.client.search(unit="celsius"), ValueError, "unit URI"),
    ("search nothing", lambda o: o.client.search(), ValueError, "at least one of"),
    ("search location type", lambda o: o.client.search(location="x"), TypeError, "location"),
    ("search location length", lambda o: o.client.search(location=(1, 2)), ValueError, "location"),
    ("search location keys", lambda o: o.client.search(location={"lat": 1}), ValueError, "'long'"),
    (
        "search location item type",
        lambda o: o.client.search(location=(1, "2", 3)),
        TypeError,
        "location values must be numbers",
    ),
    ("search location range", lambda o: o.client.search(location=(91, 0, 1)), ValueError, "lat"),
    ("search limit type", lambda o: o.client.search(text="x", limit="5"), TypeError, "limit"),
    ("search limit value", lambda o: o.client.search(text="x", limit=1001), ValueError, "1000"),
    ("describe type", lambda o: o.client.describe(5), TypeError, "guid_or_resource"),
    ("describe value", lambda o: o.client.describe("nope"), ValueError, "guid_or_resource"),
    ("confirm_tell args type", lambda o: o.client.confirm_tell(5, True), TypeError, "args"),
    ("confirm_tell args value", lambda o: o.client.confirm_tell({}, True), ValueError, "args"),
    (
        "confirm_tell success type",
        lambda o: o.client.confirm_tell({"requestId": "r", "confirm": True}, "yes"),
        TypeError,
        "success must be a bool",
    ),
    (
        "confirm_tell an ask",
        lambda o: o.client.confirm_tell({"requestId": "r", "confirm": False}, True),
        ValueError,
        "ask",
    ),
    ("catchall feed", lambda o: o.client.register_catchall_feeddata(5), TypeError, "callback"),
    (
        "catchall control",
        lambda o: o.client.register_catchall_controlreq(None, 5),
        TypeError,
        "callback_parsed",
    ),
    # Thing
    ("create_feed pid type", lambda o: o.thing.create_feed(5), TypeError, "pid must be a str"),
    ("create_feed pid value", lambda o: o.thing.create_feed(""), ValueError, "pid"),
    (
        "create_feed save_recent type",
        lambda o: o.thing.create_feed("f2", save_recent="5"),
        TypeError,
        "save_recent",
    ),
    (
        "create_feed save_recent bool",
        lambda o: o.thing.create_feed("f2", save_recent=True),
        TypeError,
        "save_recent",
    ),
    (
        "create_feed save_recent value",
        lambda o: o.thing.create_feed("f2", save_recent=1001),
        ValueError,
        "save_recent",
    ),
    ("create_control callback", lambda o: o.thing.create_control("c2", 5), TypeError, "callback"),
    (
        "create_control callback_parsed",
        lambda o: o.thing.create_control("c2", None, "x"),
        TypeError,
        "callback_parsed",
    ),
    ("get_feed type", lambda o: o.thing.get_feed(5), TypeError, "pid"),
    ("get_control value", lambda o: o.thing.get_control(""), ValueError, "pid"),
    ("delete_feed type", lambda o: o.thing.delete_feed(None), TypeError, "pid"),
    ("delete_control value", lambda o: o.thing.delete_control("a\nb"), ValueError, "pid"),
    ("follow type", lambda o: o.thing.follow(5), TypeError, "gpid_or_lid_pid"),
    ("follow guid value", lambda o: o.thing.follow("nothex"), ValueError, "guid"),
    ("follow tuple length", lambda o: o.thing.follow(("t",)), ValueError, "gpid_or_lid_pid"),
    ("follow tuple item type", lambda o: o.thing.follow(("t", 5)), TypeError, r"\[1\] \(pid\)"),
    ("follow callback", lambda o: o.thing.follow(GUID, 5), TypeError, "callback"),
    ("follow group type", lambda o: o.thing.follow(GUID, group=5), TypeError, "group"),
    ("follow group value", lambda o: o.thing.follow(GUID, group="-x"), ValueError, "group"),
    ("attach type", lambda o: o.thing.attach(3.5), TypeError, "gpid_or_lid_pid"),
    ("attach value", lambda o: o.thing.attach(("", "c")), ValueError, r"\[0\] \(thing lid\)"),
    ("unfollow type", lambda o: o.thing.unfollow(5), TypeError, "subid"),
    ("unattach value", lambda o: o.thing.unattach("zz"), ValueError, "subid"),
    ("set_public type", lambda o: o.thing.set_public("yes"), TypeError, "public must be a bool"),
    ("create_tag type", lambda o: o.thing.create_tag(5), TypeError, "tags"),
    ("create_tag item type", lambda o: o.thing.create_tag([5]), TypeError, "tags"),
    ("create_tag value", lambda o: o.thing.create_tag("a b"), ValueError, "tag"),
    ("delete_tag type", lambda o: o.thing.delete_tag(b"x"), TypeError, "tags"),
    ("feed create_tag value", lambda o: o.feed.create_tag([""]), ValueError, "tag"),
    # Metadata
    ("set_label type", lambda o: o.meta.set_label(5), TypeError, "label must be a str"),
    ("set_label value", lambda o: o.meta.set_label(" "), ValueError, "label"),
    ("set_label lang type", lambda o: o.meta.set_label("x", lang=5), TypeError, "lang must be"),
    ("set_label lang value", lambda o: o.meta.set_label("x", lang="e1"), ValueError, "lang"),
    ("get_label lang type", lambda o: o.meta.get_label(lang=5), TypeError, "lang"),
    ("set_description type", lambda o: o.pmeta.set_description(None), TypeError, "description"),
    ("set_description value", lambda o: o.pmeta.set_description(""), ValueError, "description"),
    ("set_location type", lambda o: o.meta.set_location("1", 0), TypeError, "lat"),
    ("set_location value", lambda o: o.meta.set_location(0, 181), ValueError, "lon"),
    # Points
    ("create_value label type", lambda o: o.feed.create_value(5, STRING), TypeError, "label"),
    ("create_value label value", lambda o: o.feed.create_value("", STRING), ValueError, "label"),
    ("create_value vtype type", lambda o: o.feed.create_value("x", 5), TypeError, "vtype"),
    ("create_value vtype value", lambda o: o.feed.create_value("x", "no"), ValueError, "vtype"),
    (
        "create_value lang type",
        lambda o: o.feed.create_value("x", STRING, lang=5),
        TypeError,
        "lang",
    ),
    (
        "create_value lang value",
        lambda o: o.feed.create_value("x", STRING, lang="e n"),
        ValueError,
        "lang",
    ),
    (
        "create_value description type",
        lambda o: o.feed.create_value("x", STRING, description=5),
        TypeError,
        "description",
    ),
    (
        "create_value unit type",
        lambda o: o.feed.create_value("x", STRING, unit=5),
        TypeError,
        "unit must be a str",
    ),
    (
        "create_value unit value",
        lambda o: o.feed.create_value("x", STRING, unit="celsius"),
        ValueError,
        "unit URI",
    ),
    ("share data type", lambda o: o.feed.share(object()), TypeError, "data"),
    ("share mime type", lambda o: o.feed.share(b"x", mime=5), TypeError, "mime must be a str"),
    ("share mime value", lambda o: o.feed.share(b"x", mime="plain"), ValueError, "mime"),
    ("share data for mime", lambda o: o.feed.share(5, mime="text/plain"), TypeError, "data"),
    ("share time type", lambda o: o.feed.share({"a": 1}, time="now"), TypeError, "time"),
    ("share template mime", lambda o: o.feed.share(o.template, mime="a/b"), ValueError, "mime"),
    ("get_recent type", lambda o: o.rfeed.get_recent("5"), TypeError, "count"),
    ("get_recent value", lambda o: o.rfeed.get_recent(0), ValueError, "count"),
    ("tell timeout type", lambda o: o.rcontrol.tell({}, timeout="5"), TypeError, "timeout"),
    ("tell timeout value", lambda o: o.rcontrol.tell({}, timeout=0), ValueError, "timeout"),
    ("ask mime value", lambda o: o.rcontrol.ask(b"x", mime=""), ValueError, "mime"),
    ("ask mime type", lambda o: o.rcontrol.ask(b"x", mime=5), TypeError, "mime"),
    ("filter_by str", lambda o: o.template.filter_by(text="x"), TypeError, "text"),
    ("filter_by type", lambda o: o.template.filter_by(types=5), TypeError, "types"),
    ("filter_by item type", lambda o: o.template.filter_by(units=[5]), TypeError, "units"),
]


@pytest.mark.parametrize(
    ("call", "error", "words"), [r[1:] for r in ROWS], ids=[r[0] for r in ROWS]
)
def test_wrong_type_is_a_type_error_wrong_value_a_value_error(
    o: Objects, call: Call, error: type[Exception], words: str
) -> None:
    with pytest.raises(Exception, match=words) as info:
        call(o)
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"


@pytest.mark.parametrize(
    ("cls", "made_by"),
    [
        ("Thing", r"client\.create_thing\(lid\) or client\.get_thing\(lid\)"),
        ("Feed", r"thing\.create_feed\(pid\) or thing\.get_feed\(pid\)"),
        ("Control", r"thing\.create_control\(pid, callback\) or thing\.get_control\(pid\)"),
        ("RemoteFeed", r"thing\.follow\(gpid_or_lid_pid, callback\)"),
        ("RemoteControl", r"thing\.attach\(gpid_or_lid_pid\)"),
    ],
)
def test_a_model_class_called_directly_says_where_one_comes_from(
    o: Objects, cls: str, made_by: str
) -> None:
    import iotic_app.client

    kind = getattr(iotic_app.client, cls)
    with pytest.raises(TypeError, match=rf"iotic_app\.client\.{cls} has no public constructor"):
        kind()
    with pytest.raises(TypeError, match=f"get one from {made_by}$"):
        kind(o.thing, "x")
    # what the client makes is still an instance of the public class
    made = {
        "Thing": o.thing,
        "Feed": o.feed,
        "Control": o.control,
        "RemoteFeed": o.rfeed,
        "RemoteControl": o.rcontrol,
    }
    assert isinstance(made[cls], kind)
