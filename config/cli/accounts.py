"""Accounts: in the hall files (add-staff, add-device, hash-password), and what is set over
them in the database without editing a file (disable, enable, set-password, change-password;
recorded in the audit trail as the command line's)."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from config.cli.common import hall_by_id, settings_of
from config.halls import ConfigError, HallDefinition, load_hall

if TYPE_CHECKING:
    from config.accounts import AccountKind, AccountStates
    from config.audit.schemas import AuditEntry

__all__ = ["add_commands"]


def _append_block(path: str, block: str) -> None:
    """Append a TOML block to a hall file, atomically: the new file is checked before it
    replaces the old one, so a running server never reads half a file or a broken one."""
    original = Path(path)
    draft = original.with_name(f".{original.name}.{os.getpid()}.draft")
    draft.write_bytes(original.read_bytes().rstrip(b"\n") + b"\n\n" + block.encode())
    shutil.copymode(original, draft)
    try:
        load_hall(draft)
    except ConfigError as exc:
        draft.unlink()
        raise ConfigError(str(exc).replace(str(draft), path)) from None
    os.replace(draft, original)


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def cmd_add_staff(args: argparse.Namespace) -> int:
    from config.crypto import hash_password

    hall = hall_by_id(settings_of(args), args.hall)
    if any(s.username == args.username for s in hall.staff):
        raise ConfigError(f"{hall.path}: staff: {args.username!r} exists already")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 2
    if len(password) < 8:
        print("a password has at least 8 characters", file=sys.stderr)
        return 2
    block = (
        f"[[staff]]\nusername = {_toml_string(args.username)}\nname = {_toml_string(args.name)}\n"
        f"staff_no = {_toml_string(args.staff_no)}\nrole = {_toml_string(args.role)}\n"
        f"password_hash = {_toml_string(hash_password(password))}\n"
    )
    _append_block(hall.path, block)
    print(f"added {args.role} {args.username} to {hall.path}; running servers pick it up within a second")
    return 0


def cmd_add_device(args: argparse.Namespace) -> int:
    from config.crypto import device_token_digest, new_device_token

    hall = hall_by_id(settings_of(args), args.hall)
    if any(d.name == args.name for d in hall.devices):
        raise ConfigError(f"{hall.path}: devices: {args.name!r} exists already")
    if (args.kind == "evaluation_pad") != (args.counter is not None):
        print("an evaluation pad needs --counter (the counter it rates); no other device takes one", file=sys.stderr)
        return 2
    token = new_device_token()
    block = (
        f"[[devices]]\nname = {_toml_string(args.name)}\nkind = {_toml_string(args.kind)}\n"
        + (f"counter = {args.counter}\n" if args.counter is not None else "")
        + f'token_sha256 = "{device_token_digest(token)}"\n'
    )
    _append_block(hall.path, block)
    print(f"added {args.kind} {args.name} to {hall.path}")
    print(f"its token (shown once, keep it on the device): {token}")
    if args.kind == "ticket_machine":
        print(f"open the ticket machine once as /halls/{hall.id}/kiosk#token={token}")
    if args.kind == "evaluation_pad":
        print(f"open the pad once as /halls/{hall.id}/counters/{args.counter}/pad#token={token}")
    return 0


def _read_password(args: argparse.Namespace, prompt: str) -> str | None:
    """A new password from standard input (one line) or typed twice; None: unusable (said why)."""
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(prompt)
        if getpass.getpass("again: ") != password:
            print("the passwords differ", file=sys.stderr)
            return None
    if len(password) < 8:
        print("a password has at least 8 characters", file=sys.stderr)
        return None
    return password


def _states(args: argparse.Namespace) -> tuple[HallDefinition, AccountStates]:
    """The hall, and the accounts' states in its database (the schema brought up to date)."""
    from config.accounts import AccountStates
    from config.database import connect_engine
    from config.migrations import upgrade
    from queueing.service import utc_now

    settings = settings_of(args)
    hall = hall_by_id(settings, args.hall)
    engine = connect_engine(settings.database)
    upgrade(engine)
    return hall, AccountStates(engine, utc_now)


def _entry(hall: str, action: str, target: str) -> AuditEntry:
    from config.audit.schemas import AuditEntry
    from queueing.service import utc_now

    return AuditEntry(
        hall=hall, at=utc_now(), actor_kind="command", actor=getpass.getuser(), action=action, target=target
    )


