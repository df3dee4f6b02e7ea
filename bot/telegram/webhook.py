"""Webhook mode: each update is recorded in the ledger before the server answers 200."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from urllib.parse import urlparse

import tornado.web
from telegram import Update

from bot.telegram.polling import handle_updates

log = logging.getLogger(__name__)


class _UpdateHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application, secret, tasks):
        # Not `application`: tornado's own handler already takes that name.
        self.application_ = bot_application
        self.secret = secret
        self.tasks = tasks

    async def post(self):
        if self.secret and not hmac.compare_digest(
                self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), self.secret):
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.application_.bot)
        except (ValueError, TypeError, KeyError):
            self.set_status(400)
            return
        services = self.application_.bot_data["services"]
        services.ledger.record_update(update.update_id, json.dumps(data, ensure_ascii=False))  # before the 200
        self.set_status(200)
        self.finish()
        task = asyncio.get_running_loop().create_task(handle_updates(self.application_, [update]))
        self.tasks.add(task)  # keep a reference until done, or the task may be collected mid-way
        task.add_done_callback(self.tasks.discard)


class WebhookServer:
    def __init__(self, application, config):
        self.application = application
        self.config = config
        self.server = None
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        path = urlparse(self.config.webhook_url).path or "/"
        secret = self.config.webhook_secret.reveal() if self.config.webhook_secret else None
        app = tornado.web.Application([(path, _UpdateHandler, {"bot_application": self.application, "secret": secret,
                                                                   "tasks": self.tasks})])
        self.server = app.listen(self.config.webhook_port, address=self.config.webhook_listen)
        await self.application.bot.set_webhook(self.config.webhook_url, secret_token=secret,
                                               allowed_updates=Update.ALL_TYPES)
        log.info("Webhook listening on %s:%s%s", self.config.webhook_listen, self.config.webhook_port, path)

    async def stop(self) -> None:
        if self.server:
            self.server.stop()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
