"""Error reports from the field, and correction notices to everyone told the older version.

End to end: the real Application against the fake Bot API over HTTP, a real ledger file, and a real
knowledge base copy that the admin edits and reloads.
"""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import set_passport_fee
from tests.telegram_harness import ADMIN, CITIZEN, OTHER_CITIZEN, STAFF_A, STAFF_CHAT, buttons, running_bot, sent_to
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio
LATE_CITIZEN = 7777


async def ask_passport(bot, citizen: int) -> dict:
    bot.api.citizen_says(citizen, "护照过期了怎么换")
    [last] = await sent_to(bot, citizen, "知识库版本")  # the checklist's last message carries the buttons
    return last


async def test_a_citizens_error_report_reaches_the_staff_chat_naming_the_service(tmp_path):
    async with running_bot(tmp_path) as bot:
        checklist = await ask_passport(bot, CITIZEN)
        [wrong] = [d for d in buttons(checklist) if d.startswith("wrong:")]
        bot.api.press(CITIZEN, checklist["result"], wrong)
        await sent_to(bot, CITIZEN, "哪里有误")
        bot.api.citizen_says(CITIZEN, "窗口说还要带<b>户口本</b>")
        await sent_to(bot, CITIZEN, "信息纠错 #1")
        [report] = await sent_to(bot, STAFF_CHAT, "信息纠错 #1")
        text = report["params"]["text"]
        assert "普通护照申领" in text and "出入境管理局" in text  # the service and the office that owns it
        assert "窗口说还要带&lt;b&gt;户口本&lt;/b&gt;" in text  # what the citizen said, escaped
        assert "当时告知的内容" in text and "居民身份证" in text  # exactly what they had been told
        [row] = bot.ledger.error_reports()
        inquiry = bot.ledger.inquiries(str(CITIZEN))[0]
        assert (row.service_id, row.inquiry_id, row.kb_version, row.office_id, row.status) == (
            "passport", inquiry.id, inquiry.kb_version, "exit_entry_bureau", "open")
        assert row.told == inquiry.reply
        # The next message is a question again, not another report.
        bot.api.citizen_says(CITIZEN, "身份证丢了怎么补办")
        await sent_to(bot, CITIZEN, "居民身份证遗失补领")
        assert len(bot.ledger.error_reports()) == 1


async def test_a_forged_report_button_changes_nothing(tmp_path):
    async with running_bot(tmp_path) as bot:
        checklist = await ask_passport(bot, CITIZEN)
        [wrong] = [d for d in buttons(checklist) if d.startswith("wrong:")]
        bot.api.press(OTHER_CITIZEN, checklist["result"], wrong)  # someone else's checklist
        await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"])
        bot.api.citizen_says(OTHER_CITIZEN, "窗口说还要带户口本")
        # An ordinary question, not a report: answered and recorded, whatever the matcher makes of it.
        await wait_until_async(lambda: [i for i in bot.ledger.inquiries(str(OTHER_CITIZEN))
                                        if i.text == "窗口说还要带户口本"], what="the message taken as a question")
        assert bot.ledger.error_reports() == []


async def test_staff_report_an_error_with_a_command(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.staff_says(STAFF_A, "/wrong passport 工本费已调整为每本100元")
        [report] = await sent_to(bot, STAFF_CHAT, "信息纠错 #1：普通护照申领")
        assert "工本费已调整为每本100元" in report["params"]["text"]
        bot.api.staff_says(STAFF_A, "/wrong no_such_service 随便")
        await sent_to(bot, STAFF_CHAT, "没有事项“no_such_service”")
        assert [r.service_id for r in bot.ledger.error_reports()] == ["passport"]


async def test_a_fee_correction_reaches_each_citizen_told_the_old_fee_once(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy) as bot:
        await ask_passport(bot, CITIZEN)
        await ask_passport(bot, OTHER_CITIZEN)
        set_passport_fee(knowledge_copy, "每本100元", "CNY 100 per passport")
        bot.api.citizen_says(ADMIN, "/reload")
        [offer] = await sent_to(bot, ADMIN, "收到过旧版本")
        assert "普通护照申领（收费标准）" in offer["params"]["text"] and "有 2 位市民" in offer["params"]["text"]
        await ask_passport(bot, LATE_CITIZEN)  # told the new fee: nothing to correct
        [notify] = buttons(offer)
        bot.api.press(ADMIN, offer["result"], notify)
        await sent_to(bot, ADMIN, "排队发送 2 条更正通知")
        for citizen in (CITIZEN, OTHER_CITIZEN):
            [notice] = await sent_to(bot, citizen, "更正通知")
            assert "收费标准：护照工本费 每本120元 → 护照工本费 每本100元" in notice["params"]["text"]
            assert "EMS" not in notice["params"]["text"]  # only what changed
            assert buttons(notice) == ["svc:passport"]  # the new checklist on request
        bot.api.press(ADMIN, offer["result"], notify)  # pressed twice: nobody is told twice
        await sent_to(bot, ADMIN, "排队发送 0 条更正通知")
        assert len(bot.api.sent_containing(CITIZEN, "更正通知")) == 1
        assert bot.api.sent_containing(LATE_CITIZEN, "更正通知") == []


async def test_only_admins_send_corrections(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy) as bot:
        await ask_passport(bot, CITIZEN)
        set_passport_fee(knowledge_copy, "每本100元", "CNY 100 per passport")
        bot.api.citizen_says(ADMIN, "/reload")
        [offer] = await sent_to(bot, ADMIN, "收到过旧版本")
        bot.api.press(CITIZEN, offer["result"], buttons(offer)[0])  # a forwarded message, pressed by a citizen
        await wait_until_async(lambda: [r for r in bot.api.requests if r["method"] == "answerCallbackQuery"])
        assert bot.api.sent_containing(CITIZEN, "更正通知") == []


async def test_an_alias_edit_is_no_correction(tmp_path, knowledge_copy):
    async with running_bot(tmp_path, knowledge_dir=knowledge_copy) as bot:
        await ask_passport(bot, CITIZEN)
        path = knowledge_copy / "services" / "passport.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["aliases"].append("出国本本")
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
        bot.api.citizen_says(ADMIN, "/reload")
        await sent_to(bot, ADMIN, "~ changed: passport (aliases)")
        bot.api.citizen_says(ADMIN, "/help")  # the next reply comes after any correction offer would have
        await sent_to(bot, ADMIN, "政务服务")
        assert bot.api.sent_containing(ADMIN, "收到过旧版本") == []
