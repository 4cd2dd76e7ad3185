"""Recording every change made over HTTP, by construction: each POST, PUT, PATCH and DELETE
leaves one ``audit_entry`` with who (the token's staff member or device, or an anonymous
citizen), when, from where (the client's address), what (the method and the route's path
template, the path's parameters as the target) and the outcome (ok, or the refusal's status).

What a handler's ``opt`` says changes that (``config.audit.marks``): the hall's record keeps
the queue's actions, a computation changes nothing, the sign-in names its attempted user.

- Staff and devices: their request's body (as far as the handler read it: a request its guard
  refused has none) is kept in the details, secrets dropped and personal data masked, cut to
  ``DETAILS_BYTES``. Citizens: no body, ever.
- Refusals: recorded for a known staff member or device. An anonymous refusal only at the
  sign-in: its wrong passwords are bounded by the sign-in throttle, anything else there
  (throttled, malformed) to one entry per address a minute and sixty a minute in all, so that
  nobody can fill the disk with refusals.
- The entry is written once the change is done, in a transaction of its own, before the
  answer's last byte (whoever heard "ok" finds it); a trail that cannot be written costs one
  log line, never the change or its answer.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from config.audit.marks import AUDIT, CHANGES_NOTHING, IN_HALL_RECORD, RECORDS_ITSELF, SIGN_IN
from config.audit.schemas import AuditEntry
from config.audit.store import AuditStore
from config.database import in_thread, own_deadline
from config.privacy import mask_code, mask_id_number, mask_name, mask_phone, mask_text

__all__ = ["DETAILS_BYTES", "AuditMiddleware", "masked_body"]

log = logging.getLogger("hall.audit")

MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DETAILS_BYTES = 4096  # a request's body in the trail: a week's roster fits, a scenario is cut
# Sign-in refusals other than wrong passwords (throttled, malformed): one entry a minute per
# address, and no more than this many a minute from everywhere together.
_QUIET_SECONDS = 60.0
_LOUD_PER_MINUTE = 60

_SECRET_KEY = re.compile(r"(?i)password|token|secret|rating_key")  # never kept, not even masked
# A person booked for or who rates: kept by their own rules (anonymised after keep_personal_days),
# not for the trail's year, even masked; the trail says only that one was given.
_PERSON_KEY = re.compile(r"(?i)^(person|agent|email|e_mail)$")
# Path values that are credentials: a booking code opens the booking, a ticket id rates it.
_SECRET_PARAMS = {"code": mask_code, "ticket_id": mask_code}
# Keys whose values are personal data, and how each is masked (the rest: mask_text over all).
_MASKS: tuple[tuple[Callable[[str], bool], Callable[[str], str]], ...] = (
    (lambda key: key == "name" or (key.endswith("_name") and key != "username"), mask_name),
    (lambda key: "id_number" in key or key.startswith("document_number"), mask_id_number),
    (lambda key: "phone" in key or "mobile" in key or "contact" in key, mask_phone),
)
_SIGN_IN_REASONS = {
    401: "wrong hall, username or password",
    429: "throttled: too many failed sign-ins",
}
_template = re.compile(r"\{(\w+):[^}]*\}")
_UNDECIDED = object()  # no route seen yet
_CHANGES_NOTHING, _SIGN_IN, _HALL_RECORD = CHANGES_NOTHING[AUDIT], SIGN_IN[AUDIT], IN_HALL_RECORD[AUDIT]
_ELSEWHERE = frozenset({IN_HALL_RECORD[AUDIT], RECORDS_ITSELF[AUDIT]})  # only their refusals are recorded here


def _operation(scope: Scope) -> str:
    """The method and the route's path template: "PUT /api/halls/{hall}/roster/{day}"."""
    path = _template.sub(r"{\1}", scope.get("path_template") or scope["path"])
    return f"{scope['method']} {path}"


def _clean(value: object) -> object:
    if isinstance(value, dict):
        kept: dict[str, object] = {}
        for key, item in value.items():
            name = str(key).lower()
            if _SECRET_KEY.search(name):
                continue
            if _PERSON_KEY.match(name):
                kept[key] = "(given, not kept here)" if item else item
                continue
            mask = next((m for matches, m in _MASKS if matches(name)), None)
            if mask and isinstance(item, int | float) and not isinstance(item, bool):
                item = _digits(item)  # a phone or ID number sent as a number is masked as one
            kept[key] = mask(item) if mask and isinstance(item, str) else _clean(item)
        return kept
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value


def masked_body(body: bytes) -> dict[str, object]:
    """A request's JSON body as the trail keeps it: no password, token or secret; ID numbers,
    phones and names masked by their keys, anything else that looks like one by its shape;
    cut to ``DETAILS_BYTES``."""
    if not body:
        return {}
    try:
        kept = _masked(_clean(msgspec.json.decode(body)))
        text = msgspec.json.encode(kept).decode()
    except (msgspec.DecodeError, RecursionError):
        return {"body_bytes": len(body)}  # not JSON: its size only
    if len(text) > DETAILS_BYTES:
        return {"body": text[:DETAILS_BYTES], "cut": len(text)}
    return {"body": kept}


