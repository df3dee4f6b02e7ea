"""Bot API faults, hostile input and authorization, end to end against the fake Bot API."""

from __future__ import annotations

import logging

import pytest

from tests.telegram_harness import ADMIN, CITIZEN, OTHER_CITIZEN, STAFF_A, STAFF_CHAT, running_bot, sent_to
from tests.test_telegram import open_a_case
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio

MARKUP_FLOOD = ("<b>粗体</b> *星号* _下划线_ [链接](http://x) <a href='javascript:alert(1)'>点</a> &amp; `code` "
                "<script>x</script> ") * 40


# -- Bot API faults -------------------------------------------------------------------------

async def test_429_then_502_still_delivers_the_answer(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.fail("sendMessage", "429", retry_after=1, chat_id=CITIZEN)
        bot.api.fail("sendMessage", "502", chat_id=CITIZEN)
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [answer] = await sent_to(bot, CITIZEN, "普通护照申领", timeout=20)
        attempts = [r for r in bot.api.requests if r["method"] == "sendMessage" and r["params"]["chat_id"] == CITIZEN]
        assert len(attempts) == 3 and attempts[1]["at"] - attempts[0]["at"] >= 0.9  # waited for retry_after
        [row] = await wait_until_async(lambda: bot.ledger.outbox_rows("sent"), what="the outbox row marked sent")
        assert row.attempts == 3 and "Bad Gateway" in (row.last_error or "")


async def test_a_timeout_is_retried(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.fail("sendMessage", "timeout", chat_id=CITIZEN)
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        await sent_to(bot, CITIZEN, "普通护照申领", timeout=40)
        [row] = await wait_until_async(lambda: bot.ledger.outbox_rows("sent"), what="the outbox row marked sent")
        assert "TimedOut" in row.last_error


async def test_a_citizen_who_blocked_the_bot_is_not_retried_forever(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.api.blocked_users.add(CITIZEN)
        bot.api.staff_says(STAFF_A, "请带身份证来。", reply_to=card["result"])
        await sent_to(bot, STAFF_CHAT, "无法送达市民")
        [row] = bot.ledger.outbox_rows("undeliverable")
        assert "blocked" in row.last_error and row.attempts == 1
        assert "undeliverable" in [e.kind for e in bot.ledger.case_events(case_id)]


async def test_a_replayed_update_gives_no_second_inquiry_case_or_message(tmp_path, caplog):
    async with running_bot(tmp_path) as bot:
        update_id = bot.api.citizen_says(CITIZEN, "我家的狗走丢了怎么办")
        await sent_to(bot, STAFF_CHAT, "🆕 案件")
        await sent_to(bot, CITIZEN, "案件编号")
        await wait_until_async(lambda: bot.ledger.db["updates"].get(update_id)["handled_at"], what="the first handling")
        # The bot crashed after answering but before it recorded the update as handled and stored the
        # offset: the update is unfinished in the ledger, and Telegram hands it out again.
        bot.ledger.db["updates"].update(update_id, {"handled_at": None})
        with caplog.at_level(logging.INFO, logger="bot.answering.assistant"):
            bot.api.redeliver(update_id)
            await wait_until_async(lambda: bot.api.deliveries[update_id] == 2
                                   and bot.ledger.db["updates"].get(update_id)["handled_at"],
                                   what="the update delivered and handled a second time")
        assert [r for r in caplog.records if r.getMessage().startswith(f"Update {update_id} was answered before")]
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # not via the error handler
        assert len(bot.ledger.inquiries(str(CITIZEN))) == 1 and len(bot.ledger.cases()) == 1
        # Nothing was queued twice (the outbox's keys), so nothing can be sent twice.
        assert [row.chat_id for row in bot.ledger.outbox_rows()].count(str(CITIZEN)) == 1
        assert len(bot.api.sent(STAFF_CHAT)) == 1 and len(bot.api.sent(CITIZEN)) == 1


# -- hostile and odd input --------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "\u200b", "x" * 4096, "🙂🙃😀😡🤔" * 3, "身份证\x00\x07\x1b[31m丢了", "مرحبا كيف أجدد جواز السفر \u202e",
    "'; DROP TABLE inquiries; --", "<b>护照</b>", MARKUP_FLOOD[:4000],
])
async def test_odd_text_is_answered_and_the_next_citizen_too(tmp_path, text):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, text)
        await wait_until_async(lambda: bot.api.sent(CITIZEN), what="a reply to the odd text")
        bot.api.citizen_says(OTHER_CITIZEN, "护照过期了怎么换")
        await sent_to(bot, OTHER_CITIZEN, "普通护照申领")
        [row] = bot.ledger.inquiries(str(CITIZEN))
        assert row.reply
        for record in bot.api.sent():  # whatever was echoed is escaped
            body = record["params"].get("text") or ""
            assert "<script>" not in body and "<b>护照</b>" not in body and "javascript:" not in body.replace(
                "&lt;a href='javascript:", "")


