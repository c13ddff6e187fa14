"""py-IoticAgent's Core.Const: the QAPI constants (R_FEED, R_CONTROL, ...) and search scopes."""

# The values are 0.7.0's, as scripts compare with them (list_connections()'s 'type' is R_FEED
# or R_CONTROL). Most name parts of the QAPI wire protocol iotic_app does not speak (the
# message, payload and wrapper keys, compression): kept so that a name a script imports
# exists and has its value, not because iotic_app sends them.

from __future__ import annotations

from enum import Enum, unique
from typing import Final

__all__ = [
    "COMP_DEFAULT",
    "COMP_LZ4F",
    "COMP_NONE",
    "COMP_SIZE",
    "COMP_ZLIB",
    "C_CREATE",
    "C_DELETE",
    "C_LIST",
    "C_UPDATE",
    "E_COMPLETE",
    "E_CONTROLREQ",
    "E_CREATED",
    "E_DELETED",
    "E_DUPLICATED",
    "E_FAILED",
    "E_FAILED_CODE_ACCESSDENIED",
    "E_FAILED_CODE_DUPLICATE",
    "E_FAILED_CODE_INTERNALERROR",
    "E_FAILED_CODE_LOWSEQNUM",
    "E_FAILED_CODE_MALFORMED",
    "E_FAILED_CODE_NOTALLOWED",
    "E_FAILED_CODE_UNKNOWN",
    "E_FEEDDATA",
    "E_PROGRESS",
    "E_PROGRESS_CODE_ACCEPTED",
    "E_PROGRESS_CODE_REMOTEDELAY",
    "E_PROGRESS_CODE_UPDATE",
    "E_REASSIGNED",
    "E_RECENTDATA",
    "E_RENAMED",
    "E_SUBSCRIBED",
    "M_ACTION",
    "M_CLIENTREF",
    "M_PAYLOAD",
    "M_RANGE",
    "M_RESOURCE",
    "M_TYPE",
    "P_CODE",
    "P_CONFIRM",
    "P_DATA",
    "P_ENTITY_LID",
    "P_EPID",
    "P_FEED_ID",
    "P_ID",
    "P_LID",
    "P_MESSAGE",
    "P_MIME",
    "P_OLD_LID",
    "P_POINT_ENTITY_LID",
    "P_POINT_ID",
    "P_POINT_LID",
    "P_POINT_TYPE",
    "P_RESOURCE",
    "P_SAMPLES",
    "P_SUB_ID",
    "P_SUCCESS",
    "P_TIME",
    "R_CONTROL",
    "R_CONTROL_META",
    "R_CONTROL_TAG_META",
    "R_DESCRIBE",
    "R_ENTITY",
    "R_ENTITY_META",
    "R_ENTITY_TAG_META",
    "R_FEED",
    "R_FEED_META",
    "R_FEED_TAG_META",
    "R_PING",
    "R_PROPERTY_META",
    "R_PROPERTY_SEARCH_META",
    "R_SEARCH",
    "R_SUB",
    "R_VALUE_META",
    "W_COMPRESSION",
    "W_HASH",
    "W_MESSAGE",
    "W_SEQ",
    "DescribeScope",
    "SearchScope",
    "SearchType",
]

# Resource types; R_FEED and R_CONTROL are what scripts use (list_connections()'s 'type',
# the subscription callback's 'r').
R_PING: Final = 0
R_ENTITY: Final = 1
R_FEED: Final = 2
R_CONTROL: Final = 3
R_SUB: Final = 4
R_ENTITY_META: Final = 5
R_FEED_META: Final = 6
R_CONTROL_META: Final = 7
R_VALUE_META: Final = 8
R_ENTITY_TAG_META: Final = 9
R_FEED_TAG_META: Final = 10
R_CONTROL_TAG_META: Final = 11
R_SEARCH: Final = 13  # 12 is not used (0.7.0 has no value tags)
R_DESCRIBE: Final = 14
R_PROPERTY_META: Final = 15
R_PROPERTY_SEARCH_META: Final = 16