def _masked(value: object) -> object:
    """``mask_text`` over each string, key and number of a decoded body. Not over its JSON
    text: a number of 18 digits masked in place (1000**********0000) broke the JSON, and the
    answer with it, after its first bytes had gone (schemathesis found it)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {mask_text(str(key)): _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        shown = mask_text(_digits(value))
        return value if shown == _digits(value) else shown
    return value


def _digits(number: int | float) -> str:
    """A number as its digits: 110101199003077777.0 as 110101199003077777, not 1.1010119900307778e+17
    (which keeps sixteen of them past any mask)."""
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


class AuditMiddleware:
    """Records each change made over HTTP once it has been answered (see the module).

    Litestar builds one middleware stack per route handler: the route's mark is read on its
    first request and kept. A request with nothing to record (a change that records itself or
    is in the hall's record, made without a token; a computation) passes untouched; one whose
    change is recorded elsewhere is watched for its status only, in case it is refused."""

    def __init__(self, app: ASGIApp, store: AuditStore, clock: Callable[[], object]) -> None:
        self.app, self.store, self.clock = app, store, clock
        self._quiet_until: dict[str, float] = {}  # address -> when its next sign-in refusal is kept
        self._minute_ends, self._kept = 0.0, 0  # the sign-in refusals kept this minute
        self._handler: object = _UNDECIDED
        self._mark: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        if handler is not self._handler:
            self._handler, self._mark = handler, handler.opt.get(AUDIT) if handler is not None else None
        mark = self._mark
        principal = scope.get("user")
        elsewhere = mark in _ELSEWHERE
        if mark == _CHANGES_NOTHING or (elsewhere and principal is None):  # nothing it could record
            await self.app(scope, receive, send)
            return
        keep_body = mark != _HALL_RECORD and (principal is not None or mark == _SIGN_IN)
        body = bytearray()
        status, recorded = 500, False  # unless the answer says otherwise

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < 2**20:
                body.extend(message.get("body", b""))
            return message

        async def sending(message: Message) -> None:
            nonlocal status, recorded
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body") and not recorded:
                recorded = True  # before the answer's end: whoever heard "ok" finds the entry
                if not (elsewhere and status < 400):
                    await self._record(scope, mark, status, bytes(body))
            await send(message)

        await self.app(scope, receiving if keep_body else receive, sending)
        if not recorded:  # no answer at all (the client left)
            await self._record(scope, mark, status, bytes(body))

    async def _record(self, scope: Scope, mark: str | None, status: int, body: bytes) -> None:
        entry = self._entry(scope, mark, status, body)
        if entry is None:
            return
        try:
            with own_deadline():  # after a change: bounded, not held with it (its failure said below)
                await in_thread(self.store.add, entry)
        except Exception as exc:  # the change stands: say so, once, and answer as it deserves
            log.error("audit entry not written: %s %s %s: %s", entry.actor, entry.action, entry.outcome, exc)

    def _entry(self, scope: Scope, mark: str | None, status: int, body: bytes) -> AuditEntry | None:
        principal = scope.get("user")
        ok = status < 400
        outcome = "ok" if ok else str(status)
        client = scope.get("client")
        address = client[0] if client else ""
        if status == 503:  # the database out of reach: nothing changed, nor can it be recorded (said once)
            return None
        if mark == SIGN_IN[AUDIT]:
            return self._sign_in(scope, status, body, address)
        recorded_elsewhere = mark in (IN_HALL_RECORD[AUDIT], RECORDS_ITSELF[AUDIT])
        if (recorded_elsewhere and ok) or (principal is None and not ok):
            return None
        params = scope.get("path_params", {})
        hall = params.get("hall", "")
        base = {
            # a route of no hall (one's own password) is of the caller's hall
            "hall": hall if isinstance(hall, str) and hall else (principal.hall if principal else ""),
            "at": self.clock(),
            "action": _operation(scope),
            "target": " ".join(
                f"{key}={_SECRET_PARAMS[key](str(value)) if key in _SECRET_PARAMS else value}"
                for key, value in params.items()
                if key != "hall"
            ),
            "outcome": outcome,
            "address": address,
        }
        if principal is None:  # a citizen: what, to what, from where, and how it went; nothing he sent
            return AuditEntry(actor_kind="citizen", **base)  # type: ignore[arg-type]
        return AuditEntry(
            actor_kind=principal.kind,
            actor=principal.name,
            role=str(principal.role),
            details=masked_body(body),
            **base,  # type: ignore[arg-type]
        )

    def _sign_in(self, scope: Scope, status: int, body: bytes, address: str) -> AuditEntry | None:
        if status not in (200, 401) and not self._first_in_a_while(address):
            return None
        try:
            attempt = msgspec.json.decode(body) if body else {}
        except (msgspec.DecodeError, RecursionError):
            attempt = {}
        attempt = attempt if isinstance(attempt, dict) else {}
        hall, username = str(attempt.get("hall", "")), str(attempt.get("username", ""))
        book = scope["auth"].book
        known_hall = book.knows(hall)
        staff = book.staff(hall, username) if known_hall and status == 200 else None
        return AuditEntry(
            hall=hall if known_hall else "",
            at=self.clock(),  # type: ignore[arg-type]
            actor_kind="staff",
            actor=username,
            role=staff.role if staff is not None else "",
            address=address,
            action="auth.login" if status == 200 else "auth.login_failed",
            target="" if known_hall else f"hall={hall}",
            outcome="ok" if status == 200 else str(status),
            details={} if status == 200 else {"reason": _SIGN_IN_REASONS.get(status, "malformed request")},
        )

    def _first_in_a_while(self, address: str) -> bool:
        now = time.monotonic()
        if now >= self._minute_ends:
            self._minute_ends, self._kept = now + 60.0, 0
            self._quiet_until = {a: t for a, t in self._quiet_until.items() if t > now}
        if self._kept >= _LOUD_PER_MINUTE or self._quiet_until.get(address, 0.0) > now:
            return False
        self._kept += 1
        self._quiet_until[address] = now + _QUIET_SECONDS
        return True
