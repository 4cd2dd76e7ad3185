"""Hall definitions: one TOML file per hall, decoded and checked with msgspec.

A mistake in a hall file stops the start-up with a message that names the file and the
field (``config/halls/demo.toml: counters[3].domains: unknown domain 'tax2'``), before
anything is recorded.

Each package receives only its own part of a hall (``HallDefinition.queue_part()``,
``display_part()``, ``printing_part()``, ``appointment_part()``, ``counter_part()``); the
accounts (``staff``, ``devices``) stay here, with the authentication.
"""

from __future__ import annotations

import re
from collections import Counter as Tally
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import msgspec

from appointments.settings import AppointmentHall, AppointmentSettings
from counters.ratings import RatingRules
from counters.settings import AlertSettings, CounterHall, DeviceCard, StaffCard, StatsSettings
from displays.settings import DisplayHall, DisplaySettings
from displays.voice import VoiceSettings
from displays.voicepack import DEFAULT_PACK, VoicePack, VoicePackError, load_pack, unsaid_in_calls
from printers.settings import PrinterSpec, PrintingHall, SlipSettings
from queueing.catalogue import Domain, HallInfo, ServiceItem, TicketGroup
from queueing.kinds import CallingProfile, CounterSpec, served_items, spec_problems
from queueing.policy import CallingPolicy, HallRules, IssuingPolicy, OpeningHours
from queueing.settings import QueueHall
from queueing.tomlfiles import read_toml

