"""The web channel beside the Telegram bot in one process: web cases in the staff chat, through the real
Application (fake Bot API over HTTP) and the real Starlette app."""

from __future__ import annotations

import contextlib
import logging

import httpx
import pytest

from bot.records.rows import CLOSED
from bot.telegram.web_bridge import web_services_for
from bot.web.app import create_app
from tests.telegram_harness import STAFF_CHAT, running_bot, sent_to
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio
OUT_OF_SCOPE = "我的快递三天没到，物流显示一直卡在中转站"  # nothing the city handles: a case for staff


@contextlib.asynccontextmanager
async def bot_and_web(tmp_path):
    """The running bot, and an HTTP client of the web channel on its services (as `run` with WEB_PORT has)."""
    async with running_bot(tmp_path) as bot:
        app = create_app(web_services_for(bot.services))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
            yield bot, client


async def open_web_case(bot, client) -> tuple[str, int, dict]:
    asked = (await client.post("/api/v1/ask", json={"text": OUT_OF_SCOPE})).json()
    [card] = await sent_to(bot, STAFF_CHAT, f"案件 #{asked['case_id']}")
    return asked["session"], asked["case_id"], card


def card_edits(bot, card: dict) -> list[dict]:
    return [r for r in bot.api.requests if r["method"] == "editMessageText" and r.get("ok")
            and r["params"]["chat_id"] == STAFF_CHAT and r["params"]["message_id"] == card["result"]["message_id"]]


async def test_a_case_the_citizen_ends_on_the_web_shows_closed_on_its_staff_card(tmp_path):
    async with bot_and_web(tmp_path) as (bot, client):
        session, case_id, card = await open_web_case(bot, client)
        ended = await client.post("/api/v1/case/close", json={"session": session})
        assert ended.status_code == 200 and f"#{case_id}" in ended.json()["notice"]
        await sent_to(bot, STAFF_CHAT, f"市民结束了案件 #{case_id}")
        [edit] = await wait_until_async(lambda: card_edits(bot, card), what="the card showing the case closed")
        assert "状态：已关闭" in edit["params"]["text"] and not edit["params"].get("reply_markup")  # no claim/close
        # A low rating reopens the case; ending it again tells staff again (not taken for the first ending).
        await client.post("/api/v1/rate", json={"session": session, "case_id": case_id, "stars": 1})
        assert (await client.post("/api/v1/case/close", json={"session": session})).status_code == 200
        await sent_to(bot, STAFF_CHAT, f"市民结束了案件 #{case_id}", count=2)


async def test_a_low_rating_on_the_web_shows_the_case_open_again_on_its_staff_card(tmp_path):
    async with bot_and_web(tmp_path) as (bot, client):
        session, case_id, card = await open_web_case(bot, client)
        await client.post("/api/v1/case/close", json={"session": session})
        await wait_until_async(lambda: card_edits(bot, card), what="the card showing the case closed")
        rated = await client.post("/api/v1/rate", json={"session": session, "case_id": case_id, "stars": 1})
        assert rated.json()["comment"] is True
        await sent_to(bot, STAFF_CHAT, f"案件 #{case_id} 收到 1 星差评")
        edits = await wait_until_async(lambda: card_edits(bot, card)[1:], what="the card showing the case open again")
        assert "状态：待认领" in edits[-1]["params"]["text"]
        markup = edits[-1]["params"]["reply_markup"]["inline_keyboard"]
        assert [b["callback_data"] for row in markup for b in row] == [f"claim:{case_id}", f"close:{case_id}"]


async def test_when_the_staff_chat_cannot_be_told_the_citizens_web_actions_still_succeed(tmp_path, caplog):
    """Nothing can be queued for staff (the ledger refuses it); ending, rating and commenting are recorded all the
    same, and the failure is logged once per action, without the token."""
    async with bot_and_web(tmp_path) as (bot, client):
        session, case_id, _ = await open_web_case(bot, client)
        bot.ledger.db.execute(f"CREATE TRIGGER no_staff_chat BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, "
                              f"'staff chat unreachable: POST /bot{bot.api.token}/sendMessage'); END")
        ended = await client.post("/api/v1/case/close", json={"session": session})
        rated = await client.post("/api/v1/rate", json={"session": session, "case_id": case_id, "stars": 1})
        commented = await client.post("/api/v1/comment", json={"session": session, "case_id": case_id,
                                                               "text": "快递的事谁也没管"})
        case, events = bot.ledger.case(case_id), [e.kind for e in bot.ledger.case_events(case_id)]
    assert [r.status_code for r in (ended, rated, commented)] == [200, 200, 200]
    assert rated.json()["comment"] is True and case.rating == 1 and case.status != CLOSED  # reopened
    assert events[-4:] == ["closed", "rated", "reopened", "comment"]
    failures = [r for r in caplog.records if r.levelno == logging.ERROR and "staff chat" in r.getMessage()]
    assert len(failures) >= 3 and "staff chat unreachable" in caplog.text
    assert bot.api.token.split(":")[1] not in caplog.text
