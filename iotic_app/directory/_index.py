"""The directory's index: every thing's checked document in sqlite, and search over it."""

# Design note
# -----------
# One row per retained meta topic in ``docs``: the checked document (as ``doc_to_json`` writes
# it), who wrote it (the topic's agent), the owner it claims, and whether it is *used* (its
# owner claim is proven, or it claims none) or *aside* (it names another owner whose membership
# ``ROOT/_owner/OWNER/AGENT`` the broker does not retain). The rules are the catalogue's
# (``transports/mqtt/_catalogue.py``): identity from the topic (``parse_thing_doc``), an owner
# claim only while its membership is retained, one used document per guid.
#
# Search order is the order in which things were first seen (``docs.id``), as ``local://``
# keeps its things in creation order: a document that replaces its topic's document of the same
# guid (an update, a resync, a membership coming or going) keeps its row's id; a thing deleted
# and made again, or a topic's document naming another guid, comes last.
#
# Search narrows with SQL (visibility, a trigram FTS5 table for texts, an R*Tree for locations,
# a table of units) and streams what is left, in that order, to the exact ``search()`` of
# ``transports/_search.py``, which decides and stops at the limit: the SQL is a prefilter that
# never drops a match, so the results are those of the in-process search over the same
# documents. Texts go into FTS5 and into MATCH through the same character-for-character
# mapping (``_fts_text``: NUL, which ends a text for sqlite's C side, becomes a space; a lone
# surrogate, which cannot be encoded, becomes U+FFFD), so a word found in a text is found in its
# mapped text; ``search()`` decides on the original texts.
#
# Each document's writes are all or nothing (``_atomic``): one that fails is logged and left
# out, none of its rows kept. During a resync, a document refused only because an unseen row
# (maybe deleted while the directory was away) holds its guid waits aside in memory;
# ``end_resync`` drops the unseen rows and then takes it (or refuses it again if a seen row
# holds the guid).

from __future__ import annotations

import hashlib
import logging
import math
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from iotic_app.transports._protocol import Query
from iotic_app.transports._search import EARTH_RADIUS_KM, Candidate, search
from iotic_app.transports.mqtt._docsearch import (
    candidate,
    doc_from_json,
    doc_to_json,
    texts_of,
    units_of,
)
from iotic_app.transports.mqtt._thingdoc import ThingDoc, member_topic_identity, parse_thing_doc

__all__ = ["SCHEMA", "Index"]

logger = logging.getLogger("iotic_app.mqtt")

#: The version of the db's layout: a db of another version is rebuilt (resync fills it again).
SCHEMA = 1
_COMMIT_EVERY = 1000  # changes

_TABLES = """
CREATE TABLE IF NOT EXISTS info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL UNIQUE,
    guid TEXT NOT NULL,
    agent TEXT NOT NULL,
    owner TEXT NOT NULL,
    public INTEGER NOT NULL,
    used INTEGER NOT NULL,
    located INTEGER NOT NULL,
    pointed INTEGER NOT NULL,
    digest BLOB NOT NULL,
    seen INTEGER NOT NULL DEFAULT 1,
    doc BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS docs_guid ON docs(guid) WHERE used = 1;
CREATE INDEX IF NOT EXISTS docs_public ON docs(public, id) WHERE used = 1;
CREATE INDEX IF NOT EXISTS docs_owner ON docs(owner, id) WHERE used = 1;
CREATE INDEX IF NOT EXISTS docs_member ON docs(owner, agent);
CREATE INDEX IF NOT EXISTS docs_seen ON docs(seen);
CREATE TABLE IF NOT EXISTS members(
    owner TEXT NOT NULL, agent TEXT NOT NULL, seen INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY(owner, agent)
);
CREATE INDEX IF NOT EXISTS members_agent ON members(agent);
CREATE TABLE IF NOT EXISTS units(id INTEGER NOT NULL, unit TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS units_unit ON units(unit, id);
CREATE INDEX IF NOT EXISTS units_id ON units(id);
CREATE VIRTUAL TABLE IF NOT EXISTS texts USING fts5(hay, tokenize='trigram');
CREATE VIRTUAL TABLE IF NOT EXISTS places USING rtree(id, lat0, lat1, lon0, lon1);
"""

