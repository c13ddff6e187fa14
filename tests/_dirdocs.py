"""Thing documents for directory tests: as an agent publishes them on ROOT/AGENT/LID/meta."""

from __future__ import annotations

import json
import random
from typing import Any

from iotic_app.transports._protocol import point_guid, thing_guid
from iotic_app.transports.mqtt._thingdoc import seg

__all__ = ["UNITS", "WORDS", "meta_doc", "meta_topic", "random_doc"]

WORDS = [
    "river",
    "riverside",
    "pump",
    "temperature",
    "Straße",
    "café",
    "Ölmühle",
    "sensor",
    "north",
    "gate",
    "ÉCOLE",
    "tank",
    "level",
    "x1",
    "wind",
    "turbine",
    "İstanbul",
    "ß",
]
UNITS = [
    "http://purl.obolibrary.org/obo/UO_0000027",
    "http://purl.obolibrary.org/obo/UO_0000008",
    "http://qudt.org/vocab/unit#Percent",
]


def meta_topic(root: str, agent: str, lid: str) -> str:
    return f"{root}/{agent}/{seg(lid)}/meta"


def meta_doc(
    agent: str,
    lid: str,
    *,
    owner: str | None = None,
    public: bool = True,
    labels: dict[str, str] | None = None,
    descriptions: dict[str, str] | None = None,
    tags: list[str] | None = None,
    location: list[float] | None = None,
    points: list[dict[str, Any]] | None = None,
    properties: list[Any] | None = None,
    version: bool = True,
) -> bytes:
    """The JSON document of *agent*'s thing *lid* (with ``"v": 2`` unless not *version*)."""
    guid = thing_guid(owner or agent, lid)
    doc: dict[str, Any] = {"agent": agent, "lid": lid, "guid": guid, "public": public}
    if version:
        doc["v"] = 2
    if owner is not None:
        doc["owner"] = owner
    for key, value in (
        ("labels", labels),
        ("descriptions", descriptions),
        ("tags", tags),
        ("location", location),
        ("properties", properties),
    ):
        if value is not None:
            doc[key] = value
    pts = []
    for p in points or ():
        p = dict(p)
        p["guid"] = point_guid(guid, p["kind"], p["pid"])
        pts.append(p)
    doc["points"] = pts
    return json.dumps(doc).encode()


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))


def _langs(rng: random.Random) -> dict[str, str] | None:
    if rng.random() < 0.2:
        return None
    return {lang: _text(rng) for lang in rng.sample(["en", "fr", "de"], rng.randint(1, 2))}


def random_doc(rng: random.Random, agent: str, lid: str, owner: str | None = None) -> bytes:
    """A random document of *agent*'s thing *lid*: texts, tags, a location, points, units."""
    points = []
    for n in range(rng.choice([0, 1, 1, 2, 3])):
        values = [
            {"label": f"v{i}", "type": "decimal", "unit": rng.choice([*UNITS, None])}
            for i in range(rng.randint(0, 2))
        ]
        points.append(
            {
                "kind": rng.choice(["Feed", "Control"]),
                "pid": f"p{n}",
                "labels": _langs(rng),
                "descriptions": _langs(rng),
                "tags": [w for w in rng.sample(WORDS, rng.randint(0, 2)) if " " not in w],
                "values": values,
                "save_recent": rng.choice([0, 0, 5]),
            }
        )
    location = None
    if rng.random() < 0.7:
        location = [
            rng.choice([rng.uniform(-90, 90), rng.uniform(50, 52), 89.9, -89.95]),
            rng.choice([rng.uniform(-180, 180), rng.uniform(-1, 1), 179.95, -179.9]),
        ]
    props = None
    if rng.random() < 0.3:
        props = [["http://schema.org/color", rng.choice(["red", "blue"])]]
        if rng.random() < 0.5:
            props.append(["http://schema.org/size", ["5", "http://www.w3.org/2001/XMLSchema#int"]])
    return meta_doc(
        agent,
        lid,
        owner=owner,
        public=rng.random() < 0.6,
        labels=_langs(rng),
        descriptions=_langs(rng),
        tags=[w for w in rng.sample(WORDS, rng.randint(0, 3)) if " " not in w],
        location=location,
        points=points,
        properties=props,
    )
