"""Notices to booked citizens, through real stand-ins: a small SMTP server and an HTTP SMS gateway."""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import http.client
import http.server
import json
import logging
import re
import socket
import socketserver
import threading
from collections.abc import Iterator

import msgspec
import pytest

from appointments.notify import (
    FanOut,
    FanOutError,
    LogNotifier,
    Message,
    NotifierSettings,
    NotifyError,
    SmsNotifier,
    SmsSettings,
    SmtpNotifier,
    SmtpSettings,
    build_notifier,
    mask_email,
)
from config.privacy import mask_code
from tests.support import logged

PHONE = "13812345678"
EMAIL = "zhang.san@example.com"
CODE = "YY20261123-0042"
SENDER = "示范区政务服务中心 <noreply@zwfw.example.gov.cn>"
SIGN = "【示范区政务服务中心】"
MESSAGE = Message(
    kind="confirmation",
    to_phone=PHONE,
    to_email=EMAIL,
    subject="预约成功：11月23日 09:00 社保业务",
    text=f"您已预约11月23日 09:00-09:30 社保业务，预约编号 {CODE}。\nBooking {CODE} confirmed.",
    booking_code=CODE,
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(server: socketserver.BaseServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def hall_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with logged(caplog, "hall.appointments") as captured:
        yield captured


# --- an SMTP stand-in: just enough of RFC 5321 for smtplib -----------------------------------------


class Mail(msgspec.Struct):
    mail_from: str
    rcpt_to: list[str]
    data: bytes


class SmtpStandIn(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.received: list[Mail] = []
        self.logins: list[tuple[str, str]] = []
        self.refuse: set[str] = set()

    @property
    def port(self) -> int:
        return self.server_address[1]


class _SmtpSession(socketserver.StreamRequestHandler):
    server: SmtpStandIn

    def reply(self, *lines: str) -> None:
        # A multi-line reply: "250-…" on every line but the last.
        *first, last = lines
        self.wfile.write("".join(f"{line.replace(' ', '-', 1)}\r\n" for line in first).encode())
        self.wfile.write(f"{last}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 stand-in ESMTP")
        mail_from, rcpt_to = "", []
        while line := self.rfile.readline():
            verb, _, arg = line.decode("utf-8", "replace").rstrip("\r\n").partition(" ")
            address = m.group(1) if (m := re.search(r"<([^>]*)>", arg)) else ""
            match verb.upper():
                case "EHLO":
                    self.reply("250 stand-in", "250 8BITMIME", "250 AUTH PLAIN")
                case "HELO" | "NOOP":
                    self.reply("250 OK")
                case "AUTH":
                    _, user, password = base64.b64decode(arg.split()[1]).decode().split("\0")
                    self.server.logins.append((user, password))
                    self.reply("235 2.7.0 Authentication successful")
                case "MAIL":
                    mail_from, rcpt_to = address, []
                    self.reply("250 OK")
                case "RCPT" if address in self.server.refuse:
                    self.reply(f"550 5.1.1 <{address}>: Recipient address rejected")
                case "RCPT":
                    rcpt_to.append(address)
                    self.reply("250 OK")
                case "DATA" if not rcpt_to:
                    self.reply("503 5.5.1 RCPT first")
                case "DATA":
                    self.reply("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)  # undo dot-stuffing
                    self.server.received.append(Mail(mail_from, rcpt_to, b"".join(lines)))
                    mail_from, rcpt_to = "", []
                    self.reply("250 OK queued")
                case "RSET":
                    mail_from, rcpt_to = "", []
                    self.reply("250 OK")
                case "QUIT":
                    self.reply("221 Bye")
                    return
                case _:
                    self.reply("502 5.5.2 Command not recognised")


@pytest.fixture
def smtp_server() -> Iterator[SmtpStandIn]:
    server = SmtpStandIn()
    for _ in _serve(server):
        yield server


def _smtp(port: int, **changes: object) -> SmtpNotifier:
    settings = SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, starttls=False, timeout=2.0)
    return SmtpNotifier(msgspec.structs.replace(settings, **changes))


def test_a_confirmation_goes_out_by_email(smtp_server: SmtpStandIn, hall_log: pytest.LogCaptureFixture) -> None:
    asyncio.run(_smtp(smtp_server.port, username="hall", password="s3cret").send(MESSAGE))

    assert smtp_server.logins == [("hall", "s3cret")]
    [mail] = smtp_server.received
    assert mail.mail_from == "noreply@zwfw.example.gov.cn" and mail.rcpt_to == [EMAIL]
    assert mail.data.isascii()  # encoded for any relay, 7-bit or not
    parsed = email.message_from_bytes(mail.data, policy=email.policy.default)
    assert parsed["Subject"] == MESSAGE.subject
    assert parsed["To"] == EMAIL
    assert parsed["From"].addresses[0].display_name == "示范区政务服务中心"
    assert parsed["Date"].datetime is not None
    assert parsed["Message-ID"].endswith("@zwfw.example.gov.cn>")
    assert parsed.get_content_charset() == "utf-8"
    body = parsed.get_content()
    assert CODE in body and "社保业务" in body
    assert "z***@example.com" in hall_log.text and EMAIL not in hall_log.text


def test_a_refused_recipient_is_named_masked(smtp_server: SmtpStandIn) -> None:
    smtp_server.refuse.add(EMAIL)
    with pytest.raises(NotifyError) as caught:
        asyncio.run(_smtp(smtp_server.port).send(MESSAGE))
    text = str(caught.value)
    assert f"127.0.0.1:{smtp_server.port}" in text and "550" in text and "z***@example.com" in text
    assert EMAIL not in text and caught.value.__cause__ is None and caught.value.__suppress_context__


def test_smtp_to_a_closed_port_names_host_and_port() -> None:
    port = _closed_port()
    with pytest.raises(NotifyError, match=rf"SMTP 127\.0\.0\.1:{port}: .*refused") as caught:
        asyncio.run(_smtp(port).send(MESSAGE))
    assert EMAIL not in str(caught.value)


def test_a_silent_smtp_server_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never greets
        port = silent.getsockname()[1]
        with pytest.raises(NotifyError, match=rf"127\.0\.0\.1:{port}: timed out after 0\.3 s"):
            asyncio.run(_smtp(port, timeout=0.3).send(MESSAGE))


def test_an_unusable_address_is_a_notify_error() -> None:
    bad = msgspec.structs.replace(MESSAGE, to_email="zhang.san@example.com\nBcc: x@example.org")
    with pytest.raises(NotifyError, match=r"the address z\*\*\*@.* is not usable"):
        asyncio.run(_smtp(_closed_port()).send(bad))


def test_a_message_without_email_is_skipped() -> None:
    asyncio.run(_smtp(_closed_port()).send(msgspec.structs.replace(MESSAGE, to_email="")))  # no connection tried


# --- an SMS gateway stand-in ----------------------------------------------------------------------


class GatewayStandIn(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Gateway)
        self.requests: list[tuple[str, http.client.HTTPMessage, bytes]] = []
        self.answer: tuple[int, str] = (200, '{"ok": true, "id": "m-1"}')

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/send"


class _Gateway(http.server.BaseHTTPRequestHandler):
    server: GatewayStandIn

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append((self.path, self.headers, body))
        status, answer = self.server.answer
        data = answer.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        if 300 <= status < 400:
            self.send_header("Location", "/elsewhere")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayStandIn]:
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # 127.0.0.1 must be reached directly
    server = GatewayStandIn()
    for _ in _serve(server):
        yield server


def _sms(url: str) -> SmsNotifier:
    return SmsNotifier(SmsSettings(url=url, api_key="test-key", sign=SIGN, timeout=2.0))


def test_a_confirmation_goes_out_by_sms(gateway: GatewayStandIn, hall_log: pytest.LogCaptureFixture) -> None:
    asyncio.run(_sms(gateway.url).send(MESSAGE))

    [(path, headers, body)] = gateway.requests
    assert path == "/v1/send"
    assert headers["Authorization"] == "Bearer test-key"
    assert headers["Content-Type"].startswith("application/json")
    sent = json.loads(body)
    assert sent == {"phone": PHONE, "text": SIGN + MESSAGE.text, "kind": "confirmation", "reference": CODE}
    assert sent["text"].startswith("【示范区政务服务中心】您已预约")
    assert "138****5678" in hall_log.text and PHONE not in hall_log.text


def test_a_gateway_error_is_reported_without_the_phone(gateway: GatewayStandIn) -> None:
    gateway.answer = (500, '{"error": "number 13812345678 (+86 13812345678) is blocked"}')
    with pytest.raises(NotifyError) as caught:
        asyncio.run(_sms(gateway.url).send(MESSAGE))
    text = str(caught.value)
    assert "HTTP 500" in text and "is blocked" in text and "138****5678" in text
    assert PHONE not in text and "test-key" not in text


def test_a_gateway_echoing_the_text_does_not_put_the_booking_code_in_the_error(gateway: GatewayStandIn) -> None:
    gateway.answer = (400, json.dumps({"error": "rejected", "text": MESSAGE.text, "ref": CODE.lower()}))
    with pytest.raises(NotifyError) as caught:
        asyncio.run(_sms(gateway.url).send(MESSAGE))
    text = str(caught.value)
    assert "rejected" in text and mask_code(CODE) in text  # the error still names which booking
    assert CODE not in text.upper().replace(mask_code(CODE), "")


def test_a_gateway_redirect_is_an_error(gateway: GatewayStandIn) -> None:
    gateway.answer = (302, "moved")
    with pytest.raises(NotifyError, match="HTTP 302"):
        asyncio.run(_sms(gateway.url).send(MESSAGE))
    assert len(gateway.requests) == 1  # not followed as a GET


def test_a_closed_gateway_port_is_an_error() -> None:
    port = _closed_port()
    with pytest.raises(NotifyError, match=rf"SMS gateway 127\.0\.0\.1:{port}: .*refused") as caught:
        asyncio.run(_sms(f"http://127.0.0.1:{port}/v1/send").send(MESSAGE))
    assert PHONE not in str(caught.value)


def test_a_message_without_phone_is_skipped(gateway: GatewayStandIn) -> None:
    asyncio.run(_sms(gateway.url).send(msgspec.structs.replace(MESSAGE, to_phone="")))
    assert gateway.requests == []


def test_a_number_outside_the_mainland_goes_by_sms_only_where_the_gateway_sends_abroad(
    gateway: GatewayStandIn, hall_log: pytest.LogCaptureFixture
) -> None:
    abroad = msgspec.structs.replace(MESSAGE, to_phone="+85261234567")
    asyncio.run(_sms(gateway.url).send(abroad))
    assert gateway.requests == []  # a mainland gateway: skipped, and said so (masked)
    assert "outside the mainland" in hall_log.text and "+852****4567" in hall_log.text
    assert "+85261234567" not in hall_log.text
    settings = SmsSettings(url=gateway.url, api_key="test-key", sign=SIGN, timeout=2.0, international=True)
    asyncio.run(SmsNotifier(settings).send(abroad))
    [(_path, _headers, body)] = gateway.requests
    assert json.loads(body)["phone"] == "+85261234567"


# --- the log notifier, fan-out, settings -----------------------------------------------------------


def test_the_log_notifier_logs_masked_contacts(hall_log: pytest.LogCaptureFixture) -> None:
    notifier = LogNotifier()
    asyncio.run(notifier.send(MESSAGE))

    assert notifier.sent == [MESSAGE]
    [record] = hall_log.records
    assert record.name == "hall.appointments" and record.levelno == logging.INFO
    # The booking code opens the booking: the log keeps enough of it to match a complaint.
    assert "confirmation" in record.getMessage() and mask_code(CODE) in record.getMessage()
    assert mask_code(CODE) == CODE[:2] + "*" * (len(CODE) - 4) + CODE[-2:]
    assert "138****5678" in hall_log.text and "z***@example.com" in hall_log.text
    for secret in (PHONE, EMAIL, CODE):
        assert secret not in hall_log.text and secret not in repr(vars(record))


def test_the_log_notifier_keeps_the_last_hundred() -> None:
    notifier = LogNotifier()

    async def send_many() -> None:
        for n in range(105):
            await notifier.send(msgspec.structs.replace(MESSAGE, booking_code=f"YY{n:04d}"))

    asyncio.run(send_many())
    assert len(notifier.sent) == 100
    assert notifier.sent[0].booking_code == "YY0005" and notifier.sent[-1].booking_code == "YY0104"


def test_masks_and_reprs_hide_contacts_and_secrets() -> None:
    assert mask_email(EMAIL) == "z***@example.com" and mask_email("") == "" and mask_email("nobody") == "n***"
    assert PHONE not in repr(MESSAGE) and EMAIL not in repr(MESSAGE) and "138****5678" in repr(MESSAGE)
    smtp = SmtpSettings(host="mail.example.gov.cn", sender=SENDER, username="hall", password="s3cret")
    sms = SmsSettings(url="https://sms.example.com/send", api_key="test-key", sign=SIGN)
    assert "s3cret" not in repr(smtp) and "test-key" not in repr(sms) and "mail.example.gov.cn" in repr(smtp)
    assert msgspec.json.decode(msgspec.json.encode(MESSAGE), type=Message) == MESSAGE  # a wire type all the same


def test_fan_out_sends_everywhere_and_collects_errors(smtp_server: SmtpStandIn, gateway: GatewayStandIn) -> None:
    asyncio.run(FanOut(_smtp(smtp_server.port), _sms(gateway.url)).send(MESSAGE))
    assert len(smtp_server.received) == 1 and len(gateway.requests) == 1

    log_notifier = LogNotifier()
    fan_out = FanOut(log_notifier, _sms(f"http://127.0.0.1:{_closed_port()}/"), _smtp(_closed_port()))
    with pytest.raises(FanOutError, match="2 of 3 channels failed") as caught:
        asyncio.run(fan_out.send(MESSAGE))
    assert isinstance(caught.value, NotifyError) and caught.value.succeeded == 1 and len(caught.value.errors) == 2
    assert log_notifier.sent == [MESSAGE]


def test_build_notifier_for_each_kind() -> None:
    assert isinstance(build_notifier(NotifierSettings()), LogNotifier)
    smtp = SmtpSettings(host="mail.example.gov.cn", port=25, sender=SENDER, starttls=False)
    assert isinstance(build_notifier(NotifierSettings(kind="smtp", smtp=smtp)), SmtpNotifier)
    sms = SmsSettings(url="https://sms.example.com/send", api_key="k", sign=SIGN)
    assert isinstance(build_notifier(NotifierSettings(kind="sms", sms=sms)), SmsNotifier)
    # A hall file's [notify] table, decoded.
    decoded = msgspec.convert({"kind": "sms", "sms": {"url": sms.url, "api_key": "k", "sign": SIGN}}, NotifierSettings)
    assert decoded.sms == sms


def test_bad_settings_say_what_is_missing() -> None:
    with pytest.raises(ValueError, match='kind "smtp" needs the smtp settings'):
        NotifierSettings(kind="smtp")
    with pytest.raises(ValueError, match='kind "sms" needs the sms settings'):
        NotifierSettings(kind="sms")
    with pytest.raises(ValueError, match=r"smtp\.host is needed"):
        SmtpSettings(sender=SENDER)
    with pytest.raises(ValueError, match=r"smtp\.sender is needed"):
        SmtpSettings(host="mail.example.gov.cn")
    with pytest.raises(ValueError, match=r"smtp\.username and smtp\.password go together"):
        SmtpSettings(host="mail.example.gov.cn", sender=SENDER, username="hall")
    with pytest.raises(ValueError, match=r"sms\.api_key is needed"):
        SmsSettings(url="https://sms.example.com/send", sign=SIGN)
    with pytest.raises(ValueError, match="must be in 【】"):
        SmsSettings(url="https://sms.example.com/send", api_key="k", sign="示范区政务服务中心")
    with pytest.raises(ValueError, match="must be an http:// or https:// address"):
        SmsSettings(url="ftp://sms.example.com/", api_key="k", sign=SIGN)
    # Decoded from a file, the same message comes with where it is.
    with pytest.raises(msgspec.ValidationError, match=r"smtp\.host is needed - at `\$\.smtp`"):
        msgspec.convert({"kind": "smtp", "smtp": {"sender": SENDER}}, NotifierSettings)
    with pytest.raises(msgspec.ValidationError, match="unknown field `hots`"):
        msgspec.convert({"kind": "smtp", "smtp": {"hots": "x", "sender": SENDER}}, NotifierSettings)


# --- one-time codes ------------------------------------------------------------------------------

PHONE_CODE = Message(
    kind="phone_code", to_phone=PHONE, subject="预约验证码", text="您的预约验证码为 402917，10分钟内有效。",
    booking_code="", passcode="402917",
)  # fmt: skip


def test_the_log_notifier_shows_a_one_time_code_and_masks_the_phone(hall_log: pytest.LogCaptureFixture) -> None:
    # nothing leaves the server: its log is where the demo's code is read
    asyncio.run(LogNotifier().send(PHONE_CODE))
    [record] = hall_log.records
    assert record.getMessage() == "one-time code 402917 for phone 138****5678"
    assert PHONE not in hall_log.text and PHONE not in repr(vars(record))


def test_a_one_time_code_stays_out_of_errors_and_reprs(gateway: GatewayStandIn) -> None:
    gateway.answer = (400, json.dumps({"error": "rejected", "text": PHONE_CODE.text}))
    with pytest.raises(NotifyError) as caught:
        asyncio.run(_sms(gateway.url).send(PHONE_CODE))
    assert "rejected" in str(caught.value) and "402917" not in str(caught.value)
    assert "402917" not in repr(PHONE_CODE) and PHONE not in repr(PHONE_CODE)
