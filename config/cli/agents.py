"""The device agents, on the PCs wired to LED boards and printers: led-bridge, print-agent.
They talk to a running server only, and run until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable

__all__ = ["add_commands"]


async def _until_stopped(agent: Awaitable[None]) -> None:
    """Run ``agent`` until it ends or the process is told to stop (Ctrl-C, SIGTERM)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    running = asyncio.ensure_future(agent)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (running, stopping):
            task.cancel()
        await asyncio.gather(running, stopping, return_exceptions=True)
    if running.done() and not running.cancelled() and running.exception() is not None:
        raise running.exception()  # type: ignore[misc]


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
        try:
            await _until_stopped(follow.run())
        finally:
            await driver.close()
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
    from displays.client import Backoff
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
    printing = PrintAgent(
        args.server, args.hall, args.token, printer=args.printer, backoff=Backoff(cap=args.max_backoff)
    )
    asyncio.run(_until_stopped(printing.run()))
    print(f"print-agent: stopped ({printing.jobs_printed} printed, {printing.jobs_failed} failed)", file=sys.stderr)
    return 0


def _agent(commands: argparse._SubParsersAction, name: str, token: str, **described: str) -> argparse.ArgumentParser:
    """A device agent's command with what every agent takes: the server, the hall, the token, the backoff."""
    agent = commands.add_parser(name, **described)
    agent.add_argument("--server", default="http://127.0.0.1:8000", help="the server (default %(default)s)")
    agent.add_argument("--hall", required=True)
    agent.add_argument(
        "--token", default=os.environ.get("HALL_DEVICE_TOKEN", ""), help=f"{token} (default $HALL_DEVICE_TOKEN)"
    )
    agent.add_argument(
        "--max-backoff", type=_positive, default=30.0, help="longest wait between reconnections (default %(default)s s)"
    )
    return agent


def add_commands(commands: argparse._SubParsersAction) -> None:
    led = _agent(
        commands,
        "led-bridge",
        "a device token of the hall, e.g. a counter_board",
        help="drive counter LED boards from a hall's device channel",
        description="Follow a hall's (or one counter's) device channel and drive the counter LED boards: "
        "print them (console) or send GB18030 frames to an LED controller (tcp; the frame is documented "
        "in displays/led/frame.py). Reconnects by itself; stops on Ctrl-C or SIGTERM.",
    )
    led.add_argument("--counter", type=int, help="only this counter's board (default: every counter of the hall)")
    led.add_argument("--driver", choices=["console", "tcp"], default="console")
    led.add_argument("--controller", type=_controller, help="the LED controller's HOST:PORT (with --driver tcp)")
    led.add_argument(
        "--heartbeat",
        type=_positive,
        default=15.0,
        help="the server's heartbeat period in seconds (default %(default)s): three quiet periods and the "
        "connection is presumed dead",
    )
    led.set_defaults(run=cmd_led_bridge)

    agent = _agent(
        commands,
        "print-agent",
        "the ticket machine's device token",
        help="print a ticket machine's slips on the printer at its PC (USB)",
        description="Receive a ticket machine's print jobs over its channel and print them on the printer "
        "hanging at this PC, as the hall file's [devices.printer] says (or --printer). Reports each job "
        "printed or failed; reconnects by itself; stops on Ctrl-C or SIGTERM.",
    )
    agent.add_argument(
        "--printer",
        type=_printer,
        help="override the printer: usb:VID:PID (hex, as lsusb shows), file:PATH, dummy[:DIR], network:HOST:PORT",
    )
    agent.set_defaults(run=cmd_print_agent)