# Request actions
C_CREATE: Final = 1
C_UPDATE: Final = 2
C_DELETE: Final = 3
C_LIST: Final = 4

# Event types from the container, and the codes of E_PROGRESS and E_FAILED
E_COMPLETE: Final = 1
E_PROGRESS: Final = 2
E_FAILED: Final = 3
E_CREATED: Final = 4
E_DUPLICATED: Final = 5
E_DELETED: Final = 6
E_FEEDDATA: Final = 7
E_CONTROLREQ: Final = 8
E_SUBSCRIBED: Final = 9
E_RENAMED: Final = 10
E_REASSIGNED: Final = 11
E_RECENTDATA: Final = 12

E_PROGRESS_CODE_ACCEPTED: Final = 1
E_PROGRESS_CODE_REMOTEDELAY: Final = 2
E_PROGRESS_CODE_UPDATE: Final = 3

# A failure's code; IOT.Exceptions has the class each one was raised as.
E_FAILED_CODE_NOTALLOWED: Final = 1
E_FAILED_CODE_UNKNOWN: Final = 2
E_FAILED_CODE_MALFORMED: Final = 3
E_FAILED_CODE_DUPLICATE: Final = 4
E_FAILED_CODE_INTERNALERROR: Final = 5
E_FAILED_CODE_LOWSEQNUM: Final = 6
E_FAILED_CODE_ACCESSDENIED: Final = 7

# Keys of a QAPI message, of its payload, and of the wrapper around it
M_RESOURCE: Final = "r"
M_TYPE: Final = "t"
M_CLIENTREF: Final = "c"
M_ACTION: Final = "a"
M_PAYLOAD: Final = "p"
M_RANGE: Final = "g"

P_CODE: Final = "c"
P_RESOURCE: Final = "r"
P_MESSAGE: Final = "m"
P_LID: Final = "lid"
P_ENTITY_LID: Final = "entityLid"
P_POINT_ENTITY_LID: Final = "pointEntityLid"
P_POINT_LID: Final = "pointLid"
P_OLD_LID: Final = "oldLid"
P_EPID: Final = "epId"
P_ID: Final = "id"
P_POINT_ID: Final = "pointId"
P_FEED_ID: Final = "feedId"
P_POINT_TYPE: Final = "pointType"
P_MIME: Final = "mime"
P_DATA: Final = "data"
P_SUCCESS: Final = "success"
P_CONFIRM: Final = "confirm"
P_SUB_ID: Final = "subId"
P_TIME: Final = "time"
P_SAMPLES: Final = "samples"

W_SEQ: Final = "s"
W_HASH: Final = "h"
W_COMPRESSION: Final = "c"
W_MESSAGE: Final = "m"

# Compression of a QAPI message, and the size above which it was used
COMP_NONE: Final = 0
COMP_ZLIB: Final = 1
COMP_LZ4F: Final = 2
COMP_DEFAULT: Final = COMP_ZLIB
COMP_SIZE: Final = 768


@unique
class SearchScope(Enum):
    """Which things a search looks at: ``PUBLIC`` ones, or those local to the space
    (``LOCAL``), or the searcher's own (``LOCAL_OWN``)."""

    PUBLIC = "public"
    LOCAL = "local"
    LOCAL_OWN = "localOwn"


@unique
class SearchType(Enum):
    """How much a search returns: ``FULL``, ``REDUCED`` (points and their types), ``LOCATED``
    (location and label) or ``MINIMAL``."""

    FULL = "full"
    REDUCED = "reduced"
    LOCATED = "located"
    MINIMAL = "minimal"


@unique
class DescribeScope(Enum):
    """Which metadata describe reads: ``AUTO`` (local if there is some, else public),
    ``PUBLIC``, ``LOCAL`` or ``LOCAL_OWN`` (the describer's own things)."""

    AUTO = "auto"
    PUBLIC = "public"
    LOCAL = "local"
    LOCAL_OWN = "localOwn"
