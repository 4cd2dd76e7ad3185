"""Who is calling: staff sign-in, bearer tokens, device tokens, and the guards.

Accounts live in the hall files (``[[staff]]`` and ``[[devices]]``); the book re-reads
a file when it changes, so an account added with ``hall add-staff`` works without a
restart. Authorisation is decided here, by the guards on the routes:

- ``staff_guard``: a staff token of the hall in the path;
- ``manager_guard``: a manager's or an administrator's token of that hall;
- ``issuer_guard``: a ticket machine's device token of that hall, or a staff token
  (a reception desk issues tickets too).

Whether a clerk may act at *this* counter (he must be signed in there) depends on the
live state and is checked by the core, atomically with the action.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Literal

import msgspec
from litestar import Request, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from config.crypto import TokenClaims, TokenSigner, device_token_digest, verify_password
from config.halls import ConfigError, DeviceSpec, HallDefinition, StaffSpec, load_hall
from queueing.commands import Actor, Role

__all__ = [
    "AccountBook",
    "Authenticator",
    "LoginRequest",
    "LoginResponse",
    "Principal",
    "issuer_guard",
    "login",
    "manager_guard",
    "provide_actor",
    "provide_principal",
    "staff_guard",
]

log = logging.getLogger("hall.auth")


class Principal(msgspec.Struct, frozen=True):
    kind: Literal["staff", "device"]
    hall: str
    name: str  # username or device name
    role: Role
    display_name: str = ""
    device_kind: str = ""

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.role)


class _HallAccounts(msgspec.Struct):
    path: str
    mtime: float
    staff: dict[str, StaffSpec]
    devices: dict[str, DeviceSpec]  # by token digest


class AccountBook:
    """Staff and devices per hall, as the hall files say now."""

    RECHECK_SECONDS = 1.0

    def __init__(self, halls: list[HallDefinition]) -> None:
        self._halls = {hall.id: self._accounts(hall) for hall in halls}
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @staticmethod
    def _accounts(hall: HallDefinition) -> _HallAccounts:
        try:
            mtime = os.stat(hall.path).st_mtime
        except OSError:
            mtime = 0.0
        return _HallAccounts(
            path=hall.path,
            mtime=mtime,
            staff={s.username: s for s in hall.staff},
            devices={d.token_sha256: d for d in hall.devices},
        )

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.RECHECK_SECONDS:
            return
        with self._lock:
            self._checked = now
            for hall_id, accounts in list(self._halls.items()):
                try:
                    if os.stat(accounts.path).st_mtime == accounts.mtime:
                        continue
                    self._halls[hall_id] = self._accounts(load_hall(accounts.path))
                    log.info("accounts reloaded", extra={"hall": hall_id})
                except (OSError, ConfigError) as exc:
                    log.error("hall file changed but cannot be read; keeping the old accounts: %s", exc)

    def staff(self, hall: str, username: str) -> StaffSpec | None:
        for force in (False, True):  # an unknown name: look at the file again, it may be new
            self._refresh(force)
            accounts = self._halls.get(hall)
            found = accounts.staff.get(username) if accounts else None
            if found is not None:
                return found
        return None

    def device(self, token: str) -> tuple[str, DeviceSpec] | None:
        digest = device_token_digest(token)
        for force in (False, True):
            self._refresh(force)
            for hall_id, accounts in self._halls.items():
                if digest in accounts.devices:
                    return hall_id, accounts.devices[digest]
        return None


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


class Authenticator:
    def __init__(
        self, book: AccountBook, signer: TokenSigner, token_hours: int, clock: Callable[[], dt.datetime]
    ) -> None:
        self.book, self.signer, self.token_hours, self.clock = book, signer, token_hours, clock

    def login(self, request: LoginRequest) -> LoginResponse:
        staff = self.book.staff(request.hall, request.username)
        # Same answer for an unknown user and a wrong password: no account probing.
        if staff is None or not staff.password_hash or not verify_password(request.password, staff.password_hash):
            log.info("login refused", extra={"hall": request.hall, "username": request.username})
            raise NotAuthorizedException(detail="wrong hall, username or password (用户名或密码错误)")
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
            return Principal("device", hall, device.name, Role.DEVICE, device.name, device.kind)
        return None


def _principal(connection: ASGIConnection) -> Principal | None:
    state = connection.scope.setdefault("state", {})
    if "principal" not in state:
        auth: Authenticator = connection.app.state.auth
        state["principal"] = auth.authenticate(connection.headers.get("authorization"))
    return state["principal"]


def _require(connection: ASGIConnection, allowed: Callable[[Principal], bool], needs: str) -> Principal:
    principal = _principal(connection)
    if principal is None:
        raise NotAuthorizedException(
            detail=f"this needs {needs}: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    hall = connection.path_params.get("hall")
    if hall is not None:
        connection.app.state.registry.get(hall)  # an unknown hall is a 404 whoever asks
    if hall is not None and principal.hall != hall:
        raise PermissionDeniedException(detail=f"your token is for hall {principal.hall!r}, not {hall!r}")
    if not allowed(principal):
        raise PermissionDeniedException(detail=f"this needs {needs}; you are {principal.kind} {principal.name}")
    return principal


async def staff_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(connection, lambda p: p.kind == "staff", "a staff token (sign in at /api/auth/login)")


async def manager_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(connection, lambda p: p.kind == "staff" and p.role.manages, "a manager's token")


async def issuer_guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _require(
        connection,
        lambda p: p.kind == "staff" or p.device_kind == "ticket_machine",
        "a ticket machine's device token or a staff token",
    )


async def provide_principal(request: Request) -> Principal | None:
    return _principal(request)


async def provide_actor(request: Request) -> Actor:
    principal = _principal(request)
    if principal is None:  # routes that take an actor are guarded; this is a wiring error
        raise NotAuthorizedException(detail="not signed in")
    return principal.actor


@post("/api/auth/login", tags=["auth"], summary="Sign in; returns a bearer token", status_code=200)
async def login(data: JSONBody[LoginRequest], request: Request) -> LoginResponse:
    auth: Authenticator = request.app.state.auth
    return await asyncio.to_thread(auth.login, data)  # scrypt takes tens of milliseconds
