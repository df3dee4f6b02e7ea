"""Configuration: every setting read once from the environment (and an optional .env file).

A missing or malformed setting raises ConfigError with one sentence naming it. The bot token
is kept in a SecretStr-like wrapper so that it never appears in a repr, a log line or an error.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Telegram's limits, and what fits in one message around a block of text.
TELEGRAM_MESSAGE_LIMIT = 4096
TELEGRAM_CAPTION_LIMIT = 1024
TELEGRAM_CALLBACK_LIMIT = 64  # bytes of callback data on a button
PRE_BLOCK_LIMIT = 3800  # text inside <pre>…</pre> with a line or two around it
MAX_QUESTION_CHARS = TELEGRAM_MESSAGE_LIMIT
BUNDLED_KNOWLEDGE = PROJECT_ROOT / "knowledge"
DEFAULT_DATABASE = PROJECT_ROOT / "data" / "ledger.db"
# Limits that protect the running bot from a bad knowledge file or a busy ledger.
KNOWLEDGE_FILE_LIMIT = 1024 * 1024  # bytes per YAML file; the largest shipped file is ~25 KB
KNOWLEDGE_PARSE_SECONDS = 10.0  # per file
KNOWLEDGE_MAX_DEPTH = 32  # nesting of mappings and lists in one file; the schemas need 5
LEDGER_BUSY_TIMEOUT_MS = 5000  # how long a write waits for another writer before "database is locked"
WEBHOOK_SECRET_PATTERN = r"[A-Za-z0-9_-]{1,256}"  # what Telegram accepts as secret_token


def environment(dotenv_path: str | Path | None = ".env") -> dict[str, str]:
    """The process environment, with a .env file filling in what it does not set."""
    env = dict(os.environ)
    if dotenv_path and Path(dotenv_path).is_file():
        from dotenv import dotenv_values

        # Real environment variables win over the file.
        env = {**{k: v for k, v in dotenv_values(dotenv_path).items() if v is not None}, **env}
    return env


class ConfigError(Exception):
    """A setting is missing or malformed"""


class Secret:
    """A value that prints as '***', so a token cannot leak through logging or tracebacks."""

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds on the 0-100 score; read from MATCH_* settings."""

    answer: float = 70.0
    margin: float = 8.0
    clarify: float = 40.0
    clarify_band: float = 25.0
    max_options: int = 4


@dataclass(frozen=True)
class BusinessHours:
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0


