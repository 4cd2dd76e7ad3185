"""Who is calling: staff sign-in, bearer tokens, device tokens, and the guards.

Accounts live in the hall files (``[[staff]]`` and ``[[devices]]``); the book re-reads
a file when it changes, so an account added with ``hall add-staff`` works without a
restart. Authorisation is decided here, by the guards on the routes:

- ``staff_guard``: a staff token of the hall in the path;
- ``manager_guard``: a manager's or an administrator's token of that hall;
- ``issuer_guard``: a ticket machine's device token of that hall, or a staff token
  (a reception desk issues tickets too).

Who is calling is found once per request by ``PrincipalMiddleware`` (the bearer token; a
websocket's ``token`` query parameter, as browsers cannot set its headers) and kept as the
connection's ``user``; handlers receive it as the ``principal`` dependency.

Whether a clerk may act at *this* counter (he must be signed in there) depends on the
live state and is checked by the core, atomically with the action.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import ipaddress
import logging
import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs

import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import (
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody
from litestar.types import ASGIApp, Receive, Scope, Send

from config.audit.marks import SIGN_IN
from config.crypto import TokenClaims, TokenSigner, hash_password, verify_password
from queueing.commands import Actor, Role

__all__ = [
    "Authenticator",
    "LoginRequest",
    "LoginResponse",
    "Principal",
    "PrincipalMiddleware",
    "audit_reader_guard",
    "client_place",
    "issuer_guard",
    "login",
    "manager_guard",
    "provide_principal",
    "refuse_socket",
    "staff_guard",
]

if TYPE_CHECKING:  # the accounts come from the hall files, which the web edge need not import
    from litestar import WebSocket

    from config.accounts import AccountBook
    from queueing.service import HallRegistry

log = logging.getLogger("hall.auth")


class Principal(msgspec.Struct, frozen=True):
    kind: Literal["staff", "device"]
    hall: str
    name: str  # username or device name
    role: Role
    display_name: str = ""
    device_kind: str = ""
    counter: int | None = None  # the counter an evaluation pad is bound to

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role, self.display_name)


class LoginRequest(msgspec.Struct, frozen=True):
    hall: str
    username: str
    password: str


class LoginResponse(msgspec.Struct, frozen=True):
    token: str
    expires_at: dt.datetime
    hall: str
    username: str
    name: str
    role: Role
    staff_no: str


class LoginThrottle:
    """Slows guessing: after ``MAX_FAILURES`` failed attempts within ``WINDOW`` for one key (an
    account, an address, a booking code), further attempts are refused until the oldest failure
    ages out. Kept per server process. ``what``: the attempts, in English and Chinese."""

    MAX_FAILURES = 5
    WINDOW = dt.timedelta(minutes=15)

    def __init__(self, clock: Callable[[], dt.datetime], what: tuple[str, str] = ("sign-ins", "登录")) -> None:
        self.clock = clock
        self.what = what
        self._failures: dict[tuple[str, ...], deque[dt.datetime]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, ...], now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures.get(key, deque())
        while failures and now - failures[0] >= self.WINDOW:
            failures.popleft()
        return failures

    def check(self, keys: list[tuple[str, ...]], limits: dict[tuple[str, ...], int] | None = None) -> None:
        """Refuse if any of ``keys`` has failed too often (``limits``: other limits than
        ``MAX_FAILURES`` for some keys)."""
        now = self.clock()
        with self._lock:
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= (limits or {}).get(key, self.MAX_FAILURES):
                    wait = max(1, int((failures[0] + self.WINDOW - now).total_seconds() // 60) + 1)
                    raise TooManyRequestsException(
                        detail=f"too many failed {self.what[0]}; try again in {wait} minutes",
                        extra={"detail_zh": f"{self.what[1]}失败次数过多，请{wait}分钟后再试"},
                    )

    def failed(self, keys: list[tuple[str, ...]]) -> None:
        now = self.clock()
        with self._lock:
            if len(self._failures) > 10_000:  # forget what has aged out
                self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, key: tuple[str, ...]) -> None:
        with self._lock:
            self._failures.pop(key, None)


def client_place(address: str) -> str:
    """Where a client is, for the throttles: the address, or an IPv6 address's /64 (a client
    there holds all of it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else address


