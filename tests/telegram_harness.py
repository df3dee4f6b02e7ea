"""Run the real Application in-process against the fake Bot API, with a clock tests can move."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass, replace

from bot.config import Config, Secret
from bot.telegram.app import build_application, start_services
from bot.telegram.delivery import run_outbox
from bot.telegram.fake_bot_api import FakeBotApi
from bot.telegram.polling import poll
from tests.waiting import wait_until_async

STAFF_CHAT = -1001
STAFF_A, STAFF_B, ADMIN = 9001, 9002, 9100
CITIZEN, OTHER_CITIZEN = 5001, 5002


class MovableClock:
    """Real time, shifted: it runs on by itself (retries fall due) and tests can jump it forward."""

    def __init__(self, start: dt.datetime):
        self.offset = start - dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def advance(self, **delta) -> None:
        self.offset += dt.timedelta(**delta)


@dataclass
class RunningBot:
    api: FakeBotApi
    application: object
    clock: MovableClock

    @property
    def services(self):
        return self.application.bot_data["services"]

    @property
    def ledger(self):
        return self.services.ledger


def bot_config(api: FakeBotApi, tmp_path, **changes) -> Config:
    config = Config(token=Secret(api.token), api_url=api.base_url, staff_chat_id=api.staff_chat_id,
                    admin_user_ids=frozenset({ADMIN}), database_path=tmp_path / "ledger.db",
                    poll_timeout_seconds=1, supervision_interval_seconds=3600)
    return replace(config, **changes)


@contextlib.asynccontextmanager
async def running_bot(tmp_path, *, start: dt.datetime | None = None, forum: bool = False, first_update_id: int = 1,
                      **config_changes):
    """The real Application polling the fake server; yields a RunningBot, stops cleanly."""
    api = FakeBotApi(staff_is_forum=forum, first_update_id=first_update_id).start()
    # Wednesday 2026-11-25 10:00 in Shanghai: inside business hours.
    clock = MovableClock(start or dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC))
    application = build_application(bot_config(api, tmp_path, **config_changes), clock=clock)
    stop = asyncio.Event()
    async with application:
        await start_services(application)
        tasks = [asyncio.create_task(poll(application, stop)),
                 asyncio.create_task(run_outbox(application.bot_data["services"].outbox, stop, interval=0.05))]
        try:
            yield RunningBot(api, application, clock)
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await application.stop()
    api.stop()


async def sent_to(bot: RunningBot, chat_id: int, contains: str, count: int = 1, timeout: float = 15.0):
    """Wait until `count` messages to chat_id contain `contains` (a text you expect: never empty), and return them."""
    def found():
        matches = bot.api.sent_containing(chat_id, contains)
        return matches if len(matches) >= count else None
    return await wait_until_async(found, timeout, f"{count} message(s) to {chat_id} containing {contains!r}")


def buttons(record: dict) -> list[str]:
    """The callback data of a sent message's inline buttons, row by row."""
    markup = record["params"].get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