@dataclass(frozen=True)
class Config:
    knowledge_dir: Path = BUNDLED_KNOWLEDGE
    database_path: Path = DEFAULT_DATABASE
    thresholds: Thresholds = field(default_factory=Thresholds)
    business_hours: BusinessHours = field(default_factory=BusinessHours)
    token: Secret | None = None
    api_url: str | None = None
    staff_chat_id: int | None = None
    staff_user_ids: frozenset[int] = frozenset()
    admin_user_ids: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: Secret | None = None
    default_case_hours: float = 8.0
    unclaimed_reminder_minutes: float = 30.0
    warn_fraction: float = 0.8
    supervision_interval_seconds: float = 60.0
    rate_limit_per_minute: int = 20
    poll_timeout_seconds: int = 30
    knowledge_watch: bool = False
    correction_window_days: float = 30.0  # citizens told an older version this recently hear of a correction
    web: WebSettings = field(default_factory=lambda: WebSettings())
    city: tuple[str, str] = ("武汉市", "Wuhan")  # the one city the assistant serves: (Chinese, English)
    lease_seconds: float = 30.0
    ledger_check_seconds: float = 60.0
    backup_dir: Path | None = None
    backup_every_seconds: float = 24 * 3600.0
    backup_keep: int = 7
    reload_memory_mb: int = 1024
    reload_timeout_seconds: float = 60.0

    def city_name(self, language: str) -> str:
        return self.city[1] if language == "en" else self.city[0]

    def secrets(self) -> tuple[str, ...]:
        """Every secret setting that is set: what logs, the ledger and messages must never show."""
        return tuple(s.reveal() for s in (self.token, self.webhook_secret, self.web.desk_password) if s)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, telegram: bool = False,
                 dotenv_path: str | Path | None = ".env") -> Config:
        """Read the settings; with telegram=True the bot token and staff chat are required."""
        if env is None:
            env = environment(dotenv_path)
        reader = _Reader(env)
        token = reader.text("TELEGRAM_BOT_TOKEN", required=telegram)
        if token is not None and not re.fullmatch(r"\d+:[A-Za-z0-9_-]{20,}", token):
            raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits, a colon, then letters); "
                              "copy it again from @BotFather.")
        staff_chat = reader.integer("STAFF_CHAT_ID", required=telegram)
        hours = BusinessHours(
            timezone=reader.timezone("BUSINESS_TIMEZONE", "Asia/Shanghai"),
            start=reader.clock_time("BUSINESS_HOURS_START", "09:00"),
            end=reader.clock_time("BUSINESS_HOURS_END", "17:00"),
            weekdays=reader.weekdays("BUSINESS_DAYS", "1-5"),
        )
        if hours.end <= hours.start:
            raise ConfigError("BUSINESS_HOURS_END must be later than BUSINESS_HOURS_START.")
        thresholds = Thresholds(
            answer=reader.number("MATCH_ANSWER_THRESHOLD", Thresholds.answer, 0, 100),
            margin=reader.number("MATCH_MARGIN", Thresholds.margin, 0, 100),
            clarify=reader.number("MATCH_CLARIFY_THRESHOLD", Thresholds.clarify, 0, 100),
            clarify_band=reader.number("MATCH_CLARIFY_BAND", Thresholds.clarify_band, 0, 100),
        )
        if thresholds.clarify > thresholds.answer:
            raise ConfigError("MATCH_CLARIFY_THRESHOLD must not be above MATCH_ANSWER_THRESHOLD.")
        webhook_secret = reader.text("WEBHOOK_SECRET")
        if webhook_secret is not None and not re.fullmatch(WEBHOOK_SECRET_PATTERN, webhook_secret):
            raise ConfigError("WEBHOOK_SECRET may only hold letters, digits, '_' and '-' (1 to 256 of them), as "
                              "Telegram requires; choose another, or leave it unset to have one generated.")
        return cls(
            knowledge_dir=reader.path("KNOWLEDGE_DIR", BUNDLED_KNOWLEDGE),
            database_path=reader.path("DATABASE_PATH", DEFAULT_DATABASE),
            thresholds=thresholds,
            business_hours=hours,
            token=Secret(token) if token else None,
            api_url=reader.url("TELEGRAM_API_URL"),
            staff_chat_id=staff_chat,
            staff_user_ids=reader.id_set("STAFF_USER_IDS"),
            admin_user_ids=reader.id_set("ADMIN_USER_IDS"),
            webhook_url=reader.url("WEBHOOK_URL"),
            webhook_listen=reader.text("WEBHOOK_LISTEN") or "127.0.0.1",
            webhook_port=int(reader.number("WEBHOOK_PORT", 8443, 1, 65535)),
            webhook_secret=Secret(webhook_secret) if webhook_secret else None,
            default_case_hours=reader.number("CASE_DEFAULT_HOURS", 8.0, 0.1, 10000),
            unclaimed_reminder_minutes=reader.number("UNCLAIMED_REMINDER_MINUTES", 30.0, 1, 10000),
            warn_fraction=reader.number("DEADLINE_WARN_FRACTION", 0.8, 0.1, 0.99),
            supervision_interval_seconds=reader.number("SUPERVISION_INTERVAL_SECONDS", 60.0, 0.05, 3600),
            rate_limit_per_minute=int(reader.number("RATE_LIMIT_PER_MINUTE", 20, 1, 10000)),
            poll_timeout_seconds=int(reader.number("POLL_TIMEOUT_SECONDS", 30, 0, 50)),
            knowledge_watch=reader.flag("KNOWLEDGE_WATCH"),
            correction_window_days=reader.number("CORRECTION_WINDOW_DAYS", 30.0, 1, 3650),
            city=(reader.text("CITY_NAME") or "武汉市", reader.text("CITY_NAME_EN") or "Wuhan"),
            web=web_settings(reader),
            lease_seconds=reader.number("LEASE_SECONDS", 30.0, 1, 3600),
            ledger_check_seconds=reader.number("LEDGER_CHECK_SECONDS", 60.0, 0.1, 3600),
            backup_dir=Path(value).expanduser() if (value := reader.raw("BACKUP_DIR")) else None,
            backup_every_seconds=reader.span("BACKUP_EVERY", "24h"),
            backup_keep=int(reader.number("BACKUP_KEEP", 7, 1, 10000)),
            reload_memory_mb=int(reader.number("RELOAD_MEMORY_MB", 1024, 16, 1024 * 1024)),
            reload_timeout_seconds=reader.number("RELOAD_TIMEOUT_SECONDS", 60.0, 0.01, 3600),
        )


@dataclass(frozen=True)
class WebSettings:
    """The web channel (bot/web): where it listens, the counter desk's password, and its abuse limits."""

    port: int | None = None  # WEB_PORT: with Telegram settings, `run` serves the web channel too
    host: str = "127.0.0.1"
    desk_password: Secret | None = None  # hashed at start; the desk refuses every login without it
    rate_limit_per_minute: int = 20  # citizen actions per session
    address_rate_limit_per_minute: int = 300  # every API request per client address (offices share one)
    max_body_bytes: int = 16384
    record_address: bool = False  # never store a citizen's IP address unless asked to
    cookie_secure: bool = False  # set when the page is served over HTTPS (a proxy in front)


