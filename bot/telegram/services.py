"""The long-lived services of the Telegram channel, kept in application.bot_data["services"]."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.config import Config
from bot.logs import Redactor
from bot.ratelimit import RateLimiter
from bot.records.cases import CaseDesk
from bot.records.ledger import Ledger
from bot.telegram.delivery import Outbox


class StartupError(Exception):
    """The bot cannot start; the message says why and what to do"""


@dataclass
class Services:
    """Long-lived services, created once at start-up and kept in application.bot_data."""

    config: Config
    ledger: Ledger
    store: KnowledgeStore
    assistant: Assistant
    desk: CaseDesk
    outbox: Outbox
    rate_limiter: RateLimiter
    staff_is_forum: bool = False
    redact: Redactor = field(default_factory=Redactor)  # removes the token from what is stored or sent


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]
