"""Reading the project's TOML files (hall files, scenarios, voice packs) into their types, with
errors that name the file and the field first. I/O: the queue rules never call it."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import msgspec

from queueing.errors import field_first

__all__ = ["read_toml"]

T = TypeVar("T")


def read_toml(path: Path, into: type[T], what: str, error: type[Exception]) -> tuple[T, bytes]:
    """``path`` decoded as ``into``, and its bytes; ``error`` says "{path}: cannot read {what}",
    "{path}: field: problem" or "{path}: not valid TOML"."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    try:
        return msgspec.toml.decode(raw, type=into), raw
    except msgspec.ValidationError as exc:
        raise error(f"{path}: {field_first(str(exc))}") from None
    except msgspec.DecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
