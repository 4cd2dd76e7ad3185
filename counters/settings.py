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

__all__ = ["CounterHall", "StaffCard"]


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

    @property
    def id(self) -> str:
        return self.info.id

    def counter(self, number: int) -> CounterSpec | None:
        return next((c for c in self.counters if c.number == number), None)

    def staff_names(self) -> dict[str, str]:
        return {s.username: s.name for s in self.staff}
