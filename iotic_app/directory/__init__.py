"""The directory: a process next to an MQTT broker that indexes all things and answers search."""

# Design note (the user-facing version is docs/mqtt.md, "Directory")
# -------------------------------------------------------------------
# Modules:
#   _index.py     the sqlite index (documents, memberships, FTS5, R*Tree, units) and search
#   _service.py   the connection: follow metadata, resync, answer requests, presence
#   _app.py       the App that runs it (``iotic-app directory``)
# The wire (requests, replies, a query as JSON) is ``transports/mqtt/_dirwire.py``, shared with
# the agents' side (``transports/mqtt/_directory.py``).

from iotic_app.directory._app import directory_app, directory_service
from iotic_app.directory._index import Index
from iotic_app.directory._service import DirectoryService

__all__ = ["DirectoryService", "Index", "directory_app", "directory_service"]
