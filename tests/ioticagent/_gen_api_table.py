"""Regenerate api_0_7_0.py: the public API table of a py-IoticAgent checkout, read with ast.

Usage (from the repository root)::

    python tests/ioticagent/_gen_api_table.py /path/to/py-IoticAgent > tests/ioticagent/api_0_7_0.py
    ruff format tests/ioticagent/api_0_7_0.py

The checkout must be at the v0.7.0 tag (commit d976f0e01acfc9f7cdba89e32faa947acb8192db); e.g.
``git --git-dir=<mirror>.git archive v0.7.0 | tar -x -C /tmp/ia070`` gives one.  Nothing of
py-IoticAgent is imported or executed: its files are only parsed, so its dependencies (rdflib,
ubjson, ...) need not be installed.

Statements under ``if``/``try`` are read too and the first definition of a name wins, i.e. the
Python 3 branch of ``Core/compat``; there ``raise_from`` is made by ``exec`` on Python 3, so the
table shows the signature of the Python 2 fallback.

This file is not a test (its name starts with an underscore and it has no test functions).
"""

from __future__ import annotations

import ast
import pprint
import sys
from pathlib import Path
from typing import Any

# (module path as scripts import it, file under src/IoticAgent/)
MODULES: list[tuple[str, str]] = [
    ("IoticAgent", "__init__.py"),
    ("IoticAgent.IOT", "IOT/__init__.py"),
    ("IoticAgent.IOT.Client", "IOT/Client.py"),
    ("IoticAgent.IOT.Thing", "IOT/Thing.py"),
    ("IoticAgent.IOT.Point", "IOT/Point.py"),
    ("IoticAgent.IOT.RemotePoint", "IOT/RemotePoint.py"),
    ("IoticAgent.IOT.Resource", "IOT/Resource.py"),
    ("IoticAgent.IOT.ResourceMeta", "IOT/ResourceMeta.py"),
    ("IoticAgent.IOT.ThingMeta", "IOT/ThingMeta.py"),
    ("IoticAgent.IOT.PointMeta", "IOT/PointMeta.py"),
    ("IoticAgent.IOT.PointValueHelper", "IOT/PointValueHelper.py"),
    ("IoticAgent.IOT.Exceptions", "IOT/Exceptions.py"),
    ("IoticAgent.IOT.Config", "IOT/Config.py"),
    ("IoticAgent.IOT.utils", "IOT/utils.py"),
    ("IoticAgent.Core", "Core/__init__.py"),
    ("IoticAgent.Core.Const", "Core/Const.py"),
    ("IoticAgent.Core.Exceptions", "Core/Exceptions.py"),
    ("IoticAgent.Core.Mime", "Core/Mime.py"),
    ("IoticAgent.Core.compat", "Core/compat/__init__.py"),
    ("IoticAgent.Datatypes", "Datatypes.py"),
    ("IoticAgent.Units", "Units.py"),
    ("IoticAgent.ThingRunner", "ThingRunner.py"),
]

# Dunder methods worth listing (the rest of the private names are left out).
KEPT_DUNDERS = {"__init__", "__enter__", "__exit__", "__call__", "__iter__", "__len__", "__str__"}

_KINDS = {
    "posonly": "POSITIONAL_ONLY",
    "args": "POSITIONAL_OR_KEYWORD",
    "vararg": "VAR_POSITIONAL",
    "kwonly": "KEYWORD_ONLY",
    "kwarg": "VAR_KEYWORD",
}


class _Unevaluable(Exception):
    pass


