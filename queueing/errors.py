"""Refusals: the core's way of saying no, precisely.

A refusal names the ticket, the counter, the state and the action, in English for
integrators and logs and in Chinese for the person at the kiosk or the counter. The
HTTP layer maps the kinds to 403, 404, 409 and 422; nothing is recorded when one is
raised.
"""

from __future__ import annotations

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "Refusal", "Unavailable", "field_first"]


def field_first(validation: str) -> str:
    """msgspec says "Expected `int`, got `str` - at `$.counters[0].number`"; a person reads
    the field first: "counters[0].number: Expected `int`, got `str`" (files, settings, requests)."""
    message, sep, where = validation.rpartition(" - at `")
    if not sep:
        return validation
    return f"{where.rstrip('`').removeprefix('$.')}: {message}"


class Refusal(Exception):
    """A command the hall's rules do not allow. Nothing was changed."""

    status_code = 409
    code = "refused"

    def __init__(self, message: str, message_zh: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh or message
        # Events recorded before the refusal (a day rollover): still to be kept.
        self.recorded: list = []


class NotFound(Refusal):
    """The hall, ticket, counter or item named does not exist."""

    status_code = 404
    code = "not_found"


class Forbidden(Refusal):
    """The actor may not do this here (a clerk acting at a counter he is not signed in at)."""

    status_code = 403
    code = "forbidden"


class Conflict(Refusal):
    """The step is not allowed in the current state (complete a ticket nobody serves…)."""

    status_code = 409
    code = "conflict"


class Invalid(Refusal):
    """The request itself is malformed or names something unusable (unknown item…)."""

    status_code = 422
    code = "invalid"


class Unavailable(Refusal):
    """The hall cannot act just now (its database stalls): nothing was done; try again shortly."""

    status_code = 503
    code = "unavailable"
    logged = True  # a line in the log for each (an outage); load shed on purpose need not say so
