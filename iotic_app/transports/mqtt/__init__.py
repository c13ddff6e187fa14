"""The ``mqtt://`` / ``mqtts://`` transport: the client API on an MQTT broker."""

# Design note (the user-facing version is docs/mqtt.md)
# -----------------------------------------------------
# What the package owns: the ``Transport`` of ``mqtt://`` and ``mqtts://`` URLs (``MqttTransport``)
# and everything it keeps: the link to the broker and the agent's session on it, the durable
# outbox and its ledger, the catalogue of retained things, the topic layout and payload formats.
#
# What it may import: the standard library, paho-mqtt (``_paho_engine.py`` only, and the
# reason codes' names), attrs, and from iotic_app only
# ``iotic_app.transports._protocol`` (the seam), ``iotic_app.exceptions``, ``iotic_app.retry``
# and ``iotic_app._config`` (the parsed config). Never the client model (``iotic_app.client``)
# nor the runner: the transport never calls user code.
#
# What crosses the seam: the client calls ``MqttTransport``'s ``Transport`` methods and gets the
# handles of ``_handles.py`` (ThingRef, PointRef); the transport hands data to the client's
# ``Sink``: ``receive(receiver, item)`` for feed values and control requests (the client's
# worker then calls the receiver's ``accept`` and ``settle``), ``fail(exc)`` for a takeover.
#
# Modules, one concern each (the parts are built and wired in ``_transport.py``, and talk to
# each other through their constructors' collaborators and small public methods):
#   _transport.py   MqttTransport: the facade of the Transport protocol; start, stop, close
#   _names.py       the agent's settings and the topic names of its own
#   _session.py     the claim on the agent's session, on side connections; the takeover error
#   _link.py        the connection in service; subscribe, publish, check and sync calls on it
#   _supervisor.py  making the connection, bringing it up, reconnecting, shutting down
#   _router.py      the engine's on_message: which part a message is for
#   _delivery.py    followed feeds' values: routes, held values, duplicates, gaps, ledger, acks
#   _follows.py     follows and attaches (the broker's subscriptions), kept per thing
#   _kept.py        the retained records of follows (``subs``) and of followers (``_followers``)
#   _things.py      the agent's things and points, and their retained metadata
#   _requests.py    control requests: received and answered; asks and tells sent
#   _recent.py      get_recent from the broker's retained copies
#   _sender.py, _outbox.py   shares: the durable outbox and the thread that sends it
#   _catalogue.py   the things this agent needs, looked up by guid (describe, localOwn search)
#   _conn.py        one connection's bookkeeping, its failures explained; the client-id registry
#   _engine.py      the engine seam: what the transport needs of an MQTT client, and the choice
#   _builtin_engine.py  iotic_app's own MQTT 5 / 3.1.1 client (the default engine)
#   _paho_engine.py the paho-mqtt engine (engine = paho)
#   _handles.py, _wire.py, _settings.py   handles, payload formats, settings
#
# Topics (``ROOT`` is ``iotic`` unless the ``root`` option says otherwise; lids and pids are
# percent-encoded so that '/', '+', '#' and '%' cannot break the layout):
#
#   ROOT/AGENT/LID/meta              retained JSON: the thing, its points and their values
#   ROOT/AGENT/LID/feed/PID          a feed's values (QoS 1, retained: the last value)
#   ROOT/AGENT/LID/feed/PID/recent   retained JSON list of the last save_recent values
#   ROOT/AGENT/LID/control/PID       requests to a control (QoS 1)
#   ROOT/AGENT/LID/subs              retained JSON: the thing's follows and attaches (_kept.py)
#   ROOT/_followers/TARGET/AGENT/LID/GUID   retained: AGENT's thing LID follows TARGET's GUID
#   ROOT/AGENT/_status               retained "online" / "offline" (also the will)
#   ROOT/AGENT/_session/CLIENT_ID    retained claim: which process holds the agent's session
#   ROOT/_reply/CLIENT_ID            tell confirmations and this client's sync markers
#   ROOT/_owner/OWNER/AGENT          retained: AGENT belongs to OWNER (published by AGENT)
#   ROOT/_guid/GUID                  retained pointer {"v": 2, "agent", "lid"}: GUID's document
#   ROOT/_wire                       retained {"v": 2}: the space's wire version
#
# Owners: an agent's things stay under ROOT/AGENT/..., and their guids come from (owner, lid), so
# an agent that is its own owner (the default) keeps its guids and documents. An agent of
# another owner names it in its documents ("owner") and publishes its membership before its
# first sync; every catalogue takes a document's owner claim only while that membership is
# retained (the ACL grants each enrolled agent its membership topic, nobody else), and keeps one
# document per guid, so lids are unique per owner: create_thing checks the catalogue (after its
# sync) for the owner's thing of that lid made by another agent.
#
# An agent's cost does not grow with the space (``_catalogue.py``): it subscribes with wildcards
# only to its own things, its owner's memberships and those members' things; any other guid is
# looked up through its retained pointer ``ROOT/_guid/GUID`` and the exact meta topic that
# names (two round trips; the pointer is a hint, the document's topic is the identity), and
# stays subscribed (bounded, least recently used first). Searches beyond ``localOwn`` go to a
# directory process next to the broker.
#
# Shares go through the durable outbox and the sender thread (``_sender.py``): share()
# never fails because the link is down, and after a reconnect the outbox alone decides what is
# resent, in order.
# Payloads carry the sharer's outbox ``epoch`` and ``seq`` and the value's number ``n`` on its
# feed; a follower drops any value whose seq it has already delivered (in memory, and in its
# ledger: a log appended before each ack), so redeliveries never reach a callback twice, and
# counts the values a gap in ``n`` says it never got (``values_missed``).
#
# The transport never calls user code. A value goes from the engine's thread to the client's worker
# as it came (``sink.receive``): there ``accept_feed`` (``_delivery.py``) decodes and checks it
# and drops duplicates, the worker runs the follows' callbacks, and ``settle_feed`` records the
# value in the ledger and acknowledges it (manual PUBACK) on the connection it came in on,
# whatever the callbacks did. So a follower killed mid-way gets the rest again from its
# session, and a callback that raises or is slow never leaves a value unacknowledged (the
# broker sends only so many unacknowledged values: Mosquitto 20). A value that came on a
# connection that has closed since is not acknowledged: the broker sends it again on the next,
# and that copy is.
#
# Connections: start() claims the session on a side connection (``_session.py``), then
# connects as the agent (MQTT 5, clean start off, session expiry); a supervisor thread
# (``_supervisor.py``) reconnects, waiting as ``RECONNECT`` (an ``iotic_app.retry.Backoff``)
# says, after reading the claim on a side connection (another process's claim: stop, and report
# ``SessionTakenOver`` to the sink). Every wait of an attempt (side connections' included) ends
# when stop() is asked, and the attempt closes what it made; stop() never joins the thread it
# runs on. close() also closes the outbox.

from iotic_app.transports.mqtt._settings import MqttSettings
from iotic_app.transports.mqtt._transport import MqttTransport

__all__ = ["MqttSettings", "MqttTransport"]