@functools.cache
def _nobodys_hash() -> str:
    """A password hash no account has, checked when the username is unknown (as long as a real one)."""
    return hash_password(secrets.token_urlsafe(16))


class Authenticator:
    def __init__(
        self, book: AccountBook, signer: TokenSigner, token_hours: int, clock: Callable[[], dt.datetime]
    ) -> None:
        self.book, self.signer, self.token_hours, self.clock = book, signer, token_hours, clock
        self.throttle = LoginThrottle(clock)
        self.known_places: set[tuple[str, ...]] = set()  # (account, address) that have signed in

    # Sign-in failures allowed in the throttle's window: 5 for one account from one address;
    # 20 for the account from addresses it has never signed in from (so nobody elsewhere can
    # lock a clerk out of his own counter PC); 50 from one address (a hall behind one NAT
    # is not locked by a few mistyped names, a name sprayer is).
    PER_ACCOUNT, PER_ADDRESS = 20, 50

    def login(self, request: LoginRequest, address: str = "") -> LoginResponse:
        address = client_place(address)
        account = ("account", request.hall, request.username)
        pair = ("pair", request.hall, request.username, address)
        known = bool(address) and pair in self.known_places  # no address (a socket proxy): no place is known
        keys = [pair] if known else [pair, account]
        limits = {account: self.PER_ACCOUNT}
        if address and not known:  # a sprayer at the hall's NAT address does not lock its clerks out
            keys.append(("address", address))
            limits["address", address] = self.PER_ADDRESS
        self.throttle.check(keys, limits)
        staff = self.book.staff(request.hall, request.username)
        # Same answer for an unknown user and a wrong password, in the same time (the password
        # is checked against a hash of nobody's): no account probing.
        stored = staff.password_hash if staff is not None and staff.password_hash else _nobodys_hash()
        if not verify_password(request.password, stored) or staff is None or not staff.password_hash:
            self.throttle.failed(keys)
            log.info("login refused", extra={"hall": request.hall, "username": request.username})
            raise NotAuthorizedException(
                detail="wrong hall, username or password", extra={"detail_zh": "用户名或密码错误"}
            )
        self.throttle.succeeded(pair)
        self.known_places.add(pair)  # this account signs in from here: others' failures do not lock it here
        expires = self.clock() + dt.timedelta(hours=self.token_hours)
        claims = TokenClaims(
            hall=request.hall, sub=staff.username, role=staff.role, name=staff.name, exp=int(expires.timestamp())
        )
        log.info("login", extra={"hall": request.hall, "username": staff.username, "role": staff.role})
        return LoginResponse(
            token=self.signer.issue(claims),
            expires_at=expires,
            hall=request.hall,
            username=staff.username,
            name=staff.name,
            role=Role(staff.role),
            staff_no=staff.staff_no,
        )

    def manages(self, principal: Principal, hall: str) -> bool:
        """Whether the staff member behind ``principal`` is a manager (or an administrator) of
        ``hall`` too: the same username with that role in its hall file (a report over several
        halls is for whoever manages them all)."""
        if principal.kind != "staff":
            return False
        staff = self.book.staff(hall, principal.name)
        return staff is not None and staff.role in ("manager", "admin")

    def authenticate(self, authorization: str | None) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        token = token.strip()
        claims = self.signer.verify(token, int(self.clock().timestamp()))
        if claims is not None:
            # A token outlives nothing: an account removed from the hall file stops working.
            staff = self.book.staff(claims.hall, claims.sub)
            if staff is None or staff.role != claims.role:
                return None
            return Principal("staff", claims.hall, claims.sub, Role(claims.role), staff.name)
        found = self.book.device(token)
        if found is not None:
            hall, device = found
            return Principal("device", hall, device.name, Role.DEVICE, device.name, device.kind, device.counter)
        return None


