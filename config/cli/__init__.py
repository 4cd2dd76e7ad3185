"""The ``hall`` command, by audience: the server's administrator (``admin.py``: serve, halls,
check, migrate, rebuild, rekey, forget-personal-data), accounts (``accounts.py``: add-staff,
add-device, hash-password, disable, enable, set-password, change-password), the device agents
on the PCs wired to boards and printers (``agents.py``: led-bridge, print-agent), the manager's
planning (``planning.py``: simulate, advise) and the voice packs (``voice.py``: voice-pack make,
voice-pack check).

    hall serve [--workers N] [--port P]     start the server (the demo hall by default)
    hall halls                              list the halls and what they hold
    hall check                              check the settings and hall files, say what is wrong
    hall add-staff --hall ID --username U --name NAME [--role staff|manager|admin|inspector]
    hall add-device --hall ID --name NAME [--kind ticket_machine]   prints the new token once
    hall hash-password                      a password hash for a hall file
    hall disable --hall ID (--staff U | --device NAME)
                                            disable an account or revoke a device: it signs in no more,
                                            its tokens stop working, its open channels close
    hall enable --hall ID (--staff U | --device NAME)   enable it again
    hall set-password --hall ID --username U            set a staff member's password (ends his tokens)
    hall change-password --hall ID --username U         change one's own, giving the present one
    hall migrate                            create or upgrade the database schema
    hall rebuild [--hall ID]                replay a hall's whole record and compare with the live state
    hall rekey                              after a key rotation: seal every booking's contacts with the new key
    hall simulate SCENARIO.toml [--replications N] [--seed S] [--json]
                                            simulate a day of a scenario through the live rules
    hall advise SCENARIO.toml [--json]      the fewest counter-hours that meet the scenario's target
    hall led-bridge --server URL --hall ID --token T [--counter N] [--driver console|tcp]
                    [--controller HOST:PORT] [--heartbeat 15] [--max-backoff 30]
                                            drive counter LED boards from the device channel
    hall print-agent --server URL --hall ID --token T [--printer usb:VID:PID|file:PATH|dummy[:DIR]]
                                            print a ticket machine's slips on the printer at its PC
    hall audit prune                        delete audit entries older than audit_keep_days (and record that)
    hall voice-pack make DIR [--sample-rate 16000]
                                            a voice pack (语音包) said by espeak-ng: every clip a call needs
    hall voice-pack check DIR [--number A012] [--counter 23] [--out call.wav]
                                            a pack's missing and doubtful clips; a sample call as a WAV

``led-bridge`` and ``print-agent`` talk to a running server only (``--server``, a device token
of the hall), so they run on whatever PC is wired to the boards or the printer; they run until
Ctrl-C or SIGTERM.
Every other command reads the settings file given with ``--settings`` (or $HALL_SETTINGS) and
the environment (DATABASE_URL, REDIS_URL, HALL_FILES …).
"""

from __future__ import annotations

import argparse
import sys

from config.cli import accounts, admin, agents, audit, planning, voice
from config.halls import ConfigError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hall", description="Hall queue for government service centres")
    parser.add_argument("--settings", help="settings TOML file (default: $HALL_SETTINGS, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True)
    for audience in (admin, accounts, agents, planning, voice, audit):
        audience.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
