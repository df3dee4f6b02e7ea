"""Wiring: build the PTB Application with its services, handlers and jobs, and run it.

Updates are polled by bot.telegram.polling (record, handle, then move the offset), or received by
bot.telegram.webhook (recorded before the server answers 200). Nothing is handled before this
process holds the ledger's lease (bot.records.lease); a second instance waits as a hot standby.
While running, a guard renews the lease and checks that the ledger file is still the one opened.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram.error import InvalidToken
from telegram.ext import AIORateLimiter, Application

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.answering.reloading import ReloadLimits
from bot.config import Config
from bot.logs import Redactor
from bot.ratelimit import RateLimiter
from bot.records.backup import BackupError, backup_ledger, prune_backups
from bot.records.cases import CaseDesk
from bot.records.lease import InstanceLease, LeaseLost, describe
from bot.records.ledger import Clock, Ledger, LedgerLost, utc_now
from bot.telegram.delivery import Outbox, run_outbox
from bot.telegram.polling import poll, recover, sleep_or_stop
from bot.telegram.services import Services, StartupError
from bot.telegram.staff_chat import note_undeliverable
from bot.telegram.web_bridge import web_services_for
from bot.telegram.webhook import WebhookServer, with_webhook_secret
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
    redact = Redactor(*config.secrets())
    ledger = Ledger(config.database_path, clock=clock, scrub=redact)
    store = KnowledgeStore(config.knowledge_dir, config.thresholds,
                           ReloadLimits(config.reload_memory_mb, config.reload_timeout_seconds))
    assistant = Assistant(store, ledger, config)
    application.bot_data["services"] = services = Services(
        config=config,
        ledger=ledger,
        store=store,
        assistant=assistant,
        desk=CaseDesk.from_config(ledger, config, working_time=assistant.working_time),
        outbox=Outbox(application.bot, ledger, redact=redact),
        rate_limiter=RateLimiter(config.rate_limit_per_minute),
        redact=redact,
    )
    services.outbox.on_undeliverable = lambda row: note_undeliverable(services, row)
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

    web = WebServer(web_services_for(application.bot_data["services"]), config.web.host, config.web.port)
    await web.start()
    return web


async def serve(config: Config) -> None:
    """Run the bot until SIGINT/SIGTERM: polling, or a webhook when WEBHOOK_URL is set."""
    config = with_webhook_secret(config)
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
    lease = InstanceLease(services.ledger, config.lease_seconds)
    stopped_by: list[Exception] = []
    try:
        if not await take_lease(lease, stop):
            return  # stopped while standing by
        try:
            _note_case_number_gap(services.ledger)
            await _serve_updates(application, config, stop, lease, stopped_by)
        finally:
            if not stopped_by:
                lease.release()  # a standby takes over at once
    finally:
        services.ledger.close()
    if stopped_by:
        raise stopped_by[0]


async def _serve_updates(application: Application, config: Config, stop: asyncio.Event, lease: InstanceLease,
                         stopped_by: list[Exception]) -> None:
    services: Services = application.bot_data["services"]
    await start_services(application)
    server = WebhookServer(application, config) if config.webhook_url else None
    if server:
        await server.start()
    else:
        await application.bot.delete_webhook()
    web = await start_web(application, config)
    await recover(application)  # only now: this process holds the lease, so nobody else handles them
    tasks = [asyncio.create_task(run_outbox(services.outbox, stop)),
             asyncio.create_task(guard(services, lease, stop, stopped_by))]
    if config.backup_dir:
        tasks.append(asyncio.create_task(run_backups(config, stop)))
    log.info("Bot running (%s); knowledge base version %s", "webhook" if server else "polling",
             services.store.current.knowledge.version)
    try:
        if server:
            await stop.wait()
        else:
            await poll(application, stop)
    except LedgerLost as exc:
        log.critical("%s", exc)
        stopped_by.append(exc)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        if server:
            await server.stop()
        if web:
            await web.stop()
        await application.stop()


async def take_lease(lease: InstanceLease, stop: asyncio.Event) -> bool:
    """Take the ledger's lease, waiting as a hot standby while another live instance holds it."""
    other = lease.take()
    if other is None:
        return True
    log.warning("Another instance holds the ledger %s: %s. This one waits as a hot standby and takes over when "
                "that one stops or fails to renew its lease (%gs).", lease.ledger.path, describe(other),
                lease.mine.seconds)
    while not stop.is_set():
        await sleep_or_stop(stop, min(lease.mine.seconds / 3, 5.0))
        previous, other = other, lease.take()
        if other is None:
            log.warning("Took over the ledger %s from %s.", lease.ledger.path, describe(previous))
            return True
    return False


async def guard(services: Services, lease: InstanceLease, stop: asyncio.Event, stopped_by: list[Exception]) -> None:
    """Renew the lease, and check that the ledger file is still the one opened; stop loudly if not."""
    loop = asyncio.get_running_loop()
    beat = lease.mine.seconds / 3
    next_check = loop.time()
    while not stop.is_set():
        try:
            if loop.time() >= next_check:
                services.ledger.check_file()
                next_check = loop.time() + services.config.ledger_check_seconds
            lease.renew()
        except (LedgerLost, LeaseLost) as exc:
            log.critical("%s", exc)
            stopped_by.append(exc)
            stop.set()
            return
        except Exception:  # noqa: BLE001 - a busy ledger now and then must not end the guard
            log.exception("Could not renew the lease on %s", services.ledger.path)
        await sleep_or_stop(stop, max(0.05, min(beat, next_check - loop.time())))


async def run_backups(config: Config, stop: asyncio.Event) -> None:
    """A backup of the ledger into BACKUP_DIR at start and every BACKUP_EVERY, keeping the newest BACKUP_KEEP."""
    while not stop.is_set():
        try:
            path = await asyncio.to_thread(backup_ledger, config.database_path, config.backup_dir, folder=True)
            await asyncio.to_thread(prune_backups, config.backup_dir, config.backup_keep)
            log.info("Backed up the ledger to %s", path)
        except BackupError as exc:
            log.error("%s", exc)
        await sleep_or_stop(stop, config.backup_every_seconds)


def _note_case_number_gap(ledger: Ledger) -> None:
    gap = ledger.case_number_gap()
    if gap:
        log.warning("The ledger %s holds cases up to #%s, but #%s was issued before: the ledger was lost or restored "
                    "from an older backup. New cases continue from #%s so that no number is given twice.",
                    ledger.path, gap[0], gap[1], gap[1] + 1)
