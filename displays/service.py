"""The displays of this process: each hall's display part, the fan-out and the voice.

Handlers receive it as the ``displays`` dependency; it answers which halls and counters have
screens here (404 otherwise), and hands each hall runtime its ``DisplayPublisher``.
"""

from __future__ import annotations

from displays.hub import DisplayHub, DisplayPublisher
from displays.settings import DisplayHall
from displays.voice import Synthesizer
from queueing.errors import NotFound

__all__ = ["DisplayService"]


class DisplayService:
    def __init__(
        self, halls: list[DisplayHall], hub: DisplayHub, synthesizer: Synthesizer, heartbeat_seconds: float
    ) -> None:
        self.halls = {h.id: h for h in halls}
        self.hub, self.synthesizer = hub, synthesizer
        self.heartbeat_seconds = heartbeat_seconds  # how often a quiet channel says so

    def hall(self, hall: str) -> DisplayHall:
        found = self.halls.get(hall)
        if found is None:
            raise NotFound(f"no hall {hall!r}; halls here: {', '.join(sorted(self.halls))}", f"没有大厅 {hall}")
        return found

    def counter_of(self, hall: str, counter: int) -> DisplayHall:
        """The hall, if it has counter ``counter``."""
        found = self.hall(hall)
        if not found.has_counter(counter):
            raise NotFound(f"counter {counter} does not exist in hall {hall}", f"{counter}号窗口不存在")
        return found

    def publisher(self, hall: str) -> DisplayPublisher:
        """What the hall's runtime tells of each command it commits."""
        return DisplayPublisher(self.hall(hall), self.hub)