__all__ = [
    "ConfigError",
    "DeviceSpec",
    "HallDefinition",
    "StaffSpec",
    "load_hall",
    "load_halls",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PREFIX = re.compile(r"^[A-Z]{1,3}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

StaffRole = Literal["staff", "manager", "admin", "inspector"]
DeviceKind = Literal["ticket_machine", "display", "counter_board", "evaluation_pad", "print_agent"]


class ConfigError(Exception):
    """A hall or settings file is wrong; the message names the file and the field."""


class StaffSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A staff account (工作人员). Passwords are stored as scrypt hashes (``hall hash-password``)."""

    username: str
    name: str
    role: StaffRole = "staff"
    staff_no: str = ""
    password_hash: str = ""
    photo: str = ""  # a picture for the evaluation pad: a URL, e.g. /static/staff/zhangwei.jpg


class DeviceSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A device (取号机 …) and the SHA-256 of its token (``hall add-device``)."""

    name: str
    token_sha256: str
    kind: DeviceKind = "ticket_machine"
    printer: PrinterSpec | None = None  # a ticket machine's slip printer (``[devices.printer]``)
    # an evaluation pad's counter: it rates that counter's services and hears only its channel
    counter: int | None = None


class _HallFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    hall: HallInfo
    domains: list[Domain]
    groups: list[TicketGroup]
    items: list[ServiceItem]
    counters: list[CounterSpec]
    hours: OpeningHours = msgspec.field(default_factory=OpeningHours)
    calling: CallingPolicy = msgspec.field(default_factory=CallingPolicy)
    issuing: IssuingPolicy = msgspec.field(default_factory=IssuingPolicy)
    profiles: dict[str, CallingProfile] = msgspec.field(default_factory=dict)
    voice: VoiceSettings = msgspec.field(default_factory=VoiceSettings)
    display: DisplaySettings = msgspec.field(default_factory=DisplaySettings)
    slip: SlipSettings = msgspec.field(default_factory=SlipSettings)
    appointments: AppointmentSettings = msgspec.field(default_factory=AppointmentSettings)
    ratings: RatingRules = msgspec.field(default_factory=RatingRules)
    stats: StatsSettings = msgspec.field(default_factory=StatsSettings)
    alerts: AlertSettings = msgspec.field(default_factory=AlertSettings)
    staff: list[StaffSpec] = msgspec.field(default_factory=list)
    devices: list[DeviceSpec] = msgspec.field(default_factory=list)


class HallDefinition(msgspec.Struct, frozen=True):
    """A checked hall file: the core's rules plus what the service needs around them."""

    path: str
    info: HallInfo
    rules: HallRules
    counters: tuple[CounterSpec, ...]
    staff: tuple[StaffSpec, ...]
    devices: tuple[DeviceSpec, ...]
    voice: VoiceSettings = VoiceSettings()
    display: DisplaySettings = DisplaySettings()
    slip: SlipSettings = SlipSettings()
    appointments: AppointmentSettings = AppointmentSettings()
    ratings: RatingRules = RatingRules()
    stats: StatsSettings = StatsSettings()
    alerts: AlertSettings = AlertSettings()
    warnings: tuple[str, ...] = ()
    voice_pack: VoicePack | None = None  # ``voice.pack``, loaded and checked

    @property
    def id(self) -> str:
        return self.info.id

    def queue_part(self) -> QueueHall:
        return QueueHall(
            info=self.info,
            rules=self.rules,
            counters=self.counters,
            warnings=self.warnings,
            appointments=self.appointments.enabled,
        )

    def display_part(self) -> DisplayHall:
        return DisplayHall(
            info=self.info,
            counters=self.counters,
            voice=self.voice,
            voice_pack=self.voice_pack,
            display=self.display,
            staff_names={s.username: s.name for s in self.staff},
        )

    def printing_part(self) -> PrintingHall:
        printers = {d.name: d.printer for d in self.devices if d.printer is not None}
        return PrintingHall(info=self.info, slip=self.slip, printers=printers)

    def appointment_part(self) -> AppointmentHall:
        return AppointmentHall(info=self.info, rules=self.rules, settings=self.appointments)

    def counter_part(self) -> CounterHall:
        staff = tuple(StaffCard(s.username, s.name, s.role, s.staff_no, s.photo) for s in self.staff)
        return CounterHall(
            info=self.info,
            rules=self.rules,
            counters=self.counters,
            staff=staff,
            ratings=self.ratings,
            stats=self.stats,
            alerts=self.alerts,
            devices=tuple(DeviceCard(d.name, d.kind) for d in self.devices),
        )


def load_hall(path: str | Path) -> HallDefinition:
    path = Path(path)
    hall, _ = read_toml(path, _HallFile, "the hall file", ConfigError)
    return _check(path, hall)


def load_halls(paths: Iterable[str | Path]) -> list[HallDefinition]:
    """Load hall files; a directory stands for every ``*.toml`` in it."""
    files: list[Path] = []
    for entry in map(Path, paths):
        files.extend(sorted(entry.glob("*.toml")) if entry.is_dir() else [entry])
    halls = [load_hall(f) for f in files]
    if not halls:
        raise ConfigError(f"no hall files found in {', '.join(map(str, paths))}")
    seen: dict[str, str] = {}
    for hall in halls:
        if hall.id in seen:
            raise ConfigError(f"{hall.path}: hall.id: {hall.id!r} is already used by {seen[hall.id]}")
        seen[hall.id] = hall.path
    return halls


# What ends up in fixed-width columns (queueing/models.py) must fit them.
_LIMITS = {"hall": 64, "code": 40, "prefix": 8, "username": 64, "device": 64}


def _long_texts(hall: _HallFile) -> Iterable[tuple[str, str, int]]:
    yield "hall.id", hall.hall.id, _LIMITS["hall"]
    for index, item in enumerate(hall.items):
        yield f"items[{index}].code", item.code, _LIMITS["code"]
    for index, group in enumerate(hall.groups):
        yield f"groups[{index}].prefix", group.prefix, _LIMITS["prefix"]
    for index, staff in enumerate(hall.staff):
        yield f"staff[{index}].username", staff.username, _LIMITS["username"]
    for index, device in enumerate(hall.devices):
        yield f"devices[{index}].name", device.name, _LIMITS["device"]


def _check(path: Path, hall: _HallFile) -> HallDefinition:
    def fail(field: str, message: str) -> ConfigError:
        return ConfigError(f"{path}: {field}: {message}")

    for field, value, limit in _long_texts(hall):
        if len(value) > limit:
            raise fail(field, f"{value[:20]!r}… is {len(value)} characters long; at most {limit}")
    if not _SLUG.match(hall.hall.id):
        raise fail("hall.id", f"{hall.hall.id!r} must be lower-case letters, digits and dashes (it is used in URLs)")
    for section, values in (
        ("domains", [d.code for d in hall.domains]),
        ("groups", [g.prefix for g in hall.groups]),
        ("items", [i.code for i in hall.items]),
        ("counters", [c.number for c in hall.counters]),
        ("staff", [s.username for s in hall.staff]),
        ("devices", [d.name for d in hall.devices]),
    ):
        for value, count in Tally(values).items():
            if count > 1:
                raise fail(f"{section}[{values.index(value, values.index(value) + 1)}]", f"{value!r} appears twice")

    domains = {d.code for d in hall.domains}
    groups = {g.prefix for g in hall.groups}
    items = {i.code for i in hall.items}
    for index, group in enumerate(hall.groups):
        if not _PREFIX.match(group.prefix):
            raise fail(f"groups[{index}].prefix", f"{group.prefix!r} must be 1 to 3 capital letters")
        if group.daily_cap is not None and group.daily_cap < 1:
            raise fail(f"groups[{index}].daily_cap", "must be at least 1 (leave it out for no cap)")
    for index, item in enumerate(hall.items):
        if item.domain not in domains:
            raise fail(f"items[{index}].domain", f"unknown domain {item.domain!r}; known: {sorted(domains)}")
        if item.group not in groups:
            raise fail(f"items[{index}].group", f"unknown group {item.group!r}; known: {sorted(groups)}")
        if item.service_minutes <= 0:
            raise fail(f"items[{index}].service_minutes", "must be positive")
        if item.pickup and item.cross_province:
            raise fail(f"items[{index}]", "an item is either a pick-up or a cross-province item, not both")
    for name, profile in hall.profiles.items():
        if unknown := sorted(set(profile.prefer_domains) - domains):
            raise fail(f"profiles.{name}.prefer_domains", f"unknown domains {unknown}")
        if unknown := sorted(set(profile.prefer_items) - items):
            raise fail(f"profiles.{name}.prefer_items", f"unknown items {unknown}")

    try:
        rules = HallRules(
            hall=hall.hall.id,
            timezone=hall.hall.timezone,
            domains=tuple(hall.domains),
            groups=tuple(hall.groups),
            items=tuple(hall.items),
            profiles=hall.profiles,
            calling=hall.calling,
            issuing=hall.issuing,
            hours=hall.hours,
        )
    except ValueError as exc:  # the only check HallRules makes itself: its time zone
        raise fail("hall.timezone", f"{exc} (e.g. Asia/Shanghai)") from None
    for index, counter in enumerate(hall.counters):
        for field, message in spec_problems(counter, hall.items, domains, rules.all_profiles):
            raise fail(f"counters[{index}]" + (f".{field}" if field else ""), message)
    for index, staff in enumerate(hall.staff):
        if not _SLUG.match(staff.username):
            raise fail(f"staff[{index}].username", "lower-case letters, digits and dashes only")
        if staff.password_hash and not staff.password_hash.startswith("scrypt$"):
            raise fail(f"staff[{index}].password_hash", "not a hash from `hall hash-password`")
    for index, device in enumerate(hall.devices):
        if not _SHA256.match(device.token_sha256):
            raise fail(
                f"devices[{index}].token_sha256", "must be 64 lower-case hex digits (`hall add-device` writes it)"
            )
        if device.printer is not None and device.kind != "ticket_machine":
            raise fail(f"devices[{index}].printer", f"only a ticket machine has a slip printer, not a {device.kind}")
        if device.kind == "evaluation_pad" and device.counter is None:
            raise fail(f"devices[{index}].counter", "an evaluation pad is bound to its counter: give its number")
        if device.counter is not None and device.kind != "evaluation_pad":
            raise fail(
                f"devices[{index}].counter", f"only an evaluation pad is bound to a counter, not a {device.kind}"
            )
        if device.counter is not None and device.counter not in {c.number for c in hall.counters}:
            raise fail(f"devices[{index}].counter", f"no counter {device.counter} in this hall")

    voice_pack = _voice_pack(path, hall) if hall.voice.pack else None
    served = set().union(*(served_items(c, hall.items) for c in hall.counters)) if hall.counters else set()
    warnings = tuple(
        f"{path}: items[{index}]: no counter serves {item.code} ({item.name}); tickets for it are refused"
        for index, item in enumerate(hall.items)
        if item.code not in served
    )
    return HallDefinition(
        path=str(path),
        info=hall.hall,
        rules=rules,
        counters=tuple(hall.counters),
        staff=tuple(hall.staff),
        devices=tuple(hall.devices),
        voice=hall.voice,
        display=hall.display,
        slip=hall.slip,
        appointments=hall.appointments,
        ratings=hall.ratings,
        stats=hall.stats,
        alerts=hall.alerts,
        warnings=warnings,
        voice_pack=voice_pack,
    )


def _voice_pack(path: Path, hall: _HallFile) -> VoicePack:
    """``voice.pack``, loaded; refused if broken or if it cannot say this hall's calls."""
    folder = DEFAULT_PACK if hall.voice.pack == "default" else path.parent / hall.voice.pack
    try:
        pack = load_pack(folder)
    except VoicePackError as exc:
        raise ConfigError(f"{path}: voice.pack: {exc}") from None
    if pack.language not in hall.voice.languages:
        raise ConfigError(f"{path}: voice.pack: the pack says {pack.language!r}, which voice.languages leaves out")
    prefixes = [g.prefix for g in hall.groups]
    if missing := unsaid_in_calls(pack, hall.voice, prefixes, [c.number for c in hall.counters]):
        raise ConfigError(
            f"{path}: voice.pack: {folder / 'voice-pack.toml'} has no clip for {', '.join(map(repr, missing))}, "
            "which this hall's calls say; add them to its [clips]"
        )
    return pack
