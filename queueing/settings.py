"""The queue's part of a hall file: what ``HallRuntime`` and the queue's pages are given.

``config.halls`` reads the whole file; each package receives only its own part (this one, a
display's, a printer's …), so none of them reads another's settings.
"""

from __future__ import annotations

import msgspec

from queueing.catalogue import HallInfo
from queueing.kinds import CounterSpec
from queueing.policy import HallRules

__all__ = ["QueueHall"]


class QueueHall(msgspec.Struct, frozen=True):
    """A hall as the queue knows it: who it is, its rules and the counters its file defines."""

    info: HallInfo
    rules: HallRules
    counters: tuple[CounterSpec, ...] = ()
    warnings: tuple[str, ...] = ()  # what the hall file's check found odd but allowed
    appointments: bool = False  # whether its ticket machines offer 预约签到

    @property
    def id(self) -> str:
        return self.info.id

    def counter(self, number: int) -> CounterSpec | None:
        return next((c for c in self.counters if c.number == number), None)
