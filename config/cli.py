"""The ``hall`` command.

    hall serve [--workers N] [--port P]     start the server (the demo hall by default)
    hall halls                              list the halls and what they hold
    hall check                              check the settings and hall files, say what is wrong
    hall add-staff --hall ID --username U --name NAME [--role staff|manager|admin]
    hall add-device --hall ID --name NAME [--kind ticket_machine]   prints the new token once
    hall hash-password                      a password hash for a hall file
    hall migrate                            create or upgrade the database schema
    hall rebuild [--hall ID]                replay a hall's whole record and compare with the live state
    hall led-bridge --server URL --hall ID --token T [--counter N] [--driver console|tcp]
                    [--controller HOST:PORT] [--heartbeat 15] [--max-backoff 30]
                                            drive counter LED boards from the device channel
    hall print-agent --server URL --hall ID --token T [--printer usb:VID:PID|file:PATH|dummy[:DIR]]
                                            print a ticket machine's slips on the printer at its PC

``led-bridge`` and ``print-agent`` talk to a running server only (``--server``, a device token
of the hall), so they run on whatever PC is wired to the boards or the printer; they run until
Ctrl-C or SIGTERM.
Every other command reads the settings file given with ``--settings`` (or $HALL_SETTINGS) and
the environment (DATABASE_URL, REDIS_URL, HALL_FILES …).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import time
from pathlib import Path

from config.halls import ConfigError, HallDefinition, load_hall, load_halls
from config.settings import Settings, load_settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.settings)


def _hall(settings: Settings, hall_id: str) -> HallDefinition:
    for hall in load_halls(settings.halls):
        if hall.id == hall_id:
            return hall
    raise ConfigError(f"no hall {hall_id!r} in {', '.join(settings.halls)}")


def cmd_serve(args: argparse.Namespace) -> int:
    overrides = {"HALL_HOST": args.host, "HALL_PORT": args.port, "HALL_WORKERS": args.workers}
    for variable, value in overrides.items():
        if value is not None:
            os.environ[variable] = str(value)  # the worker processes read the same settings
    if args.settings:
        os.environ["HALL_SETTINGS"] = str(Path(args.settings).resolve())
    settings = load_settings()
    halls = load_halls(settings.halls)  # fail here, with a clear message, not in a worker

    import uvicorn

    from config.logging import logging_config

    base = f"http://{settings.host}:{settings.port}"
    print(f"Hall queue on {base}/  (API documentation: {base}/api/docs)", file=sys.stderr)
    for hall in halls:
        print(f"  {hall.info.name} [{hall.id}]", file=sys.stderr)
        print(f"    ticket machine  {base}/halls/{hall.id}/kiosk", file=sys.stderr)
        print(f"    counters        {base}/halls/{hall.id}/counters", file=sys.stderr)
    if any(hall.id == "demo" for hall in halls):
        print(
            f"  demo: open the ticket machine once as {base}/halls/demo/kiosk#token=demo-kiosk-token;"
            " counters: zhangwei / demo-staff, manager / demo-manager",
            file=sys.stderr,
        )
    uvicorn.run(
        "config.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_config=logging_config(settings.log_level, settings.log_format),
        access_log=False,
        timeout_graceful_shutdown=5,
        # Device messages are small JSON on the hall's network; compressing each one once per
        # device nearly doubled the server's cost of a call's fan-out (tests/perf/displays.py).
        ws_per_message_deflate=False,
    )
    return 0


def cmd_halls(args: argparse.Namespace) -> int:
    for hall in load_halls(_settings(args).halls):
        kinds: dict[str, int] = {}
        for counter in hall.counters:
            kinds[counter.kind] = kinds.get(counter.kind, 0) + 1
        print(f"{hall.id}\t{hall.info.name}\t{hall.path}")
        print(
            f"\t{len(hall.rules.domains)} domains, {len(hall.rules.items)} items, {len(hall.counters)} counters "
            f"({', '.join(f'{n} {k}' for k, n in kinds.items())}), {len(hall.staff)} staff, {len(hall.devices)} devices"
        )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    for hall in load_halls(settings.halls):
        print(f"ok  {hall.path} ({hall.id})")
        for warning in hall.warnings:
            print(f"warning  {warning}")
    print(f"database  {settings.database.split('@')[-1]}")
    return 0


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

    hall = _hall(_settings(args), args.hall)
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

    hall = _hall(_settings(args), args.hall)
    if any(d.name == args.name for d in hall.devices):
        raise ConfigError(f"{hall.path}: devices: {args.name!r} exists already")
    token = new_device_token()
    block = (
        f"[[devices]]\nname = {_toml_string(args.name)}\nkind = {_toml_string(args.kind)}\n"
        f'token_sha256 = "{device_token_digest(token)}"\n'
    )
    _append_block(hall.path, block)
    print(f"added {args.kind} {args.name} to {hall.path}")
    print(f"its token (shown once, keep it on the device): {token}")
    if args.kind == "ticket_machine":
        print(f"open the ticket machine once as /halls/{hall.id}/kiosk#token={token}")
    return 0


def cmd_hash_password(args: argparse.Namespace) -> int:
    from config.crypto import hash_password

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("password: ")
    print(hash_password(password))
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from config.database import connect_engine
    from config.migrations import upgrade

    settings = _settings(args)
    revision = upgrade(connect_engine(settings.database))
    print(f"schema at revision {revision}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from config.database import connect_engine, read_connection
    from queueing import store

    settings = _settings(args)
    engine = connect_engine(settings.database)
    halls = [_hall(settings, args.hall)] if args.hall else load_halls(settings.halls)
    status = 0
    for hall in halls:
        with read_connection(engine) as conn, conn.begin():
            started = time.perf_counter()
            rebuilt = store.load(conn, hall.rules, from_snapshot=False).queue
            seconds = time.perf_counter() - started
            live = store.load(conn, hall.rules)  # as the service loads it
        same = rebuilt.export() == live.queue.export()
        status |= 0 if same else 1
        verdict = "identical to" if same else "DIFFERENT from"
        base = f"snapshot {live.snapshot_seq} + tail" if live.snapshot_seq else "no snapshot"
        print(f"{hall.id}: replayed {rebuilt.seq} events in {seconds:.3f} s; {verdict} the live state ({base})")
    return status


def _controller(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r} is not HOST:PORT")
    return host, int(port)


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number of seconds")
    return number


def cmd_led_bridge(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from displays.led import Backoff, BoardDriver, ConsoleDriver, LedBridge, TcpDriver

    if not args.token:
        print("error: --token (or $HALL_DEVICE_TOKEN) is needed: a device token of the hall", file=sys.stderr)
        return 2
    if args.driver == "tcp" and args.controller is None:
        print("error: --driver tcp needs --controller HOST:PORT", file=sys.stderr)
        return 2
    if args.driver == "tcp" and args.counter is not None and not 0 < args.counter < 256:
        print(f"error: counter {args.counter} has no LED address (1-255)", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s led-bridge %(levelname)s %(message)s"
    )

    async def bridge() -> None:
        driver: BoardDriver
        if args.driver == "tcp":
            host, port = args.controller
            driver = TcpDriver(host, port, backoff=Backoff(cap=args.max_backoff))
        else:
            driver = ConsoleDriver()
        follow = LedBridge(
            args.server,
            args.hall,
            args.token,
            driver,
            counter=args.counter,
            heartbeat=args.heartbeat,
            backoff=Backoff(cap=args.max_backoff),
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        following = asyncio.create_task(follow.run())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({following, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (following, stopping):
                task.cancel()
            await asyncio.gather(following, stopping, return_exceptions=True)
            await driver.close()
        if following.done() and not following.cancelled() and following.exception() is not None:
            raise following.exception()  # type: ignore[misc]
        print("led-bridge: stopped", file=sys.stderr)

    asyncio.run(bridge())
    return 0


def _printer(text: str):  # type: ignore[no-untyped-def]
    """``usb:0416:5011``, ``file:/dev/usb/lp0``, ``dummy`` or ``dummy:DIR``, ``network:HOST:PORT``."""
    from printers.settings import PrinterSpec

    kind, _, rest = text.partition(":")
    try:
        if kind == "usb":
            vendor, _, product = rest.partition(":")
            return PrinterSpec(driver="usb", at="agent", vendor_id=int(vendor, 16), product_id=int(product, 16))
        if kind == "file":
            return PrinterSpec(driver="file", at="agent", path=rest)
        if kind == "dummy":
            return PrinterSpec(driver="dummy", at="agent", path=rest)
        if kind == "network":
            host, _, port = rest.rpartition(":")
            return PrinterSpec(driver="network", at="agent", host=host, port=int(port))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
    raise argparse.ArgumentTypeError(f"{text!r}: use usb:VID:PID, file:PATH, dummy[:DIR] or network:HOST:PORT")


def cmd_print_agent(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from printers.agent import PrintAgent

    if not args.token:
        print("error: --token (or $HALL_DEVICE_TOKEN) is needed: the ticket machine's device token", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s print-agent %(levelname)s %(message)s",
        force=True,  # python-escpos configures the root logger when imported
    )

    async def agent() -> None:
        from displays.led import Backoff

        printing = PrintAgent(
            args.server, args.hall, args.token, printer=args.printer, backoff=Backoff(cap=args.max_backoff)
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        running = asyncio.create_task(printing.run())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (running, stopping):
                task.cancel()
            await asyncio.gather(running, stopping, return_exceptions=True)
        print(f"print-agent: stopped ({printing.jobs_printed} printed, {printing.jobs_failed} failed)", file=sys.stderr)

    asyncio.run(agent())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hall", description="Hall queue for government service centres")
    parser.add_argument("--settings", help="settings TOML file (default: $HALL_SETTINGS, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(run=cmd_serve)

    commands.add_parser("halls", help="list the halls").set_defaults(run=cmd_halls)
    commands.add_parser("check", help="check settings and hall files").set_defaults(run=cmd_check)

    staff = commands.add_parser("add-staff", help="add a staff account to a hall file")
    staff.add_argument("--hall", required=True)
    staff.add_argument("--username", required=True)
    staff.add_argument("--name", required=True)
    staff.add_argument("--role", choices=["staff", "manager", "admin"], default="staff")
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
    device.set_defaults(run=cmd_add_device)

    hashing = commands.add_parser("hash-password", help="print a password hash")
    hashing.add_argument("--password-stdin", action="store_true")
    hashing.set_defaults(run=cmd_hash_password)

    commands.add_parser("migrate", help="create or upgrade the schema").set_defaults(run=cmd_migrate)

    rebuild = commands.add_parser("rebuild", help="replay a hall's record and compare with the live state")
    rebuild.add_argument("--hall")
    rebuild.set_defaults(run=cmd_rebuild)

    led = commands.add_parser(
        "led-bridge",
        help="drive counter LED boards from a hall's device channel",
        description="Follow a hall's (or one counter's) device channel and drive the counter LED boards: "
        "print them (console) or send GB18030 frames to an LED controller (tcp; the frame is documented "
        "in displays/led.py). Reconnects by itself; stops on Ctrl-C or SIGTERM.",
    )
    led.add_argument("--server", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
    led.add_argument("--hall", required=True)
    led.add_argument("--counter", type=int, help="only this counter's board (default: every counter of the hall)")
    led.add_argument(
        "--token",
        default=os.environ.get("HALL_DEVICE_TOKEN", ""),
        help="a device token of the hall, e.g. a counter_board (default $HALL_DEVICE_TOKEN)",
    )
    led.add_argument("--driver", choices=["console", "tcp"], default="console")
    led.add_argument("--controller", type=_controller, help="the LED controller's HOST:PORT (with --driver tcp)")
    led.add_argument(
        "--heartbeat",
        type=_positive,
        default=15.0,
        help="the server's heartbeat period in seconds (default %(default)s): three quiet periods and the "
        "connection is presumed dead",
    )
    led.add_argument(
        "--max-backoff", type=_positive, default=30.0, help="longest wait between reconnections (default %(default)s s)"
    )
    led.set_defaults(run=cmd_led_bridge)

    agent = commands.add_parser(
        "print-agent",
        help="print a ticket machine's slips on the printer at its PC (USB)",
        description="Receive a ticket machine's print jobs over its channel and print them on the printer "
        "hanging at this PC, as the hall file's [devices.printer] says (or --printer). Reports each job "
        "printed or failed; reconnects by itself; stops on Ctrl-C or SIGTERM.",
    )
    agent.add_argument("--server", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
    agent.add_argument("--hall", required=True)
    agent.add_argument(
        "--token",
        default=os.environ.get("HALL_DEVICE_TOKEN", ""),
        help="the ticket machine's device token (default $HALL_DEVICE_TOKEN)",
    )
    agent.add_argument(
        "--printer",
        type=_printer,
        help="override the printer: usb:VID:PID (hex, as lsusb shows), file:PATH, dummy[:DIR], network:HOST:PORT",
    )
    agent.add_argument(
        "--max-backoff", type=_positive, default=30.0, help="longest wait between reconnections (default %(default)s s)"
    )
    agent.set_defaults(run=cmd_print_agent)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
