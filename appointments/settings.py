"""The hall file's ``[appointments]``: what can be booked, when, and the rules for people.

    [appointments]
    enabled = true
    slot_minutes = 30
    default_capacity = 4            # bookings a slot for each service group not listed
    onsite_share = 0.25             # a quarter of every slot kept for people who come without booking
    [appointments.capacity]
    A = 6                           # a ticket group's prefix, or an item's code
    QY01 = 2

The defaults follow DB31/T 862 9.1.2 and a published local rule (2 no-shows or 5
cancellations in a month block booking for a month).
"""

from __future__ import annotations

import math
from typing import Literal

import msgspec

from queueing.catalogue import HallInfo
from queueing.policy import HallRules

__all__ = ["AppointmentHall", "AppointmentSettings", "BlockRule"]


class BlockRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``count`` no-shows (爽约) or cancellations (取消) within ``within_days`` block the person
    from booking for ``block_days`` after the last of them."""

    kind: Literal["no_show", "cancel"]
    count: int
    within_days: int = 30
    block_days: int = 30

    def __post_init__(self) -> None:
        if self.count < 1 or self.within_days < 1 or self.block_days < 1:
            raise ValueError("count, within_days and block_days must be at least 1")


DEFAULT_BLOCK_RULES = (BlockRule("no_show", 2), BlockRule("cancel", 5))


class AppointmentSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    enabled: bool = False
    slot_minutes: int = 30
    capacity: dict[str, int] = msgspec.field(default_factory=dict)  # group prefix or item code → per slot
    default_capacity: int = 0  # for what ``capacity`` does not name; 0: not bookable
    onsite_share: float = 0.0  # of each slot's capacity, kept for on-site issuing
    earliest_minutes_ahead: int = 60  # a slot must start at least this long after the booking
    latest_days_ahead: int = 7  # and at most this many days ahead
    per_person_item_day: int = 1  # active bookings of one item on one day, per person
    max_active: int = 3  # active (future, not cancelled) bookings per person
    max_bookings_30_days: int = 10
    cancel_cutoff_minutes: int = 60  # no cancelling later than this before the slot
    early_minutes: int = 30  # check-in opens this long before the slot
    late_minutes: int = 15  # and closes this long after its start: then it is a no-show
    late_as_walk_in: bool = True  # a late arrival gets a walk-in ticket (else refused)
    block_rules: tuple[BlockRule, ...] = DEFAULT_BLOCK_RULES
    reminders_minutes: tuple[int, ...] = (24 * 60, 60)  # before the slot: the day before, an hour before
    # Days after its slot a booking keeps its person (the masked forms, the sealed contacts, the
    # keyed hash of the document): then it is anonymised, its figures kept (个人信息保护法 Art. 19,
    # GB/T 35273 6.1). At least as long as any rule looks back at a person's bookings.
    keep_personal_days: int = 90

    def __post_init__(self) -> None:
        if not 5 <= self.slot_minutes <= 240:
            raise ValueError("slot_minutes must be from 5 to 240")
        if not 0 <= self.onsite_share < 1:
            raise ValueError("onsite_share must be from 0 to less than 1 (a share of each slot)")
        for key, value in self.capacity.items():
            if value < 0:
                raise ValueError(f"capacity.{key} must not be negative")
        if self.default_capacity < 0:
            raise ValueError("default_capacity must not be negative")
        if self.earliest_minutes_ahead < 0 or self.latest_days_ahead < 1:
            raise ValueError("earliest_minutes_ahead must be >= 0 and latest_days_ahead >= 1")
        if self.per_person_item_day < 1 or self.max_active < 1 or self.max_bookings_30_days < 1:
            raise ValueError("per_person_item_day, max_active and max_bookings_30_days must be at least 1")
        if self.early_minutes < 0 or self.late_minutes < 0 or self.cancel_cutoff_minutes < 0:
            raise ValueError("early_minutes, late_minutes and cancel_cutoff_minutes must not be negative")
        if any(m <= 0 for m in self.reminders_minutes):
            raise ValueError("reminders_minutes: minutes before the slot, each above 0")
        looks_back = max([30, *(rule.within_days + rule.block_days for rule in self.block_rules)])
        if self.keep_personal_days < looks_back:
            raise ValueError(
                f"keep_personal_days must be at least {looks_back}: the rules look back that far at a person's bookings"
            )

    def capacity_for(self, item: str, group: str) -> tuple[str, int]:
        """The key bookings of ``item`` are counted under (the item, or its group) and how
        many a slot takes online after the on-site share."""
        if item in self.capacity:
            key, total = item, self.capacity[item]
        elif group in self.capacity:
            key, total = f"group:{group}", self.capacity[group]
        else:
            key, total = f"group:{group}", self.default_capacity
        return key, math.floor(total * (1 - self.onsite_share) + 1e-9)


class AppointmentHall(msgspec.Struct, frozen=True):
    """A hall as its appointments know it: its items and hours (the rules) and ``[appointments]``."""

    info: HallInfo
    rules: HallRules
    settings: AppointmentSettings = AppointmentSettings()

    @property
    def id(self) -> str:
        return self.info.id
