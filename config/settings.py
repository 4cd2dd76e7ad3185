"""Deployment settings: defaults, then a settings file, then environment variables.

The embedded default needs no server: a SQLite file under ``var/`` and in-process
channels. ``DATABASE_URL=postgresql://…`` and ``REDIS_URL=redis://…`` switch to the
servers. A wrong value stops the start-up with the file (or variable) and the field.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from appointments.notify import NotifierSettings
from config.halls import ConfigError
from config.limits import ClientLimits
from queueing.errors import field_first

__all__ = ["PROJECT_ROOT", "Settings", "load_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_HALLS = str(PROJECT_ROOT / "config" / "halls")


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    halls: list[str] = msgspec.field(default_factory=lambda: [DEMO_HALLS])  # hall files or folders
    data_dir: str = str(PROJECT_ROOT / "var")
    database_url: str = ""  # empty: sqlite:///<data_dir>/hall.db
    redis_url: str = ""  # empty: in-process channels
    secret_key: str = ""  # empty: generated once into <data_dir>/secret.key
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""  # how phones reach the server (QR codes); empty: the request's own host
    token_hours: int = 12
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    snapshot_every: int = 2000  # events between state snapshots
    notify: NotifierSettings = msgspec.field(default_factory=NotifierSettings)  # how citizens are told
    limits: ClientLimits = msgspec.field(default_factory=ClientLimits)  # requests without a token, per client
    pdf_font: str = ""  # a TrueType CJK font for PDF tickets; empty: the first of printers.pdf.FONT_CANDIDATES
    post_watch_seconds: float = 5.0  # how often empty AB posts are looked for (空岗提醒)
    stats_workers: int = 1  # processes that fold the record for reports (never the halls' own)
    device_heartbeat_seconds: float = 15.0  # a quiet device channel says so this often
    # Slow clients (config/serving.py): a request must arrive whole within this many seconds;
    # at most this many connections of a process wait for their request head (0: from the
    # open-files limit).
    request_read_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 20.0
    # How long a request waits for the database (a connection, the hall's thread, a new
    # connection to PostgreSQL) before it is answered 503, nothing done.
    database_wait_seconds: Annotated[float, msgspec.Meta(ge=1, le=120)] = 10.0
    unfinished_requests: Annotated[int, msgspec.Meta(ge=0)] = 0
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "text"] = "json"
    # How long the audit trail keeps its entries (`hall audit prune`): at least six months (SZDB/Z 179 8.1.3).
    audit_keep_days: Annotated[int, msgspec.Meta(ge=183)] = 365

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'hall.db'}"

    def secret(self) -> bytes:
        """The key that signs staff tokens; every process of a deployment must share it."""
        if self.secret_key:
            return self.secret_key.encode()
        path = Path(self.data_dir) / "secret.key"
        if not path.exists():
            # Several workers may start at once: each writes its own file and links it into
            # place; the first link wins and everyone reads the winner's key.
            path.parent.mkdir(parents=True, exist_ok=True)
            draft = path.with_name(f".secret.key.{os.getpid()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(os.urandom(32).hex())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text().strip().encode()


_ENV: dict[str, tuple[str, type]] = {
    "HALL_FILES": ("halls", list),
    "HALL_DATA_DIR": ("data_dir", str),
    "DATABASE_URL": ("database_url", str),
    "REDIS_URL": ("redis_url", str),
    "HALL_SECRET_KEY": ("secret_key", str),
    "HALL_HOST": ("host", str),
    "HALL_PORT": ("port", int),
    "HALL_WORKERS": ("workers", int),
    "HALL_PUBLIC_URL": ("public_url", str),
    "HALL_DEVICE_HEARTBEAT": ("device_heartbeat_seconds", float),
    "HALL_PDF_FONT": ("pdf_font", str),
    "HALL_REQUEST_READ_SECONDS": ("request_read_seconds", float),
    "HALL_DATABASE_WAIT_SECONDS": ("database_wait_seconds", float),
    "HALL_UNFINISHED_REQUESTS": ("unfinished_requests", int),
    "HALL_POST_WATCH": ("post_watch_seconds", float),
    "HALL_STATS_WORKERS": ("stats_workers", int),
    "HALL_LOG_LEVEL": ("log_level", str),
    "HALL_LOG_FORMAT": ("log_format", str),
    "HALL_AUDIT_KEEP_DAYS": ("audit_keep_days", int),
}


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Defaults < settings file (``path`` or $HALL_SETTINGS) < environment < ``overrides``."""
    env = dict(os.environ if env is None else env)
    values: dict[str, object] = {}
    source = "defaults"
    path = path or env.get("HALL_SETTINGS")
    if path:
        source = str(path)
        try:
            values.update(msgspec.toml.decode(Path(path).read_bytes()))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the settings file: {exc.strerror}") from None
        except msgspec.DecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for variable, (field, kind) in _ENV.items():
        if variable in env and env[variable] != "":
            raw = env[variable]
            values[field] = raw.split(os.pathsep) if kind is list else raw
            source = f"{source} + ${variable}" if variable not in source else source
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(values, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {field_first(str(exc))}") from None
