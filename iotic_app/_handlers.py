"""The handlers an App registers: how each is checked, called and replaced on re-registration."""

from __future__ import annotations

import contextlib
import inspect
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from iotic_app.runner import RunContext

#: The parameters each kind of handler may declare, by name.
_RUN_PARAMS = frozenset({"runner", "client", "app"})
_PARAMS: Mapping[str, frozenset[str]] = {
    "startup": _RUN_PARAMS,
    "main": _RUN_PARAMS,
    "every": _RUN_PARAMS,
    "shutdown": _RUN_PARAMS | {"exc_info"},
    "on_exception": _RUN_PARAMS | {"ctx", "exc_info"},
}


class Handler:
    """A registered function and how to call it with the values it asked for."""

    __slots__ = ("contexts", "func", "keywords", "positional")

    def __init__(
        self,
        func: Callable[..., Any],
        positional: tuple[str, ...],
        keywords: tuple[str, ...],
        contexts: frozenset[RunContext] = frozenset(RunContext),
    ) -> None:
        self.func = func
        self.positional = positional
        self.keywords = keywords
        self.contexts = contexts

    @classmethod
    def from_function(
        cls, hook: str, func: object, contexts: frozenset[RunContext] = frozenset(RunContext)
    ) -> Handler:
        """Check *func*'s parameters against what *hook* supplies.

        Raises:
            TypeError: *func* is not callable, or asks for a parameter the App cannot supply.
        """
        if not callable(func):
            raise TypeError(f"app.{hook} needs a function, got {func!r}")
        allowed = _PARAMS[hook]
        positional: list[str] = []
        keywords: list[str] = []
        try:
            signature = inspect.signature(func)
        except (TypeError, ValueError):  # some builtins have no signature: call them bare
            return cls(func, (), (), contexts)
        for param in signature.parameters.values():
            if param.kind is param.VAR_POSITIONAL:
                continue
            if param.kind is param.VAR_KEYWORD:
                keywords.extend(sorted(allowed - set(positional) - set(keywords)))
                continue
            if param.name not in allowed:
                if param.default is not param.empty:
                    continue
                raise TypeError(
                    f"{hook} handler {name_of(func)}() has a parameter {param.name!r} that the "
                    f"App cannot supply; {hook} handlers may declare any of "
                    f"{', '.join(sorted(allowed))}"
                )
            (positional if param.kind is param.POSITIONAL_ONLY else keywords).append(param.name)
        return cls(func, tuple(positional), tuple(keywords), contexts)

    def replaces(self, old: Handler) -> bool:
        """Whether registering this handler replaces *old* rather than adding to it.

        It does for the same function again, and for a notebook cell run again: the same
        module and qualified name, compiled anew (a new code object). Functions that share one
        code object (made by one factory) are different handlers; lambdas always are.
        """
        if _same_callable(self.func, old.func):
            return True
        key = _key_of(self.func)
        if key is None or key != _key_of(old.func):
            return False
        code = _code_of(self.func)
        return code is not None and code is not _code_of(old.func)

    def __call__(self, values: Mapping[str, Any]) -> Any:
        if self.positional:
            return self.func(
                *[values[name] for name in self.positional],
                **{name: values[name] for name in self.keywords},
            )
        return self.func(**{name: values[name] for name in self.keywords})


def name_of(func: object) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or func)


def _key_of(func: Callable[..., Any]) -> tuple[str, str] | None:
    """What names *func* across notebook cell re-runs: module and qualified name (None for
    lambdas and for callables without a qualified name)."""
    qualname = getattr(func, "__qualname__", None)
    if not isinstance(qualname, str) or "<lambda>" in qualname:
        return None
    return (getattr(func, "__module__", None) or "", qualname)


def _code_of(func: Callable[..., Any]) -> object:
    """The code object of *func*, or of the function it wraps (``functools.wraps``)."""
    with contextlib.suppress(ValueError):  # a cycle of __wrapped__
        func = inspect.unwrap(func)
    return getattr(func, "__code__", None)


def _same_callable(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    """*a* is *b*, or both are the same bound method (``obj.f`` makes a new object each time)."""
    return a is b or (inspect.ismethod(a) and inspect.ismethod(b) and a == b)


def replace_or_append(handlers: list[Handler], new: Handler) -> None:
    for i, old in enumerate(handlers):
        if new.replaces(old):
            handlers[i] = new
            return
    handlers.append(new)


def check_contexts(contexts: Iterable[object]) -> frozenset[RunContext]:
    checked = []
    for ctx in contexts:
        if not isinstance(ctx, RunContext):
            raise TypeError(
                "app.on_exception contexts must be RunContext members "
                f"(RunContext.ON_STARTUP, RunContext.MAIN), got {ctx!r}"
            )
        checked.append(ctx)
    return frozenset(checked or RunContext)


def check_interval(seconds: object) -> float:
    """*seconds* as a float; a ``TypeError`` unless an int or float, a ``ValueError`` unless
    positive and finite."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        if math.isfinite(seconds) and seconds > 0:
            return float(seconds)
        error: type[Exception] = ValueError
    else:
        error = TypeError
    raise error(f"app.every(seconds) needs a positive, finite number of seconds, got {seconds!r}")
