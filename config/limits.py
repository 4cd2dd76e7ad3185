"""Bounds on what anyone may do without an account, per client address (counted as Litestar's rate limiting counts).

The issue's measures: one client made 1,756 bookings in 10 s and guessed booking codes at
635 a second. Each group below counts the requests of one client address (an IPv6 client by
its /64, which it holds whole) to the routes marked ``opt={"limit": "<group>"}``, in a window
of a minute; past its bound the answer is 429 with the RateLimit-* headers, in both languages.
Requests with a staff or device token are not counted: the service desk books for a queue of
people from one PC. The counts are kept in the process, or in Redis when the deployment has
one, so several server processes share them (approximately: a count is read, then written,
so requests racing through several processes at once may each pass at the bound's edge). A
Redis that cannot be reached lets requests through for 30 s (a booking is not refused for the
counter's sake) and says so in the log, then is tried again.

Per person, the booking rules (appointments/rules.py) bound what one document may hold.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any, Literal

import anyio
import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware import DefineMiddleware
from litestar.middleware.rate_limit import CacheObject
from litestar.serialization import decode_json, encode_json
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.registry import StoreRegistry
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from config.auth import client_place

__all__ = ["ClientLimitMiddleware", "ClientLimits", "LimitGroup", "limit_middleware", "limit_stores", "limited"]

log = logging.getLogger("hall.limits")

LimitGroup = Literal["booking", "lookup", "rating", "pdf"]
_AWAY_SECONDS = 30.0
_WINDOW = 60  # seconds: each bound is per minute


class ClientLimits(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Requests a minute from one client address without a token (``[limits]`` in the
    settings file; 0: no bound). A family booking on one phone, or a few dozen phones behind one
    carrier's or guest Wi-Fi's address (each open booking page looks its code up twice a
    minute), stay within them; a flood or a guesser does not: at 120 a minute a 40-bit booking
    code takes millennia to find."""

    booking: Annotated[int, msgspec.Meta(ge=0)] = 20  # new bookings (网上预约)
    lookup: Annotated[int, msgspec.Meta(ge=0)] = 120  # a booking by its code, found, cancelled
    rating: Annotated[int, msgspec.Meta(ge=0)] = 10  # ratings by the slip's link (好差评)
    pdf: Annotated[int, msgspec.Meta(ge=0)] = 20  # PDF tickets, each drawn afresh


def limited(group: LimitGroup) -> dict[str, str]:
    """The ``opt`` of a route handler counted in ``group``."""
    return {"limit": group}


class _Limit:
    """One group's bound: the requests of each client address within a minute, counted in the
    group's store (``limit-<group>``) as Litestar's rate limiting counts them (the same keys
    and records, so counts in a shared Redis carry over), letting requests through while the
    store cannot be reached: after a failure the store is left alone for ``_AWAY_SECONDS`` (a
    Redis that stalls costs one request a second's wait, not every request, one after another,
    behind the lock)."""

    _away_until = 0.0  # for every group: they share the store's server

    def __init__(self, group: LimitGroup, per_minute: int) -> None:
        self.group, self.per_minute, self.store_name = group, per_minute, f"limit-{group}"

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        now = int(time.time())
        if time.monotonic() < _Limit._away_until:
            return CacheObject(history=[], reset=now + _WINDOW)
        try:
            cached = await store.get(key)
            counted = CacheObject(**decode_json(value=cached)) if cached else None
        except Exception as exc:  # Redis away: nothing counted, nobody refused
            self._away(exc)
            return CacheObject(history=[], reset=now + _WINDOW)
        if counted is not None and counted.reset > now:
            return counted
        return CacheObject(history=[], reset=now + _WINDOW)

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        if time.monotonic() < _Limit._away_until:
            return
        cache_object.history = [int(time.time()), *cache_object.history]
        try:
            await store.set(key, encode_json(cache_object), expires_in=_WINDOW)
        except Exception as exc:
            self._away(exc)

    def headers(self, cache_object: CacheObject) -> dict[str, str]:
        """The RateLimit-* headers (IETF draft), as Litestar's rate limiting sends them."""
        counted = len(cache_object.history)
        return {
            "RateLimit-Policy": f"{self.per_minute}; w={_WINDOW}",
            "RateLimit-Limit": str(self.per_minute),
            "RateLimit-Remaining": str(self.per_minute - counted if counted <= self.per_minute else 0),
            "RateLimit-Reset": str(cache_object.reset - int(time.time())),
        }

    @staticmethod
    def _away(exc: Exception) -> None:
        _Limit._away_until = time.monotonic() + _AWAY_SECONDS
        log.warning(
            "request limits not counted for %g s: their store is out of reach (%s)", _AWAY_SECONDS, type(exc).__name__
        )


_UNDECIDED = object()


class ClientLimitMiddleware:
    """Counts the requests of the routes of a bounded group that come without a token, and
    refuses them past the bound (429, with the RateLimit-* headers, as on any counted answer).

    Litestar builds one middleware stack per route handler, so which group a route counts in
    is decided on its first request and kept; a request of a route of no group, or with a
    token, then passes for the cost of a comparison (four of Litestar's rate-limit
    middlewares, one per group, cost ~130 us a request: each asked a thread whether the
    route was its group's)."""

    def __init__(self, app: ASGIApp, limits: ClientLimits) -> None:
        self.app = app
        self.groups = {group: _Limit(group, n) for group, n in msgspec.structs.asdict(limits).items() if n}
        self._handler: object = _UNDECIDED
        self._limit: _Limit | None = None
        self._suffix = ""
        self._lock = anyio.Lock()  # a count is read, then written: one request of this route at a time

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = scope["route_handler"]
        if handler is not self._handler:
            self._decide(handler)
        limit = self._limit
        if limit is None or scope.get("user") is not None:  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        store = scope["litestar_app"].stores.get(limit.store_name)
        client = scope.get("client")
        key = f"_Limit::{client_place(client[0] if client else '')}{self._suffix}"
        async with self._lock:
            counted = await limit.retrieve_cached_history(key, store)
            if len(counted.history) >= limit.per_minute:
                raise TooManyRequestsException(headers=limit.headers(counted))
            await limit.set_cached_history(key, counted, store)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableScopeHeaders(message)
                for name, value in limit.headers(counted).items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _decide(self, handler: Any) -> None:
        group = handler.opt.get("limit")
        self._limit = self.groups.get(group) if isinstance(group, str) else None
        self._suffix = ("::mount" if getattr(handler, "is_mount", False) else "") + (
            "::static" if getattr(handler, "is_static", False) else ""
        )
        self._handler = handler


def limit_middleware(limits: ClientLimits) -> list[DefineMiddleware]:
    """The middleware that bounds each group (none if every bound is 0)."""
    if not any(msgspec.structs.astuple(limits)):
        return []
    return [DefineMiddleware(ClientLimitMiddleware, limits=limits)]


def limit_stores(redis_url: str) -> StoreRegistry:
    """Where the counts are kept: in this process, or in Redis shared by every process."""
    if not redis_url:
        return StoreRegistry(default_factory=lambda _name: MemoryStore())
    from litestar.stores.redis import RedisStore
    from redis.asyncio import Redis

    # A Redis that stalls must not hold the request: a second, then it is out of reach.
    client = Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    root = RedisStore(client, namespace="hall-limits", handle_client_shutdown=True)
    return StoreRegistry(
        default_factory=lambda name: root.with_namespace(name) if name.startswith("limit-") else MemoryStore()
    )
