"""py-IoticAgent 0.7.0's public API (names, signatures, constants); made by _gen_api_table.py."""

from __future__ import annotations

from typing import Any, Final, TypedDict


class ParamInfo(TypedDict):
    name: str
    kind: str  # an inspect.Parameter kind name, e.g. "POSITIONAL_OR_KEYWORD"
    default: str | None  # the default's repr (its source, if not a literal); None: no default


class CallableInfo(TypedDict):
    params: list[ParamInfo]
    decorators: list[str]
    source: str  # "src/IoticAgent/<file>:<line>" in the v0.7.0 tree


class PropertyInfo(TypedDict):
    settable: bool
    source: str


class ClassInfo(TypedDict):
    bases: list[str]
    methods: dict[str, CallableInfo]
    properties: dict[str, PropertyInfo]
    attributes: dict[str, Any]  # class-level constants (Enum members too): their values
    source: str


class ModuleInfo(TypedDict):
    file: str
    all: list[str] | None  # __all__, when the module sets it
    classes: dict[str, ClassInfo]
    functions: dict[str, CallableInfo]
    constants: dict[str, Any]  # module-level names bound to constant values
    expressions: dict[str, str]  # module-level names bound to other expressions: their source
    imported: dict[str, str]  # re-exported names: "<module>:<name>" they come from


VERSION: Final = "0.7.0"
COMMIT: Final = "d976f0e01acfc9f7cdba89e32faa947acb8192db"