def web_settings(reader: _Reader) -> WebSettings:
    port = reader.number("WEB_PORT", 0, 1, 65535) if reader.raw("WEB_PORT") else None
    password = reader.text("DESK_PASSWORD")
    if password is not None and len(password) < 8:
        raise ConfigError("DESK_PASSWORD is shorter than 8 characters; choose a longer passphrase for the counter desk.")
    return WebSettings(
        port=int(port) if port else None,
        host=reader.text("WEB_HOST") or "127.0.0.1",
        desk_password=Secret(password) if password else None,
        rate_limit_per_minute=int(reader.number("WEB_RATE_LIMIT_PER_MINUTE", 20, 1, 10000)),
        address_rate_limit_per_minute=int(reader.number("WEB_ADDRESS_RATE_LIMIT_PER_MINUTE", 300, 1, 100000)),
        max_body_bytes=int(reader.number("WEB_MAX_BODY_BYTES", 16384, 1024, 100000)),
        record_address=reader.flag("WEB_RECORD_ADDRESS"),
        cookie_secure=reader.flag("WEB_COOKIE_SECURE"),
    )


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def raw(self, name: str) -> str | None:
        value = self.env.get(name)
        return value.strip() if value is not None and value.strip() else None

    def text(self, name: str, required: bool = False) -> str | None:
        value = self.raw(name)
        if value is None and required:
            raise ConfigError(f"{name} is not set; set it in the environment or in .env (see README, 'For staff').")
        return value

    def integer(self, name: str, required: bool = False) -> int | None:
        value = self.text(name, required)
        if value is None:
            return None
        if not re.fullmatch(r"-?\d+", value):
            raise ConfigError(f"{name} is {value!r}; it must be a whole number such as -1001234567890.")
        return int(value)

    def number(self, name: str, default: float, low: float, high: float) -> float:
        value = self.raw(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"{name} is {value!r}; it must be a number between {low:g} and {high:g}.") from None
        if not low <= number <= high:
            raise ConfigError(f"{name} is {value}; it must be between {low:g} and {high:g}.")
        return number

    def id_set(self, name: str) -> frozenset[int]:
        value = self.raw(name)
        if value is None:
            return frozenset()
        parts = [p for p in re.split(r"[,\s]+", value) if p]
        bad = [p for p in parts if not re.fullmatch(r"-?\d+", p)]
        if bad:
            raise ConfigError(f"{name} contains {bad[0]!r}; it must be Telegram user ids separated by commas, e.g. 12345,67890.")
        return frozenset(int(p) for p in parts)

    def path(self, name: str, default: Path) -> Path:
        value = self.raw(name)
        return Path(value).expanduser() if value else default

    def url(self, name: str) -> str | None:
        value = self.raw(name)
        if value is not None and not re.fullmatch(r"https?://\S+", value):
            raise ConfigError(f"{name} is {value!r}; it must be a URL starting with http:// or https://.")
        return value

    def span(self, name: str, default: str) -> float:
        """A span of time written like 30m, 6h or 1d, in seconds."""
        value = self.raw(name) or default
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smhd])", value.lower())
        if not match or float(match.group(1)) <= 0:
            raise ConfigError(f"{name} is {value!r}; write a span of time such as 30m, 6h or 1d.")
        return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]

    def flag(self, name: str) -> bool:
        value = (self.raw(name) or "0").lower()
        if value not in {"0", "1", "true", "false", "yes", "no"}:
            raise ConfigError(f"{name} is {value!r}; use 1 or 0.")
        return value in {"1", "true", "yes"}

    def timezone(self, name: str, default: str) -> ZoneInfo:
        value = self.raw(name) or default
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"{name} is {value!r}, which is not a time zone; use a name such as Asia/Shanghai.") from None

    def clock_time(self, name: str, default: str) -> dt.time:
        value = self.raw(name) or default
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{name} is {value!r}; write a time as HH:MM, e.g. 09:00.") from None

    def weekdays(self, name: str, default: str) -> frozenset[int]:
        value = self.raw(name) or default
        match = re.fullmatch(r"([1-7])-([1-7])", value)
        if match and int(match.group(1)) <= int(match.group(2)):
            return frozenset(range(int(match.group(1)) - 1, int(match.group(2))))
        raise ConfigError(f"{name} is {value!r}; write working days as a range of ISO weekdays, e.g. 1-5 for Monday to Friday.")