class PrincipalMiddleware:
    """Finds who is calling, once per request, and keeps it as the connection's ``user``
    (None: nobody signed in); the ``auth`` of the connection is the authenticator itself, for
    the guards. Refuses nothing: the guards and the websocket handlers do."""

    def __init__(self, app: ASGIApp, auth: Authenticator) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
            credentials = f"Bearer {tokens[0]}" if tokens else None
        else:
            credentials = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
        scope["user"] = self.auth.authenticate(credentials) if credentials else None  # type: ignore[typeddict-unknown-key]
        scope["auth"] = self.auth  # type: ignore[typeddict-unknown-key]
        await self.app(scope, receive, send)


def _principal(connection: ASGIConnection) -> Principal | None:
    return connection.scope.get("user")  # type: ignore[return-value]


def _require(connection: ASGIConnection, allowed: Callable[[Principal], bool], needs: str) -> Principal:
    principal = _principal(connection)
    if principal is None:
        raise NotAuthorizedException(
            detail=f"this needs {needs}: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
            extra={"detail_zh": "请先登录，或检查本机的设备令牌"},
        )
    hall = connection.path_params.get("hall")
    if hall is not None and principal.hall != hall:
        auth: Authenticator = connection.auth
        if not auth.book.knows(hall):  # an unknown hall is a 404 whoever asks
            raise NotFoundException(detail=f"no hall {hall!r}", extra={"detail_zh": f"没有大厅 {hall}"})
        raise PermissionDeniedException(
            detail=f"your token is for hall {principal.hall!r}, not {hall!r}", extra={"detail_zh": "该令牌不属于本大厅"}
        )
    if not allowed(principal):
        raise PermissionDeniedException(
            detail=f"this needs {needs}; you are {principal.kind} {principal.name}",
            extra={"detail_zh": "无权进行此操作"},
        )
    return principal


async def staff_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(connection, lambda p: p.kind == "staff", "a staff token (sign in at /api/auth/login)")


async def manager_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(connection, lambda p: p.kind == "staff" and p.role.manages, "a manager's token")


async def audit_reader_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Who may search the audit trail: the roles that may read it (the one place to add one)."""
    _require(connection, lambda p: p.kind == "staff" and p.role.manages, "a manager's token")


async def issuer_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(
        connection,
        lambda p: p.kind == "staff" or p.device_kind == "ticket_machine",
        "a ticket machine's device token or a staff token",
    )


async def refuse_socket(
    socket: WebSocket,
    registry: HallRegistry,
    hall: str,
    principal: Principal | None,
    allowed: Callable[[Principal], bool],
    needs: str,
) -> bool:
    """Close a websocket before accepting it (the client sees HTTP 403) when its hall is unknown
    (4404) or its token is not of that hall or not ``allowed`` (4401, saying what ``needs``).
    True: it was refused."""
    from queueing.errors import NotFound

    try:
        registry.get(hall)
    except NotFound as refusal:
        await socket.close(code=4404, reason=refusal.message)
        return True
    if principal is None or principal.hall != hall or not allowed(principal):
        await socket.close(code=4401, reason=needs)
        return True
    return False


def provide_principal(scope: Scope) -> Principal | None:
    """The ``principal`` dependency: who is calling (None: nobody signed in), on HTTP and websockets."""
    return scope.get("user")  # type: ignore[return-value]


@post("/api/auth/login", tags=["auth"], summary="Sign in; returns a bearer token", status_code=200, opt=SIGN_IN)
async def login(data: JSONBody[LoginRequest], request: Request, auth: NamedDependency[Authenticator]) -> LoginResponse:
    address = request.client.host if request.client else ""
    return await asyncio.to_thread(auth.login, data, address)  # scrypt takes tens of milliseconds
