"""Telling booked citizens things (预约通知): confirmations, reminders, cancellations.

A ``Message`` goes through a ``Notifier``: ``LogNotifier`` (the default, nothing leaves the
server), ``SmtpNotifier`` (e-mail), ``SmsNotifier`` (an HTTP SMS gateway, 短信网关) or ``FanOut``
(several at once). The phone number and the e-mail address are only ever in clear inside a
sender, on their way out; every log line and every ``NotifyError`` shows them masked.
"""

from __future__ import annotations

import asyncio
import email.errors
import http.client
import logging
import re
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Literal, Protocol

import msgspec

from config.privacy import mask_code, mask_phone, mask_text

__all__ = [
    "FanOut",
    "FanOutError",
    "LogNotifier",
    "Message",
    "MessageKind",
    "Notifier",
    "NotifierSettings",
    "NotifyError",
    "SmsNotifier",
    "SmsSettings",
    "SmtpNotifier",
    "SmtpSettings",
    "build_notifier",
    "mask_email",
]

log = logging.getLogger("hall.appointments")

MessageKind = Literal["confirmation", "reminder", "cancelled", "cancelled_by_hall", "refused", "phone_code"]
_ANSWER_CHARS = 200  # how much of a server's answer an error quotes
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def mask_email(value: str) -> str:
    """``zhang.san@example.com`` -> ``z***@example.com``: the first character and the domain."""
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at:
        return value[:1] + "***" if value else ""
    return f"{local[:1]}***@{domain}"


def _fields_repr(struct: msgspec.Struct, hidden: dict[str, object]) -> str:
    shown = (f"{name}={hidden.get(name, getattr(struct, name))!r}" for name in struct.__struct_fields__)
    return f"{type(struct).__name__}({', '.join(shown)})"


class Message(msgspec.Struct, frozen=True, kw_only=True):
    """One notice to one citizen (通知): Chinese first, English may follow."""

    kind: MessageKind
    to_phone: str  # clear text: only a sender reads it, nothing logs it
    to_email: str = ""
    subject: str
    text: str
    booking_code: str  # 预约编号
    passcode: str = ""  # a one-time code (验证码) to the phone, in ``text`` too: only ``LogNotifier`` logs it

    def __repr__(self) -> str:
        # A Message in a traceback or a debug print must not carry the contacts (or a code) in clear.
        hidden = {"to_phone": mask_phone(self.to_phone), "to_email": mask_email(self.to_email)}
        if self.passcode:
            hidden.update(passcode="******", text=self.text.replace(self.passcode, "******"))
        return _fields_repr(self, hidden)


class NotifyError(Exception):
    """A notice could not be sent; the text names the server, never a recipient in clear."""


class FanOutError(NotifyError):
    """Some of a ``FanOut``'s channels failed; ``succeeded`` of them did not."""

    def __init__(self, errors: Sequence[NotifyError], succeeded: int) -> None:
        self.errors = tuple(errors)
        self.succeeded = succeeded
        total = succeeded + len(self.errors)
        super().__init__(f"{len(self.errors)} of {total} channels failed: " + "; ".join(map(str, self.errors)))


class Notifier(Protocol):
    async def send(self, message: Message) -> None:
        """Send the message, or raise ``NotifyError``."""
        ...


def _scrub(text: str, message: Message) -> str:
    """A server's answer may echo the recipient or the text (with the booking code): mask them
    (and anything like one) before quoting."""
    address, phone = message.to_email.strip(), message.to_phone.strip()
    if message.booking_code:
        text = re.sub(re.escape(message.booking_code), mask_code(message.booking_code), text, flags=re.IGNORECASE)
    if message.passcode:
        text = text.replace(message.passcode, "******")
    if address:
        text = re.sub(re.escape(address), mask_email(address), text, flags=re.IGNORECASE)
    for clear in {phone, re.sub(r"\D", "", phone)}:  # "+86 138 1234 5678" may come back as 8613812345678
        if clear:
            text = text.replace(clear, mask_phone(clear))
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = " ".join(mask_text(text).split())
    return text if len(text) <= _ANSWER_CHARS else text[:_ANSWER_CHARS] + "…"


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{type(exc).__name__}: {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


class LogNotifier:
    """The default (仅记录日志): logs each notice, masked, and keeps the last ``keep`` in ``sent``.
    A one-time code is logged in clear, with the phone masked: nothing leaves the server, so the
    log is where whoever tries the hall (the demo) reads the code the phone would get."""

    keep = 100

    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message) -> None:
        phone, email = mask_phone(message.to_phone), mask_email(message.to_email)
        if message.passcode:
            log.info(
                "one-time code %s for phone %s",
                message.passcode,
                phone,
                extra={"notice": message.kind, "phone": phone, "passcode": message.passcode},
            )
        else:
            log.info(
                "notice %s for %s: phone %s, e-mail %s",
                message.kind,
                mask_code(message.booking_code),
                phone or "-",
                email or "-",
                extra={
                    "notice": message.kind,
                    "booking_code": mask_code(message.booking_code),
                    "phone": phone,
                    "email": email,
                },
            )
        self.sent.append(message)
        del self.sent[: -self.keep]