MODULES: Final[dict[str, ModuleInfo]] = {
    "IoticAgent": {
        "file": "src/IoticAgent/__init__.py",
        "all": None,
        "classes": {},
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {
            "Units": ".:Units",
            "Datatypes": ".:Datatypes",
            "IOT": ".:IOT",
            "Core": ".:Core",
            "ThingRunner": ".ThingRunner:ThingRunner",
            "RetryingThingRunner": ".ThingRunner:RetryingThingRunner",
            "RunContext": ".ThingRunner:RunContext",
        },
    },
    "IoticAgent.IOT": {
        "file": "src/IoticAgent/IOT/__init__.py",
        "all": None,
        "classes": {},
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {
            "Client": ".Client:Client",
            "SearchScope": ".Client:SearchScope",
            "DescribeScope": ".Client:DescribeScope",
        },
    },
    "IoticAgent.IOT.Client": {
        "file": "src/IoticAgent/IOT/Client.py",
        "all": None,
        "classes": {
            "Client": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "config", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:56",
                    },
                    "start": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:147",
                    },
                    "__enter__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:212",
                    },
                    "stop": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:215",
                    },
                    "__exit__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_type", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_value", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "traceback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:223",
                    },
                    "is_connected": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:277",
                    },
                    "register_catchall_feeddata": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:284",
                    },
                    "register_catchall_controlreq": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:314",
                    },
                    "register_callback_subscription": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:342",
                    },
                    "register_callback_created": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "serialised",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "True",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:383",
                    },
                    "register_callback_duplicate": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "serialised",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "True",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:420",
                    },
                    "register_callback_renamed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "serialised",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "True",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:459",
                    },
                    "register_callback_deleted": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "serialised",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "True",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:498",
                    },
                    "register_callback_reassigned": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "serialised",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "True",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:533",
                    },
                    "register_callback_subscribed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:581",
                    },
                    "simulate_feeddata": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "feedid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "time", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:595",
                    },
                    "confirm_tell": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "success", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:613",
                    },
                    "save_config": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:659",
                    },
                    "list": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "all_my_agents",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:751",
                    },
                    "get_thing": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:776",
                    },
                    "create_thing": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:797",
                    },
                    "create_thing_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:821",
                    },
                    "delete_thing": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:825",
                    },
                    "delete_thing_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:838",
                    },
                    "search": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "text", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "location",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "50"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "reduced",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:842",
                    },
                    "search_reduced": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "text", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "location",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:942",
                    },
                    "search_located": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "text", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "location",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:949",
                    },
                    "search_minimal": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "text", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "location",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:979",
                    },
                    "search_property": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "50"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "type_",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchType.FULL",
                            },
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "with_pointless",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:1001",
                    },
                    "search_property_reduced": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                            {
                                "name": "with_pointless",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:1088",
                    },
                    "search_property_located": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "with_pointless",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:1109",
                    },
                    "search_property_minimal": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "100"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "SearchScope.PUBLIC",
                            },
                            {
                                "name": "with_pointless",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:1133",
                    },
                    "describe": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "guid_or_resource",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": None,
                            },
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "scope",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "DescribeScope.AUTO",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Client.py:1153",
                    },
                },
                "properties": {
                    "agent_id": {"settable": False, "source": "src/IoticAgent/IOT/Client.py:125"},
                    "default_lang": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/Client.py:132",
                    },
                    "local_meta": {"settable": False, "source": "src/IoticAgent/IOT/Client.py:140"},
                    "sync_timeout": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/Client.py:234",
                    },
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Client.py:51",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {
            "logger": "logging.getLogger(__name__)",
            "DEBUG_ENABLED": "logger.isEnabledFor(logging.DEBUG)",
        },
        "imported": {
            "Core_Client": "IoticAgent.Core:Client",
            "ThreadSafeDict": "IoticAgent.Core:ThreadSafeDict",
            "Core_Version": "IoticAgent.Core:__version__",
            "Mapping": "IoticAgent.Core.compat:Mapping",
            "raise_from": "IoticAgent.Core.compat:raise_from",
            "string_types": "IoticAgent.Core.compat:string_types",
            "E_FAILED_CODE_NOTALLOWED": "IoticAgent.Core.Const:E_FAILED_CODE_NOTALLOWED",
            "E_FAILED_CODE_UNKNOWN": "IoticAgent.Core.Const:E_FAILED_CODE_UNKNOWN",
            "E_FAILED_CODE_MALFORMED": "IoticAgent.Core.Const:E_FAILED_CODE_MALFORMED",
            "E_FAILED_CODE_INTERNALERROR": "IoticAgent.Core.Const:E_FAILED_CODE_INTERNALERROR",
            "E_FAILED_CODE_ACCESSDENIED": "IoticAgent.Core.Const:E_FAILED_CODE_ACCESSDENIED",
            "M_CLIENTREF": "IoticAgent.Core.Const:M_CLIENTREF",
            "M_PAYLOAD": "IoticAgent.Core.Const:M_PAYLOAD",
            "R_ENTITY": "IoticAgent.Core.Const:R_ENTITY",
            "R_FEED": "IoticAgent.Core.Const:R_FEED",
            "R_CONTROL": "IoticAgent.Core.Const:R_CONTROL",
            "R_SUB": "IoticAgent.Core.Const:R_SUB",
            "P_CODE": "IoticAgent.Core.Const:P_CODE",
            "P_ID": "IoticAgent.Core.Const:P_ID",
            "P_LID": "IoticAgent.Core.Const:P_LID",
            "P_ENTITY_LID": "IoticAgent.Core.Const:P_ENTITY_LID",
            "P_EPID": "IoticAgent.Core.Const:P_EPID",
            "P_RESOURCE": "IoticAgent.Core.Const:P_RESOURCE",
            "P_MESSAGE": "IoticAgent.Core.Const:P_MESSAGE",
            "P_POINT_TYPE": "IoticAgent.Core.Const:P_POINT_TYPE",
            "P_POINT_ID": "IoticAgent.Core.Const:P_POINT_ID",
            "P_DATA": "IoticAgent.Core.Const:P_DATA",
            "SearchScope": "IoticAgent.Core.Const:SearchScope",
            "SearchType": "IoticAgent.Core.Const:SearchType",
            "DescribeScope": "IoticAgent.Core.Const:DescribeScope",
            "validate_nonnegative_int": "IoticAgent.Core.utils:validate_nonnegative_int",
            "Validation": "IoticAgent.Core.Validation:Validation",
            "Thing": ".Thing:Thing",
            "Config": ".Config:Config",
            "uuid_to_hex": ".utils:uuid_to_hex",
            "version_string_to_tuple": ".utils:version_string_to_tuple",
            "bool_from": ".utils:bool_from",
            "foc_to_str": ".utils:foc_to_str",
            "IOTException": ".Exceptions:IOTException",
            "IOTUnknown": ".Exceptions:IOTUnknown",
            "IOTMalformed": ".Exceptions:IOTMalformed",
            "IOTInternalError": ".Exceptions:IOTInternalError",
            "IOTAccessDenied": ".Exceptions:IOTAccessDenied",
            "IOTClientError": ".Exceptions:IOTClientError",
            "IOTSyncTimeout": ".Exceptions:IOTSyncTimeout",
            "IOTNotAllowed": ".Exceptions:IOTNotAllowed",
            "Control": ".Point:Control",
            "Point": ".Point:Point",
            "RemoteFeed": ".RemotePoint:RemoteFeed",
            "RemoteControl": ".RemotePoint:RemoteControl",
            "PointDataObjectHandler": ".PointValueHelper:PointDataObjectHandler",
            "RefreshException": ".PointValueHelper:RefreshException",
        },
    },
    "IoticAgent.IOT.Thing": {
        "file": "src/IoticAgent/IOT/Thing.py",
        "all": None,
        "classes": {
            "Thing": {
                "bases": ["Resource"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "client", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "guid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "epId", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:42",
                    },
                    "__str__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:51",
                    },
                    "list_feeds": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:94",
                    },
                    "list_controls": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:111",
                    },
                    "set_public": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "public", "kind": "POSITIONAL_OR_KEYWORD", "default": "True"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:128",
                    },
                    "rename": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "new_lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:147",
                    },
                    "reassign": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "new_epid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:169",
                    },
                    "create_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "tags", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:190",
                    },
                    "delete_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "tags", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:205",
                    },
                    "list_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:220",
                    },
                    "create_property": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "replace", "kind": "POSITIONAL_OR_KEYWORD", "default": "True"},
                            {
                                "name": "replace_all",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:250",
                    },
                    "delete_property": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "props", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:269",
                    },
                    "list_property": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:286",
                    },
                    "get_meta": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:343",
                    },
                    "get_meta_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "fmt", "kind": "POSITIONAL_OR_KEYWORD", "default": "'n3'"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:353",
                    },
                    "set_meta_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "rdf", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "fmt", "kind": "POSITIONAL_OR_KEYWORD", "default": "'n3'"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:377",
                    },
                    "get_feed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:394",
                    },
                    "get_control": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:417",
                    },
                    "create_feed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "save_recent",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "0",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:456",
                    },
                    "create_feed_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "save_recent",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "0",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:476",
                    },
                    "create_control": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:480",
                    },
                    "create_control_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:520",
                    },
                    "delete_feed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:533",
                    },
                    "delete_feed_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:548",
                    },
                    "delete_control": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:552",
                    },
                    "delete_control_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:566",
                    },
                    "get_remote_feed": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:587",
                    },
                    "get_remote_control": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:603",
                    },
                    "follow": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:683",
                    },
                    "follow_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "callback",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {
                                "name": "callback_parsed",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:724",
                    },
                    "attach": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:729",
                    },
                    "attach_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "gpid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:747",
                    },
                    "unfollow": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "subid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:756",
                    },
                    "unattach": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "subid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:770",
                    },
                    "list_connections": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "500"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Thing.py:785",
                    },
                },
                "properties": {
                    "lid": {"settable": False, "source": "src/IoticAgent/IOT/Thing.py:66"},
                    "agent_id": {"settable": False, "source": "src/IoticAgent/IOT/Thing.py:73"},
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Thing.py:38",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {
            "P_RESOURCE": "IoticAgent.Core.Const:P_RESOURCE",
            "R_FEED": "IoticAgent.Core.Const:R_FEED",
            "R_CONTROL": "IoticAgent.Core.Const:R_CONTROL",
            "R_SUB": "IoticAgent.Core.Const:R_SUB",
            "P_ID": "IoticAgent.Core.Const:P_ID",
            "P_LID": "IoticAgent.Core.Const:P_LID",
            "P_ENTITY_LID": "IoticAgent.Core.Const:P_ENTITY_LID",
            "P_POINT_LID": "IoticAgent.Core.Const:P_POINT_LID",
            "P_POINT_ID": "IoticAgent.Core.Const:P_POINT_ID",
            "P_POINT_ENTITY_LID": "IoticAgent.Core.Const:P_POINT_ENTITY_LID",
            "P_POINT_TYPE": "IoticAgent.Core.Const:P_POINT_TYPE",
            "P_EPID": "IoticAgent.Core.Const:P_EPID",
            "ThreadSafeDict": "IoticAgent.Core:ThreadSafeDict",
            "raise_from": "IoticAgent.Core.compat:raise_from",
            "string_types": "IoticAgent.Core.compat:string_types",
            "Sequence": "IoticAgent.Core.compat:Sequence",
            "Validation": "IoticAgent.Core.Validation:Validation",
            "IOTClientError": ".Exceptions:IOTClientError",
            "Resource": ".Resource:Resource",
            "RemoteFeed": ".RemotePoint:RemoteFeed",
            "RemoteControl": ".RemotePoint:RemoteControl",
            "Feed": ".Point:Feed",
            "Control": ".Point:Control",
            "foc_to_str": ".utils:foc_to_str",
            "uuid_to_hex": ".utils:uuid_to_hex",
            "ThingMeta": ".ThingMeta:ThingMeta",
        },
    },
    "IoticAgent.IOT.Point": {
        "file": "src/IoticAgent/IOT/Point.py",
        "all": None,
        "classes": {
            "Point": {
                "bases": ["Resource"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "client", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "guid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:46",
                    },
                    "__str__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:66",
                    },
                    "rename": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "new_pid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:91",
                    },
                    "list": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "50"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:107",
                    },
                    "list_followers": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:128",
                    },
                    "get_meta": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:155",
                    },
                    "get_meta_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "fmt", "kind": "POSITIONAL_OR_KEYWORD", "default": "'n3'"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:171",
                    },
                    "set_meta_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "rdf", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "fmt", "kind": "POSITIONAL_OR_KEYWORD", "default": "'n3'"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:195",
                    },
                    "create_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "tags", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:202",
                    },
                    "delete_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "tags", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:217",
                    },
                    "list_tag": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "limit", "kind": "POSITIONAL_OR_KEYWORD", "default": "50"},
                            {"name": "offset", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:232",
                    },
                    "create_value": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "label", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "vtype", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "description",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:263",
                    },
                    "delete_value": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "label", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:306",
                    },
                },
                "properties": {
                    "lid": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:70"},
                    "pid": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:77"},
                    "foc": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:85"},
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Point.py:38",
            },
            "Feed": {
                "bases": ["Point"],
                "methods": {
                    "get_template": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:329",
                    },
                    "share": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "time", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:335",
                    },
                    "share_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "time", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:378",
                    },
                    "get_recent_info": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:384",
                    },
                    "set_recent_config": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "max_samples",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "0",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:407",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Point.py:322",
            },
            "Control": {
                "bases": ["Point"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Point.py:436",
            },
            "PointDataObject": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "values", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "value_filter",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": None,
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:453",
                    },
                    "unset": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:467",
                    },
                    "filter_by": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "text", "kind": "POSITIONAL_OR_KEYWORD", "default": "()"},
                            {"name": "types", "kind": "POSITIONAL_OR_KEYWORD", "default": "()"},
                            {"name": "units", "kind": "POSITIONAL_OR_KEYWORD", "default": "()"},
                            {
                                "name": "include_unset",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:484",
                    },
                    "to_dict": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Point.py:510",
                    },
                },
                "properties": {
                    "values": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:463"},
                    "empty": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:473"},
                    "missing": {"settable": False, "source": "src/IoticAgent/IOT/Point.py:480"},
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Point.py:446",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {
            "Validation": "IoticAgent.Core.Validation:Validation",
            "R_FEED": "IoticAgent.Core.Const:R_FEED",
            "R_CONTROL": "IoticAgent.Core.Const:R_CONTROL",
            "Sequence": "IoticAgent.Core.compat:Sequence",
            "Mapping": "IoticAgent.Core.compat:Mapping",
            "raise_from": "IoticAgent.Core.compat:raise_from",
            "string_types": "IoticAgent.Core.compat:string_types",
            "ensure_unicode": "IoticAgent.Core.compat:ensure_unicode",
            "Resource": ".Resource:Resource",
            "private_names_for": ".utils:private_names_for",
            "foc_to_str": ".utils:foc_to_str",
            "PointMeta": ".PointMeta:PointMeta",
        },
    },
    "IoticAgent.IOT.RemotePoint": {
        "file": "src/IoticAgent/IOT/RemotePoint.py",
        "all": None,
        "classes": {
            "RemotePoint": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "client", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "subid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "pointid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:33",
                    }
                },
                "properties": {
                    "subid": {"settable": False, "source": "src/IoticAgent/IOT/RemotePoint.py:47"},
                    "guid": {"settable": False, "source": "src/IoticAgent/IOT/RemotePoint.py:55"},
                    "lid": {"settable": False, "source": "src/IoticAgent/IOT/RemotePoint.py:62"},
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/RemotePoint.py:28",
            },
            "RemoteFeed": {
                "bases": ["RemotePoint"],
                "methods": {
                    "get_last": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:80",
                    },
                    "get_recent": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "count", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:101",
                    },
                    "get_recent_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "count", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "callback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:140",
                    },
                    "simulate": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:158",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/RemotePoint.py:69",
            },
            "RemoteControl": {
                "bases": ["RemotePoint"],
                "methods": {
                    "get_template": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:184",
                    },
                    "ask": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:190",
                    },
                    "ask_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:207",
                    },
                    "tell": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "timeout", "kind": "POSITIONAL_OR_KEYWORD", "default": "10"},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:213",
                    },
                    "tell_async": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "timeout", "kind": "POSITIONAL_OR_KEYWORD", "default": "10"},
                            {"name": "mime", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/RemotePoint.py:255",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/RemotePoint.py:170",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {
            "Validation": "IoticAgent.Core.Validation:Validation",
            "validate_nonnegative_int": "IoticAgent.Core.utils:validate_nonnegative_int",
            "Queue": "IoticAgent.Core.compat:Queue",
            "Empty": "IoticAgent.Core.compat:Empty",
            "monotonic": "IoticAgent.Core.compat:monotonic",
            "PointDataObject": ".Point:PointDataObject",
            "IOTSyncTimeout": ".Exceptions:IOTSyncTimeout",
        },
    },
    "IoticAgent.IOT.Resource": {
        "file": "src/IoticAgent/IOT/Resource.py",
        "all": None,
        "classes": {
            "Resource": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "client", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "guid", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Resource.py:25",
                    }
                },
                "properties": {
                    "guid": {"settable": False, "source": "src/IoticAgent/IOT/Resource.py:30"}
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Resource.py:21",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {"Validation": "IoticAgent.Core.Validation:Validation"},
    },
    "IoticAgent.IOT.ResourceMeta": {
        "file": "src/IoticAgent/IOT/ResourceMeta.py",
        "all": None,
        "classes": {
            "ResourceMeta": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "parent", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "rdf", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "default_lang",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": None,
                            },
                            {"name": "fmt", "kind": "POSITIONAL_OR_KEYWORD", "default": "'n3'"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:46",
                    },
                    "__enter__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:54",
                    },
                    "__exit__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_type", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_value", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "traceback", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:57",
                    },
                    "__str__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:90",
                    },
                    "set": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:97",
                    },
                    "update": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:137",
                    },
                    "set_label": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "label", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:154",
                    },
                    "get_labels": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:174",
                    },
                    "get_labels_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:184",
                    },
                    "delete_label": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:195",
                    },
                    "set_description": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "description",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": None,
                            },
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:209",
                    },
                    "get_descriptions": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:229",
                    },
                    "get_descriptions_rdf": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:239",
                    },
                    "delete_description": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lang", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ResourceMeta.py:249",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/ResourceMeta.py:32",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {
            "logger": "logging.getLogger(__name__)",
            "IOTIC_NS": "Namespace('http://purl.org/net/iotic-labs#')",
        },
        "imported": {
            "Validation": "IoticAgent.Core:Validation",
            "uuid_to_hex": ".utils:uuid_to_hex",
        },
    },
    "IoticAgent.IOT.ThingMeta": {
        "file": "src/IoticAgent/IOT/ThingMeta.py",
        "all": None,
        "classes": {
            "ThingMeta": {
                "bases": ["ResourceMeta"],
                "methods": {
                    "set_location": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lat", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "lon", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ThingMeta.py:40",
                    },
                    "get_location": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ThingMeta.py:48",
                    },
                    "delete_location": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/ThingMeta.py:66",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/ThingMeta.py:32",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {
            "logger": "logging.getLogger(__name__)",
            "GEO_NS": "Namespace('http://www.w3.org/2003/01/geo/wgs84_pos#')",
        },
        "imported": {
            "Validation": "IoticAgent.Core:Validation",
            "ResourceMeta": ".ResourceMeta:ResourceMeta",
            "IOTIC_NS": ".ResourceMeta:IOTIC_NS",
        },
    },
    "IoticAgent.IOT.PointMeta": {
        "file": "src/IoticAgent/IOT/PointMeta.py",
        "all": None,
        "classes": {
            "PointMeta": {
                "bases": ["ResourceMeta"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/PointMeta.py:20",
            }
        },
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {
            "ResourceMeta": ".ResourceMeta:ResourceMeta",
            "IOTIC_NS": ".ResourceMeta:IOTIC_NS",
        },
    },
    "IoticAgent.IOT.PointValueHelper": {
        "file": "src/IoticAgent/IOT/PointValueHelper.py",
        "all": None,
        "classes": {
            "Value": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "label", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "type_", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "unit", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "description",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:38",
                    },
                    "copy": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:90",
                    },
                },
                "properties": {
                    "unset": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:47",
                    },
                    "label": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:52",
                    },
                    "type_": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:57",
                    },
                    "unit": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:62",
                    },
                    "description": {
                        "settable": False,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:67",
                    },
                    "value": {
                        "settable": True,
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:72",
                    },
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/PointValueHelper.py:32",
            },
            "RefreshException": {
                "bases": ["Exception"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/PointValueHelper.py:126",
            },
            "PointDataObjectHandler": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "point", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "client", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:137",
                    },
                    "get_template": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/PointValueHelper.py:159",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/PointValueHelper.py:130",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {
            "Validation": "IoticAgent.Core.Validation:Validation",
            "Sequence": "IoticAgent.Core.compat:Sequence",
            "Lock": "IoticAgent.Core.compat:Lock",
            "valid_identifier": "IoticAgent.Core.compat:valid_identifier",
            "IOTUnknown": ".Exceptions:IOTUnknown",
            "Point": ".Point:Point",
            "PointDataObject": ".Point:PointDataObject",
            "RemotePoint": ".RemotePoint:RemotePoint",
            "private_names_for": ".utils:private_names_for",
        },
    },
    "IoticAgent.IOT.Exceptions": {
        "file": "src/IoticAgent/IOT/Exceptions.py",
        "all": None,
        "classes": {
            "IOTException": {
                "bases": ["Exception"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "msg", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "event", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Exceptions.py:23",
                    }
                },
                "properties": {
                    "event": {"settable": False, "source": "src/IoticAgent/IOT/Exceptions.py:28"}
                },
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:20",
            },
            "IOTSyncTimeout": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:36",
            },
            "IOTUnknown": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:41",
            },
            "IOTMalformed": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:45",
            },
            "IOTNotAllowed": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:49",
            },
            "IOTInternalError": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:53",
            },
            "IOTAccessDenied": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:57",
            },
            "IOTClientError": {
                "bases": ["IOTException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Exceptions.py:61",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {
            "LinkException": "IoticAgent.Core.Exceptions:LinkException",
            "LinkShutdownException": "IoticAgent.Core.Exceptions:LinkShutdownException",
        },
    },
    "IoticAgent.IOT.Config": {
        "file": "src/IoticAgent/IOT/Config.py",
        "all": None,
        "classes": {
            "Config": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "fn", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "string", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:35",
                    },
                    "setup_logging": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:160",
                    },
                    "save": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "filename",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "None",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:166",
                    },
                    "get": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "section", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "val", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:175",
                    },
                    "set": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "section", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "val", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:195",
                    },
                    "update": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "section", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "val", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "data", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/IOT/Config.py:209",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/IOT/Config.py:33",
            }
        },
        "functions": {
            "dict_to_cp": {
                "params": [{"name": "dic", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/Config.py:225",
            },
            "str_to_logging": {
                "params": [{"name": "level", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/Config.py:235",
            },
        },
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {"PY3": "IoticAgent.Core.compat:PY3"},
    },
    "IoticAgent.IOT.utils": {
        "file": "src/IoticAgent/IOT/utils.py",
        "all": None,
        "classes": {},
        "functions": {
            "hex_to_uuid": {
                "params": [{"name": "hstr", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:32",
            },
            "uuid_to_hex": {
                "params": [{"name": "uid", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:38",
            },
            "str_to_foc": {
                "params": [{"name": "sfoc", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:44",
            },
            "foc_to_str": {
                "params": [{"name": "foc", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:53",
            },
            "version_string_to_tuple": {
                "params": [{"name": "version", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:62",
            },
            "bool_from": {
                "params": [
                    {"name": "obj", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "default", "kind": "POSITIONAL_OR_KEYWORD", "default": "False"},
                ],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:66",
            },
            "private_name_for": {
                "params": [
                    {"name": "var_name", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "cls", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                ],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:75",
            },
            "private_names_for": {
                "params": [
                    {"name": "cls", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "names", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                ],
                "decorators": [],
                "source": "src/IoticAgent/IOT/utils.py:92",
            },
        },
        "constants": {},
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {
            "R_FEED": "IoticAgent.Core.Const:R_FEED",
            "R_CONTROL": "IoticAgent.Core.Const:R_CONTROL",
            "ensure_unicode": "IoticAgent.Core.compat:ensure_unicode",
            "raise_from": "IoticAgent.Core.compat:raise_from",
            "unicode_type": "IoticAgent.Core.compat:unicode_type",
            "string_types": "IoticAgent.Core.compat:string_types",
            "Iterable": "IoticAgent.Core.compat:Iterable",
            "re_compile": "IoticAgent.Core.compat:re_compile",
        },
    },
    "IoticAgent.Core": {
        "file": "src/IoticAgent/Core/__init__.py",
        "all": None,
        "classes": {},
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {
            "Const": ".:Const",
            "Client": ".Client:Client",
            "RequestEvent": ".RequestEvent:RequestEvent",
            "ThreadSafeDict": ".ThreadSafeDict:ThreadSafeDict",
            "Validation": ".Validation:Validation",
            "MessageDecoder": ".:MessageDecoder",
        },
    },
    "IoticAgent.Core.Const": {
        "file": "src/IoticAgent/Core/Const.py",
        "all": None,
        "classes": {
            "SearchScope": {
                "bases": ["Enum"],
                "methods": {},
                "properties": {},
                "attributes": {"PUBLIC": "public", "LOCAL": "local", "LOCAL_OWN": "localOwn"},
                "source": "src/IoticAgent/Core/Const.py:125",
            },
            "SearchType": {
                "bases": ["Enum"],
                "methods": {},
                "properties": {},
                "attributes": {
                    "FULL": "full",
                    "REDUCED": "reduced",
                    "LOCATED": "located",
                    "MINIMAL": "minimal",
                },
                "source": "src/IoticAgent/Core/Const.py:140",
            },
            "DescribeScope": {
                "bases": ["Enum"],
                "methods": {},
                "properties": {},
                "attributes": {
                    "AUTO": "auto",
                    "PUBLIC": "public",
                    "LOCAL": "local",
                    "LOCAL_OWN": "localOwn",
                },
                "source": "src/IoticAgent/Core/Const.py:156",
            },
        },
        "functions": {},
        "constants": {
            "C_CREATE": 1,
            "C_UPDATE": 2,
            "C_DELETE": 3,
            "C_LIST": 4,
            "E_COMPLETE": 1,
            "E_PROGRESS": 2,
            "E_PROGRESS_CODE_ACCEPTED": 1,
            "E_PROGRESS_CODE_REMOTEDELAY": 2,
            "E_PROGRESS_CODE_UPDATE": 3,
            "E_FAILED": 3,
            "E_FAILED_CODE_NOTALLOWED": 1,
            "E_FAILED_CODE_UNKNOWN": 2,
            "E_FAILED_CODE_MALFORMED": 3,
            "E_FAILED_CODE_DUPLICATE": 4,
            "E_FAILED_CODE_INTERNALERROR": 5,
            "E_FAILED_CODE_LOWSEQNUM": 6,
            "E_FAILED_CODE_ACCESSDENIED": 7,
            "E_CREATED": 4,
            "E_DUPLICATED": 5,
            "E_DELETED": 6,
            "E_FEEDDATA": 7,
            "E_CONTROLREQ": 8,
            "E_SUBSCRIBED": 9,
            "E_RENAMED": 10,
            "E_REASSIGNED": 11,
            "E_RECENTDATA": 12,
            "R_PING": 0,
            "R_ENTITY": 1,
            "R_FEED": 2,
            "R_CONTROL": 3,
            "R_SUB": 4,
            "R_ENTITY_META": 5,
            "R_FEED_META": 6,
            "R_CONTROL_META": 7,
            "R_VALUE_META": 8,
            "R_ENTITY_TAG_META": 9,
            "R_FEED_TAG_META": 10,
            "R_CONTROL_TAG_META": 11,
            "R_SEARCH": 13,
            "R_DESCRIBE": 14,
            "R_PROPERTY_META": 15,
            "R_PROPERTY_SEARCH_META": 16,
            "W_SEQ": "s",
            "W_HASH": "h",
            "W_COMPRESSION": "c",
            "W_MESSAGE": "m",
            "COMP_NONE": 0,
            "COMP_ZLIB": 1,
            "COMP_LZ4F": 2,
            "M_RESOURCE": "r",
            "M_TYPE": "t",
            "M_CLIENTREF": "c",
            "M_ACTION": "a",
            "M_PAYLOAD": "p",
            "M_RANGE": "g",
            "P_CODE": "c",
            "P_RESOURCE": "r",
            "P_MESSAGE": "m",
            "P_LID": "lid",
            "P_ENTITY_LID": "entityLid",
            "P_POINT_ENTITY_LID": "pointEntityLid",
            "P_POINT_LID": "pointLid",
            "P_OLD_LID": "oldLid",
            "P_EPID": "epId",
            "P_ID": "id",
            "P_POINT_ID": "pointId",
            "P_FEED_ID": "feedId",
            "P_POINT_TYPE": "pointType",
            "P_MIME": "mime",
            "P_DATA": "data",
            "P_SUCCESS": "success",
            "P_CONFIRM": "confirm",
            "P_SUB_ID": "subId",
            "P_TIME": "time",
            "P_SAMPLES": "samples",
            "COMP_DEFAULT": 1,
            "COMP_SIZE": 768,
        },
        "expressions": {},
        "imported": {},
    },
    "IoticAgent.Core.Exceptions": {
        "file": "src/IoticAgent/Core/Exceptions.py",
        "all": None,
        "classes": {
            "LinkException": {
                "bases": ["Exception"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/Core/Exceptions.py:16",
            },
            "LinkShutdownException": {
                "bases": ["LinkException"],
                "methods": {},
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/Core/Exceptions.py:20",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {},
    },
    "IoticAgent.Core.Mime": {
        "file": "src/IoticAgent/Core/Mime.py",
        "all": ["valid_mimetype", "expand_idx_mimetype"],
        "classes": {},
        "functions": {
            "valid_mimetype": {
                "params": [
                    {"name": "type_", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "allow_none", "kind": "POSITIONAL_OR_KEYWORD", "default": "True"},
                ],
                "decorators": [],
                "source": "src/IoticAgent/Core/Mime.py:46",
            },
            "expand_idx_mimetype": {
                "params": [{"name": "type_", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/Core/Mime.py:75",
            },
        },
        "constants": {},
        "expressions": {},
        "imported": {
            "unicode_type": ".compat:unicode_type",
            "PY3": ".compat:PY3",
            "re_compile": ".compat:re_compile",
        },
    },
    "IoticAgent.Core.compat": {
        "file": "src/IoticAgent/Core/compat/__init__.py",
        "all": None,
        "classes": {},
        "functions": {
            "u": {
                "params": [{"name": "obj", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:51",
            },
            "ensure_ascii": {
                "params": [
                    {"name": "obj", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "name", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                ],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:55",
            },
            "ensure_unicode": {
                "params": [
                    {"name": "obj", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "name", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                ],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:66",
            },
            "valid_identifier": {
                "params": [{"name": "name", "kind": "POSITIONAL_OR_KEYWORD", "default": None}],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:76",
            },
            "raise_from": {
                "params": [
                    {"name": "value", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "_", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                ],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:161",
            },
            "py_version_check": {
                "params": [],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:177",
            },
            "ssl_version_check": {
                "params": [],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:185",
            },
            "arg_checker": {
                "params": [
                    {"name": "func", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                    {"name": "args", "kind": "VAR_POSITIONAL", "default": None},
                    {"name": "kwargs", "kind": "VAR_KEYWORD", "default": None},
                ],
                "decorators": [],
                "source": "src/IoticAgent/Core/compat/__init__.py:198",
            },
        },
        "constants": {},
        "expressions": {
            "PY3": "version_info[0] == 3",
            "SocketError": "OSError",
            "string_types": "str",
            "unicode_type": "str",
            "int_types": "(int,)",
            "number_types": "(int, float)",
        },
        "imported": {
            "version_info": "sys:version_info",
            "kwlist": "keyword:kwlist",
            "warn": "warnings:warn",
            "re_compile": "regex:compile",
            "Queue": "queue:Queue",
            "Empty": "queue:Empty",
            "Full": "queue:Full",
            "Lock": "threading:Lock",
            "RLock": "threading:RLock",
            "Event": "threading:Event",
            "urlparse": "urllib.parse:urlparse",
            "Sequence": "collections.abc:Sequence",
            "Mapping": "collections.abc:Mapping",
            "Iterable": "collections.abc:Iterable",
            "monotonic": "time:monotonic",
            "signature": "inspect:signature",
            "getcallargs": "inspect:getcallargs",
            "partial": "functools:partial",
        },
    },
    "IoticAgent.Datatypes": {
        "file": "src/IoticAgent/Datatypes.py",
        "all": None,
        "classes": {},
        "functions": {},
        "constants": {
            "BASE64": "base64Binary",
            "BOOLEAN": "boolean",
            "BYTE": "byte",
            "UNSIGNED_BYTE": "unsignedByte",
            "DATE": "date",
            "DATETIME": "dateTime",
            "DECIMAL": "decimal",
            "DOUBLE": "double",
            "FLOAT": "float",
            "INT": "int",
            "INTEGER": "integer",
            "LONG": "long",
            "STRING": "string",
            "TIME": "time",
            "URI": "anyURI",
            "IRI": "IRI",
        },
        "expressions": {},
        "imported": {},
    },
    "IoticAgent.Units": {
        "file": "src/IoticAgent/Units.py",
        "all": None,
        "classes": {
            "Units": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "uofn", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/Units.py:163",
                    },
                    "print_units": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "parent", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "indent", "kind": "POSITIONAL_OR_KEYWORD", "default": "0"},
                            {"name": "indentsize", "kind": "POSITIONAL_OR_KEYWORD", "default": "4"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/Units.py:202",
                    },
                    "save_json": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "jsonfn", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {"name": "pretty", "kind": "POSITIONAL_OR_KEYWORD", "default": "True"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/Units.py:210",
                    },
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/Units.py:161",
            }
        },
        "functions": {},
        "constants": {
            "AMPERE": "http://purl.obolibrary.org/obo/UO_0000011",
            "METER": "http://purl.obolibrary.org/obo/UO_0000008",
            "METRE": "http://purl.obolibrary.org/obo/UO_0000008",
            "MILLIMETER": "http://purl.obolibrary.org/obo/UO_0000016",
            "MILLIMETRE": "http://purl.obolibrary.org/obo/UO_0000016",
            "CENTIMETER": "http://purl.obolibrary.org/obo/UO_0000015",
            "CENTIMETRE": "http://purl.obolibrary.org/obo/UO_0000015",
            "CM": "http://purl.obolibrary.org/obo/UO_0000015",
            "SQUARE_METER": "http://purl.obolibrary.org/obo/UO_0000080",
            "SQUARE_METRE": "http://purl.obolibrary.org/obo/UO_0000080",
            "SQUARE_CENTIMETER": "http://purl.obolibrary.org/obo/UO_0000081",
            "SQUARE_CENTIMETRE": "http://purl.obolibrary.org/obo/UO_0000081",
            "SQUARE_MILLIMETER": "http://purl.obolibrary.org/obo/UO_0000082",
            "SQUARE_MILLIMETRE": "http://purl.obolibrary.org/obo/UO_0000082",
            "CELSIUS": "http://purl.obolibrary.org/obo/UO_0000027",
            "FAHRENHEIT": "http://purl.obolibrary.org/obo/UO_0000195",
            "KELVIN": "http://purl.obolibrary.org/obo/UO_0000012",
            "METER_PER_SEC": "http://purl.obolibrary.org/obo/UO_0000094",
            "HERTZ": "http://purl.obolibrary.org/obo/UO_0000106",
            "MEGAHERTZ": "http://purl.obolibrary.org/obo/UO_0000325",
            "DEGREE": "http://purl.obolibrary.org/obo/UO_0000185",
            "RADIAN": "http://purl.obolibrary.org/obo/UO_0000123",
            "SECOND": "http://purl.obolibrary.org/obo/UO_0000010",
            "HOUR": "http://purl.obolibrary.org/obo/UO_0000032",
            "MINUTE": "http://purl.obolibrary.org/obo/UO_0000031",
            "JOULE": "http://purl.obolibrary.org/obo/UO_0000112",
            "WATT_HOUR": "http://purl.obolibrary.org/obo/UO_0000223",
            "KILOWATT_HOUR": "http://purl.obolibrary.org/obo/UO_0000224",
            "WATT": "http://purl.obolibrary.org/obo/UO_0000114",
            "VOLT": "http://purl.obolibrary.org/obo/UO_0000218",
            "NEWTON": "http://purl.obolibrary.org/obo/UO_0000108",
            "LUX": "http://purl.obolibrary.org/obo/UO_0000116",
            "MM_MERCURY": "http://purl.obolibrary.org/obo/UO_0000272",
            "PASCAL": "http://purl.obolibrary.org/obo/UO_0000110",
            "GRAM": "http://purl.obolibrary.org/obo/UO_0000021",
            "MILLIGRAM": "http://purl.obolibrary.org/obo/UO_0000022",
            "MICROGRAM": "http://purl.obolibrary.org/obo/UO_0000023",
            "KILOGRAM": "http://purl.obolibrary.org/obo/UO_0000009",
            "ROENTGEN": "http://purl.obolibrary.org/obo/UO_0000136",
            "BECQUEREL": "http://purl.obolibrary.org/obo/UO_0000132",
            "COUNTS_PER_MIN": "http://purl.obolibrary.org/obo/UO_0000148",
            "PERCENT": "http://purl.obolibrary.org/obo/UO_0000187",
            "DECIBEL": "http://purl.obolibrary.org/obo/UO_0000259",
            "PARTS_PER_HUNDRED": "http://purl.obolibrary.org/obo/UO_0000167",
            "PARTS_PER_THOUSAND": "http://purl.obolibrary.org/obo/UO_0000168",
            "PARTS_PER_MILLION": "http://purl.obolibrary.org/obo/UO_0000169",
            "PARTS_PER_BILLION": "http://purl.obolibrary.org/obo/UO_0000170",
            "PARTS_PER_TRILLION": "http://purl.obolibrary.org/obo/UO_0000171",
            "PARTS_PER_QUADRILLION": "http://purl.obolibrary.org/obo/UO_0000172",
        },
        "expressions": {"logger": "logging.getLogger(__name__)"},
        "imported": {},
    },
    "IoticAgent.ThingRunner": {
        "file": "src/IoticAgent/ThingRunner.py",
        "all": None,
        "classes": {
            "RunContext": {
                "bases": ["Enum"],
                "methods": {},
                "properties": {},
                "attributes": {"ON_STARTUP": "on_startup", "MAIN": "main"},
                "source": "src/IoticAgent/ThingRunner.py:30",
            },
            "ThingRunner": {
                "bases": ["object"],
                "methods": {
                    "__init__": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "config", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                            {
                                "name": "retry_timeout",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "15",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:63",
                    },
                    "run": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {
                                "name": "background",
                                "kind": "POSITIONAL_OR_KEYWORD",
                                "default": "False",
                            },
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:74",
                    },
                    "stop": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "timeout", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:152",
                    },
                    "wait_for_shutdown": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "timeout", "kind": "POSITIONAL_OR_KEYWORD", "default": "None"},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:181",
                    },
                    "on_startup": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:186",
                    },
                    "main": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None}
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:189",
                    },
                    "on_exception": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "ctx", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_info", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:193",
                    },
                    "on_shutdown": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_info", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:203",
                    },
                },
                "properties": {
                    "client": {"settable": False, "source": "src/IoticAgent/ThingRunner.py:171"},
                    "shutdown_requested": {
                        "settable": False,
                        "source": "src/IoticAgent/ThingRunner.py:176",
                    },
                },
                "attributes": {},
                "source": "src/IoticAgent/ThingRunner.py:36",
            },
            "RetryingThingRunner": {
                "bases": ["ThingRunner"],
                "methods": {
                    "on_exception": {
                        "params": [
                            {"name": "self", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "ctx", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                            {"name": "exc_info", "kind": "POSITIONAL_OR_KEYWORD", "default": None},
                        ],
                        "decorators": [],
                        "source": "src/IoticAgent/ThingRunner.py:216",
                    }
                },
                "properties": {},
                "attributes": {},
                "source": "src/IoticAgent/ThingRunner.py:213",
            },
        },
        "functions": {},
        "constants": {},
        "expressions": {
            "logger": "logging.getLogger(__name__)",
            "DEBUG_ENABLED": "logger.isEnabledFor(logging.DEBUG)",
        },
        "imported": {
            "Client": "IoticAgent.IOT:Client",
            "LinkException": "IoticAgent.IOT.Exceptions:LinkException",
            "IOTSyncTimeout": "IoticAgent.IOT.Exceptions:IOTSyncTimeout",
            "validate_nonnegative_int": "IoticAgent.Core.utils:validate_nonnegative_int",
        },
    },
}
