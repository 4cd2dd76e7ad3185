"""Accounts over the API, for a hall's administrator (系统管理员): the hall's staff and devices
with their states; disable (停用) and enable either; set a staff member's password. The hall
file stays the source of accounts (``hall add-staff``, ``hall add-device``); what is set here
is kept in the database over it (``config/accounts.py``), holds in every server process within
a second, and is recorded in the audit trail with who, when and from where.

A disabled account cannot sign in and its tokens stop working at once, open websockets
included; a disabled device's token likewise. A password set here ends the account's tokens.
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Request, Router, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from config.accounts import AccountKind
from config.audit.marks import RECORDS_ITSELF
from config.auth import Authenticator, Password, Principal, admin_guard, client_address
from config.crypto import hash_password
from config.database import in_thread
from queueing.errors import Conflict, NotFound

__all__ = ["DeviceAccount", "HallAccounts", "NewPassword", "StaffAccount", "router"]


class StaffAccount(msgspec.Struct, frozen=True):
    """A staff account (工作人员账号) and its state."""

    username: str
    name: str
    role: str
    staff_no: str
    disabled: bool
    password_set: bool  # a password set since the hall file's (that one no longer works)


class DeviceAccount(msgspec.Struct, frozen=True):
    """A device (取号机, 综合屏 …) and whether its token works."""

    name: str
    kind: str
    disabled: bool


class HallAccounts(msgspec.Struct, frozen=True):
    staff: list[StaffAccount]
    devices: list[DeviceAccount]


class NewPassword(msgspec.Struct, frozen=True):
    password: Password


def _staff(auth: Authenticator, hall: str, username: str) -> StaffAccount:
    spec = auth.book.staff(hall, username)
    if spec is None:
        raise NotFound(f"username: no staff account {username!r} in hall {hall!r}", f"没有工作人员账号 {username}")
    state = auth.states.state(hall, "staff", username)
    return StaffAccount(spec.username, spec.name, spec.role, spec.staff_no, state.disabled, bool(state.password_hash))


def _device(auth: Authenticator, hall: str, name: str) -> DeviceAccount:
    spec = next((d for d in auth.book.members(hall)[1] if d.name == name), None)
    if spec is None:
        raise NotFound(f"name: no device {name!r} in hall {hall!r}", f"没有设备 {name}")
    return DeviceAccount(spec.name, spec.kind, auth.states.state(hall, "device", name).disabled)


async def _change(
    auth: Authenticator,
    principal: Principal,
    request: Request,
    kind: AccountKind,
    name: str,
    action: str,
    **change: object,
) -> None:
    entry = auth.staff_entry(principal, client_address(request), action, f"{kind} {name}")
    await in_thread(auth.states.change, principal.hall, kind, name, entry, **change)  # type: ignore[arg-type]
    auth.end_channels()  # this process's websockets at once; the others' within a second


@get("/api/halls/{hall:str}/accounts", guards=[admin_guard], summary="The hall's staff and devices (administrator)")
async def hall_accounts(hall: FromPath[str], auth: NamedDependency[Authenticator]) -> HallAccounts:
    staff, devices = auth.book.members(hall)
    return HallAccounts(
        staff=[_staff(auth, hall, s.username) for s in staff],
        devices=[_device(auth, hall, d.name) for d in devices],
    )


@post(
    "/api/halls/{hall:str}/accounts/staff/{username:str}/disable",
    guards=[admin_guard],
    opt=RECORDS_ITSELF,
    status_code=200,
    summary="Disable a staff account (停用): it cannot sign in, its tokens stop working",
)
async def disable_staff(
    hall: FromPath[str],
    username: FromPath[str],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> StaffAccount:
    _staff(auth, hall, username)
    if username == principal.name:  # the hall would be left without whoever can enable it again
        raise Conflict("username: you cannot disable your own account", "不能停用自己的账号")
    await _change(auth, principal, request, "staff", username, "account.disabled", disabled=True, end_tokens=True)
    return _staff(auth, hall, username)


@post(
    "/api/halls/{hall:str}/accounts/staff/{username:str}/enable",
    guards=[admin_guard],
    opt=RECORDS_ITSELF,
    status_code=200,
    summary="Enable a disabled staff account (启用); tokens of before stay ended",
)
async def enable_staff(
    hall: FromPath[str],
    username: FromPath[str],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> StaffAccount:
    _staff(auth, hall, username)
    await _change(auth, principal, request, "staff", username, "account.enabled", disabled=False)
    return _staff(auth, hall, username)


@put(
    "/api/halls/{hall:str}/accounts/staff/{username:str}/password",
    guards=[admin_guard],
    opt=RECORDS_ITSELF,
    summary="Set a staff member's password (重置密码): the old one and the account's tokens stop working",
)
async def set_password(
    hall: FromPath[str],
    username: FromPath[str],
    data: JSONBody[NewPassword],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> StaffAccount:
    _staff(auth, hall, username)
    password_hash = await asyncio.to_thread(hash_password, data.password)
    await _change(
        auth,
        principal,
        request,
        "staff",
        username,
        "account.password_set",
        password_hash=password_hash,
        end_tokens=True,
    )
    return _staff(auth, hall, username)


@post(
    "/api/halls/{hall:str}/accounts/devices/{name:str}/disable",
    guards=[admin_guard],
    opt=RECORDS_ITSELF,
    status_code=200,
    summary="Disable a device (吊销): its token stops working, its open channels close",
)
async def disable_device(
    hall: FromPath[str],
    name: FromPath[str],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> DeviceAccount:
    _device(auth, hall, name)
    await _change(auth, principal, request, "device", name, "device.disabled", disabled=True)
    return _device(auth, hall, name)


@post(
    "/api/halls/{hall:str}/accounts/devices/{name:str}/enable",
    guards=[admin_guard],
    opt=RECORDS_ITSELF,
    status_code=200,
    summary="Enable a disabled device: its token works again",
)
async def enable_device(
    hall: FromPath[str],
    name: FromPath[str],
    request: Request,
    principal: NamedDependency[Principal],
    auth: NamedDependency[Authenticator],
) -> DeviceAccount:
    _device(auth, hall, name)
    await _change(auth, principal, request, "device", name, "device.enabled", disabled=False)
    return _device(auth, hall, name)


router = Router(
    path="/",
    route_handlers=[hall_accounts, disable_staff, enable_staff, set_password, disable_device, enable_device],
    tags=["accounts"],
)