# --- e-mail ---------------------------------------------------------------------------------------


class SmtpSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[notify.smtp]``: the mail relay (邮件服务器) and the sender address."""

    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""  # "示范区政务服务中心 <noreply@zwfw.example.gov.cn>"
    starttls: bool = True
    timeout: float = 10.0  # seconds, for each step of the conversation

    def __post_init__(self) -> None:
        if not self.host.strip():
            raise ValueError("smtp.host is needed")
        if not 1 <= self.port <= 65535:
            raise ValueError("smtp.port must be from 1 to 65535")
        if not self.sender.strip():
            raise ValueError("smtp.sender is needed, like 示范区政务服务中心 <noreply@zwfw.example.gov.cn>")
        if "@" not in parseaddr(self.sender)[1]:
            raise ValueError(f"smtp.sender {self.sender!r} is not an e-mail address")
        if bool(self.username) != bool(self.password):
            raise ValueError("smtp.username and smtp.password go together: give both or neither")
        if not 0 < self.timeout <= 120:
            raise ValueError("smtp.timeout must be more than 0 and at most 120 seconds")

    def __repr__(self) -> str:
        return _fields_repr(self, {"password": "***"} if self.password else {})


class SmtpNotifier:
    """E-mail through an SMTP relay; a message without ``to_email`` is skipped, not an error."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._from_addr = parseaddr(settings.sender)[1]
        self._where = f"SMTP {settings.host}:{settings.port}"

    def compose(self, message: Message) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.to_email.strip()
        mail["Subject"] = " ".join(message.subject.split())  # a header is one line
        mail["Date"] = formatdate(localtime=True)
        mail["Message-ID"] = make_msgid(domain=self._from_addr.rpartition("@")[2])  # no getfqdn(): it can be slow
        # base64, not 8bit: a relay that only speaks 7-bit must not mangle the Chinese.
        mail.set_content(message.text, charset="utf-8", cte="base64")
        return mail

    async def send(self, message: Message) -> None:
        recipient = message.to_email.strip()
        if not recipient:
            return
        try:
            mail = self.compose(message)
        except (ValueError, email.errors.MessageError):  # an address typed in by the citizen, unusable
            raise NotifyError(
                f"{message.kind} {mask_code(message.booking_code)} by e-mail: "
                f"the address {mask_email(recipient)} is not usable"
            ) from None
        try:
            await asyncio.to_thread(self._deliver, mail, recipient)
        except (OSError, smtplib.SMTPException) as exc:
            reason = _scrub(self._reason(exc), message)
            # from None: the original exception's text may hold the recipient in clear.
            raise NotifyError(
                f"{message.kind} {mask_code(message.booking_code)} by e-mail via {self._where}: {reason}"
            ) from None
        log.info(
            "e-mail %s for %s sent to %s via %s",
            message.kind,
            mask_code(message.booking_code),
            mask_email(recipient),
            self._where,
            extra={
                "notice": message.kind,
                "booking_code": mask_code(message.booking_code),
                "email": mask_email(recipient),
            },
        )

    def _deliver(self, mail: EmailMessage, recipient: str) -> None:
        s = self.settings
        with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
            if s.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password)
            smtp.send_message(mail, from_addr=self._from_addr, to_addrs=[recipient])

    def _reason(self, exc: BaseException) -> str:
        def said(code: int, text: bytes | str) -> str:
            return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"

        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            return "recipient refused: " + "; ".join(said(code, text) for code, text in exc.recipients.values())
        if isinstance(exc, smtplib.SMTPSenderRefused):
            return "sender refused: " + said(exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return "login refused: " + said(exc.smtp_code, exc.smtp_error)
        if isinstance(exc, smtplib.SMTPResponseException):
            return said(exc.smtp_code, exc.smtp_error)
        # smtplib turns a timeout waiting for a reply into SMTPServerDisconnected: look underneath.
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"timed out after {self.settings.timeout:g} s"
        return _os_reason(exc)


# --- SMS ------------------------------------------------------------------------------------------


class SmsSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[notify.sms]``: the HTTP SMS gateway (短信网关) and the signature (短信签名)."""

    url: str = ""
    api_key: str = ""  # sent as "Authorization: Bearer …"
    sign: str = ""  # 短信签名, put before every text: 【示范区政务服务中心】
    timeout: float = 10.0
    # The gateway also sends abroad (国际短信, an agreement of its own): numbers outside the
    # mainland (+852…) are sent to it. Off: they are skipped, said in the log, e-mail still goes.
    international: bool = False

    def __post_init__(self) -> None:
        if not self.url.strip():
            raise ValueError("sms.url is needed")
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"sms.url {self.url!r} must be an http:// or https:// address")
        if not self.api_key:
            raise ValueError("sms.api_key is needed")
        if not self.sign:
            raise ValueError("sms.sign is needed (短信签名), like 【示范区政务服务中心】")
        if not (self.sign.startswith("【") and self.sign.endswith("】") and len(self.sign) > 2):
            raise ValueError(f"sms.sign {self.sign!r} must be in 【】, like 【示范区政务服务中心】")
        if not 0 < self.timeout <= 120:
            raise ValueError("sms.timeout must be more than 0 and at most 120 seconds")

    def __repr__(self) -> str:
        return _fields_repr(self, {"api_key": "***"})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # urllib would follow a 302 as a GET without the body; for a gateway a redirect is an error.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class SmsNotifier:
    """Text messages through an HTTP gateway: POST JSON, any 2xx is accepted; a message without
    ``to_phone`` is skipped, and one to a number outside the mainland (E.164, +852…) unless the
    gateway sends abroad (``international``)."""

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings
        parts = urllib.parse.urlsplit(settings.url)
        self._where = f"SMS gateway {parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._opener = urllib.request.build_opener(_NoRedirect)

    async def send(self, message: Message) -> None:
        phone = message.to_phone.strip()
        if not phone:
            return
        if phone.startswith("+") and not self.settings.international:
            log.info(
                "SMS %s for %s not sent: %s is outside the mainland and the gateway sends there only "
                "with sms.international",
                message.kind,
                mask_code(message.booking_code),
                mask_phone(phone),
                extra={
                    "notice": message.kind,
                    "booking_code": mask_code(message.booking_code),
                    "phone": mask_phone(phone),
                },
            )
            return
        body = msgspec.json.encode(
            {
                "phone": phone,
                "text": self.settings.sign + message.text,
                "kind": message.kind,
                "reference": message.booking_code,
            }
        )
        await asyncio.to_thread(self._post, body, message)
        log.info(
            "SMS %s for %s sent to %s via %s",
            message.kind,
            mask_code(message.booking_code),
            mask_phone(phone),
            self._where,
            extra={"notice": message.kind, "booking_code": mask_code(message.booking_code), "phone": mask_phone(phone)},
        )

    def _post(self, body: bytes, message: Message) -> None:
        request = urllib.request.Request(
            self.settings.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.settings.api_key}",
            },
        )
        failed = f"{message.kind} {mask_code(message.booking_code)} by SMS via {self._where}"
        try:
            with self._opener.open(request, timeout=self.settings.timeout) as response:
                status, answer = response.status, response.read(_ANSWER_CHARS * 4)
        except urllib.error.HTTPError as exc:  # 3xx, 4xx, 5xx
            with exc:
                answer = exc.read(_ANSWER_CHARS * 4)
            said = _scrub(answer.decode("utf-8", "replace"), message)
            raise NotifyError(f"{failed}: HTTP {exc.code}: {said}") from None
        except urllib.error.URLError as exc:  # before OSError: it is one, with the cause in .reason
            reason = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
            raise NotifyError(f"{failed}: {_scrub(_os_reason(reason), message)}") from None
        except (OSError, http.client.HTTPException) as exc:  # a timeout or a dropped connection mid-answer
            raise NotifyError(f"{failed}: {_scrub(_os_reason(exc), message)}") from None
        if not 200 <= status < 300:  # 1xx never reaches here; kept so the rule reads in one place
            raise NotifyError(f"{failed}: HTTP {status}: {_scrub(answer.decode('utf-8', 'replace'), message)}")


# --- several channels, and the settings -----------------------------------------------------------


class FanOut:
    """One message through several notifiers at once (SMS and e-mail both); each skips what it
    cannot reach. Raises ``FanOutError`` if any failed, after all have tried."""

    def __init__(self, *notifiers: Notifier) -> None:
        self.notifiers = notifiers

    async def send(self, message: Message) -> None:
        results = await asyncio.gather(*(n.send(message) for n in self.notifiers), return_exceptions=True)
        errors: list[NotifyError] = []
        for result in results:
            if isinstance(result, NotifyError):
                errors.append(result)
            elif isinstance(result, BaseException):
                raise result  # a bug, not a delivery failure: don't fold it into the report
        if errors:
            raise FanOutError(errors, succeeded=len(results) - len(errors))


_NEEDS = {
    "smtp": 'kind "smtp" needs the smtp settings (smtp.host, smtp.sender, …)',
    "sms": 'kind "sms" needs the sms settings (sms.url, sms.api_key, sms.sign, …)',
}


class NotifierSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """``[notify]``: which notifier to use (通知方式) and its settings."""

    kind: Literal["log", "smtp", "sms"] = "log"
    smtp: SmtpSettings | None = None
    sms: SmsSettings | None = None

    def __post_init__(self) -> None:
        if self.kind != "log" and getattr(self, self.kind) is None:
            raise ValueError(_NEEDS[self.kind])


def build_notifier(settings: NotifierSettings) -> Notifier:
    # NotifierSettings already refuses a kind without its settings; the checks narrow the types.
    if settings.kind == "smtp":
        if settings.smtp is None:
            raise ValueError(_NEEDS["smtp"])
        return SmtpNotifier(settings.smtp)
    if settings.kind == "sms":
        if settings.sms is None:
            raise ValueError(_NEEDS["sms"])
        return SmsNotifier(settings.sms)
    return LogNotifier()