async def test_a_sticker_and_a_markup_flood_do_not_stop_the_next_question(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_sends(CITIZEN, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                "width": 512, "height": 512, "is_animated": False, "is_video": False})
        bot.api.citizen_says(CITIZEN, MARKUP_FLOOD[:4000])
        bot.api.citizen_says(OTHER_CITIZEN, "低保怎么申请")
        await sent_to(bot, OTHER_CITIZEN, "最低生活保障")
        await sent_to(bot, CITIZEN, "我目前只能阅读文字消息")
        card = await sent_to(bot, STAFF_CHAT, "🆕 案件")
        assert "&lt;script&gt;" in card[0]["params"]["text"]


async def test_an_edited_message_is_answered_again(tmp_path):
    async with running_bot(tmp_path) as bot:
        message = bot.api.new_message(bot.api.user(CITIZEN), bot.api.private_chat(CITIZEN), text="护照过期了怎么换",
                                      edit_date=1)
        bot.api.push("edited_message", message)
        await sent_to(bot, CITIZEN, "普通护照申领")


async def test_the_bot_leaves_groups_and_ignores_channel_posts(tmp_path):
    async with running_bot(tmp_path) as bot:
        group = {"id": -2002, "type": "group", "title": "Neighbours"}
        bot.api.push("message", bot.api.new_message(bot.api.user(CITIZEN), group, text="护照怎么办"))
        bot.api.push("channel_post", {"message_id": 1, "date": 1, "chat": {"id": -3003, "type": "channel",
                                                                            "title": "News"}, "text": "护照"})
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        await sent_to(bot, CITIZEN, "普通护照申领")
        assert [r["params"]["chat_id"] for r in bot.api.requests if r["method"] == "leaveChat"] == [-2002]
        assert not bot.api.sent(-2002) and not bot.api.sent(-3003)
        assert len(bot.ledger.inquiries()) == 1


async def test_a_flood_gets_a_polite_notice_and_every_message_is_recorded(tmp_path):
    async with running_bot(tmp_path, rate_limit_per_minute=5) as bot:
        for n in range(12):
            bot.api.citizen_says(CITIZEN, f"护照过期了怎么换 {n}")
        await wait_until_async(lambda: len(bot.ledger.inquiries(str(CITIZEN))) == 12, what="all 12 recorded")
        await sent_to(bot, CITIZEN, "您发送得太快了")
        actions = [r.action for r in bot.ledger.inquiries(str(CITIZEN))]
        assert actions.count("answer") == 5 and actions.count("rate_limited") == 7
        assert len([t for t in bot.api.texts(CITIZEN) if "您发送得太快了" in t]) == 1


# -- authorization, each rule from the wrong side ----------------------------------------------------

