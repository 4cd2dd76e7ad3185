"""Fixtures: the demo hall, a movable clock, apps on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from litestar.testing import TestClient

from config.app import create_app
from config.settings import Settings, load_settings
from tests.support import DEMO_HALL, REAL_HALL, SMALL_HALL, Clock

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# The machine's PostgreSQL (trust auth on localhost); each test gets its own database.
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def app_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """The demo hall and the small test hall, on a fresh SQLite file or PostgreSQL database."""
    database_url = request.getfixturevalue("pg_url") if request.param == "postgresql" else ""
    return load_settings(
        env={},
        halls=[str(DEMO_HALL), str(SMALL_HALL)],
        data_dir=str(tmp_path / "var"),
        database_url=database_url,
        log_format="text",
        log_level="WARNING",
        **REAL_HALL,
    )


@pytest.fixture
def client(app_settings: Settings, clock: Clock) -> Iterator[TestClient]:
    """The whole application on a fresh SQLite file, with the test's clock."""
    with TestClient(create_app(app_settings, clock=clock, configure_logs=False)) as test_client:
        yield test_client


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(PG_ADMIN_URL, autocommit=True)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test, dropped afterwards."""
    name = f"hallq_test_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
