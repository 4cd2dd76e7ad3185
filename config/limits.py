"""Bounds on what anyone may do without an account, per client address (Litestar's rate limiting).

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

import msgspec
from litestar import Request
from litestar.middleware.rate_limit import CacheObject, RateLimitConfig, RateLimitMiddleware
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.registry import StoreRegistry

from config.auth import client_address, client_place, provide_principal

__all__ = ["ClientLimits", "LimitGroup", "limit_middleware", "limit_stores", "limited"]

log = logging.getLogger("hall.limits")

LimitGroup = Literal["booking", "lookup", "rating", "pdf"]
_AWAY_SECONDS = 30.0


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


class _Limit(RateLimitMiddleware):
    """Litestar's rate limiting, letting requests through while its store cannot be reached:
    after a failure the store is left alone for ``_AWAY_SECONDS`` (a Redis that stalls costs
    one request a second's wait, not every request, one after another, behind the lock)."""

    _away_until = 0.0  # for every group: they share the store's server

    async def retrieve_cached_history(self, key: str, store: Store) -> CacheObject:
        if time.monotonic() < _Limit._away_until:
            return CacheObject(history=[], reset=int(time.time()) + 60)
        try:
            return await super().retrieve_cached_history(key, store)
        except Exception as exc:  # Redis away: nothing counted, nobody refused
            self._away(exc)
            return CacheObject(history=[], reset=int(time.time()) + 60)

    async def set_cached_history(self, key: str, cache_object: CacheObject, store: Store) -> None:
        if time.monotonic() < _Limit._away_until:
            return
        try:
            await super().set_cached_history(key, cache_object, store)
        except Exception as exc:
            self._away(exc)

    @staticmethod
    def _away(exc: Exception) -> None:
        _Limit._away_until = time.monotonic() + _AWAY_SECONDS
        log.warning(
            "request limits not counted for %g s: their store is out of reach (%s)", _AWAY_SECONDS, type(exc).__name__
        )


def _counts(group: LimitGroup) -> Any:
    def check(request: Request) -> bool:
        return request.route_handler.opt.get("limit") == group and provide_principal(request.scope) is None

    return check


def _client(request: Request) -> str:
    return client_place(client_address(request))


def limit_middleware(limits: ClientLimits) -> list:
    """One middleware per bounded group, each with a store of its own."""
    return [
        RateLimitConfig(
            rate_limit=("minute", per_minute),
            identifier_for_request=_client,
            check_throttle_handler=_counts(group),
            middleware_class=_Limit,
            store=f"limit-{group}",
        ).middleware
        for group, per_minute in msgspec.structs.asdict(limits).items()
        if per_minute
    ]


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
