"""The server's administrator: serve, halls, check, migrate, rebuild."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from config.cli.common import hall_by_id, settings_of
from config.halls import load_halls
from config.settings import check_deployment, load_settings

__all__ = ["add_commands"]


def cmd_serve(args: argparse.Namespace) -> int:
    overrides = {"HALL_HOST": args.host, "HALL_PORT": args.port, "HALL_WORKERS": args.workers}
    for variable, value in overrides.items():
        if value is not None:
            os.environ[variable] = str(value)  # the worker processes read the same settings
    if args.settings:
        os.environ["HALL_SETTINGS"] = str(Path(args.settings).resolve())
    settings = load_settings()
    halls = load_halls(settings.halls)  # fail here, with a clear message, not in a worker
    check_deployment(settings, halls)

    import uvicorn

    from config.logging import logging_config
    from config.serving import raise_open_files_limit, unfinished_requests_cap

    open_files = raise_open_files_limit()  # the workers inherit it

    base = f"http://{settings.host}:{settings.port}"
    print(f"Hall queue on {base}/  (API documentation: {base}/api/docs)", file=sys.stderr)
    for hall in halls:
        print(f"  {hall.info.name} [{hall.id}]", file=sys.stderr)
        print(f"    ticket machine  {base}/halls/{hall.id}/kiosk", file=sys.stderr)
        print(f"    counters        {base}/halls/{hall.id}/counters", file=sys.stderr)
    print(
        f"  open files {open_files}; a request must arrive within {settings.request_read_seconds:g} s;"
        f" at most {unfinished_requests_cap(settings.unfinished_requests)} unfinished at once per process",
        file=sys.stderr,
    )
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
        http="config.serving:GuardedHttpProtocol",  # deadlines for slow clients (config/serving.py)
        # Device messages are small JSON on the hall's network; compressing each one once per
        # device nearly doubled the server's cost of a call's fan-out (tests/perf/displays.py).
        ws_per_message_deflate=False,
    )
    return 0


def cmd_halls(args: argparse.Namespace) -> int:
    for hall in load_halls(settings_of(args).halls):
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
    settings = settings_of(args)
    for hall in load_halls(settings.halls):
        print(f"ok  {hall.path} ({hall.id})")
        for warning in hall.warnings:
            print(f"warning  {warning}")
    print(f"database  {settings.database.split('@')[-1]}")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from config.database import connect_engine
    from config.migrations import upgrade

    settings = settings_of(args)
    revision = upgrade(connect_engine(settings.database))
    print(f"schema at revision {revision}")
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from config.database import connect_engine, read_connection
    from queueing import store

    settings = settings_of(args)
    engine = connect_engine(settings.database)
    halls = [hall_by_id(settings, args.hall)] if args.hall else load_halls(settings.halls)
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


def cmd_forget(args: argparse.Namespace) -> int:
    """Anonymise now what is past keeping (the server does it by itself within the hour)."""
    import datetime as dt
    import getpass

    from appointments.service import forget_people
    from appointments.store import AppointmentStore
    from config.database import connect_engine
    from config.migrations import upgrade
    from counters.evaluation import forget_contacts
    from counters.store import CounterStore

    settings = settings_of(args)
    engine = connect_engine(settings.database)
    upgrade(engine)
    halls = [hall_by_id(settings, args.hall)] if args.hall else load_halls(settings.halls)
    now, who = dt.datetime.now(dt.UTC), getpass.getuser()
    bookings = forget_people(AppointmentStore(engine), [h.appointment_part() for h in halls], now, "command", who)
    ratings = forget_contacts(CounterStore(engine), [h.counter_part() for h in halls], now, "command", who)
    for hall in halls:
        print(
            f"{hall.id}: {bookings[hall.id]} bookings anonymised (kept {hall.appointments.keep_personal_days} days),"
            f" {ratings[hall.id]} rating phones dropped (kept {hall.ratings.keep_personal_days} days)"
        )
    return 0


def cmd_rekey(args: argparse.Namespace) -> int:
    """A key rotation's second step: every sealed contact (bookings', real-name ratings') sealed
    again with the new key, so that the old key is needed only to find the bookings made
    before it by ID number."""
    from appointments.people import PersonKeys
    from appointments.store import AppointmentStore
    from config.database import connect_engine
    from counters.evaluation import rating_phone_sealer
    from counters.store import CounterStore

    settings = settings_of(args)
    check_deployment(settings, load_halls(settings.halls))  # no key made up in the data folder
    engine = connect_engine(settings.database)
    keys = PersonKeys(settings.secret(), settings.old_secrets())
    bookings, lost_bookings = AppointmentStore(engine).reseal(keys.reseal)
    sealer = rating_phone_sealer(settings.secret(), settings.old_secrets())
    phones, lost_phones = CounterStore(engine).reseal(sealer.reseal)
    print(f"{bookings} booking contacts and {phones} rating phones sealed with the new key")
    if lost_bookings or lost_phones:
        print(
            f"{lost_bookings} booking contacts and {lost_phones} rating phones open with no key given"
            " (HALL_SECRET_KEY, HALL_OLD_SECRET_KEYS): left as they were",
            file=sys.stderr,
        )
        return 1
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="start the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int)
    serve.set_defaults(run=cmd_serve)

    commands.add_parser("halls", help="list the halls").set_defaults(run=cmd_halls)
    commands.add_parser("check", help="check settings and hall files").set_defaults(run=cmd_check)

    commands.add_parser("migrate", help="create or upgrade the schema").set_defaults(run=cmd_migrate)

    forget = commands.add_parser(
        "forget-personal-data", help="anonymise bookings and rating phones past keeping (keep_personal_days)"
    )
    forget.add_argument("--hall")
    forget.set_defaults(run=cmd_forget)

    rebuild = commands.add_parser("rebuild", help="replay a hall's record and compare with the live state")
    rebuild.add_argument("--hall")
    rebuild.set_defaults(run=cmd_rebuild)

    rekey = commands.add_parser("rekey", help="seal every booking's contacts again with the new secret key")
    rekey.set_defaults(run=cmd_rekey)
