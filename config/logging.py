"""Structured logs: one JSON object per line, personal data masked before it is written.

Every record goes through ``MaskingFilter``: ID numbers and mobile numbers anywhere in
the message or the extra fields are masked, and fields that hold names are masked as
names. Nothing personal reaches a log file in clear.
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.config
from typing import Any

import msgspec

from config.privacy import mask_name, mask_text

__all__ = ["JsonFormatter", "MaskingFilter", "configure_logging", "logging_config"]

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName", "color_message"}
NAME_FIELDS = frozenset({"citizen", "citizen_name", "applicant", "contact"})  # extra fields holding names


_masked: dict[str, str] = {}  # short texts already masked: a hall's log lines repeat the same few
_MEMO_LENGTH = 64


def _masked_text(text: str) -> str:
    masked = _masked.get(text)
    if masked is None:
        masked = mask_text(text)
        if len(text) <= _MEMO_LENGTH:
            if len(_masked) >= 4096:
                _masked.clear()
            _masked[text] = masked
    return masked


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _masked_text(record.getMessage())
        record.args = ()
        attributes = vars(record)
        for key in attributes.keys() - _STANDARD:  # the extra fields (changed in place: their order stays)
            value = attributes[key]
            if isinstance(value, str):
                attributes[key] = mask_name(value) if key in NAME_FIELDS else _masked_text(value)
        return True


class JsonFormatter(logging.Formatter):
    _encoder = msgspec.json.Encoder()

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None})
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return self._encoder.encode(entry).decode()


def _text_format() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")


def logging_config(level: str = "INFO", fmt: str = "json") -> dict[str, Any]:
    """A dictConfig for our loggers and uvicorn's, all through the masking filter."""
    formatter = {"()": JsonFormatter} if fmt == "json" else {"()": _text_format}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["mask"], "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"mask": {"()": MaskingFilter}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "loggers": {
            "hall": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.error": {"handlers": ["main"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": ["main"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["main"], "level": "WARNING"},
    }


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    logging.config.dictConfig(logging_config(level, fmt))
