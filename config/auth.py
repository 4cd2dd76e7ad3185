"""Who is calling: staff sign-in and sign-out, bearer tokens, device tokens, and the guards.

Accounts live in the hall files (``[[staff]]`` and ``[[devices]]``); the book re-reads
a file when it changes, so an account added with ``hall add-staff`` works without a
restart. What an administrator sets since (disabled, a new password) and the signed-out
tokens are in the database (``config/accounts.py``).

Who may do what (SZDB/Z 179 8.5.1.1), said here only:

- staff (窗口人员): works at counters and the service desk;
- manager (大厅管理员): runs the hall (counters, rosters, announcements, rating cases) and
  reads its figures (statistics, reports, ratings, the audit trail);
- admin (系统管理员): what a manager may, and accounts and devices (``admin_guard``);
- inspector (巡查人员): reads what a manager reads and changes nothing: ``read_only_guard``
  guards the whole application and refuses it every request that changes something (any
  method but GET and HEAD), so a new route is covered without a word; it may still end his
  own token and change his own password (routes marked ``opt={"own_account": True}``).

The guards on the routes:

- ``staff_guard``: a staff token of the hall in the path;
- ``reader_guard``: a manager's, an administrator's or an inspector's token of that hall;
- ``manager_guard``: a manager's or an administrator's token of that hall (to read, an
  inspector's too);
- ``admin_guard``: an administrator's token of that hall;
- ``issuer_guard``: a ticket machine's device token of that hall, or a staff token
  (a reception desk issues tickets too).

Who is calling is found once per request by ``PrincipalMiddleware`` (the bearer token; a
websocket's ``token`` query parameter, as browsers cannot set its headers) and kept as the
connection's ``user``; handlers receive it as the ``principal`` dependency. A websocket whose
token stops working (a sign-out, a disabled account or device, a password set) is closed
within about a second, in every process (``Authenticator.watch``).

Whether a clerk may act at *this* counter (he must be signed in there) depends on the
live state and is checked by the core, atomically with the action.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import ipaddress
import logging
import os
import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Literal, Protocol
from urllib.parse import parse_qs

import msgspec
import sqlalchemy as sa
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
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from config.audit.marks import RECORDS_ITSELF, SIGN_IN
from config.audit.schemas import AuditEntry
from config.crypto import TokenClaims, TokenSigner, hash_password, new_token_id, verify_password
from config.database import in_thread
from queueing.commands import Actor, Role

__all__ = [
    "ROLE_GUARDS",
    "Authenticator",
    "LoginRequest",
    "LoginResponse",
    "PasswordChange",
    "Principal",
    "PrincipalMiddleware",
    "admin_guard",
    "change_password",
    "client_address",
    "client_place",
    "issuer_guard",
    "login",
    "logout",
    "manager_guard",
    "provide_principal",
    "read_only_guard",
    "reader_guard",
    "refuse_socket",
    "staff_guard",
]

if TYPE_CHECKING:  # the accounts come from the hall files, which the web edge need not import
    from litestar import WebSocket

    from config.accounts import AccountBook, AccountStates
    from queueing.service import HallRegistry

log = logging.getLogger("hall.auth")

# The roles' rights (see the module's docstring): the one place that says them.
_READERS = frozenset({Role.MANAGER, Role.ADMIN, Role.INSPECTOR})
_MANAGERS = frozenset({Role.MANAGER, Role.ADMIN})
_ADMINS = frozenset({Role.ADMIN})
_READ_ONLY = frozenset({Role.INSPECTOR})
_READING = frozenset({"GET", "HEAD", "OPTIONS"})


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

    @property
    def reads(self) -> bool:
        """Reads what a manager reads: a manager, an administrator or an inspector."""
        return self.kind == "staff" and self.role in _READERS

    @property
    def manages(self) -> bool:
        return self.kind == "staff" and self.role in _MANAGERS

    @property
    def administers(self) -> bool:
        return self.kind == "staff" and self.role in _ADMINS

    @property
    def read_only(self) -> bool:
        return self.role in _READ_ONLY


class LoginRequest(msgspec.Struct, frozen=True):
    hall: str
    username: str
    password: str


Password = Annotated[str, msgspec.Meta(min_length=8, max_length=200, description="at least 8 characters")]


class PasswordChange(msgspec.Struct, frozen=True):
    """A user's own new password, with the one he has now."""

    old_password: str
    new_password: Password


class LoginResponse(msgspec.Struct, frozen=True):
    token: str
    expires_at: dt.datetime
    hall: str
    username: str
    name: str
    role: Role
    staff_no: str


