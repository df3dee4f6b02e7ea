"""Wiring: build the PTB Application with its services, handlers and jobs, and run it.

Polling is done here rather than by PTB's Updater, which acknowledges updates before handlers
run: an update is recorded in the ledger, handled, and only then is the offset moved past it.
In webhook mode an update is recorded before the server answers 200.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections import defaultdict
from dataclasses import dataclass

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import AIORateLimiter, Application, ContextTypes

from bot.assistant import Assistant, KnowledgeStore
from bot.cases import CaseDesk
from bot.config import Config
from bot.delivery import Outbox, run_outbox
from bot.ledger import Clock, Ledger, utc_now
from bot.ratelimit import RateLimiter

log = logging.getLogger(__name__)


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


def services_of(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def build_application(config: Config, *, clock: Clock = utc_now, rate_limit: bool = True) -> Application:
    """The Application with every service, handler and job; nothing is started yet."""
    from handlers import register

    builder = Application.builder().token(config.token.reveal()).updater(None)
    if config.api_url:
        builder = builder.base_url(config.api_url).base_file_url(config.api_url.replace("/bot", "/file/bot", 1))
    if rate_limit:
        # Keeps within Telegram's global and per-group limits; 429s are retried by the outbox.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))
    # A small pool: httpcore checks every pooled connection on each request, so a large burst with
    # many connections costs more than it gains.
    builder = builder.concurrent_updates(True).connection_pool_size(8)
    application = builder.build()
    ledger = Ledger(config.database_path, clock=clock)
    store = KnowledgeStore(config.knowledge_dir, config.thresholds)
    application.bot_data["services"] = Services(
        config=config,
        ledger=ledger,
        store=store,
        assistant=Assistant(store, ledger, config),
        desk=CaseDesk(ledger, config.business_hours, unclaimed_minutes=config.unclaimed_reminder_minutes,
                      warn_fraction=config.warn_fraction),
        outbox=Outbox(application.bot, ledger),
        rate_limiter=RateLimiter(config.rate_limit_per_minute),
    )
    register(application)
    return application


async def start_services(application: Application) -> None:
    """Start the Application and learn about the staff chat (a forum gets a topic per case)."""
    await application.start()
    services: Services = application.bot_data["services"]
    try:
        chat = await application.bot.get_chat(services.config.staff_chat_id)
        services.staff_is_forum = bool(getattr(chat, "is_forum", False))
    except Exception as exc:  # noqa: BLE001 - the bot still serves citizens; staff see the warning in the log
        log.warning("Could not read the staff chat %s: %s", services.config.staff_chat_id, exc)


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
    """Handle updates that were recorded but not finished before a crash or a restart."""
    services: Services = application.bot_data["services"]
    pending = services.ledger.unhandled_updates()
    if pending:
        log.info("Handling %d update(s) left unfinished by the last run", len(pending))
        await handle_updates(application, [Update.de_json(json.loads(row["payload"]), application.bot)
                                           for row in pending])


async def poll(application: Application, stop: asyncio.Event) -> None:
    """Long-poll getUpdates; the offset moves past an update only after it has been handled."""
    services: Services = application.bot_data["services"]
    ledger, bot = services.ledger, application.bot
    offset = int(ledger.get_state("offset") or 0)
    failures = 0
    while not stop.is_set():
        try:
            updates = await bot.get_updates(offset=offset or None, timeout=services.config.poll_timeout_seconds,
                                            allowed_updates=Update.ALL_TYPES)
            failures = 0
        except InvalidToken:
            raise
        except (NetworkError, TimedOut) as exc:
            failures += 1
            delay = min(2 ** failures, 60)
            log.warning("getUpdates failed (%s); retrying in %ss", exc.message, delay)
            await _sleep_or_stop(stop, delay)
            continue
        if not updates:
            continue
        await handle_updates(application, list(updates))
        offset = updates[-1].update_id + 1
        ledger.set_state("offset", str(offset))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass


async def serve(config: Config) -> None:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook when WEBHOOK_URL is set."""
    application = build_application(config)
    services: Services = application.bot_data["services"]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with application:
        await start_services(application)
        if config.webhook_url:
            from bot.webhook import WebhookServer

            server = WebhookServer(application, config)
            await server.start()
        else:
            await application.bot.delete_webhook()
        await recover(application)
        outbox_task = asyncio.create_task(run_outbox(services.outbox, stop))
        log.info("Bot running (%s); knowledge base version %s", "webhook" if config.webhook_url else "polling",
                 services.store.current.knowledge.version)
        try:
            if config.webhook_url:
                await stop.wait()
            else:
                await poll(application, stop)
        finally:
            stop.set()
            await outbox_task
            if config.webhook_url:
                await server.stop()
            await application.stop()
            services.ledger.close()
