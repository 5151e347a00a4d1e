"""Where a round's identity comes from when a function call is the round.

A source is a literal, a callable taking the call's arguments, or a string:
``self.<attr>``, ``arg.<parameter>`` (read when the call starts) or
``return`` / ``return.<attr>`` (read when it ends). Dotted paths walk attributes.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Final, TypeAlias

IdentitySource: TypeAlias = "str | int | Callable[..., Any]"

SELF: Final = "self"
ARG: Final = "arg"
RETURN: Final = "return"


class SourceError(LookupError):
    """A source string names an attribute or parameter the call does not have."""


def is_source(value: object) -> bool:
    """True for ``self.x``, ``arg.x``, ``return`` and ``return.x``; other strings are literals."""
    if not isinstance(value, str):
        return False
    head = value.split(".", 1)[0]
    return value == RETURN or (head in (SELF, ARG, RETURN) and "." in value)


def reads_return(value: object) -> bool:
    return isinstance(value, str) and value.split(".", 1)[0] == RETURN and is_source(value)


def resolve(source: Any, fn: Callable[..., Any], bound: inspect.BoundArguments) -> Any:
    """The value of a source at the start of a call."""
    if callable(source):
        return source(*bound.args, **bound.kwargs)
    if not is_source(source):
        return source
    head, _, path = source.partition(".")
    if head == SELF:
        if not bound.args:
            raise SourceError(f"{source!r}: {fn.__qualname__} was called without self")
        return _walk(bound.args[0], path, source)
    if head == ARG:
        name, _, rest = path.partition(".")
        bound.apply_defaults()
        if name not in bound.arguments:
            raise SourceError(f"{source!r}: {fn.__qualname__} has no parameter {name!r}")
        return _walk(bound.arguments[name], rest, source)
    raise SourceError(f"{source!r} is read when the call returns, not when it starts")


def resolve_return(source: str, result: Any) -> Any:
    """The value of a ``return`` source once the call has returned ``result``."""
    _, _, path = source.partition(".")
    return _walk(result, path, source)


def _walk(value: Any, path: str, source: str) -> Any:
    for attr in filter(None, path.split(".")):
        try:
            value = getattr(value, attr)
        except AttributeError:
            raise SourceError(f"{source!r}: no attribute {attr!r}") from None
    return value
