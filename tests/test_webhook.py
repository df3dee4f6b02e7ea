"""Webhook mode: an update is recorded before the server answers 200; the answer still goes out."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bot.config import Secret
from bot.telegram.app import build_application, start_services
from bot.telegram.delivery import run_outbox
from bot.telegram.fake_bot_api import FakeBotApi
from bot.telegram.webhook import WebhookServer
from tests.process import free_port
from tests.telegram_harness import CITIZEN, bot_config
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio


async def test_webhook_records_then_answers(tmp_path):
    api = FakeBotApi().start()
    port = free_port()
    config = bot_config(api, tmp_path, webhook_url=f"http://127.0.0.1:{port}/telegram", webhook_port=port,
                        webhook_secret=Secret("s3cret-token"))
    application = build_application(config)
    services = application.bot_data["services"]
    stop = asyncio.Event()
    async with application:
        await start_services(application)
        server = WebhookServer(application, config)
        await server.start()
        outbox = asyncio.create_task(run_outbox(services.outbox, stop, interval=0.05))
        try:
            [registered] = [r for r in api.requests if r["method"] == "setWebhook"]
            assert registered["params"]["url"] == config.webhook_url
            message = api.new_message(api.user(CITIZEN), api.private_chat(CITIZEN), text="护照过期了怎么换")
            update = {"update_id": 42, "message": message}
            async with httpx.AsyncClient() as client:
                refused = await client.post(config.webhook_url, json=update,
                                            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
                assert refused.status_code == 403
                accepted = await client.post(config.webhook_url, json=update,
                                             headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"})
                assert accepted.status_code == 200
                assert json.loads(services.ledger.db["updates"].get(42)["payload"])["update_id"] == 42
            [answer] = await wait_until_async(lambda: api.sent(CITIZEN), what="the answer to the webhook's update")
            assert "普通护照申领" in answer["params"]["text"]
            assert services.ledger.db["updates"].get(42)["handled_at"]
        finally:
            stop.set()
            await outbox
            await server.stop()
            await application.stop()
    api.stop()
