"""The accounts of each hall (``[[staff]]`` and ``[[devices]]`` in its file), as the files say now,
and what has been set since without editing a file (the database's ``account_state``).

The book re-reads a hall file when it changes, so an account added with ``hall add-staff``
works without a restart. The hall file stays the source of accounts; an administrator's
disable (停用), enable and password set, and a user's own password change, are rows of
``account_state`` over it: every server process reads the same rows (a file rewritten under
several processes could lose a change), and each change is recorded in the audit trail in
the same transaction. A signed-out token's id is a row of ``ended_token`` until it would have
expired anyway. The sign-in throttle's failures (``sign_in_failure``) and the places accounts
signed in from (``sign_in_place``) are rows too, so that every process counts the same.

Each process keeps a copy of both tables, re-read every second (``AccountStates.refresh``):
a change made in another process holds here within about a second.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Literal

import msgspec
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, SQLModel

from config.audit.schemas import AuditEntry
from config.audit.store import record
from config.crypto import TokenClaims, device_token_digest
from config.database import instant, read_connection, write_transaction
from config.halls import ConfigError, DeviceSpec, HallDefinition, StaffSpec, load_hall

__all__ = [
    "AccountBook",
    "AccountKind",
    "AccountState",
    "AccountStateRow",
    "AccountStates",
    "DatabaseFailures",
    "EndedTokenRow",
    "SignInFailureRow",
    "SignInPlaceRow",
]

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
        self.version = 0  # moves on when a file is read again
        self._devices = self._device_index()

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

    def _device_index(self) -> dict[str, tuple[str, DeviceSpec]]:
        """Token digest -> (hall, device), made again when a file is read again: a device's every
        request finds its hall at once, not by a look at each hall of the process in turn. A
        digest in two halls' files is the first hall's, as the files are read."""
        index: dict[str, tuple[str, DeviceSpec]] = {}
        for hall_id, accounts in self._halls.items():
            for digest, device in accounts.devices.items():
                index.setdefault(digest, (hall_id, device))
        return index

    def _refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.RECHECK_SECONDS:
            return
        with self._lock:
            self._checked, version = now, self.version
            for hall_id, accounts in list(self._halls.items()):
                try:
                    if os.stat(accounts.path).st_mtime == accounts.mtime:
                        continue
                    self._halls[hall_id] = self._accounts(load_hall(accounts.path))
                    self.version += 1
                    log.info("accounts reloaded", extra={"hall": hall_id})
                except (OSError, ConfigError) as exc:
                    log.error("hall file changed but cannot be read; keeping the old accounts: %s", exc)
            if self.version != version:
                self._devices = self._device_index()

    def refresh(self) -> None:
        """Read the files that changed since the last look."""
        self._refresh()

    def knows(self, hall: str) -> bool:
        return hall in self._halls

    def members(self, hall: str) -> tuple[list[StaffSpec], list[DeviceSpec]]:
        """The staff and the devices of ``hall``, as its file says now."""
        self._refresh()
        accounts = self._halls[hall]
        return list(accounts.staff.values()), list(accounts.devices.values())

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
        for force in (False, True):  # an unknown token: look at the files again, it may be new
            self._refresh(force)
            found = self._devices.get(digest)
            if found is not None:
                return found
        return None


AccountKind = Literal["staff", "device"]


class AccountStateRow(SQLModel, table=True):
    """账户状态: what has been set of an account since its hall file: disabled (停用), a new
    password, and its generation (tokens issued before a disable or a password set carry an
    older one, and stop working)."""

    __tablename__ = "account_state"

    hall: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)  # staff or device
    name: str = Field(primary_key=True, max_length=128)  # username or device name
    disabled: bool = False
    password_hash: str = Field(default="", max_length=200)  # "": the hall file's
    generation: int = 0
    changed_at: dt.datetime = Field(sa_column=instant())


class EndedTokenRow(SQLModel, table=True):
    """已注销令牌: a staff token ended by its sign-out, kept until it would have expired anyway."""

    __tablename__ = "ended_token"

    jti: str = Field(primary_key=True, max_length=32)
    hall: str = Field(max_length=64)
    username: str = Field(max_length=128)
    expires_at: dt.datetime = Field(sa_column=instant(index=True))


_states = AccountStateRow.__table__  # type: ignore[attr-defined]
_ended = EndedTokenRow.__table__  # type: ignore[attr-defined]


class AccountState(msgspec.Struct, frozen=True):
    disabled: bool = False
    password_hash: str = ""  # "": the hall file's
    generation: int = 0


_AS_FILED = AccountState()


class AccountStates:
    """The accounts' states and the ended tokens, in the database, and this process's copy."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine, self.clock = engine, clock
        self._states: dict[tuple[str, str, str], AccountState] = {}
        self._ended: frozenset[str] = frozenset()
        self._written: dict[tuple[str, str, str], float] = {}  # what this process changed, when
        self._ended_here: dict[str, float] = {}

    def _wrote(self, key: tuple[str, str, str], state: AccountState) -> None:
        self._states[key] = state
        self._written[key] = time.monotonic()

    def refresh(self) -> bool:
        """Read both tables again; True if this process's copy changed. What this process
        changed while the read was under way is kept: the read may predate it."""
        began = time.monotonic()
        with read_connection(self.engine) as conn, conn.begin():
            states = {
                (r.hall, r.kind, r.name): AccountState(r.disabled, r.password_hash, r.generation)
                for r in conn.execute(sa.select(_states))
            }
            ended = frozenset(conn.execute(sa.select(_ended.c.jti).where(_ended.c.expires_at > self.clock())).scalars())
        for key, at in list(self._written.items()):
            if at >= began:
                states[key] = self._states[key]
            else:
                del self._written[key]
        for jti, at in list(self._ended_here.items()):
            if at >= began:
                ended |= {jti}
            else:
                del self._ended_here[jti]
        changed = states != self._states or ended != self._ended
        self._states, self._ended = states, ended
        return changed

    def state(self, hall: str, kind: AccountKind, name: str) -> AccountState:
        """As this process last read it (at most a second old)."""
        return self._states.get((hall, kind, name), _AS_FILED)

    def read(self, hall: str, kind: AccountKind, name: str) -> AccountState:
        """As the database says now (a sign-in: a password changed a moment ago elsewhere)."""
        with read_connection(self.engine) as conn, conn.begin():
            row = conn.execute(
                sa.select(_states).where(_states.c.hall == hall, _states.c.kind == kind, _states.c.name == name)
            ).first()
        state = AccountState(row.disabled, row.password_hash, row.generation) if row else _AS_FILED
        self._wrote((hall, kind, name), state)
        return state

    def ended(self, token_id: str) -> bool:
        return token_id in self._ended

    def end(self, claims: TokenClaims, entry: AuditEntry) -> None:
        """End the token of ``claims`` (a sign-out), recorded as ``entry``."""
        now = self.clock()
        with write_transaction(self.engine) as conn, conn.begin():
            conn.execute(_ended.delete().where(_ended.c.expires_at <= now))  # they end by themselves
            expires = dt.datetime.fromtimestamp(claims.exp, dt.UTC)
            # two sign-outs of one token at once (two tabs): the second finds it ended
            with contextlib.suppress(IntegrityError), conn.begin_nested():
                conn.execute(
                    _ended.insert().values(jti=claims.jti, hall=claims.hall, username=claims.sub, expires_at=expires)
                )
            record(conn, entry)
        self._ended = self._ended | {claims.jti}
        self._ended_here[claims.jti] = time.monotonic()

    def change(
        self,
        hall: str,
        kind: AccountKind,
        name: str,
        entry: AuditEntry,
        *,
        disabled: bool | None = None,
        password_hash: str | None = None,
        end_tokens: bool = False,
    ) -> AccountState:
        """Set what is given of an account (``end_tokens``: its tokens stop working), recorded as
        ``entry`` in the same transaction."""
        key = {"hall": hall, "kind": kind, "name": name}
        where = (_states.c.hall == hall, _states.c.kind == kind, _states.c.name == name)
        with write_transaction(self.engine) as conn, conn.begin():
            # the account's row first, if it has none yet: a lock on no row holds nobody back
            with contextlib.suppress(IntegrityError), conn.begin_nested():
                filed = {**msgspec.structs.asdict(_AS_FILED), "changed_at": self.clock()}
                conn.execute(_states.insert().values(**key, **filed))
            row = conn.execute(sa.select(_states).where(*where).with_for_update()).one()
            old = AccountState(row.disabled, row.password_hash, row.generation)
            new = AccountState(
                old.disabled if disabled is None else disabled,
                old.password_hash if password_hash is None else password_hash,
                old.generation + 1 if end_tokens else old.generation,
            )
            conn.execute(_states.update().where(*where).values(**msgspec.structs.asdict(new), changed_at=self.clock()))
            record(conn, entry)
        self._wrote((hall, kind, name), new)
        return new


