"""The displays' part of a hall file: ``[display]``, ``[voice]`` and what the screens name.

[display]
english = true          # English beside the Chinese
recent_calls = 8        # calls listed on the hall screen
flash_seconds = 6       # the newest call flashes this long
"""

from __future__ import annotations

import msgspec

from displays.voice import VoiceSettings
from displays.voicepack import VoicePack
from queueing.catalogue import HallInfo
from queueing.kinds import CounterSpec

__all__ = ["DisplayHall", "DisplaySettings"]


class DisplaySettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The hall file's ``[display]``: how the hall screen shows calls."""

    english: bool = True  # English beside the Chinese
    recent_calls: int = 8  # calls listed on the hall screen
    flash_seconds: int = 6  # the newest call flashes this long

    def __post_init__(self) -> None:
        if not 1 <= self.recent_calls <= 20:
            raise ValueError("recent_calls must be from 1 to 20")
        if not 0 <= self.flash_seconds <= 60:
            raise ValueError("flash_seconds must be from 0 to 60")


class DisplayHall(msgspec.Struct, frozen=True):
    """A hall as its screens, boards and voice know it."""

    info: HallInfo
    counters: tuple[CounterSpec, ...] = ()
    voice: VoiceSettings = VoiceSettings()
    voice_pack: VoicePack | None = None  # says the calls' Mandarin with recorded clips
    display: DisplaySettings = DisplaySettings()
    staff_names: dict[str, str] = msgspec.field(default_factory=dict)  # username -> name, for 空岗 alerts

    @property
    def id(self) -> str:
        return self.info.id

    def has_counter(self, number: int) -> bool:
        return any(c.number == number for c in self.counters)
