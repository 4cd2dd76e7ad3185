"""Deployment settings: defaults, then a settings file, then environment variables.

The embedded default needs no server: a SQLite file under ``var/`` and in-process
channels. ``DATABASE_URL=postgresql://…`` and ``REDIS_URL=redis://…`` switch to the
servers. A wrong value stops the start-up with the file (or variable) and the field.

The demo (only the hall files shipped in ``config/halls/``) starts with nothing set: its key is
made in the data folder and its links name this server. Any other hall must be given its key
from outside the data folder (a backup of the folder must not carry the key that opens it) and
its public address (a Host header must not decide what a slip's QR code opens):
``check_deployment``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import msgspec

from appointments.notify import NotifierSettings
from config.halls import ConfigError, HallDefinition
from config.limits import ClientLimits
from printers.renderer import PdfSettings
from queueing.errors import field_first

__all__ = ["PROJECT_ROOT", "Settings", "check_deployment", "is_demo", "load_settings"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_HALLS = str(PROJECT_ROOT / "config" / "halls")


class Settings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    halls: list[str] = msgspec.field(default_factory=lambda: [DEMO_HALLS])  # hall files or folders
    data_dir: str = str(PROJECT_ROOT / "var")
    database_url: str = ""  # empty: sqlite:///<data_dir>/hall.db
    redis_url: str = ""  # empty: in-process channels
    secret_key: str = ""  # signs tokens, seals contacts, keys ID numbers; the demo: made in <data_dir>/secret.key
    secret_key_file: str = ""  # or a file holding it, outside the data folder
    old_secret_keys: list[str] = msgspec.field(default_factory=list)  # before a rotation: read, never written
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    public_url: str = ""  # how phones reach the server: every QR code and link; the demo: this server
    token_hours: int = 12
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    snapshot_every: int = 2000  # events between state snapshots
    notify: NotifierSettings = msgspec.field(default_factory=NotifierSettings)  # how citizens are told
    limits: ClientLimits = msgspec.field(default_factory=ClientLimits)  # requests without a token, per client
    pdf_font: str = ""  # a TrueType CJK font for PDF tickets; empty: the first of printers.pdf.FONT_CANDIDATES
    pdf: PdfSettings = msgspec.field(default_factory=PdfSettings)  # where and how many are drawn at once
    post_watch_seconds: float = 5.0  # how often empty AB posts are looked for (空岗提醒)
    stats_workers: int = 1  # processes that fold the record for reports (never the halls' own)
    # Threads that run the halls' work in a process; each commits what its halls have waiting
    # in one transaction (group commit across halls).
    hall_threads: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
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

    @property
    def public_base(self) -> str:
        """Where every absolute link points (QR codes, slips, PDFs, messages): ``public_url``,
        or for the demo this server as it was started (never a request's Host header)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0", "::") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}"

    def old_secrets(self) -> list[bytes]:
        """The keys before a rotation: what was sealed or keyed with them is still read."""
        return [key.encode() for key in self.old_secret_keys if key]

    def secret(self) -> bytes:
        """The key that signs staff tokens, seals contacts and keys ID numbers; every process
        of a deployment must share it. The demo's is made in its data folder."""
        if self.secret_key:
            return self.secret_key.encode()
        if self.secret_key_file:
            try:
                return Path(self.secret_key_file).read_text().strip().encode()
            except OSError as exc:
                raise ConfigError(f"secret_key_file: cannot read {self.secret_key_file}: {exc.strerror}") from None
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
    "HALL_SECRET_KEY_FILE": ("secret_key_file", str),
    "HALL_OLD_SECRET_KEYS": ("old_secret_keys", list),
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
    "HALL_THREADS": ("hall_threads", int),
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


_SHIPPED_HALLS = frozenset({"demo.toml"})  # the hall files the project ships in config/halls/


def is_demo(halls: Iterable[HallDefinition]) -> bool:
    """The demo: every hall served is a file the project ships in ``config/halls/`` (a copy
    of one anywhere else, or another file dropped beside it, is a real hall)."""
    shipped = {Path(DEMO_HALLS) / name for name in _SHIPPED_HALLS}
    return all(Path(hall.path).resolve() in shipped for hall in halls)


def check_deployment(settings: Settings, halls: Iterable[HallDefinition]) -> None:
    """A real hall does not start with its key in its data folder or its links left to the
    Host header of whoever asks: a ``ConfigError`` naming the setting."""
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"HALL_PUBLIC_URL (public_url): {settings.public_url!r} is not an http(s) address")
    if is_demo(halls):
        return
    if not (settings.secret_key or settings.secret_key_file):
        raise ConfigError(
            "HALL_SECRET_KEY or HALL_SECRET_KEY_FILE (secret_key, secret_key_file in the settings file) must be set "
            "for a hall other than the demo: the key that seals contacts and keys ID numbers must not be kept in "
            f"the data folder ({settings.data_dir}), where every backup of it would carry it"
        )
    if settings.secret_key_file:
        key_file, data = Path(settings.secret_key_file).resolve(), Path(settings.data_dir).resolve()
        if key_file.is_relative_to(data):
            raise ConfigError(
                f"HALL_SECRET_KEY_FILE (secret_key_file): {settings.secret_key_file} is inside the data folder "
                f"({settings.data_dir}); keep the key elsewhere, out of the folder's backups"
            )
    for name, key in (
        ("HALL_SECRET_KEY", settings.secret()),
        *(("HALL_OLD_SECRET_KEYS", k) for k in settings.old_secrets()),
    ):
        if len(key) < 16:
            raise ConfigError(
                f"{name}: a key of at least 16 characters (make one: python -c "
                "'import secrets; print(secrets.token_hex(32))')"
            )
    made_here = Path(settings.data_dir) / "secret.key"
    if made_here.exists() and made_here.read_text().strip().encode() not in (
        settings.secret(),
        *settings.old_secrets(),
    ):
        raise ConfigError(
            f"{made_here}: the key this hall ran with so far (its bookings' contacts are sealed with it) is neither "
            "HALL_SECRET_KEY nor in HALL_OLD_SECRET_KEYS: move the file out of the data folder and name it in "
            "HALL_SECRET_KEY_FILE, or list it in HALL_OLD_SECRET_KEYS and run hall rekey"
        )
    if not settings.public_url:
        raise ConfigError(
            "HALL_PUBLIC_URL (public_url in the settings file) must be set for a hall other than the demo: "
            "the address phones reach the hall at (https://queue.example.gov.cn), in every QR code and link"
        )
