"""Hall files and settings: a mistake names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.halls import ConfigError, load_hall, load_halls
from config.settings import load_settings
from tests.support import DEMO_HALL, SMALL_HALL


def test_the_demo_hall_is_a_realistic_district_centre() -> None:
    hall = load_hall(DEMO_HALL)
    assert hall.id == "demo" and hall.info.timezone == "Asia/Shanghai"
    assert 18 <= len(hall.rules.items) <= 26 and len(hall.rules.domains) >= 5
    assert len(hall.counters) >= 12
    assert {c.kind for c in hall.counters} == {"no_difference", "domain", "cross_province", "pickup"}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in item.name) for item in hall.rules.items)
    assert {s.role for s in hall.staff} == {"staff", "manager", "admin", "inspector"} and hall.devices
    assert hall.warnings == ()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SMALL_HALL.read_text()
    assert old in text, old
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'number = 2\nname = "2号 税务"',
            'number = "two"\nname = "2号 税务"',
            "counters[1].number: Expected `int`, got `str`",
        ),
        ('kind = "domain"', 'kind = "vip"', "counters[1].kind: Invalid enum value 'vip'"),
        ('domains = ["tax"]', 'domains = ["taxes"]', "counters[1].domains: unknown domains ['taxes']"),
        ('domains = ["tax"]', "domains = []", "counters[1].domains: a domain counter"),
        ("number = 4\n", "number = 1\n", "counters[3]: 1 appears twice"),
        (
            'domain = "civil"\ngroup = "M"\nservice_minutes = 10',
            'domain = "civil"\ngroup = "X"\nservice_minutes = 10',
            "items[0].group: unknown group 'X'",
        ),
        (
            'domain = "civil"\ngroup = "M"\nservice_minutes = 10',
            'domain = "love"\ngroup = "M"\nservice_minutes = 10',
            "items[0].domain: unknown domain 'love'",
        ),
        ('mon = ["09:00-12:00", "13:00-17:00"]', 'mon = ["09:00-12:00", "11:00-17:00"]', "hours: spans"),
        ('tue = ["09:00-17:00"]', 'tue = ["9-5"]', "hours: '9-5' is not a time span"),
        ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Olympus"', "hall.timezone: unknown time zone 'Mars/Olympus'"),
        ("max_recalls = 1", "max_recals = 1", "calling: Object contains unknown field `max_recals`"),
        ('id = "small"', 'id = "Small Hall"', "hall.id: 'Small Hall' must be lower-case"),
        ('prefix = "M"', 'prefix = "m1"', "groups[0].prefix: 'm1' must be 1 to 3 capital letters"),
        ("daily_cap = 3", "daily_cap = 0", "groups[0].daily_cap: must be at least 1"),
        (
            '[[devices]]\nname = "small-kiosk"\ntoken_sha256 = "',
            '[[devices]]\nname = "small-kiosk"\ntoken_sha256 = "x',
            "devices[0].token_sha256: must be 64",
        ),
        (
            '[[devices]]\nname = "small-kiosk"\n',
            '[[devices]]\nname = "small-kiosk"\nkind = "evaluation_pad"\n',
            "devices[0].counter: an evaluation pad is bound to its counter",
        ),
        (
            '[[devices]]\nname = "small-kiosk"\n',
            '[[devices]]\nname = "small-kiosk"\nkind = "evaluation_pad"\ncounter = 9\n',
            "devices[0].counter: no counter 9 in this hall",
        ),
        (
            '[[devices]]\nname = "small-kiosk"\n',
            '[[devices]]\nname = "small-kiosk"\ncounter = 1\n',
            "devices[0].counter: only an evaluation pad is bound to a counter, not a ticket_machine",
        ),
        (
            "[calling]",
            "[appointments]\nkeep_personal_days = 40\n\n[calling]",
            "appointments: keep_personal_days must be at least 60: the rules look back that far",
        ),
        ("[calling]", "[ratings]\nkeep_personal_days = 7\n\n[calling]", "ratings: keep_personal_days must be from 30"),
        ("[calling]", "[calling", "not valid TOML"),
    ],
)
def test_a_mistake_names_the_file_and_the_field(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as error:
        load_hall(path)
    assert str(error.value).startswith(f"{path}: "), error.value
    assert message in str(error.value), error.value


def test_an_item_no_counter_serves_is_a_warning(tmp_path: Path) -> None:
    path = _broken(
        tmp_path,
        'number = 3\nname = "3号 跨省通办"\nkind = "cross_province"',
        'number = 3\nname = "3号 税务二"\nkind = "domain"\ndomains = ["tax"]',
    )
    hall = load_hall(path)
    assert len(hall.warnings) == 1 and "items[2]: no counter serves KS01" in hall.warnings[0]


def test_halls_from_a_folder_and_duplicate_ids(tmp_path: Path) -> None:
    assert [h.id for h in load_halls([DEMO_HALL.parent])] == ["demo"]
    (tmp_path / "a.toml").write_text(SMALL_HALL.read_text())
    (tmp_path / "b.toml").write_text(SMALL_HALL.read_text())
    with pytest.raises(ConfigError, match="'small' is already used by"):
        load_halls([tmp_path])
    with pytest.raises(ConfigError, match="cannot read the hall file"):
        load_hall(tmp_path / "missing.toml")


def test_settings_come_from_file_then_environment(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('port = 9000\nworkers = 2\nlog_format = "text"\n')
    settings = load_settings(path, env={"HALL_PORT": "9100", "DATABASE_URL": "postgresql://db/halls"})
    assert settings.port == 9100 and settings.workers == 2 and settings.log_format == "text"
    assert settings.database == "postgresql://db/halls"
    assert load_settings(env={}, data_dir=str(tmp_path)).database == f"sqlite:///{tmp_path / 'hall.db'}"


def test_a_settings_mistake_names_where_it_came_from(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('workers = "many"\n')
    with pytest.raises(ConfigError, match=r"settings.toml: workers: Expected `int`"):
        load_settings(path, env={})
    with pytest.raises(ConfigError, match=r"\$HALL_PORT: port: Expected `int`"):
        load_settings(env={"HALL_PORT": "eighty"})
    path.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown field `colour`"):
        load_settings(path, env={})


def test_workers_starting_together_share_one_secret_key(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    settings = load_settings(env={}, data_dir=str(tmp_path / "var"))
    with ProcessPoolExecutor(4) as pool:
        keys = set(pool.map(_secret_of, [settings] * 8))
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert oct((tmp_path / "var" / "secret.key").stat().st_mode)[-3:] == "600"
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["secret.key"]


def _secret_of(settings) -> bytes:
    return settings.secret()
