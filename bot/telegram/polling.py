"""At-least-once handling of updates.

Polling is done here rather than by PTB's Updater, which acknowledges updates before handlers
run: an update is recorded in the ledger, handled, and only then is the offset moved past it.
Before each getUpdates the ledger file is checked, so that updates are never acknowledged into a
ledger that was deleted or replaced.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict

from telegram import Update
from telegram.error import Conflict, InvalidToken, NetworkError, TimedOut
from telegram.ext import Application

from bot.logs import CountedLog
from bot.telegram.services import Services, StartupError

log = logging.getLogger(__name__)
CONFLICT = ("Telegram answered getUpdates with 409 Conflict (%s): another process is polling with this bot token, "
            "or a webhook was set for it elsewhere. Stop the other instance (it may be on another machine or use "
            "another ledger); until then this one retries, and updates are shared between the two")


async def handle_updates(application: Application, updates: list[Update]) -> None:
    """Handle a batch: updates of one chat in order, different chats concurrently."""
    services: Services = application.bot_data["services"]
    by_chat: dict[object, list[Update]] = defaultdict(list)
    for update in updates:
        chat = update.effective_chat
        by_chat[chat.id if chat else f"u{update.update_id}"].append(update)

    async def handle_chat(chat_updates: list[Update]) -> None:
        for update in chat_updates:
            if services.ledger.record_update(update.update_id, json.dumps(update.to_dict(), ensure_ascii=False)):
                await application.process_update(update)
                services.ledger.mark_update_handled(update.update_id)

    await asyncio.gather(*(handle_chat(chat_updates) for chat_updates in by_chat.values()))


async def recover(application: Application) -> None:
    """Handle updates that were recorded but not finished before a crash or a restart.

    Call it only while holding the ledger's lease: then no live process is handling them."""
    services: Services = application.bot_data["services"]
    pending = services.ledger.unhandled_updates()
    if pending:
        log.info("Handling %d update(s) left unfinished by the last run", len(pending))
        await handle_updates(application, [Update.de_json(json.loads(row.payload), application.bot)
                                           for row in pending])


async def poll(application: Application, stop: asyncio.Event) -> None:
    """Long-poll getUpdates; the offset moves past an update only after it has been handled."""
    services: Services = application.bot_data["services"]
    ledger, bot = services.ledger, application.bot
    offset = int(ledger.get_state("offset") or 0)
    failures = 0
    conflicts = CountedLog(log, CONFLICT)
    while not stop.is_set():
        ledger.check_file()  # raises LedgerLost: stop before acknowledging anything into a lost file
        try:
            updates = await bot.get_updates(offset=offset or None, timeout=services.config.poll_timeout_seconds,
                                            allowed_updates=Update.ALL_TYPES)
            failures = 0
        except InvalidToken:
            raise StartupError("The Bot API rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.") from None
        except Conflict as exc:
            failures += 1
            conflicts.note(exc.message)
            await sleep_or_stop(stop, min(0.5 * 2 ** (failures - 1), 30))
            continue
        except (NetworkError, TimedOut) as exc:
            failures += 1
            delay = min(2 ** failures, 60)
            log.warning("getUpdates failed (%s); retrying in %ss", exc.message, delay)
            await sleep_or_stop(stop, delay)
            continue
        if not updates:
            continue
        await handle_updates(application, list(updates))
        offset = updates[-1].update_id + 1
        ledger.set_state("offset", str(offset))


async def sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
