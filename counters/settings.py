"""The counters' part of a hall file: the counters, the staff who work them, ``[ratings]``.

The counter pages, 好差评 (the pads, the ratings and their cases) and the AB posts read this,
and nothing else of the file.
"""

from __future__ import annotations

import msgspec

from counters.ratings import RatingRules
from queueing.catalogue import HallInfo
from queueing.kinds import CounterSpec
from queueing.policy import HallRules

__all__ = ["AlertSettings", "CounterHall", "DeviceCard", "StaffCard", "StatsSettings"]


class DeviceCard(msgspec.Struct, frozen=True):
    """A device of the hall as the manager's view lists it (the token stays with config)."""

    name: str
    kind: str  # ticket_machine, display, counter_board, evaluation_pad, print_agent


class StatsSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[stats]``."""

    service_level_minutes: int = 15  # the service level: the share called within this

    def __post_init__(self) -> None:
        if not 1 <= self.service_level_minutes <= 240:
            raise ValueError("service_level_minutes must be from 1 to 240")


class AlertSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[alerts]``: when the manager's live view warns (defaults as halls
    publish them: open more counters past 10 waiting per counter, or waits over 30 minutes)."""

    waiting_per_counter: int = 10  # more than this many waiting per open counter that can serve them
    wait_minutes: int = 30  # anyone waiting longer than this
    paused_minutes: int = 20  # a counter paused longer than this

    def __post_init__(self) -> None:
        for name in ("waiting_per_counter", "wait_minutes", "paused_minutes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")


class StaffCard(msgspec.Struct, frozen=True):
    """A staff member as counters and pads show them (the account itself is config's)."""

    username: str
    name: str
    role: str = "staff"
    staff_no: str = ""  # 工号, on the evaluation pad
    photo: str = ""  # a URL, on the evaluation pad


class CounterHall(msgspec.Struct, frozen=True):
    """A hall as its counters know it."""

    info: HallInfo
    rules: HallRules
    counters: tuple[CounterSpec, ...] = ()
    staff: tuple[StaffCard, ...] = ()
    ratings: RatingRules = RatingRules()
    stats: StatsSettings = StatsSettings()
    alerts: AlertSettings = AlertSettings()
    devices: tuple[DeviceCard, ...] = ()

    @property
    def id(self) -> str:
        return self.info.id

    def counter(self, number: int) -> CounterSpec | None:
        return next((c for c in self.counters if c.number == number), None)

    def staff_names(self) -> dict[str, str]:
        return {s.username: s.name for s in self.staff}
