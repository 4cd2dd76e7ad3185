"""How ``hall serve`` holds up against slow and many clients when no reverse proxy stands in front.

uvicorn has a keep-alive timeout but none for a request that never finishes arriving: a
client can open connections, send half a request head and wait. Under the common limit of
1,024 open files, 1,100 of them made every other request fail (the server could not accept
any more connections). So each connection here must finish its request (head and body) within
``request_read_seconds`` of opening or of its previous answer, else it is answered 408 and
closed; and at most ``unfinished_requests`` connections of a process may be waiting for their
request head at once: a new one beyond that closes the one that has waited longest, which is
nearly always the attacker's (an honest client sends its head in a few milliseconds).

A request whose head and body have arrived is not timed here: long polls (``?wait=5``) and
websockets (once upgraded) run as long as they need. Behind a reverse proxy (README, "Security
and operations"), the proxy does the same with its own timeouts, and these limits stay as a
second fence.
"""

from __future__ import annotations

import asyncio
import resource

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttpProtocol", "raise_open_files_limit", "unfinished_requests_cap"]

# Connections waiting for their request head, oldest first (one event loop per process).
_waiting: dict[GuardedHttpProtocol, None] = {}
_limits: tuple[float, int] | None = None


def unfinished_requests_cap(configured: int) -> int:
    """``configured``, or (0) a quarter of this process's open-files limit, at most 1,024: the
    rest stays for answered requests, device channels, the database and the voice files."""
    if configured > 0:
        return configured
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(64, min(1024, soft // 4))


def raise_open_files_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit (many systems start
    services at 1,024 while allowing far more); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 1 << 16
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft


def _read_limits() -> tuple[float, int]:
    global _limits
    if _limits is None:
        from config.settings import load_settings  # the worker's settings, as the app reads them

        settings = load_settings()
        _limits = (settings.request_read_seconds, unfinished_requests_cap(settings.unfinished_requests))
    return _limits


_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request to arrive whole, and a cap
    on connections waiting for their request head."""

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_request()

    def _await_request(self) -> None:
        seconds, cap = _read_limits()
        self._stop_timing()
        _waiting[self] = None
        while len(_waiting) > cap:
            next(iter(_waiting))._give_up(answer=False)  # the one that has waited longest
        self._deadline = self.loop.call_later(seconds, self._give_up)

    def _stop_timing(self) -> None:
        _waiting.pop(self, None)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _give_up(self, answer: bool = True) -> None:
        self._stop_timing()
        if self.transport.is_closing():
            return
        if answer and (self.cycle is None or self.cycle.response_complete):  # no answer under way: say why
            self.transport.write(_TIMED_OUT)
        self.transport.close()

    def on_headers_complete(self) -> None:
        _waiting.pop(self, None)  # the head is here; the body still has the deadline
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # The end of a body answered already (a refusal before the body was read) is not the
        # next request's: that one's deadline runs on.
        if self.cycle is None or not self.cycle.response_complete:
            self._stop_timing()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request on this connection (uvicorn's keep-alive timeout closes an idle one
        # sooner; a half-sent head cancels that, not this); unless a pipelined one, which has
        # arrived already, is now being answered.
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._await_request()

    def handle_websocket_upgrade(self) -> None:
        self._stop_timing()  # a device channel lives as long as it needs
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timing()
        super().connection_lost(exc)