async def test_a_citizen_cannot_forge_a_claim(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, ack, _ = await open_a_case(bot)
        bot.api.press(CITIZEN, ack["result"], f"claim:{case_id}")
        answered = await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"])
        assert answered[0]["params"]["text"] == "只有工作人员可以操作案件。"
        assert bot.ledger.case(case_id).owner_id is None


async def test_a_citizen_cannot_rate_or_reopen_another_citizens_case(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, ack, _ = await open_a_case(bot)
        bot.api.citizen_says(OTHER_CITIZEN, "护照过期了怎么换")
        [reply] = await sent_to(bot, OTHER_CITIZEN, "普通护照申领")
        bot.api.press(OTHER_CITIZEN, reply["result"], f"rate:{case_id}:1")
        mine = bot.ledger.inquiries(str(CITIZEN))[0].id
        bot.api.press(OTHER_CITIZEN, reply["result"], f"ask:{mine}")
        bot.api.press(OTHER_CITIZEN, reply["result"], "claim:999999999999999999999999999")
        bot.api.press(OTHER_CITIZEN, reply["result"], "totally:made:up")
        await wait_until_async(lambda: len([r for r in bot.api.requests if r["method"] == "answerCallbackQuery"]) == 4)
        assert bot.ledger.case(case_id).rating is None
        assert len(bot.ledger.cases()) == 1 and bot.ledger.open_case_of(str(OTHER_CITIZEN)) is None


async def test_staff_cannot_use_admin_commands(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.staff_says(STAFF_A, "/reload")
        await sent_to(bot, STAFF_CHAT, "只有管理员可以使用此命令")
        bot.api.citizen_says(ADMIN, "/reload")
        await sent_to(bot, ADMIN, "知识库已重新加载")


async def test_staff_acting_from_an_unknown_chat_are_refused(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        # The same staff member, pressing the card's button from a private chat they are not listed for.
        forged = {**card["result"], "chat": bot.api.private_chat(STAFF_A)}
        bot.api.press(STAFF_A, forged, f"claim:{case_id}")
        bot.api.citizen_says(STAFF_A, f"/case {case_id}")
        await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"])
        assert bot.ledger.case(case_id).owner_id is None
        await sent_to(bot, STAFF_A, "我是政务服务咨询助手")  # /case from an unknown chat is a citizen's command
        assert not any(f"Case #{case_id}" in t for t in bot.api.texts(STAFF_A))


async def test_listed_staff_may_act_from_a_private_chat(tmp_path):
    async with running_bot(tmp_path, staff_user_ids=frozenset({STAFF_A})) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.api.citizen_says(STAFF_A, f"/case {case_id}")
        await sent_to(bot, STAFF_A, f"Case #{case_id}")


# -- a handler that fails ---------------------------------------------------------------------------

async def test_a_handler_that_raises_still_gives_the_citizen_a_case_and_tells_staff(tmp_path):
    async with running_bot(tmp_path) as bot:
        # A real fault, not a patched function: the database refuses to record this answer.
        bot.ledger.db.execute("CREATE TRIGGER refuse BEFORE INSERT ON inquiries WHEN NEW.action = 'answer' "
                              "BEGIN SELECT RAISE(ABORT, 'disk I/O error (test)'); END")
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [apology] = await sent_to(bot, CITIZEN, "抱歉，系统处理您的消息时出错")
        [case] = bot.ledger.cases()
        assert f"#{case.id}" in apology["params"]["text"] and case.question == "护照过期了怎么换"
        await sent_to(bot, STAFF_CHAT, "disk I/O error (test)")  # the error, for whoever looks after the bot
        await sent_to(bot, STAFF_CHAT, f"🆕 案件 #{case.id}")  # the case card, so a person answers
        [inquiry] = bot.ledger.inquiries(str(CITIZEN))
        assert inquiry.action == "escalate" and inquiry.case_id == case.id


async def test_a_citizen_cannot_rate_their_case_while_it_is_open(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, ack, card = await open_a_case(bot)
        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        await wait_until_async(lambda: bot.ledger.case(case_id).owner_id, what="the claim")
        bot.api.press(CITIZEN, ack["result"], f"rate:{case_id}:1")
        answered = await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"
                                        and r["params"].get("text")], what="the refusal")
        assert answered[-1]["params"]["text"] == "此按钮已失效，请重新提问。"
        case = bot.ledger.case(case_id)
        assert (case.status, case.owner_id, case.rating) == ("open", str(STAFF_A), None)


async def test_a_failed_button_press_is_answered_and_opens_no_case(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [reply] = await sent_to(bot, CITIZEN, "普通护照申领")
        bot.api.fail("answerCallbackQuery", "502")  # the handler fails half-way
        bot.api.press(CITIZEN, reply["result"], f"fb:{bot.ledger.inquiries(str(CITIZEN))[0].id}")
        answers = await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"
                                       and r.get("ok")], what="the button answered after the failure")
        assert answers[0]["params"]["text"] == "抱歉，处理这个按钮时出错，请稍后再试。"
        await sent_to(bot, STAFF_CHAT, "处理更新")  # staff learn of the error
        assert bot.ledger.cases() == [] and len(bot.api.sent(CITIZEN)) == 1  # no case, no apology


async def test_a_409_conflict_is_said_plainly_and_polling_goes_on(tmp_path, caplog):
    async with running_bot(tmp_path) as bot:
        bot.api.fail("getUpdates", "409", times=2)
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        await sent_to(bot, CITIZEN, "普通护照申领", timeout=30)
    lines = [r.getMessage() for r in caplog.records if "409 Conflict" in r.getMessage()]
    assert len(lines) == 1 and "another process is polling with this bot token" in lines[0]


async def test_a_throttled_staff_group_does_not_hold_up_citizens(tmp_path):
    """The staff group takes 20 messages a minute: 25 new cases queue cards there for a while, and the
    questions that come in meanwhile are answered at once."""
    out_of_scope = 25
    async with running_bot(tmp_path) as bot:
        for n in range(out_of_scope):
            bot.api.citizen_says(7000 + n, "我家的狗走丢了怎么办")
        # Every one of them received (recorded before it is handled); the next questions come after.
        await wait_until_async(lambda: bot.ledger.db["updates"].count == out_of_scope, what="every question received")
        for n in range(10):
            bot.api.citizen_says(8000 + n, "护照过期了怎么换")
        for n in range(10):
            await sent_to(bot, 8000 + n, "普通护照申领", timeout=30)
        cards = [t for t in bot.api.texts(STAFF_CHAT) if "🆕 案件" in t]
        assert len(cards) < out_of_scope, "the answers waited for the staff group's cards"