Key = tuple[str, ...]


class FailureStore(Protocol):
    """Where a throttle keeps failures, and the places accounts have signed in from."""

    def recent(self, keys: list[Key], since: dt.datetime) -> dict[Key, tuple[int, dt.datetime]]:
        """Of each key that failed since ``since``: how often, and when first."""
        ...

    def add(self, keys: list[Key], at: dt.datetime, since: dt.datetime) -> None:
        """A failure of each of ``keys`` at ``at`` (what failed before ``since`` may be forgotten)."""
        ...

    def forget(self, key: Key) -> None: ...

    def knows(self, place: Key) -> bool: ...

    def remember(self, place: Key) -> None: ...


class MemoryFailures:
    """Failures kept in this process (a throttle of one process, e.g. a test's)."""

    def __init__(self) -> None:
        self._failures: dict[Key, deque[dt.datetime]] = {}
        self._places: set[Key] = set()
        self._lock = threading.Lock()

    def _recent(self, key: Key, since: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= since:
            failures.popleft()
        return failures

    def recent(self, keys: list[Key], since: dt.datetime) -> dict[Key, tuple[int, dt.datetime]]:
        with self._lock:
            return {key: (len(f), f[0]) for key in keys if (f := self._recent(key, since))}

    def add(self, keys: list[Key], at: dt.datetime, since: dt.datetime) -> None:
        with self._lock:
            if len(self._failures) > 10_000:  # forget what has aged out
                self._failures = {k: v for k, v in self._failures.items() if self._recent(k, since)}
            for key in keys:
                self._failures.setdefault(key, deque()).append(at)

    def forget(self, key: Key) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def knows(self, place: Key) -> bool:
        return place in self._places

    def remember(self, place: Key) -> None:
        self._places.add(place)


class LoginThrottle:
    """Slows guessing: after ``MAX_FAILURES`` failed attempts within ``WINDOW`` for one key (an
    account, an address, a booking code), further attempts are refused until the oldest failure
    ages out. Kept in ``store``: the database's, shared by every server process, or this
    process's memory. ``what``: the attempts, in English and Chinese."""

    MAX_FAILURES = 5
    WINDOW = dt.timedelta(minutes=15)

    def __init__(
        self,
        clock: Callable[[], dt.datetime],
        what: tuple[str, str] = ("sign-ins", "登录"),
        store: FailureStore | None = None,
    ) -> None:
        self.clock = clock
        self.what = what
        self.store: FailureStore = store or MemoryFailures()

    def check(self, keys: list[Key], limits: dict[Key, int] | None = None) -> None:
        """Refuse if any of ``keys`` has failed too often (``limits``: other limits than
        ``MAX_FAILURES`` for some keys)."""
        now = self.clock()
        for key, (count, first) in self.store.recent(keys, now - self.WINDOW).items():
            if count >= (limits or {}).get(key, self.MAX_FAILURES):
                wait = max(1, int((first + self.WINDOW - now).total_seconds() // 60) + 1)
                raise TooManyRequestsException(
                    detail=f"too many failed {self.what[0]}; try again in {wait} minutes",
                    extra={"detail_zh": f"{self.what[1]}失败次数过多，请{wait}分钟后再试"},
                )

    def failed(self, keys: list[Key]) -> None:
        now = self.clock()
        self.store.add(keys, now, now - self.WINDOW)

    def succeeded(self, key: Key) -> None:
        self.store.forget(key)


def client_place(address: str) -> str:
    """Where a client is, for the throttles: the address, or an IPv6 address's /64 (a client
    there holds all of it)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else address


_SIGN_IN_TURNS = [threading.Lock() for _ in range(64)]  # by account (striped: a flood of names costs no memory)
_HASHING = threading.BoundedSemaphore(os.cpu_count() or 2)


@functools.cache
def _nobodys_hash() -> str:
    """A password hash no account has, checked when the username is unknown (as long as a real one)."""
    return hash_password(secrets.token_urlsafe(16))


class Authenticator:
    WATCH_SECONDS = 1.0  # how often the accounts' states are read again (other processes' changes)

    def __init__(
        self,
        book: AccountBook,
        states: AccountStates,
        signer: TokenSigner,
        token_hours: int,
        clock: Callable[[], dt.datetime],
        failures: FailureStore | None = None,
    ) -> None:
        self.book, self.states, self.signer, self.token_hours, self.clock = book, states, signer, token_hours, clock
        self.throttle = LoginThrottle(clock, store=failures)
        self._channels: dict[asyncio.Event, str] = {}  # the open websockets: set to close one; its credentials
        self._watcher: asyncio.Task | None = None

    # Sign-in failures allowed in the throttle's window: 5 for one account from one address;
    # 20 for the account from addresses it has never signed in from (so nobody elsewhere can
    # lock a clerk out of his own counter PC); 50 from one address (a hall behind one NAT
    # is not locked by a few mistyped names, a name sprayer is).
    PER_ACCOUNT, PER_ADDRESS = 20, 50

    def login(self, request: LoginRequest, address: str = "") -> LoginResponse:
        # One attempt at a time per account in this process: checked, tried and counted before
        # the next is let in (48 guesses sent at once were 48 tries past a limit of 5), and no
        # more password hashes at once than cores (each costs 16 MiB).
        with _SIGN_IN_TURNS[hash((request.hall, request.username)) % len(_SIGN_IN_TURNS)]:
            return self._login(request, address)

    def _login(self, request: LoginRequest, address: str) -> LoginResponse:
        address = client_place(address)
        account = ("account", request.hall, request.username)
        pair = ("pair", request.hall, request.username, address)
        known = bool(address) and self.throttle.store.knows(pair)  # no address (a socket proxy): no place is known
        keys = [pair] if known else [pair, account]
        limits = {account: self.PER_ACCOUNT}
        if address and not known:  # a sprayer at the hall's NAT address does not lock its clerks out
            keys.append(("address", address))
            limits["address", address] = self.PER_ADDRESS
        self.throttle.check(keys, limits)
        staff = self.book.staff(request.hall, request.username)
        state = self.states.read(request.hall, "staff", request.username)  # a password set a moment ago
        # Same answer for an unknown user and a wrong password, in the same time (the password
        # is checked against a hash of nobody's): no account probing.
        stored = (state.password_hash or staff.password_hash) if staff is not None else ""
        with _HASHING:
            matches = verify_password(request.password, stored or _nobodys_hash())
        if not matches or not stored:
            self.throttle.failed(keys)
            log.info("login refused", extra={"hall": request.hall, "username": request.username})
            raise NotAuthorizedException(
                detail="wrong hall, username or password", extra={"detail_zh": "用户名或密码错误"}
            )
        assert staff is not None
        if state.disabled:  # said only to whoever knows the password
            log.info("login refused: account disabled", extra={"hall": request.hall, "username": staff.username})
            raise PermissionDeniedException(
                detail="this account is disabled; ask the hall's administrator",
                extra={"detail_zh": "该账号已停用，请联系系统管理员"},
            )
        self.throttle.succeeded(pair)
        self.throttle.store.remember(pair)  # this account signs in from here: others' failures do not lock it here
        log.info("login", extra={"hall": request.hall, "username": staff.username, "role": staff.role})
        return self._issue(request.hall, staff.username, state.generation)

    def _issue(self, hall: str, username: str, generation: int) -> LoginResponse:
        staff = self.book.staff(hall, username)
        assert staff is not None
        expires = self.clock() + dt.timedelta(hours=self.token_hours)
        claims = TokenClaims(
            hall=hall,
            sub=staff.username,
            role=staff.role,
            name=staff.name,
            exp=int(expires.timestamp()),
            jti=new_token_id(),
            gen=generation,
        )
        return LoginResponse(
            token=self.signer.issue(claims),
            expires_at=expires,
            hall=hall,
            username=staff.username,
            name=staff.name,
            role=Role(staff.role),
            staff_no=staff.staff_no,
        )

    def _claims(self, authorization: str | None) -> TokenClaims | None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        return self.signer.verify(token.strip(), int(self.clock().timestamp()))

    def logout(self, authorization: str | None, address: str) -> None:
        """End the staff token presented (its holder signs out); recorded in the audit trail."""
        claims = self._claims(authorization)
        assert claims is not None  # the guard let a staff token through
        entry = AuditEntry(
            hall=claims.hall,
            at=self.clock(),
            actor_kind="staff",
            actor=claims.sub,
            role=claims.role,
            address=address,
            action="auth.logout",
            target=f"staff {claims.sub}",
        )
        self.states.end(claims, entry)
        log.info("logout", extra={"hall": claims.hall, "username": claims.sub})

    def change_password(self, principal: Principal, change: PasswordChange, address: str) -> LoginResponse:
        """A user's own password, changed with the one he has: his other tokens stop working;
        the answer is a new token for this one."""
        key = [("password", principal.hall, principal.name)]
        self.throttle.check(key)  # a token left on an open PC does not buy guesses at the password
        staff = self.book.staff(principal.hall, principal.name)
        state = self.states.read(principal.hall, "staff", principal.name)
        if staff is None or not verify_password(change.old_password, state.password_hash or staff.password_hash):
            self.throttle.failed(key)
            raise PermissionDeniedException(
                detail="old_password: not your present password", extra={"detail_zh": "原密码不正确"}
            )
        self.throttle.succeeded(key[0])
        entry = self.staff_entry(principal, address, "account.password_changed", f"staff {principal.name}")
        changed = self.states.change(
            principal.hall,
            "staff",
            principal.name,
            entry,
            password_hash=hash_password(change.new_password),
            end_tokens=True,
        )
        return self._issue(principal.hall, principal.name, changed.generation)

    def staff_entry(self, principal: Principal, address: str, action: str, target: str) -> AuditEntry:
        """The audit entry of a change a signed-in person made."""
        return AuditEntry(
            hall=principal.hall,
            at=self.clock(),
            actor_kind="staff" if principal.kind == "staff" else "device",
            actor=principal.name,
            role=principal.role,
            address=address,
            action=action,
            target=target,
        )

    def reads_reports_of(self, principal: Principal, hall: str) -> bool:
        """Whether the staff member behind ``principal`` reads ``hall``'s figures too: the same
        username as a manager, an administrator or an inspector in its hall file (a report over
        several halls is for whoever reads them all)."""
        if principal.kind != "staff":
            return False
        staff = self.book.staff(hall, principal.name)
        if staff is None or Role(staff.role) not in _READERS:
            return False
        return not self.states.state(hall, "staff", principal.name).disabled  # disabled there: not his

    def authenticate(self, authorization: str | None) -> Principal | None:
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        token = token.strip()
        claims = self.signer.verify(token, int(self.clock().timestamp()))
        if claims is not None:
            # A token outlives nothing: an account removed from the hall file, disabled or given
            # a new password by an administrator, or the token signed out, stops working.
            staff = self.book.staff(claims.hall, claims.sub)
            if staff is None or staff.role != claims.role or self.states.ended(claims.jti):
                return None
            state = self.states.state(claims.hall, "staff", claims.sub)
            if claims.gen > state.generation:  # issued after a change this process has not read yet
                state = self.states.read(claims.hall, "staff", claims.sub)
            if state.disabled or state.generation != claims.gen:
                return None
            return Principal("staff", claims.hall, claims.sub, Role(claims.role), staff.name)
        found = self.book.device(token)
        if found is not None:
            hall, device = found
            if self.states.state(hall, "device", device.name).disabled:
                return None
            return Principal("device", hall, device.name, Role.DEVICE, device.name, device.kind, device.counter)
        return None

    # ------------------------------------------------------------ open websockets

    def opened(self, credentials: str) -> asyncio.Event:
        """A websocket opened with ``credentials``: the event is set when they stop working."""
        ended = asyncio.Event()
        self._channels[ended] = credentials
        return ended

    def closed(self, ended: asyncio.Event) -> None:
        self._channels.pop(ended, None)

    def end_channels(self) -> int:
        """Close the websockets whose credentials stopped working; how many."""
        gone = [e for e, credentials in self._channels.items() if self.authenticate(credentials) is None]
        for ended in gone:
            ended.set()
            self._channels.pop(ended)
        return len(gone)

    async def start(self) -> None:
        await asyncio.to_thread(self.states.refresh)
        self._watcher = asyncio.create_task(self.watch())

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)

    async def watch(self) -> None:
        """Read the accounts' states every ``WATCH_SECONDS`` (what other processes changed), and
        close the websockets whose token stopped working; a token that expired while its socket
        stayed open is found within a minute."""
        beats, files = 0, self.book.version
        while True:
            await asyncio.sleep(self.WATCH_SECONDS)
            beats += 1
            try:
                changed = await asyncio.to_thread(self.states.refresh)
            except sa.exc.SQLAlchemyError as exc:  # the database out of reach: the last copy holds
                log.warning("accounts' states not read: %s", type(exc).__name__)
                continue
            self.book.refresh()
            if changed or self.book.version != files or beats % 60 == 0:
                files = self.book.version
                self.end_channels()


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
        if scope["type"] != "websocket" or scope["user"] is None or credentials is None:  # type: ignore[typeddict-item]
            await self.app(scope, receive, send)
            return
        ended = self.auth.opened(credentials)
        try:
            await self.app(scope, *_until_ended(ended, receive, send))
        finally:
            self.auth.closed(ended)


_ENDED_CODE = 4401  # a websocket closed because its token stopped working


def _until_ended(ended: asyncio.Event, receive: Receive, send: Send) -> tuple[Receive, Send]:
    """A websocket's ``receive`` and ``send`` that, once ``ended`` is set, close it (4401) and tell
    the handler it is gone: every channel's handler waits on ``receive``, so each ends at once."""
    closed = False

    async def close() -> Message:
        nonlocal closed
        if not closed:
            closed = True
            with contextlib.suppress(Exception):  # the client may be gone already
                await send({"type": "websocket.close", "code": _ENDED_CODE, "reason": "the token was ended"})
        return {"type": "websocket.disconnect", "code": _ENDED_CODE}

    async def ended_receive() -> Message:
        if ended.is_set():
            return await close()
        message = asyncio.ensure_future(receive())
        waiting = asyncio.ensure_future(ended.wait())
        try:
            await asyncio.wait({message, waiting}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiting.cancel()
            if not message.done():
                message.cancel()
        return message.result() if message.done() and not message.cancelled() else await close()

    async def ended_send(message: Message) -> None:
        if not closed:  # after the close, the handler's last words go nowhere
            await send(message)

    return ended_receive, ended_send


def _principal(connection: ASGIConnection) -> Principal | None:
    return connection.scope.get("user")  # type: ignore[return-value]


def _reading(connection: ASGIConnection) -> bool:
    return connection.scope.get("method") in _READING  # type: ignore[operator]


def _refuse_read_only(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    principal = _principal(connection)
    if principal is None or not principal.read_only or connection.scope["type"] != "http":
        return
    if _reading(connection) or handler.opt.get("own_account"):
        return
    raise PermissionDeniedException(
        detail=f"an {principal.role}'s token reads only; it changes nothing",
        extra={"detail_zh": "巡查账号只能查看，不能进行修改"},
    )


async def read_only_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The whole application's: a read-only role (an inspector) changes nothing, by any route."""
    _refuse_read_only(connection, handler)


def _require(
    connection: ASGIConnection, handler: BaseRouteHandler, allowed: Callable[[Principal], bool], needs: str
) -> Principal:
    _refuse_read_only(connection, handler)  # the same here: a route's guard does not rely on the app's
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


async def staff_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    _require(connection, handler, lambda p: p.kind == "staff", "a staff token (sign in at /api/auth/login)")


async def reader_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    _require(connection, handler, lambda p: p.reads, "a manager's, an administrator's or an inspector's token")


async def manager_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    reading = _reading(connection)
    _require(connection, handler, lambda p: p.manages or (reading and p.reads), "a manager's token")


async def admin_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    _require(connection, handler, lambda p: p.administers, "an administrator's token")


async def issuer_guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    _require(
        connection,
        handler,
        lambda p: p.kind == "staff" or p.device_kind == "ticket_machine",
        "a ticket machine's device token or a staff token",
    )


# The route guards above: each refuses a read-only role itself (``_require``), as the app's does.
ROLE_GUARDS = frozenset({staff_guard, reader_guard, manager_guard, admin_guard, issuer_guard})


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


def client_address(request: Request) -> str:
    """The client's address, as the server sees it (a proxy's ``X-Forwarded-For`` when trusted)."""
    return request.client.host if request.client else ""


@post(
    "/api/auth/login",
    tags=["auth"],
    summary="Sign in; returns a bearer token",
    opt={**SIGN_IN, "own_account": True},  # whatever token the browser still sends along
    status_code=200,
)
async def login(data: JSONBody[LoginRequest], request: Request, auth: NamedDependency[Authenticator]) -> LoginResponse:
    return await in_thread(auth.login, data, client_address(request))  # scrypt takes tens of milliseconds


@post(
    "/api/auth/logout",
    tags=["auth"],
    summary="Sign out: the token presented stops working, in every server process",
    guards=[staff_guard],
    opt={**RECORDS_ITSELF, "own_account": True},
    status_code=204,
)
async def logout(request: Request, auth: NamedDependency[Authenticator]) -> None:
    """A device's token is not ended here: an administrator disables the device."""
    await in_thread(auth.logout, request.headers.get("authorization"), client_address(request))
    auth.end_channels()  # this process's websockets of the token: at once


@post(
    "/api/auth/password",
    tags=["auth"],
    summary="Change one's own password (with the present one); returns a new token",
    guards=[staff_guard],
    opt={**RECORDS_ITSELF, "own_account": True},
    status_code=200,
)
async def change_password(
    data: JSONBody[PasswordChange],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> LoginResponse:
    """The account's other tokens stop working (a password changed because it was seen)."""
    answer = await in_thread(auth.change_password, principal, data, client_address(request))
    auth.end_channels()
    return answer
