"""Subscriptions the space keeps: their events, and kept follows handed to the catch-all."""

from __future__ import annotations

import logging
from typing import Any

from iotic_app.client._remotes import RemoteControl, RemoteFeed
from iotic_app.client._session import Session
from iotic_app.client._thing import Thing
from iotic_app.transports._protocol import FEED, FollowerCount, Subscribed

__all__ = ["Watcher", "bind_kept_to_catchall"]

logger = logging.getLogger("iotic_app.client")


class Watcher:
    """The client's token for its transport's subscription events (``Transport.watch``): runs
    the registered ``subscribed`` and ``subscription`` callbacks on the client's worker."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    def _deliver(self, event: Any) -> None:
        session = self._session
        if isinstance(event, Subscribed):
            callback = session.subscribed
            if callback is not None:
                callback(_remote_for(session, event))
        elif isinstance(event, FollowerCount):
            callback = session.subscription
            if callback is not None:
                callback(
                    {
                        "type": event.kind,
                        "entityLid": event.lid,
                        "lid": event.pid,
                        "subCount": event.count,
                    }
                )


def _remote_for(session: Session, event: Subscribed) -> RemoteFeed | RemoteControl:
    """The follow or attach *event* names: the one this client made, else a new handle on it."""
    known = session.remote(event.sub_id)
    if isinstance(known, (RemoteFeed, RemoteControl)):
        return known
    thing = Thing._construct(session, session.link().get_thing(event.lid))
    remote: RemoteFeed | RemoteControl
    if event.kind == FEED:
        remote = RemoteFeed._construct(session, thing, None, None)
    else:
        remote = RemoteControl._construct(session, thing)
    remote.subid, remote.guid = event.sub_id, event.guid
    return remote


def bind_kept_to_catchall(session: Session) -> int:
    """Hand the values of the kept follows that nothing in this client follows (made by an
    earlier client or process) to the catch-all, if one is registered and the client started.

    Returns:
        How many follows were bound.
    """
    transport = session.live
    if transport is None or (
        session.catchall_feed is None and session.catchall_feed_parsed is None
    ):
        return 0
    bound = 0
    for ref, sub_id, kind, guid in transport.unbound():
        if kind != FEED:
            continue
        remote = RemoteFeed._construct(session, Thing._construct(session, ref), None, None)
        remote.subid, remote.guid = sub_id, guid
        transport.bind(ref, sub_id, remote)
        session.remember(remote)
        bound += 1
    return bound
