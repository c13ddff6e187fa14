"""IOT.Client's private ``_request_*`` calls (mqtt_bridge's), as synchronous iotic_app calls."""

# 0.7.0's IOT.Client passed these through to its Core client, which sent a QAPI request and
# returned a RequestEvent, set when the answer came. iotic_app speaks no QAPI: each call here
# does the work synchronously with iotic_app.client and returns an event that is already set,
# with the QAPI answer's shape (success, payload, is_crud and the CRUD message in _messages).
# A malformed argument raises at the call (TypeError/ValueError), as 0.7.0's validation did; a
# refusal of the space (unknown thing, another agent's, ...) is a failed event carrying the
# QAPI failure code; a lost link raises LinkException.

from __future__ import annotations

import builtins
import itertools
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from iotic_app.client import Client as ModernClient
from iotic_app.ioticagent.Core.Const import (
    E_COMPLETE,
    E_CREATED,
    E_DELETED,
    E_DUPLICATED,
    E_FAILED,
    E_FAILED_CODE_ACCESSDENIED,
    E_FAILED_CODE_INTERNALERROR,
    E_FAILED_CODE_MALFORMED,
    E_FAILED_CODE_NOTALLOWED,
    E_FAILED_CODE_UNKNOWN,
    M_PAYLOAD,
    M_TYPE,
    P_CODE,
    P_ENTITY_LID,
    P_EPID,
    P_ID,
    P_LID,
    P_MESSAGE,
    P_RESOURCE,
    R_CONTROL,
    R_ENTITY,
    R_FEED,
)
from iotic_app.ioticagent.IOT import _rdf
from iotic_app.ioticagent.IOT._adapt import has_thing
from iotic_app.ioticagent.IOT._crud import Crud
from iotic_app.ioticagent.IOT.Exceptions import (
    IOTAccessDenied,
    IOTException,
    IOTMalformed,
    IOTNotAllowed,
    IOTUnknown,
    LinkException,
)
from iotic_app.ioticagent.IOT.Thing import Thing

__all__ = ["RequestEvent", "RequestsMixin"]

_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (IOTUnknown, E_FAILED_CODE_UNKNOWN),
    (IOTAccessDenied, E_FAILED_CODE_ACCESSDENIED),
    (IOTMalformed, E_FAILED_CODE_MALFORMED),
    (IOTNotAllowed, E_FAILED_CODE_NOTALLOWED),
)

#: The requests' ids, one counter for every client (as 0.7.0's were unique per process).
_IDS = itertools.count(1)