#: A criterion that more than 1 in DENSE things meet is checked row by row while scanning in
#: search order (the scan stops at the limit); a rarer one first lists the things that meet it.
DENSE = 20


_SURROGATE = re.compile("[\ud800-\udfff]")


def _fts_text(text: str) -> str:
    """*text* as FTS5 stores and matches it: NUL becomes a space, a lone surrogate U+FFFD
    (one character for one, so a word in a text is a word in its mapped text)."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", " "))


def _fts_phrase(word: str) -> str:
    return '"' + _fts_text(word).replace('"', '""') + '"'


def _box(
    lat: float, lon: float, radius_km: float
) -> tuple[float, float, list[tuple[float, float]]]:
    """A latitude range and longitude ranges holding every point within *radius_km* of
    ``(lat, lon)`` (with a margin: a prefilter may take more, never fewer)."""
    r = radius_km / EARTH_RADIUS_KM * 1.001 + 1e-9  # angular radius, radians
    dlat = math.degrees(r)
    lat0, lat1 = lat - dlat, lat + dlat
    if lat0 <= -90 or lat1 >= 90 or r >= math.pi / 2:  # a pole inside: every longitude
        return max(lat0, -90.0), min(lat1, 90.0), [(-180.0, 180.0)]
    ratio = math.sin(r) / math.cos(math.radians(lat))
    if ratio >= 1:
        return lat0, lat1, [(-180.0, 180.0)]
    dlon = math.degrees(math.asin(ratio)) * 1.001 + 1e-9
    lon0, lon1 = lon - dlon, lon + dlon
    ranges = [(max(lon0, -180.0), min(lon1, 180.0))]
    if lon0 < -180:
        ranges.append((lon0 + 360, 180.0))
    if lon1 > 180:
        ranges.append((-180.0, lon1 - 360))
    return lat0, lat1, ranges


class Index:
    """The directory's sqlite index of thing documents and memberships (thread-safe)."""

    def __init__(self, path: str, root: str) -> None:
        """Open (or make) the db at *path* (``:memory:`` for none) for topic root *root*.

        Raises:
            sqlite3.Error: the file is not a db that can be opened.
        """
        self.root = root
        self.owners = f"{root}/_owner/"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._changes = 0
        self._in_tx = False
        self._resyncing = False
        self._written: list[int] = []  # the ids written in an _atomic block
        # topic -> (doc, digest) refused during a resync only because an unseen row held its guid
        self._waiting: dict[str, tuple[ThingDoc, bytes]] = {}
        self._open_schema()

    def _open_schema(self) -> None:
        db = self._db
        db.executescript(_TABLES)
        row = db.execute("SELECT value FROM info WHERE key = 'schema'").fetchone()
        kept = db.execute("SELECT value FROM info WHERE key = 'root'").fetchone()
        if row is not None and (row[0] != str(SCHEMA) or kept is None or kept[0] != self.root):
            logger.warning("the directory db is of another layout or root: rebuilding it")
            for table in ("docs", "members", "units", "texts", "places"):
                db.execute(f"DELETE FROM {table}")
        db.execute("INSERT OR REPLACE INTO info VALUES ('schema', ?)", (str(SCHEMA),))
        db.execute("INSERT OR REPLACE INTO info VALUES ('root', ?)", (self.root,))

    def close(self) -> None:
        """Commit and close the db."""
        with self._lock:
            self.commit()
            self._db.close()

    # -- writes -------------------------------------------------------------------------------

    def _write(self) -> sqlite3.Connection:
        if not self._in_tx:
            self._db.execute("BEGIN")
            self._in_tx = True
        self._changes += 1
        return self._db

    def commit(self) -> None:
        """Make the changes so far durable."""
        with self._lock:
            if self._in_tx:
                self._db.execute("COMMIT")
                self._in_tx = False
            self._changes = 0

    def _maybe_commit(self) -> None:
        if self._changes >= _COMMIT_EVERY:
            self.commit()

    @contextmanager
    def _atomic(self, topic: str) -> Iterator[None]:
        """The document on *topic* the block writes: kept whole, or (on a failure, logged as
        the document left out) none of its rows. Not a SAVEPOINT: FTS5 flushes its pending
        terms at each one, which made indexing some 60% slower; instead the rows written under
        the ids the block wrote (:meth:`_insert`) are deleted again."""
        self._written = []
        try:
            yield
        except (sqlite3.Error, UnicodeError, ValueError) as exc:
            logger.warning("left out the thing document on %r: %r", topic, exc)
            if self._db.in_transaction:
                for rid in self._written:
                    self._forget(rid)
            else:  # sqlite rolled the whole transaction back itself
                self._in_tx = False
        finally:
            self._written = []

    def on_meta(self, topic: str, raw: bytes) -> None:
        """A retained meta document on *topic*; empty: the thing is gone. A document that does
        not pass ``parse_thing_doc`` is logged and left out."""
        digest = hashlib.blake2b(raw, digest_size=16).digest()
        with self._lock:
            self._waiting.pop(topic, None)
            row = self._db.execute(
                "SELECT id, digest, guid FROM docs WHERE topic = ?", (topic,)
            ).fetchone()
            if raw and row is not None and row[1] == digest:
                self._write().execute("UPDATE docs SET seen = 1 WHERE id = ?", (row[0],))
                return
            doc = None
            if raw:
                try:
                    doc = parse_thing_doc(self.root, topic, raw)
                except ValueError as exc:
                    logger.warning("ignored the thing document on %r: %s", topic, exc)
            keep = None  # the same thing again keeps its place
            if row is not None:  # the topic's document is replaced: the old one goes, whatever
                self._forget(row[0])
                keep = row[0] if doc is not None and doc.guid == row[2] else None
            if doc is not None:
                with self._atomic(topic):
                    self._place(topic, doc, digest, keep)
            self._maybe_commit()

    def _place(self, topic: str, doc: ThingDoc, digest: bytes, rid: int | None) -> None:
        """Use *doc*, or keep it aside while its owner claim is not proven."""
        if doc.owner != doc.agent and not self._is_member(doc.owner, doc.agent):
            self._insert(topic, doc, digest, used=False, rid=rid)
        else:
            self._take(topic, doc, digest, rid)

    def on_member(self, topic: str, raw: bytes) -> None:
        """A retained ``ROOT/_owner/OWNER/AGENT``: AGENT belongs to OWNER; empty: no longer."""
        try:
            owner, agent = member_topic_identity(self.owners, topic)
        except ValueError as exc:
            logger.warning("ignored the message on %r: %s", topic, exc)
            return
        with self._lock:
            self._member(owner, agent, bool(raw))
            self._maybe_commit()

    def _member(self, owner: str, agent: str, present: bool) -> None:
        db = self._write()
        if present:
            db.execute("INSERT OR REPLACE INTO members VALUES (?, ?, 1)", (owner, agent))
            rows = db.execute(
                "SELECT id, topic, digest, doc, seen FROM docs WHERE owner = ? AND agent = ? "
                "AND used = 0 ORDER BY id",
                (owner, agent),
            ).fetchall()
            for rid, topic, digest, blob, seen in rows:
                with self._atomic(topic):
                    self._forget(rid)
                    self._take(topic, doc_from_json(blob), digest, rid, bool(seen))
        else:
            db.execute("DELETE FROM members WHERE owner = ? AND agent = ?", (owner, agent))
            rows = db.execute(
                "SELECT id, topic, digest, doc, seen FROM docs WHERE owner = ? AND agent = ? "
                "AND used = 1 ORDER BY id",
                (owner, agent),
            ).fetchall()
            for rid, topic, digest, blob, seen in rows:
                with self._atomic(topic):
                    self._forget(rid)
                    self._insert(topic, doc_from_json(blob), digest, False, rid, bool(seen))

    def _is_member(self, owner: str, agent: str) -> bool:
        return (
            self._db.execute(
                "SELECT 1 FROM members WHERE owner = ? AND agent = ?", (owner, agent)
            ).fetchone()
            is not None
        )

    def _forget(self, rid: int) -> None:
        db = self._write()
        db.execute("DELETE FROM docs WHERE id = ?", (rid,))
        db.execute("DELETE FROM units WHERE id = ?", (rid,))
        db.execute("DELETE FROM texts WHERE rowid = ?", (rid,))
        db.execute("DELETE FROM places WHERE id = ?", (rid,))

    def _take(
        self, topic: str, doc: ThingDoc, digest: bytes, rid: int | None = None, seen: bool = True
    ) -> None:
        """Use *doc* (as row *rid*, else a new one; *seen*: in this resync), unless another
        agent's document holds its guid (one lid per owner). During a resync, a seen document
        refused only because an unseen row holds the guid waits for :meth:`end_resync`."""
        held = self._db.execute(
            "SELECT topic, agent, seen FROM docs WHERE guid = ? AND used = 1", (doc.guid,)
        ).fetchone()
        if held is not None and held[0] != topic:
            if self._resyncing and seen and not held[2]:
                self._waiting[topic] = (doc, digest)
                return
            logger.warning(
                "ignored the thing document on %r: owner %r's thing %r is agent %r's",
                topic,
                doc.owner,
                doc.lid,
                held[1],
            )
            return
        rid = self._insert(topic, doc, digest, True, rid, seen)
        db = self._db
        hay = _fts_text("\n".join(text for _, text in texts_of(doc)).lower())
        if hay:
            db.execute("INSERT INTO texts(rowid, hay) VALUES (?, ?)", (rid, hay))
        units = [(rid, unit) for unit in units_of(doc) if unit is not None]
        db.executemany("INSERT INTO units VALUES (?, ?)", units)
        if doc.location is not None:
            lat, lon = doc.location
            db.execute("INSERT INTO places VALUES (?, ?, ?, ?, ?)", (rid, lat, lat, lon, lon))

    def _insert(
        self,
        topic: str,
        doc: ThingDoc,
        digest: bytes,
        used: bool,
        rid: int | None = None,
        seen: bool = True,
    ) -> int:
        cursor = self._write().execute(
            "INSERT INTO docs(id, topic, guid, agent, owner, public, used, located, pointed, "
            "digest, seen, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rid,
                topic,
                doc.guid,
                doc.agent,
                doc.owner,
                int(doc.public),
                int(used),
                int(doc.location is not None),
                int(bool(doc.points)),
                digest,
                int(seen),
                doc_to_json(doc),
            ),
        )
        rid = cursor.lastrowid
        assert rid is not None
        self._written.append(rid)
        return rid

    # -- resync -------------------------------------------------------------------------------

    def begin_resync(self) -> None:
        """A connection came up: mark every document and membership unseen (what the broker
        retains comes again and marks them seen; see :meth:`end_resync`)."""
        with self._lock:
            db = self._write()
            db.execute("UPDATE docs SET seen = 0")
            db.execute("UPDATE members SET seen = 0")
            self._resyncing = True
            self._waiting.clear()

    def end_resync(self) -> tuple[int, int]:
        """Everything the broker retained has come: drop what did not (deleted meanwhile).

        Returns:
            ``(documents, memberships)`` dropped.
        """
        with self._lock:
            db = self._write()
            rows = db.execute("SELECT id FROM docs WHERE seen = 0").fetchall()
            for (rid,) in rows:
                self._forget(rid)
            gone = db.execute("SELECT owner, agent FROM members WHERE seen = 0").fetchall()
            for owner, agent in gone:
                self._member(owner, agent, False)
            self._resyncing = False
            waiting, self._waiting = self._waiting, {}
            for topic, (doc, digest) in waiting.items():  # the unseen holders are gone
                with self._atomic(topic):
                    self._place(topic, doc, digest, None)
            self.commit()
            return len(rows), len(gone)

    # -- reads --------------------------------------------------------------------------------

    def owner_of(self, agent: str) -> str:
        """The owner of *agent*: the one whose membership of it is retained, else itself."""
        with self._lock:
            row = self._db.execute(
                "SELECT owner FROM members WHERE agent = ? ORDER BY owner LIMIT 1", (agent,)
            ).fetchone()
        return agent if row is None else str(row[0])

    def is_member(self, owner: str, agent: str) -> bool:
        """Whether the broker retains ``ROOT/_owner/OWNER/AGENT`` (AGENT belongs to OWNER)."""
        with self._lock:
            return self._is_member(owner, agent)

    def docs_per_agent(self) -> dict[str, int]:
        """How many documents (used or aside) each agent has in the index."""
        with self._lock:
            rows = self._db.execute("SELECT agent, count(*) FROM docs GROUP BY agent").fetchall()
        return {str(agent): int(n) for agent, n in rows}

    def count(self) -> int:
        """How many documents are used (searchable)."""
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM docs WHERE used = 1").fetchone()[0])

    def search(self, owner: str, query: Query) -> Any:
        """The result of *query* by an agent of *owner*: that of ``search()`` over the used
        documents in the order they were taken."""
        sql, params = self._narrow(owner, query)
        with self._lock:
            cursor = self._db.execute(sql, params)
            try:
                return search(owner, self._stream(cursor), query)
            finally:
                cursor.close()

    @staticmethod
    def _stream(cursor: sqlite3.Cursor) -> Iterator[Candidate]:
        for (blob,) in cursor:
            yield candidate(doc_from_json(blob))

    def _narrow(self, owner: str, query: Query) -> tuple[str, list[Any]]:
        """The SQL that selects, in order, a superset of the things *query* finds."""
        where = ["used = 1"]
        params: list[Any] = []
        if query.scope == "public":
            where.append("public = 1")
        elif query.scope == "localOwn":
            where.append("owner = ?")
            params.append(owner)
        else:
            where.append("(public = 1 OR owner = ?)")
            params.append(owner)
        if query.type_ == "located" or query.location is not None:
            where.append("located = 1")
        if not query.with_pointless:
            where.append("pointed = 1")
        total = self._db.execute("SELECT max(id) FROM docs").fetchone()[0] or 0
        if query.unit is not None:
            if self._dense_unit(query.unit, total):
                where.append("EXISTS (SELECT 1 FROM units u WHERE u.id = docs.id AND u.unit = ?)")
            else:
                where.append("id IN (SELECT id FROM units WHERE unit = ?)")
            params.append(query.unit)
        if query.location is not None:
            lat, lon, radius = query.location
            lat0, lat1, ranges = _box(lat, lon, radius)
            lons = " OR ".join("(lon1 >= ? AND lon0 <= ?)" for _ in ranges)
            where.append(
                f"id IN (SELECT id FROM places WHERE lat1 >= ? AND lat0 <= ? AND ({lons}))"
            )
            params += [lat0, lat1]
            for low, high in ranges:
                params += [low, high]
        words = [w for w in (query.text or "").lower().split() if len(w) >= 3]
        if words:
            phrase = " ".join(_fts_phrase(w) for w in words)
            if self._dense_words(phrase, total):
                where.append("EXISTS (SELECT 1 FROM texts WHERE texts MATCH ? AND rowid = docs.id)")
            else:
                where.append("id IN (SELECT rowid FROM texts WHERE texts MATCH ?)")
            params.append(phrase)
        return f"SELECT doc FROM docs WHERE {' AND '.join(where)} ORDER BY id", params

    def _dense_unit(self, unit: str, total: int) -> bool:
        """Whether more than 1 in DENSE things have a value of *unit* (counting stops there)."""
        bound = total // DENSE
        found = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM units WHERE unit = ? LIMIT ?)", (unit, bound + 1)
        ).fetchone()[0]
        return bool(found > bound)

    def _dense_words(self, phrase: str, total: int) -> bool:
        """Whether more than 1 in DENSE things hold every word (counting stops there)."""
        bound = total // DENSE
        found = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM texts WHERE texts MATCH ? LIMIT ?)",
            (phrase, bound + 1),
        ).fetchone()[0]
        return bool(found > bound)

    def docs_in_order(self) -> list[ThingDoc]:
        """Every used document, in search order (for tests and diagnostics)."""
        with self._lock:
            rows = self._db.execute("SELECT doc FROM docs WHERE used = 1 ORDER BY id").fetchall()
        return [doc_from_json(blob) for (blob,) in rows]
