"""One sentence for an error from the world outside pdcorpus: a file system, an object store, the Hub.

The command line prints these instead of a traceback (``--debug`` shows it):
what went wrong, at which path or address, and what to do about it.
"""

from __future__ import annotations

import errno
import re
from typing import Iterator

# Exception classes (by name, so that no client library has to be imported) that mean "could not
# connect": botocore/aiobotocore, aiohttp, httpx/httpcore, requests, urllib3.
_CONNECTION = {"EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError", "ClientConnectorError",
               "ServerDisconnectedError", "ConnectError", "ConnectTimeout", "ConnectionError", "NewConnectionError",
               "MaxRetryError", "ProxyConnectionError", "ServerTimeoutError", "ReadTimeoutError",
               "ConnectionRefusedError", "ConnectionResetError"}

_ADVICE = {
    errno.EROFS: "the file system is read-only: choose an output folder on a writable one",
    errno.EACCES: "permission denied: choose a folder you may write to, or change its permissions",
    errno.EPERM: "the operation is not permitted there: choose a folder you may write to",
    errno.ENOTDIR: "a file is in the way where a folder is needed: choose another path or move that file",
    errno.EEXIST: "a file is in the way where a folder is needed: choose another path or move that file",
    errno.EISDIR: "a folder is in the way where a file is needed: choose another path",
    errno.ENOSPC: "no space is left on the device: free some space and run the same command again to resume",
    errno.EDQUOT: "the disk quota is exceeded: free some space and run the same command again to resume",
    errno.ENOENT: "no such file or folder: check the path",
}


def chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and those it was raised from or during, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ != "_RemoteTraceback":  # a worker's traceback as text, not a cause
            yield current
        current = current.__cause__ or current.__context__


def connection_error(exc: BaseException) -> BaseException | None:
    """The link of the chain that says a connection failed, if any."""
    for link in chain(exc):
        if type(link).__name__ in _CONNECTION or (isinstance(link, OSError) and link.errno in (
                errno.ECONNREFUSED, errno.ECONNRESET, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ETIMEDOUT)):
            return link
    return None


def _endpoint(exc: BaseException) -> str | None:
    """The address a connection error names (botocore keeps it in ``kwargs``; others in the message)."""
    for link in chain(exc):
        url = getattr(link, "kwargs", {}).get("endpoint_url") if isinstance(getattr(link, "kwargs", None), dict) else None
        if url:
            return str(url).split("?", 1)[0]
        request = getattr(link, "request", None)
        try:
            if request is not None and getattr(request, "url", None) is not None:
                return str(request.url).split("?", 1)[0]
        except RuntimeError:  # httpx raises when the request was never set
            pass
        found = re.search(r"(https?://[^\s\"'?]+)", str(link))
        if found:
            return found.group(1)
    return None


def reason(exc: BaseException) -> str:
    """The innermost message, short: ``[Errno 111] Connection refused``."""
    messages = [str(link).strip() for link in chain(exc) if str(link).strip()]
    text = messages[-1] if messages else type(exc).__name__
    return text.splitlines()[0][:200]


def describe(exc: BaseException, what_to_check: str = "the endpoint in storage_options.client_kwargs.endpoint_url "
             "and that the server runs") -> str:
    """One sentence: what failed, where, and what to do."""
    conn = connection_error(exc)
    if conn is not None:
        where = _endpoint(exc)
        return (f"cannot connect to {where or 'the server'} ({reason(conn)}); check {what_to_check}, "
                f"then run the same command again")
    for link in chain(exc):
        if isinstance(link, OSError) and link.errno in _ADVICE:
            path = link.filename if link.filename is not None else "?"
            return f"{path}: {_ADVICE[link.errno]}"
    for link in chain(exc):
        if isinstance(link, OSError) and link.filename is not None:
            return f"{link.filename}: {link.strerror or link}; check the path and its permissions"
    return f"{type(exc).__name__}: {reason(exc)}; run again with --debug to see where it happened"
