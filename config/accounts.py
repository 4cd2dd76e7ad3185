"""The accounts of each hall (``[[staff]]`` and ``[[devices]]`` in its file), as the files say now.

The book re-reads a hall file when it changes, so an account added with ``hall add-staff``
works without a restart.
"""

from __future__ import annotations

import logging
import os
import threading
import time

import msgspec

from config.crypto import device_token_digest
from config.halls import ConfigError, DeviceSpec, HallDefinition, StaffSpec, load_hall

__all__ = ["AccountBook"]

log = logging.getLogger("hall.auth")


class _HallAccounts(msgspec.Struct):
    path: str
    mtime: float
    staff: dict[str, StaffSpec]
    devices: dict[str, DeviceSpec]  # by token digest


class AccountBook:
    """Staff and devices per hall, as the hall files say now."""

    RECHECK_SECONDS = 1.0

    def __init__(self, halls: list[HallDefinition]) -> None:
        self._halls = {hall.id: self._accounts(hall) for hall in halls}
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    @staticmethod
    def _accounts(hall: HallDefinition) -> _HallAccounts:
        try:
            mtime = os.stat(hall.path).st_mtime
        except OSError:
            mtime = 0.0
        return _HallAccounts(
            path=hall.path,
            mtime=mtime,
            staff={s.username: s for s in hall.staff},
            devices={d.token_sha256: d for d in hall.devices},
        )

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.RECHECK_SECONDS:
            return
        with self._lock:
            self._checked = now
            for hall_id, accounts in list(self._halls.items()):
                try:
                    if os.stat(accounts.path).st_mtime == accounts.mtime:
                        continue
                    self._halls[hall_id] = self._accounts(load_hall(accounts.path))
                    log.info("accounts reloaded", extra={"hall": hall_id})
                except (OSError, ConfigError) as exc:
                    log.error("hall file changed but cannot be read; keeping the old accounts: %s", exc)

    def knows(self, hall: str) -> bool:
        return hall in self._halls

    def staff(self, hall: str, username: str) -> StaffSpec | None:
        for force in (False, True):  # an unknown name: look at the file again, it may be new
            self._refresh(force)
            accounts = self._halls.get(hall)
            found = accounts.staff.get(username) if accounts else None
            if found is not None:
                return found
        return None

    def device(self, token: str) -> tuple[str, DeviceSpec] | None:
        digest = device_token_digest(token)
        for force in (False, True):
            self._refresh(force)
            for hall_id, accounts in self._halls.items():
                if digest in accounts.devices:
                    return hall_id, accounts.devices[digest]
        return None
