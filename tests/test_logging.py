"""Logs are JSON lines, and personal data in them is masked."""

from __future__ import annotations

import io
import json
import logging

from litestar.testing import TestClient

from config.logging import JsonFormatter, MaskingFilter
from config.privacy import mask_id_number, mask_name, mask_phone, mask_text


def test_masks() -> None:
    assert mask_id_number("320102199001011234") == "3201**********1234"
    assert mask_id_number("32010219900101123X") == "3201**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**" and mask_name("李四") == "李*"
    assert mask_text("ID 320102199001011234, tel 13812345678, A001") == "ID 3201**********1234, tel 138****5678, A001"
    assert mask_text("ticket A001 at 2026-11-23 09:00, 12 waiting") == "ticket A001 at 2026-11-23 09:00, 12 waiting"


def _logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger("hall.test-masking")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_log_lines_are_json_with_personal_data_masked() -> None:
    logger, stream = _logger()
    logger.info(
        "booking for %s by %s", "320102199001011234", "13812345678", extra={"hall": "demo", "citizen_name": "王小明"}
    )
    entry = json.loads(stream.getvalue())
    assert entry["msg"] == "booking for 3201**********1234 by 138****5678"
    assert entry["hall"] == "demo" and entry["citizen_name"] == "王**" and entry["level"] == "info"
    assert "320102199001011234" not in stream.getvalue() and "王小明" not in stream.getvalue()


def test_the_app_masks_what_it_logs(client: TestClient) -> None:
    logger, stream = _logger()
    for name in ("hall.auth", "hall.queue"):
        logging.getLogger(name).handlers = logger.handlers
        logging.getLogger(name).setLevel(logging.INFO)
        logging.getLogger(name).propagate = False
    try:
        # Someone types an ID number and a phone number into the login form.
        client.post(
            "/api/auth/login", json={"hall": "demo", "username": "320102199001011234", "password": "13812345678"}
        )
        client.post(
            "/api/halls/demo/tickets", json={"item": "SB01"}, headers={"Authorization": "Bearer demo-kiosk-token"}
        )
    finally:
        for name in ("hall.auth", "hall.queue"):
            logging.getLogger(name).handlers = []
            logging.getLogger(name).propagate = True
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(line["msg"] == "login refused" and line["username"] == "3201**********1234" for line in lines)
    assert any(line["msg"] == "ticket_issued" and line["ticket"] == "B001" for line in lines)
    assert "320102199001011234" not in stream.getvalue() and "13812345678" not in stream.getvalue()


def test_a_failed_round_says_an_outage_in_a_line_and_a_fault_with_its_traceback() -> None:
    """A background round that failed: the database out of reach is one JSON line with the
    driver's reason (on SQLite a missing table is the same error class as a locked file, so the
    reason tells them apart); a stall is its message; anything else an error with its traceback."""
    import sqlalchemy as sa

    from config.database import log_background_failure
    from queueing.errors import Unavailable

    logger, stream = _logger()
    engine = sa.create_engine("sqlite://")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT nope FROM missing"))
    except sa.exc.OperationalError as exc:
        log_background_failure(logger, "appointment sweep failed", exc, hall="demo")
    log_background_failure(logger, "post watcher failed", Unavailable("the database is slow", "数据库响应缓慢"))
    try:
        {}["absent"]
    except KeyError as exc:
        log_background_failure(logger, "live view failed", exc, hall="demo")
    outage, stall, fault = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (outage["level"], outage["hall"]) == ("warning", "demo")
    assert outage["msg"] == "appointment sweep failed (database unavailable): OperationalError: no such table: missing"
    assert "exc" not in outage
    assert (stall["level"], stall["msg"]) == ("warning", "post watcher failed: the database is slow")
    assert "exc" not in stall
    assert (fault["level"], fault["msg"], fault["hall"]) == ("error", "live view failed", "demo")
    assert fault["exc"].startswith("Traceback") and fault["exc"].endswith("KeyError: 'absent'")