def _eval(node: ast.expr, env: dict[str, Any]) -> Any:
    """Evaluates a constant expression (literals, names already bound, + - * |)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_eval(elt, env) for elt in node.elts)
    if isinstance(node, ast.List):
        return [_eval(elt, env) for elt in node.elts]
    if isinstance(node, ast.Set):
        return {_eval(elt, env) for elt in node.elts}
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_eval(k, env): _eval(v, env) for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[arg-type]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, env)
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if isinstance(node.op, ast.BitOr):
            return left | right
    raise _Unevaluable(ast.unparse(node))


def _params(args: ast.arguments) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    for i, (arg, default) in enumerate(zip(positional, defaults, strict=True)):
        kind = _KINDS["posonly"] if i < len(args.posonlyargs) else _KINDS["args"]
        out.append({"name": arg.arg, "kind": kind, "default": _default(default)})
    if args.vararg is not None:
        out.append({"name": args.vararg.arg, "kind": _KINDS["vararg"], "default": None})
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        out.append({"name": arg.arg, "kind": _KINDS["kwonly"], "default": _default(kw_default)})
    if args.kwarg is not None:
        out.append({"name": args.kwarg.arg, "kind": _KINDS["kwarg"], "default": None})
    return out


def _default(node: ast.expr | None) -> str | None:
    if node is None:
        return None
    try:
        return repr(ast.literal_eval(node))
    except ValueError:
        return ast.unparse(node)


def _callable(fn: ast.FunctionDef | ast.AsyncFunctionDef, where: str) -> dict[str, Any]:
    return {
        "params": _params(fn.args),
        "decorators": [ast.unparse(d) for d in fn.decorator_list],
        "source": f"{where}:{fn.lineno}",
    }


def _is_public(name: str) -> bool:
    return not name.startswith("_")


def _class(node: ast.ClassDef, where: str, env: dict[str, Any]) -> dict[str, Any]:
    methods: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    local_env = dict(env)
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            decorators = [ast.unparse(d) for d in item.decorator_list]
            if "property" in decorators:
                if _is_public(item.name):
                    properties[item.name] = {"settable": False, "source": f"{where}:{item.lineno}"}
            elif any(d.endswith((".setter", ".deleter")) for d in decorators):
                if item.name in properties and any(d.endswith(".setter") for d in decorators):
                    properties[item.name]["settable"] = True
            elif _is_public(item.name) or item.name in KEPT_DUNDERS:
                methods[item.name] = _callable(item, where)
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                if isinstance(target, ast.Name) and _is_public(target.id):
                    try:
                        local_env[target.id] = attributes[target.id] = _eval(item.value, local_env)
                    except _Unevaluable:
                        attributes[target.id] = f"<expr {ast.unparse(item.value)}>"
    return {
        "bases": [ast.unparse(b) for b in node.bases],
        "methods": methods,
        "properties": properties,
        "attributes": attributes,
        "source": f"{where}:{node.lineno}",
    }


def _flatten(body: list[ast.stmt]) -> list[ast.stmt]:
    """Top-level statements, descending into if/try/with (first definition of a name wins)."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            out += _flatten(stmt.body) + _flatten(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            out += _flatten(stmt.body)
            for handler in stmt.handlers:
                out += _flatten(handler.body)
            out += _flatten(stmt.orelse) + _flatten(stmt.finalbody)
        elif isinstance(stmt, ast.With):
            out += _flatten(stmt.body)
        else:
            out.append(stmt)
    return out


def _module(root: Path, dotted: str, rel: str) -> dict[str, Any]:
    where = f"src/IoticAgent/{rel}"
    tree = ast.parse((root / where).read_text(encoding="utf-8"), filename=where)
    is_package_like = rel.endswith("__init__.py")
    env: dict[str, Any] = {}
    info: dict[str, Any] = {
        "file": where,
        "all": None,
        "classes": {},
        "functions": {},
        "constants": {},
        "expressions": {},
        "imported": {},
    }
    seen: set[str] = set()
    for stmt in _flatten(tree.body):
        if isinstance(stmt, ast.ClassDef) and stmt.name not in seen:
            seen.add(stmt.name)
            if _is_public(stmt.name):
                info["classes"][stmt.name] = _class(stmt, where, env)
        elif isinstance(stmt, ast.FunctionDef) and stmt.name not in seen:
            seen.add(stmt.name)
            if _is_public(stmt.name):
                info["functions"][stmt.name] = _callable(stmt, where)
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if not isinstance(target, ast.Name) or target.id in seen:
                    continue
                seen.add(target.id)
                if target.id == "__all__":
                    info["all"] = list(_eval(stmt.value, env))
                    continue
                try:
                    env[target.id] = value = _eval(stmt.value, env)
                except _Unevaluable:
                    if _is_public(target.id):
                        info["expressions"][target.id] = ast.unparse(stmt.value)
                    continue
                if _is_public(target.id):
                    info["constants"][target.id] = value
        elif isinstance(stmt, ast.ImportFrom):
            # Own names re-exported: relative imports and absolute ones from IoticAgent itself
            # (IOT/Exceptions.py re-exports Core's LinkException that way); every import of a
            # package-like module (compat re-exports stdlib names).
            own = stmt.level > 0 or (stmt.module or "").split(".")[0] == "IoticAgent"
            if not (own or is_package_like):
                continue
            origin = "." * stmt.level + (stmt.module or "")
            for alias in stmt.names:
                name = alias.asname or alias.name
                if name in seen or not _is_public(name) or stmt.module == "__future__":
                    continue
                seen.add(name)
                info["imported"][name] = f"{origin}:{alias.name}"
        elif isinstance(stmt, ast.Import) and is_package_like:
            for alias in stmt.names:
                name = alias.asname or alias.name
                if name not in seen and _is_public(name) and name != "logging":
                    seen.add(name)
                    info["imported"][name] = alias.name
    return info


_HEADER = '''\
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
COMMIT: Final = "{commit}"

'''


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    commit = argv[2] if len(argv) == 3 else "d976f0e01acfc9f7cdba89e32faa947acb8192db"
    table = {dotted: _module(root, dotted, rel) for dotted, rel in MODULES}
    sys.stdout.write(_HEADER.replace("{commit}", commit))
    sys.stdout.write("MODULES: Final[dict[str, ModuleInfo]] = ")
    sys.stdout.write(pprint.pformat(table, width=100, sort_dicts=False))
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
