"""Wiring: build the PTB Application with its services, handlers and jobs, and run it.

Updates are polled by bot.telegram.polling (record, handle, then move the offset), or received by
bot.telegram.webhook (recorded before the server answers 200).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken
from telegram.ext import AIORateLimiter, Application

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.config import Config
from bot.ratelimit import RateLimiter
from bot.records.cases import CaseDesk
from bot.records.ledger import Clock, Ledger, utc_now
from bot.telegram.delivery import Outbox, run_outbox
from bot.telegram.polling import poll, recover
from bot.telegram.services import Services, StartupError
from bot.telegram.web_bridge import web_services_for
from bot.telegram.webhook import WebhookServer
from handlers import register

log = logging.getLogger(__name__)


def build_application(config: Config, *, clock: Clock = utc_now, rate_limit: bool = True) -> Application:
    """The Application with every service, handler and job; nothing is started yet."""
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
    assistant = Assistant(store, ledger, config)
    application.bot_data["services"] = Services(
        config=config,
        ledger=ledger,
        store=store,
        assistant=assistant,
        desk=CaseDesk(ledger, config.business_hours, unclaimed_minutes=config.unclaimed_reminder_minutes,
                      warn_fraction=config.warn_fraction, working_time=assistant.working_time),
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


async def start_web(application: Application, config: Config):
    """With WEB_PORT set, the web channel in this process: its cases reach this staff chat, replies come back."""
    if not config.web.port:
        return None
    from bot.web.app import WebServer

    web = WebServer(web_services_for(application.bot_data["services"], application.bot), config.web.host,
                    config.web.port)
    await web.start()
    return web


async def serve(config: Config) -> None:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook when WEBHOOK_URL is set."""
    application = build_application(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with application:
            await _run(application, config, stop)
    except InvalidToken:
        raise StartupError("The Bot API rejected TELEGRAM_BOT_TOKEN; copy it again from @BotFather.") from None


async def _run(application: Application, config: Config, stop: asyncio.Event) -> None:
    services: Services = application.bot_data["services"]
    await start_services(application)
    server = WebhookServer(application, config) if config.webhook_url else None
    if server:
        await server.start()
    else:
        await application.bot.delete_webhook()
    web = await start_web(application, config)
    await recover(application)
    outbox_task = asyncio.create_task(run_outbox(services.outbox, stop))
    log.info("Bot running (%s); knowledge base version %s", "webhook" if server else "polling",
             services.store.current.knowledge.version)
    try:
        if server:
            await stop.wait()
        else:
            await poll(application, stop)
    finally:
        stop.set()
        await outbox_task
        if server:
            await server.stop()
        if web:
            await web.stop()
        await application.stop()
        services.ledger.close()
