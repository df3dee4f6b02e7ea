"""Configuration: one clear line per missing or malformed setting, and the token never printed."""

from __future__ import annotations

import logging

import pytest

from bot.config import Config, ConfigError
from bot.logs import RedactSecrets
from tests.conftest import load_table

CASES = load_table("config.yaml")
TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345"


@pytest.mark.parametrize("case", CASES, ids=[c["error"] or "valid" for c in CASES])
def test_settings_are_checked_once_with_one_clear_line(case):
    if case["error"] is None:
        config = Config.from_env(case["env"], telegram=True)
        assert config.staff_user_ids == {1, 2} and config.business_hours.weekdays == frozenset(range(6))
        return
    with pytest.raises(ConfigError) as raised:
        Config.from_env(case["env"], telegram=True)
    assert str(raised.value) == case["error"]
    assert TOKEN not in str(raised.value)


def test_the_token_does_not_show_in_reprs():
    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_CHAT_ID": "-1"}, telegram=True)
    assert TOKEN not in repr(config) and TOKEN not in str(config)
    assert config.token.reveal() == TOKEN


def test_a_dotenv_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text(f"TELEGRAM_BOT_TOKEN={TOKEN}\nSTAFF_CHAT_ID=-5\nDATABASE_PATH=/tmp/x.db\n")
    monkeypatch.setenv("STAFF_CHAT_ID", "-7")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    config = Config.from_env(telegram=True, dotenv_path=env_file)
    assert (config.staff_chat_id, str(config.database_path)) == (-7, "/tmp/x.db")


def test_logging_redacts_the_token(caplog):
    logger = logging.getLogger("test.redact")
    redact = RedactSecrets(TOKEN)
    logger.addFilter(redact)
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        logger.exception("request to %s failed", f"/bot{TOKEN}/getMe")
    logger.removeFilter(redact)
    assert TOKEN not in caplog.text and "/bot***/getMe" in caplog.text





def test_web_settings_and_the_desk_password_stays_out_of_reprs():
    config = Config.from_env({"WEB_PORT": "8080", "WEB_HOST": "0.0.0.0", "DESK_PASSWORD": "counter passphrase",
                              "WEB_RATE_LIMIT_PER_MINUTE": "30", "WEB_RECORD_ADDRESS": "1"})
    web = config.web
    assert (web.port, web.host, web.rate_limit_per_minute, web.record_address) == (8080, "0.0.0.0", 30, True)
    assert "counter passphrase" not in repr(config) and web.desk_password.reveal() == "counter passphrase"
    assert Config.from_env({}).web.port is None  # the web channel is off unless asked for


def test_secrets_lists_every_secret_setting():
    """What the bot redacts (logs, ledger, messages): each setting held as a Secret, wherever it sits."""
    from dataclasses import fields

    from bot.config import Secret

    config = Config.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "STAFF_CHAT_ID": "-1", "WEBHOOK_SECRET": "hook-secret",
                              "DESK_PASSWORD": "counter passphrase"}, telegram=True)
    held = [getattr(part, f.name) for part in (config, config.web) for f in fields(part)
            if isinstance(getattr(part, f.name), Secret)]
    assert len(held) == 3 and sorted(config.secrets()) == sorted(s.reveal() for s in held)
    assert Config.from_env({}).secrets() == ()


def test_redaction_ignores_case_and_covers_what_is_stored(caplog):
    echoed = f"bad request: can't parse request /bot{TOKEN.lower()}/sendmessage and {TOKEN.split(':')[1].upper()}"
    logger = logging.getLogger("test.redact.lower")
    logger.addFilter(RedactSecrets(TOKEN))
    logger.warning("Message 3 rejected: %s", echoed)
    assert "Message 3 rejected" in caplog.text and TOKEN.split(":")[1].lower() not in caplog.text.lower()

    from bot.logs import Redactor  # the same redaction for what is stored

    assert TOKEN.split(":")[1].lower() not in Redactor(TOKEN)(echoed).lower()


def test_a_repeated_warning_is_counted_and_written_once_a_minute(caplog):
    from bot.logs import CountedLog

    now = [0.0]
    refusals = CountedLog(logging.getLogger("test.counted"), "Refused a request from %s", clock=lambda: now[0])
    for _ in range(50):
        refusals.note("10.0.0.1")
    now[0] = 61
    refusals.note("10.0.0.2")
    lines = [r.getMessage() for r in caplog.records if r.name == "test.counted"]
    assert lines == ["Refused a request from 10.0.0.1 [1 time(s) since the last such line, 1 in all]",
                     "Refused a request from 10.0.0.2 [50 time(s) since the last such line, 51 in all]"]
