"""The audit trail (审计日志): ``hall audit prune``, the only way its entries are ever deleted."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass

from config.cli.common import settings_of

__all__ = ["add_commands"]


def cmd_prune(args: argparse.Namespace) -> int:
    from config.audit.schemas import AuditEntry
    from config.audit.store import AuditStore
    from config.database import connect_engine
    from config.migrations import upgrade

    settings = settings_of(args)
    engine = connect_engine(settings.database)
    upgrade(engine)
    now = dt.datetime.now(dt.UTC)
    cutoff = now - dt.timedelta(days=settings.audit_keep_days)
    entry = AuditEntry(
        hall="",
        at=now,
        actor_kind="command",
        actor=getpass.getuser(),
        action="audit.prune",
        target=f"before {cutoff.isoformat(timespec='seconds')}",
        details={"keep_days": settings.audit_keep_days},
    )
    gone = AuditStore(engine).prune(cutoff, entry)
    engine.dispose()
    print(
        f"deleted {gone} audit entries older than {settings.audit_keep_days} days (before {cutoff:%Y-%m-%d %H:%M} UTC)"
    )
    return 0


def add_commands(commands: argparse._SubParsersAction) -> None:
    audit = commands.add_parser("audit", help="the audit trail (审计日志)")
    actions = audit.add_subparsers(dest="action", required=True)
    prune = actions.add_parser(
        "prune", help="delete the entries older than the settings' audit_keep_days (365; at least 183), say how many"
    )
    prune.set_defaults(run=cmd_prune)
