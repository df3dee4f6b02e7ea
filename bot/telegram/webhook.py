"""Webhook mode: each update is recorded in the ledger before the server answers 200.

Only Telegram may post updates: a secret is always registered with setWebhook (generated for the run
when WEBHOOK_SECRET is not set), and a request without the same X-Telegram-Bot-Api-Secret-Token
header is refused with 403 and counted in the log.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
from dataclasses import replace
from urllib.parse import urlparse

import tornado.web
from telegram import Update

from bot.config import Config, Secret
from bot.logs import CountedLog, redact_logs
from bot.records.ledger import LedgerLost
from bot.telegram.polling import handle_updates

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def with_webhook_secret(config: Config) -> Config:
    """The configuration with a webhook secret: WEBHOOK_SECRET, or one generated for this run."""
    if not config.webhook_url or config.webhook_secret:
        return config
    secret = secrets.token_urlsafe(32)  # letters, digits, '-' and '_': what Telegram accepts
    redact_logs(secret)
    log.warning("WEBHOOK_SECRET is not set: generated a secret for this run and registered it with Telegram, so "
                "that only Telegram's requests are accepted. Set WEBHOOK_SECRET to keep one across restarts.")
    return replace(config, webhook_secret=Secret(secret))


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application, secret, tasks, refusals):
        # Not `application`: tornado's own handler already takes that name.
        self.application_ = bot_application
        self.secret = secret
        self.tasks = tasks
        self.refusals = refusals

    async def post(self):
        given = self.request.headers.get(SECRET_HEADER, "")
        if not self.secret or not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.refusals.note(self.request.remote_ip, "a wrong" if given else "no")
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.application_.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        services = self.application_.bot_data["services"]
        try:
            services.ledger.check_file()
        except LedgerLost as exc:
            log.critical("%s", exc)
            self.set_status(503)  # Telegram sends it again later, to a ledger that is there
            return
        services.ledger.record_update(update.update_id, json.dumps(data, ensure_ascii=False))  # before the 200
        self.set_status(200)
        self.finish()
        task = asyncio.get_running_loop().create_task(handle_updates(self.application_, [update]))
        self.tasks.add(task)  # keep a reference until done, or the task may be collected mid-way
        task.add_done_callback(self.tasks.discard)


def _log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado logs every 4xx; refusals are counted by the handler instead, so only server errors are logged."""
    if handler.get_status() >= 500:
        log.warning("Webhook request answered %s", handler.get_status())


class WebhookServer:
    def __init__(self, application, config: Config):
        """`config` carries the webhook secret already (serve() adds one with with_webhook_secret)."""
        self.application = application
        self.config = config
        self.server = None
        self.tasks: set[asyncio.Task] = set()
        self.refusals = CountedLog(log, "Refused a webhook request from %s with %s secret header (403)")

    async def start(self) -> None:
        path = urlparse(self.config.webhook_url).path or "/"
        secret = self.config.webhook_secret.reveal()
        app = tornado.web.Application([(path, _UpdateHandler, {"bot_application": self.application, "secret": secret,
                                                                   "tasks": self.tasks, "refusals": self.refusals})],
                                      log_function=_log_request)
        self.server = app.listen(self.config.webhook_port, address=self.config.webhook_listen)
        await self.application.bot.set_webhook(self.config.webhook_url, secret_token=secret,
                                               allowed_updates=Update.ALL_TYPES)
        log.info("Webhook listening on %s:%s%s", self.config.webhook_listen, self.config.webhook_port, path)

    async def stop(self) -> None:
        if self.server:
            self.server.stop()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