def _account(hall: HallDefinition, args: argparse.Namespace) -> tuple[AccountKind, str]:
    """The kind and name of the account the arguments name; ConfigError if the hall has none such."""
    if args.staff is not None:
        if not any(s.username == args.staff for s in hall.staff):
            raise ConfigError(f"{hall.path}: staff: no account {args.staff!r}")
        return "staff", args.staff
    if not any(d.name == args.device for d in hall.devices):
        raise ConfigError(f"{hall.path}: devices: no device {args.device!r}")
    return "device", args.device


def _switch(args: argparse.Namespace, disabled: bool) -> int:
    hall, states = _states(args)
    kind, name = _account(hall, args)
    done = "disabled" if disabled else "enabled"
    action = f"{'account' if kind == 'staff' else 'device'}.{done}"
    states.change(
        hall.id, kind, name, _entry(hall.id, action, f"{kind} {name}"), disabled=disabled, end_tokens=disabled
    )
    print(f"{kind} {name} of hall {hall.id} {done}; running servers hold it within a second")
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    return _switch(args, disabled=True)


def cmd_enable(args: argparse.Namespace) -> int:
    return _switch(args, disabled=False)


def cmd_set_password(args: argparse.Namespace) -> int:
    from config.crypto import hash_password

    hall, states = _states(args)
    _account(hall, argparse.Namespace(staff=args.username, device=None))
    password = _read_password(args, f"new password for {args.username}: ")
    if password is None:
        return 2
    entry = _entry(hall.id, "account.password_set", f"staff {args.username}")
    states.change(hall.id, "staff", args.username, entry, password_hash=hash_password(password), end_tokens=True)
    print(f"password of {args.username} set; the old one and the account's tokens no longer work")
    return 0


def cmd_change_password(args: argparse.Namespace) -> int:
    from config.crypto import hash_password, verify_password

    hall, states = _states(args)
    _account(hall, argparse.Namespace(staff=args.username, device=None))
    spec = next(s for s in hall.staff if s.username == args.username)
    old = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("present password: ")
    if not verify_password(old, states.read(hall.id, "staff", args.username).password_hash or spec.password_hash):
        print("that is not the present password", file=sys.stderr)
        return 2
    password = _read_password(args, "new password: ")
    if password is None:
        return 2
    entry = _entry(hall.id, "account.password_changed", f"staff {args.username}")
    states.change(hall.id, "staff", args.username, entry, password_hash=hash_password(password), end_tokens=True)
    print(f"password of {args.username} changed; the account's tokens no longer work")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    from config.crypto import hash_password

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    print(hash_password(password))
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    staff = commands.add_parser("add-staff", help="add a staff account to a hall file")
    staff.add_argument("--hall", required=True)
    staff.add_argument("--username", required=True)
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", choices=["staff", "manager", "admin", "inspector"], default="staff")
    staff.add_argument("--staff-no", default="")
    staff.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    staff.set_defaults(run=cmd_add_staff)

    device = commands.add_parser("add-device", help="add a device and print its token")
    device.add_argument("--hall", required=True)
    device.add_argument("--name", required=True)
    device.add_argument(
        "--kind",
        choices=["ticket_machine", "display", "counter_board", "evaluation_pad", "print_agent"],
        default="ticket_machine",
    )
    device.add_argument(
        "--counter", type=int, help="an evaluation pad's counter: it rates that counter's services only"
    )
    device.set_defaults(run=cmd_add_device)

    for name, run, what in (("disable", cmd_disable, "disable a staff account or revoke a device (停用)"),
                            ("enable", cmd_enable, "enable a disabled staff account or device")):  # fmt: skip
        switch = commands.add_parser(name, help=what)
        switch.add_argument("--hall", required=True)
        which = switch.add_mutually_exclusive_group(required=True)
        which.add_argument("--staff", metavar="USERNAME")
        which.add_argument("--device", metavar="NAME")
        switch.set_defaults(run=run)

    setting = commands.add_parser("set-password", help="set a staff member's password (an administrator's)")
    setting.add_argument("--hall", required=True)
    setting.add_argument("--username", required=True)
    setting.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    setting.set_defaults(run=cmd_set_password)

    changing = commands.add_parser("change-password", help="change one's own password, giving the present one")
    changing.add_argument("--hall", required=True)
    changing.add_argument("--username", required=True)
    changing.add_argument("--password-stdin", action="store_true", help="two lines: the present password, the new")
    changing.set_defaults(run=cmd_change_password)

    hashing = commands.add_parser("hash-password", help="print a password hash")
    hashing.add_argument("--password-stdin", action="store_true")
    hashing.set_defaults(run=cmd_hash_password)