class RequestEvent:
    """A finished request, shaped as 0.7.0's ``Core.RequestEvent``.

    Attributes:
        id_: The request's id (a counter of the client's requests).
        success: True, or False when the space refused the request.
        payload: The answer's payload: the CRUD message's for a create or delete, the listing
            for a list, ``{'c': failure code, 'm': message}`` on failure, else None.
        is_crud: Whether the request created, deleted, renamed or reassigned a resource.
        exception: Always None (a lost link raises at the call instead).
    """

    def __init__(
        self,
        id_: int,
        success: bool,
        payload: Any = None,
        is_crud: bool = False,
        message_type: int | None = None,
    ) -> None:
        """Make a set event; *message_type* (``E_CREATED``, ...) is the CRUD message's type."""
        self.id_ = id_
        self.success = success
        self.payload = payload
        self.is_crud = is_crud
        self.exception: BaseException | None = None
        kind = message_type if message_type is not None else (E_COMPLETE if success else E_FAILED)
        #: The QAPI messages of the answer: one, ``{'t': type, 'p': payload}``.
        self._messages: list[dict[str, Any]] = [{M_TYPE: kind, M_PAYLOAD: payload}]

    def is_set(self) -> bool:
        """True: the request has finished."""
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Return True at once: the request has finished (*timeout* is not needed)."""
        return True

    def __repr__(self) -> str:
        """Show the outcome."""
        return f"RequestEvent(id_={self.id_}, success={self.success}, payload={self.payload!r})"


def _failed(id_: int, exc: BaseException, code: int | None = None) -> RequestEvent:
    if code is None:
        code = next((c for kind, c in _CODES if isinstance(exc, kind)), E_FAILED_CODE_INTERNALERROR)
    return RequestEvent(id_, False, {P_CODE: code, P_MESSAGE: str(exc)})


def _check_foc(foc: object) -> int:
    if isinstance(foc, bool) or foc not in (R_FEED, R_CONTROL):
        raise ValueError(f"foc must be R_FEED ({R_FEED}) or R_CONTROL ({R_CONTROL}), got {foc!r}")
    return R_FEED if foc == R_FEED else R_CONTROL


def _share_time(time: object) -> datetime | None:
    """A share's *time*: a datetime (naive: UTC), an ISO 8601 text (as a JSON request has it)
    or None."""
    if time is None or isinstance(time, datetime):
        return time
    if isinstance(time, str):
        try:
            parsed = datetime.fromisoformat(time.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"time must be a datetime or ISO 8601 text, got {time!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise TypeError(f"time must be a datetime, ISO 8601 text or None, got {time!r}")


class RequestsMixin:
    """The ``_request_*`` calls of 0.7.0's IOT.Client that mqtt_bridge makes, done at once."""

    _modern: ModernClient
    _crud: Crud

    def __done(
        self, work: Callable[[], Any], crud: Callable[[Any], tuple[int, Any]] | None = None
    ) -> RequestEvent:
        """Run *work*; the event of its result (*crud* maps it to a CRUD message's type and
        payload), or of the space's refusal."""
        id_ = next(_IDS)
        try:
            result = work()
        except LinkException:
            raise
        except IOTException as exc:
            return _failed(id_, exc)
        if crud is None:
            return RequestEvent(id_, True, result)
        kind, payload = crud(result)
        self._crud.notify(kind, payload)  # as 0.7.0's container answered: to the callbacks too
        return RequestEvent(id_, True, payload, is_crud=True, message_type=kind)

    def __unsupported(self, what: str) -> RequestEvent:
        reason = f"{what} is not supported by iotic_app (docs/porting.md)"
        return _failed(next(_IDS), IOTNotAllowed(reason), E_FAILED_CODE_NOTALLOWED)

    def __lang(self) -> str:
        return self._modern.config.lang or "en"

    # --- things ---------------------------------------------------------------------------

    def _request_entity_list(self, limit: int = 500, offset: int = 0) -> RequestEvent:
        """List the agent's things: ``{'entities': {lid: {'id', 'epId', 'public'}}}``."""
        return self.__done(lambda: {"entities": self._list_entities(False, limit, offset)})

    def _request_entity_list_all(self, limit: int = 500, offset: int = 0) -> RequestEvent:
        """As :meth:`_request_entity_list`, for every agent of the owner."""
        return self.__done(lambda: {"entities": self._list_entities(True, limit, offset)})

    def _list_entities(self, every: bool, limit: int, offset: int) -> dict[str, dict[str, Any]]:
        """The agent's things (*every*: its owner's), in the QAPI list payload's shape."""
        if every:
            listed = self._modern.list(limit, offset, all_agents=True)
            return {
                lid: {P_ID: e["guid"], P_EPID: e["agent"], "public": e["public"]}
                for lid, e in listed.items()
            }
        agent = self._modern.agent_id
        return {
            lid: {P_ID: e["guid"], P_EPID: agent, "public": e["public"]}
            for lid, e in self._modern.list(limit, offset).items()
        }

    def _request_entity_create(self, lid: str) -> RequestEvent:
        """Create thing *lid*: ``E_CREATED`` (``E_DUPLICATED`` when it exists) with
        ``{'r': R_ENTITY, 'lid', 'id', 'epId'}``."""
        existed = has_thing(self._modern, lid)

        def created(thing: Any) -> tuple[int, Any]:
            payload = {P_RESOURCE: R_ENTITY, P_LID: lid, P_ID: thing.guid}
            return (E_DUPLICATED if existed else E_CREATED), {
                **payload,
                P_EPID: self._modern.agent_id,
            }

        return self.__done(lambda: self._modern.create_thing(lid), created)

    def _request_entity_delete(self, lid: str) -> RequestEvent:
        """Delete thing *lid*: ``E_DELETED`` with ``{'r': R_ENTITY, 'lid', 'id'}``."""

        def delete() -> str:
            guid: str = self._modern.get_thing(lid).guid
            self._modern.delete_thing(lid)
            return guid

        return self.__done(
            delete, lambda guid: (E_DELETED, {P_RESOURCE: R_ENTITY, P_LID: lid, P_ID: guid})
        )

    def _request_entity_rename(self, lid: str, new_lid: str) -> RequestEvent:
        """A failed event: iotic_app cannot rename a thing."""
        return self.__unsupported("renaming a thing")

    def _request_entity_reassign(self, lid: str, new_epid: str | None = None) -> RequestEvent:
        """A failed event: iotic_app cannot move a thing to another agent."""
        return self.__unsupported("reassigning a thing")

    def _request_entity_meta_setpublic(self, lid: str, public: bool = True) -> RequestEvent:
        """Make thing *lid* public or private: ``E_COMPLETE``, payload None."""
        return self.__done(lambda: self._modern.get_thing(lid).set_public(public))

    def _request_entity_meta_get(self, lid: str, fmt: str = "n3") -> RequestEvent:
        """Thing *lid*'s metadata as RDF (``Thing.get_meta_rdf``): ``{'meta': rdf text}``."""
        _rdf.check_fmt(fmt)
        return self.__done(lambda: {"meta": self.__thing(lid).get_meta_rdf(fmt)})

    def _request_entity_meta_set(self, lid: str, rdf: str, fmt: str = "n3") -> RequestEvent:
        """Set thing *lid*'s metadata from RDF (``Thing.set_meta_rdf``): payload None."""
        _rdf.check_fmt(fmt)
        return self.__done(lambda: self.__thing(lid).set_meta_rdf(rdf, fmt))

    def __thing(self, lid: str) -> Thing:
        return Thing._wrap(self, self._modern.get_thing(lid))  # type: ignore[arg-type]

    # --- tags -----------------------------------------------------------------------------

    def _request_entity_tag_update(
        self, lid: str, tags: builtins.list[str], delete: bool = False
    ) -> RequestEvent:
        """Add (*delete*: remove) tags of thing *lid*: ``E_COMPLETE``, payload None."""
        if delete:
            return self.__done(lambda: self._modern.get_thing(lid).delete_tag(tags))
        return self.__done(lambda: self._modern.get_thing(lid).create_tag(tags))

    def _request_entity_tag_create(
        self, lid: str, tags: builtins.list[str], lang: str | None = None
    ) -> RequestEvent:
        """Add tags (pre-0.7.0's call, which mqtt_bridge makes; iotic_app's tags have no
        language, so *lang* is not used)."""
        return self._request_entity_tag_update(lid, tags)

    def _request_entity_tag_delete(
        self, lid: str, tags: builtins.list[str], lang: str | None = None
    ) -> RequestEvent:
        """Remove tags (pre-0.7.0's call, as :meth:`_request_entity_tag_create`)."""
        return self._request_entity_tag_update(lid, tags, delete=True)

    def _request_entity_tag_list(
        self, lid: str, limit: int | None = 100, offset: int | None = 0
    ) -> RequestEvent:
        """Thing *lid*'s tags: ``{'tags': {lang: [tag, ...]}}`` under the agent's language
        (iotic_app's tags have none); *limit* and *offset* None: 100 and 0."""
        low = 0 if offset is None else offset
        high = low + (100 if limit is None else limit)

        def tags() -> dict[str, Any]:
            return {"tags": {self.__lang(): self._modern.get_thing(lid).list_tag()[low:high]}}

        return self.__done(tags)

    # --- points ---------------------------------------------------------------------------

    def _request_point_create(
        self,
        foc: int,
        lid: str,
        pid: str,
        control_cb: Callable[..., Any] | None = None,
        save_recent: int = 0,
    ) -> RequestEvent:
        """Create feed (``R_FEED``) or control (``R_CONTROL``) *pid* of thing *lid*:
        ``E_CREATED`` (``E_DUPLICATED`` when it exists) with ``{'r', 'lid': pid, 'entityLid':
        lid, 'id'}``. A control without *control_cb* sends its requests to the catch-all."""
        kind = _check_foc(foc)

        def create() -> tuple[bool, str]:
            thing = self._modern.get_thing(lid)
            try:
                (thing.get_feed if kind == R_FEED else thing.get_control)(pid)
                existed = True
            except IOTUnknown:
                existed = False
            if kind == R_FEED:
                return existed, thing.create_feed(pid, save_recent).guid
            return existed, thing.create_control(pid, control_cb).guid

        def created(result: tuple[bool, str]) -> tuple[int, Any]:
            existed, guid = result
            payload = {P_RESOURCE: kind, P_LID: pid, P_ENTITY_LID: lid, P_ID: guid}
            return (E_DUPLICATED if existed else E_CREATED), payload

        return self.__done(create, created)

    def _request_point_share(
        self, lid: str, pid: str, data: Any, mime: str | None, time: Any
    ) -> RequestEvent:
        """Share *data* on feed *pid* of thing *lid*: ``E_COMPLETE``, payload None. *time* is a
        datetime (naive: UTC), ISO 8601 text or None."""
        when = _share_time(time)
        return self.__done(
            lambda: self._modern.get_thing(lid).get_feed(pid).share(data, mime, when)
        )