class SignInFailureRow(SQLModel, table=True):
    """登录失败: one failed attempt of a key (an account, an account at a place, a place), for
    the sign-in throttle; kept for its window. The key is a digest: no name or address in clear."""

    __tablename__ = "sign_in_failure"
    __table_args__ = (sa.Index("ix_sign_in_failure_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    key: str = Field(max_length=64)
    at: dt.datetime = Field(sa_column=instant(index=True))


class SignInPlaceRow(SQLModel, table=True):
    """A place an account has signed in from (its digest): others' failures do not lock it there."""

    __tablename__ = "sign_in_place"

    key: str = Field(primary_key=True, max_length=64)
    at: dt.datetime = Field(sa_column=instant())


_failures = SignInFailureRow.__table__  # type: ignore[attr-defined]
_places = SignInPlaceRow.__table__  # type: ignore[attr-defined]
Key = tuple[str, ...]


def _digest(key: Key) -> str:
    """A key of any length (a username is the client's to choose) in the column's 64 characters."""
    return hashlib.sha256("\t".join(key).encode()).hexdigest()


class DatabaseFailures:
    """The sign-in throttle's store (``config.auth.FailureStore``) in the database: every server
    process counts the same failures and knows the same places."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime]) -> None:
        self.engine, self.clock = engine, clock

    def recent(self, keys: list[Key], since: dt.datetime) -> dict[Key, tuple[int, dt.datetime]]:
        digests = {_digest(key): key for key in keys}
        query = (
            sa.select(_failures.c.key, sa.func.count(), sa.func.min(_failures.c.at))
            .where(_failures.c.key.in_(digests), _failures.c.at > since)
            .group_by(_failures.c.key)
        )
        with read_connection(self.engine) as conn, conn.begin():
            return {digests[key]: (count, first) for key, count, first in conn.execute(query)}

    def add(self, keys: list[Key], at: dt.datetime, since: dt.datetime) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            conn.execute(_failures.delete().where(_failures.c.at <= since))  # aged out
            conn.execute(_failures.insert(), [{"key": _digest(key), "at": at} for key in keys])

    def forget(self, key: Key) -> None:
        with write_transaction(self.engine) as conn, conn.begin():
            conn.execute(_failures.delete().where(_failures.c.key == _digest(key)))

    def knows(self, place: Key) -> bool:
        with read_connection(self.engine) as conn, conn.begin():
            return conn.execute(sa.select(_places.c.key).where(_places.c.key == _digest(place))).first() is not None

    def remember(self, place: Key) -> None:
        if self.knows(place):
            return
        with contextlib.suppress(sa.exc.IntegrityError), write_transaction(self.engine) as conn, conn.begin():
            conn.execute(_places.insert().values(key=_digest(place), at=self.clock()))  # another process was first
