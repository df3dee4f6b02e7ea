"""End to end over real HTTP: the real Application against the fake Bot API server."""

from __future__ import annotations

import pytest

from tests.telegram_harness import CITIZEN, OTHER_CITIZEN, STAFF_A, STAFF_B, STAFF_CHAT, buttons, running_bot, sent_to
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio


async def open_a_case(bot, citizen=CITIZEN, text="我家的狗走丢了怎么办"):
    bot.api.citizen_says(citizen, text)
    [ack] = await sent_to(bot, citizen, "案件编号")
    [card] = await sent_to(bot, STAFF_CHAT, "🆕 案件")
    case_id = bot.ledger.open_case_of(str(citizen)).id
    await wait_until_async(lambda: bot.ledger.case(case_id).staff_message_id, what="the card's message id")
    return case_id, ack, card


async def end_and_rate_low(bot):
    """A case opened, ended by the citizen and rated 1 (which reopens it); its id and staff card."""
    case_id, _, card = await open_a_case(bot)
    bot.api.citizen_says(CITIZEN, "/end")
    [rating] = await sent_to(bot, CITIZEN, "请为本次服务评分")
    bot.api.press(CITIZEN, rating["result"], f"rate:{case_id}:1")
    return case_id, card


async def test_a_question_gets_the_complete_checklist_with_feedback_buttons(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [reply] = await sent_to(bot, CITIZEN, "普通护照申领")
        text = reply["params"]["text"]
        assert "需要准备的材料" in text and "办理地点" in text and "收费标准" in text
        assert reply["params"]["parse_mode"] == "HTML"
        inquiry = bot.ledger.inquiries(str(CITIZEN))[0]
        assert buttons(reply) == [f"{kind}:{inquiry.id}" for kind in ("tailor", "file", "fb", "ask", "wrong")]
        assert inquiry.reply == text and inquiry.update_id is not None
        bot.api.press(CITIZEN, reply["result"], f"fb:{inquiry.id}")
        await wait_until_async(lambda: bot.ledger.db["feedback"].count == 1, what="feedback")


async def test_a_clarification_offers_each_candidate_and_none_of_these(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "公积金")
        [reply] = await sent_to(bot, CITIZEN, "您想办理的是哪一项")
        inquiry_id = bot.ledger.inquiries(str(CITIZEN))[0].id
        data = buttons(reply)
        assert f"pick:{inquiry_id}:provident_fund_loan" in data and data[-1] == f"ask:{inquiry_id}"
        bot.api.press(CITIZEN, reply["result"], f"pick:{inquiry_id}:provident_fund_loan")
        [checklist] = await sent_to(bot, CITIZEN, "需要准备的材料")
        assert "住房公积金贷款" in checklist["params"]["text"]
        assert [r.action for r in bot.ledger.inquiries(str(CITIZEN))] == ["clarify", "chosen"]


async def test_the_full_loop_citizen_case_claim_reply_rating(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, ack, card = await open_a_case(bot)
        assert f"#{case_id}" in ack["params"]["text"]
        assert buttons(card) == [f"claim:{case_id}", f"close:{case_id}"]
        assert "我家的狗走丢了怎么办" in card["params"]["text"]

        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        await sent_to(bot, STAFF_CHAT, "认领了案件")
        assert bot.ledger.case(case_id).owner_id == str(STAFF_A)

        bot.api.staff_says(STAFF_A, "请到辖区派出所登记，<b>带上</b>狗的照片。", reply_to=card["result"])
        [relayed] = await sent_to(bot, CITIZEN, "工作人员回复")
        assert "请到辖区派出所登记，&lt;b&gt;带上&lt;/b&gt;狗的照片。" in relayed["params"]["text"]

        bot.api.press(STAFF_A, card["result"], f"close:{case_id}")
        [rating] = await sent_to(bot, CITIZEN, "请为本次服务评分")
        bot.api.press(CITIZEN, rating["result"], f"rate:{case_id}:5")
        await wait_until_async(lambda: bot.ledger.case(case_id).rating == 5, what="the rating")
        kinds = [e.kind for e in bot.ledger.case_events(case_id)]
        assert kinds == ["opened", "claimed", "replied", "closed", "rated"]


async def test_two_staff_claiming_at_once_leave_one_owner(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        bot.api.press(STAFF_B, card["result"], f"claim:{case_id}")
        await wait_until_async(lambda: len([r for r in bot.api.requests if r["method"] == "answerCallbackQuery"]) == 2,
                    what="both presses answered")
        claims = [e for e in bot.ledger.case_events(case_id) if e.kind == "claimed"]
        assert len(claims) == 1
        loser = [r for r in bot.api.requests if r["method"] == "answerCallbackQuery" and r["params"].get("text")]
        assert len(loser) == 1 and "已由" in loser[0]["params"]["text"]


async def test_transfer_needs_the_colleague_to_accept(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        await sent_to(bot, STAFF_CHAT, "认领了案件")
        colleague_message = bot.api.new_message(bot.api.user(STAFF_B, name="Li"), bot.api.staff_chat(), text="我来")
        bot.api.staff_says(STAFF_A, f"/transfer {case_id}", reply_to=colleague_message)
        await sent_to(bot, STAFF_CHAT, "请 Li 接手")
        assert bot.ledger.case(case_id).owner_id == str(STAFF_A)  # still responsible until accepted
        bot.api.staff_says(STAFF_B, f"/accept {case_id}", name="Li")
        await sent_to(bot, STAFF_CHAT, "已接手")
        assert bot.ledger.case(case_id).owner_id == str(STAFF_B)
        bot.api.staff_says(STAFF_A, "我还想回答", reply_to=card["result"])
        await sent_to(bot, STAFF_CHAT, "只有负责人可以答复")


async def test_media_goes_both_ways_during_a_case(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        photo = [{"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}]
        bot.api.citizen_sends(CITIZEN, photo=photo, caption="狗的照片")
        await sent_to(bot, CITIZEN, "已转给工作人员")
        copies = await wait_until_async(lambda: bot.api.sent(STAFF_CHAT, "copyMessage"), what="the photo copied to staff")
        assert copies[0]["params"]["from_chat_id"] == CITIZEN
        bot.api.staff_says(STAFF_A, "", reply_to=card["result"], photo=photo, caption="办理地点示意图")
        copied = await wait_until_async(lambda: bot.api.sent(CITIZEN, "copyMessage"), what="the staff photo to the citizen")
        assert "办理地点示意图" in copied[0]["params"]["caption"]
        assert [e.kind for e in bot.ledger.case_events(case_id)][-2:] == ["claimed", "replied"]


async def test_a_sticker_without_a_case_gets_a_helpful_reply(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_sends(CITIZEN, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                                "width": 512, "height": 512, "is_animated": False, "is_video": False})
        await sent_to(bot, CITIZEN, "我目前只能阅读文字消息")


async def test_reminder_warning_and_overdue_with_the_clock_moved(tmp_path):
    from handlers.staff import run_supervision

    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.clock.advance(minutes=31)
        assert [a.kind for a in run_supervision(bot.services)] == ["unclaimed"]
        await sent_to(bot, STAFF_CHAT, "仍无人认领")
        assert run_supervision(bot.services) == []  # each alert once
        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        await wait_until_async(lambda: bot.ledger.case(case_id).owner_id, what="the claim")
        bot.clock.advance(hours=6)  # 80% of the default 8 business hours
        assert [a.kind for a in run_supervision(bot.services)] == ["warning"]
        await sent_to(bot, STAFF_CHAT, "答复时限已用去80%")
        bot.clock.advance(days=2)
        assert [a.kind for a in run_supervision(bot.services)] == ["overdue"]
        await sent_to(bot, STAFF_CHAT, "已超过承诺时限")
        kinds = [e.kind for e in bot.ledger.case_events(case_id)]
        assert kinds == ["opened", "reminded", "claimed", "warned", "overdue"]


async def test_a_forum_staff_group_gets_a_topic_per_case(tmp_path):
    async with running_bot(tmp_path, forum=True) as bot:
        case_id, _, card = await open_a_case(bot)
        topic = bot.ledger.case(case_id).topic_id
        assert topic and card["params"]["message_thread_id"] == topic
        bot.api.staff_says(STAFF_A, "您好，请问狗是在哪里走丢的？", thread_id=topic)
        await sent_to(bot, CITIZEN, "请问狗是在哪里走丢的")
        assert bot.ledger.case(case_id).owner_id == str(STAFF_A)


async def test_a_low_rating_reopens_the_case_with_the_comment(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, card = await end_and_rate_low(bot)
        await sent_to(bot, CITIZEN, "已重新打开")
        bot.api.citizen_says(CITIZEN, "一直没人回复我")
        await sent_to(bot, STAFF_CHAT, "一直没人回复我")
        case = bot.ledger.case(case_id)
        assert case.status == "open" and case.rating == 1
        assert [e.kind for e in bot.ledger.case_events(case_id)][-4:] == ["closed", "rated", "reopened", "comment"]


async def test_a_low_rating_shows_the_case_open_again_on_its_staff_card(tmp_path):
    """The card said closed; after the reopening it offers claim and close again, so staff see it."""
    async with running_bot(tmp_path) as bot:
        case_id, card = await end_and_rate_low(bot)
        await sent_to(bot, STAFF_CHAT, "已重新打开")

        def card_edits():
            edits = [r for r in bot.api.requests if r["method"] == "editMessageText" and r.get("ok")
                     and r["params"]["message_id"] == card["result"]["message_id"]]
            return edits if len(edits) >= 2 else None
        closed, reopened = await wait_until_async(card_edits, what="the card showing the case open again")
        assert "状态：已关闭" in closed["params"]["text"] and not buttons(closed)
        assert "状态：待认领" in reopened["params"]["text"]
        assert buttons(reopened) == [f"claim:{case_id}", f"close:{case_id}"]


async def test_my_case_shows_only_my_own_case(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, _ = await open_a_case(bot)
        bot.api.citizen_says(OTHER_CITIZEN, "/mycase")
        await sent_to(bot, OTHER_CITIZEN, "您目前没有进行中的咨询案件")
        bot.api.citizen_says(CITIZEN, "/mycase")
        await sent_to(bot, CITIZEN, f"案件 #{case_id}")


async def test_staff_commands_list_and_show_cases(tmp_path):
    async with running_bot(tmp_path) as bot:
        case_id, _, card = await open_a_case(bot)
        bot.api.staff_says(STAFF_A, "/open")
        await sent_to(bot, STAFF_CHAT, f"#{case_id} · 待认领")
        bot.api.press(STAFF_A, card["result"], f"claim:{case_id}")
        bot.api.staff_says(STAFF_A, "/mine")
        await sent_to(bot, STAFF_CHAT, f"#{case_id} · User{STAFF_A}")
        bot.api.staff_says(STAFF_A, f"/case {case_id}")
        [history] = await sent_to(bot, STAFF_CHAT, f"Case #{case_id}")
        assert "我家的狗走丢了怎么办" in history["params"]["text"] and "claimed" in history["params"]["text"]


async def test_services_can_be_browsed_by_category(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "/services")
        [categories] = await sent_to(bot, CITIZEN, "请选择类别")
        assert "cat:exit_entry" in buttons(categories)
        bot.api.press(CITIZEN, categories["result"], "cat:exit_entry")
        [services] = await sent_to(bot, CITIZEN, "请选择事项")
        assert set(buttons(services)) == {"svc:passport", "svc:hk_macau_permit"}
        bot.api.press(CITIZEN, services["result"], "svc:passport")
        await sent_to(bot, CITIZEN, "普通护照申领")
        assert bot.ledger.inquiries(str(CITIZEN))[0].action == "chosen"
