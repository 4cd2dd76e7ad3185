"""What the commands share: the settings, a hall by its id."""

from __future__ import annotations

import argparse

from config.halls import ConfigError, HallDefinition, load_halls
from config.settings import Settings, load_settings

__all__ = ["hall_by_id", "settings_of"]


def settings_of(args: argparse.Namespace) -> Settings:
    return load_settings(args.settings)


def hall_by_id(settings: Settings, hall_id: str) -> HallDefinition:
    for hall in load_halls(settings.halls):
        if hall.id == hall_id:
            return hall
    raise ConfigError(f"no hall {hall_id!r} in {', '.join(settings.halls)}")
