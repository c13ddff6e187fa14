"""Split a config URL into its parts once, checking its structure; no message shows a password."""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from iotic_app._config_options import (
    COMMON_KEYS,
    DEFAULT_PORTS,
    SCHEMES,
    check_name,
    short,
    unknown_option,
)

_SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_AUTHORITY_END = re.compile(r"[/?#]")
_RAW_USER = re.compile(r"[^:/?#@\[\]]+:")  # "USER:" at the start: a password may follow
_HOST_RE = re.compile(r"[\w.-]+|\[[0-9A-Fa-f:.]+\]")
_SCHEME_AGAIN = re.compile(r"[,;|\s]\s*[A-Za-z][A-Za-z0-9+.-]*://")
_ENCODE_HINT = "a password holding '/', '?', '#' or '@' can be percent-encoded (%2F, %3F, %23, %40)"


@attrs.frozen
class UrlParts:
    """A config URL split once into its parts; :meth:`shown` rebuilds it without the password.

    Attributes:
        scheme: The scheme, lowercase.
        host: The broker's host (``[...]`` for IPv6), or for ``local://`` the space's name.
        port: The port (the scheme's default when the URL gives none), or None for ``local://``.
        username: The user name before ``@`` (percent-decoded), or None.
        password: The password after ``user:`` (percent-decoded), or None; never in the repr.
        query: The query's ``(key, value)`` pairs, decoded, in order.
        port_text: The port as written (None when absent), for messages.
        brokers: Every broker's ``(host, port)``, in the order given: ``host`` and ``port``
            are the first; several when the URL lists them, ``mqtt://H1:P1,H2:P2`` (empty for
            ``local://``).
    """

    scheme: str
    host: str
    port: int | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    query: tuple[tuple[str, str], ...] = ()
    port_text: str | None = None
    brokers: tuple[tuple[str, int], ...] = ()

    def shown(self) -> str:
        """The URL as it may be shown: ``scheme://[user[:***]@]host[:port]``, no query."""
        if len(self.brokers) > 1:
            listed = addresses(self.brokers)
            return _shown(self.scheme, self.username, self.password is not None, listed, None)
        return _shown(
            self.scheme, self.username, self.password is not None, self.host, self.port_text
        )


def address(host: str, port: int) -> str:
    """``host:port``, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def addresses(brokers: Iterable[tuple[str, int]]) -> str:
    """Every ``(host, port)`` of *brokers* as :func:`address` writes it, joined with ``,``."""
    return ",".join(address(host, port) for host, port in brokers)


def _shown(scheme: str, user: str | None, has_password: bool, host: str, port: str | None) -> str:
    from urllib.parse import quote

    userinfo = ""
    if user is not None:
        userinfo = quote(user, safe="") + (":***" if has_password else "") + "@"
    if port is not None and len(port) > 12:  # a 5000-digit port: its start is enough
        port = port[:12] + "..."
    return f"{scheme}://{userinfo}{host}" + ("" if port is None else f":{port}")


def split_url(url: str) -> UrlParts:
    """Split a config URL into its parts, checking its structure (not the options' values).

    The structure is RFC 3986's: ``scheme://[user[:password]@]host[:port][/][?query]``, where
    a password holding ``/``, ``?``, ``#`` or ``@`` is percent-encoded. Written raw, such a
    password is still accepted when the URL reads only one way: when the RFC reading is not a
    valid config URL but the text up to a later ``@`` is ``user:`` and a password, and what
    follows it is. Messages show the parts (the password as ``***``), never the text after
    ``user:``.

    Args:
        url: The URL.

    Returns:
        The parts.

    Raises:
        ValueError: not a URL of a known scheme, or its host, port, path, query or fragment is
            not valid.
    """
    scheme_text, sep, rest = url.partition("://")
    if not sep or not _SCHEME_RE.fullmatch(scheme_text):
        raise ValueError(
            "config is not a URL: expected 'SCHEME://...' such as 'local://NAME' or "
            "'mqtt://HOST:PORT'"
        )
    scheme = scheme_text.lower()
    found = _AUTHORITY_END.search(rest)
    authority_end = len(rest) if found is None else found.start()
    # Shown for a scheme that is not read further: the authority, unless it may hold userinfo.
    where = f"{scheme}://" + ("…" if "@" in rest else rest[:authority_end])
    if scheme not in SCHEMES:
        allowed = ", ".join(f"{name}://" for name in sorted(SCHEMES))
        raise ValueError(f"config {where!r} has unknown scheme {scheme!r}; allowed: {allowed}")
    again = _SCHEME_AGAIN.search(rest)
    if again is not None:
        raise ValueError(
            f"config {where.split(',')[0]!r} names {again.group().strip(',;| ')!r} a second "
            "time: several "
            f"brokers are listed in one URL, {scheme}://HOST1:PORT1,HOST2:PORT2?..."
        )
    userinfo, at, _ = rest[:authority_end].rpartition("@")
    readings: list[tuple[str | None, str]] = [
        (userinfo, rest[len(userinfo) + 1 :]) if at else (None, rest)
    ]
    if _RAW_USER.match(rest):  # a raw password may run past the RFC authority, to a later "@"
        readings.extend(
            (rest[:i], rest[i + 1 :]) for i in range(authority_end, len(rest)) if rest[i] == "@"
        )
    errors: list[ValueError] = []
    for userinfo_text, after in readings:
        try:
            return _split_after_scheme(scheme, userinfo_text, after)
        except ValueError as exc:
            errors.append(exc)
    # The last reading's error: what follows the last "@" holds no part of a password.
    raise errors[-1]


def _split_after_scheme(scheme: str, userinfo: str | None, after: str) -> UrlParts:
    from urllib.parse import parse_qsl, unquote

    user = password = None
    if userinfo is not None:
        user_text, colon, password_text = userinfo.partition(":")
        user = unquote(user_text)
        password = unquote(password_text) if colon else None
    found = _AUTHORITY_END.search(after)
    end = len(after) if found is None else found.start()
    hostport, tail = after[:end], after[end:]
    more: list[str] = []
    if scheme == "local":
        host, port_text = hostport, None
    else:  # one broker, or several: H1[:P1],H2[:P2],...
        first, *more = hostport.split(",")
        host, port_text = _host_port(first)
    listed = scheme != "local" and _LISTED.search(hostport) is not None
    if listed:
        shown = _shown(scheme, user, password is not None, hostport, None)
    else:
        shown = _shown(scheme, user, password is not None, host, port_text)
    found = _SEPARATORS.search(hostport) if listed else None
    if found is not None:
        raise ValueError(
            f"config {shown!r}: brokers are listed with ',' in one URL, "
            f"{scheme}://HOST1:PORT1,HOST2:PORT2?..., got {found.group()!r} between them"
        )
    if userinfo is not None and not user:
        raise ValueError(f"config {shown!r}: the user name before '@' is empty")
    tail, hash_mark, _ = tail.partition("#")
    if hash_mark:
        raise ValueError(f"config {shown!r} must not contain a '#' fragment ({_ENCODE_HINT})")
    path, _, query = tail.partition("?")
    if path not in ("", "/"):
        raise ValueError(
            f"config {shown!r} has a path after the {'space name' if scheme == 'local' else 'port'}"
            f", which {scheme}:// does not take ({_ENCODE_HINT})"
        )
    port: int | None = None
    if scheme == "local":
        if userinfo is not None:
            raise ValueError(
                "config 'local://…' has a user name or password; local:// takes neither"
            )
        if host:
            check_name("the space name", host, shown)
    else:
        if not _HOST_RE.fullmatch(host):
            raise ValueError(
                f"config {shown!r} must name a broker: {scheme}://[user[:password]@]host[:port]"
            )
        port = DEFAULT_PORTS.get(scheme) if port_text is None else _port(port_text, shown)
    brokers = () if port is None else _brokers(scheme, host, port, more, shown)
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise ValueError(
            f"config {shown!r} has a malformed query: expected ?key=value&key=value..."
        ) from None
    allowed = SCHEMES[scheme]
    after_password = False
    for key, _value in pairs:
        if key not in COMMON_KEYS and key not in allowed:
            if after_password:  # maybe the rest of a password holding a raw '&'
                raise ValueError(
                    f"an unknown option after 'password' in the query of config {shown!r} (its "
                    "name is not shown: it may be the rest of the password); in the query, a "
                    "password holding '&' must write it as %26 (and '+' as %2B)"
                )
            raise unknown_option(scheme, key, shown, " in the query")
        after_password = after_password or key == "password"
    return UrlParts(
        scheme=scheme,
        host=host,
        port=port,
        username=user,
        password=password,
        query=tuple(pairs),
        port_text=port_text,
        brokers=brokers,
    )


def _host_port(text: str) -> tuple[str, str | None]:
    """``HOST[:PORT]`` or ``[IPV6][:PORT]`` -> (host, port as written or None)."""
    if text.startswith("[") and "]" in text:
        close = text.index("]") + 1
        rest = text[close:]
        return text[:close], rest[1:] if rest.startswith(":") else (rest or None)
    host, colon, port_text = text.partition(":")
    return host, port_text if colon else None


_LISTED = re.compile(r"[,;|\s]")  # brokers listed (with the one separator allowed, or not)
_SEPARATORS = re.compile(r"[;|\s]")


def _brokers(
    scheme: str, host: str, port: int, more: list[str], shown: str
) -> tuple[tuple[str, int], ...]:
    """Every broker of a URL: the first, then those after its commas (each checked)."""
    brokers = [(host.strip("[]"), port)]
    for text in more:
        other, port_text = _host_port(text)
        if not other or not _HOST_RE.fullmatch(other):
            raise ValueError(
                f"config {shown!r}: the broker list must be HOST[:PORT] items separated by "
                f"',', got {text!r} (an empty item or a bad host name)"
            )
        listed = (
            other.strip("[]"),
            DEFAULT_PORTS[scheme] if port_text is None else _port(port_text, shown),
        )
        if listed in brokers:
            raise ValueError(
                f"config {shown!r}: broker {listed[0]}:{listed[1]} is listed twice; list "
                "each broker once"
            )
        brokers.append(listed)
    return tuple(brokers)


def _port(text: str, shown: str) -> int:
    port = int(text) if text.isascii() and text.isdigit() and len(text) <= 5 else -1
    if not 0 < port < 65536:
        raise ValueError(f"config {shown!r}: the port must be 1-65535, got {short(text)}")
    return port
