"""Tailored checklists, life-event bundles, English, and the checklist file, end to end."""

from __future__ import annotations

import re

import pytest

from bot.config import BUNDLED_KNOWLEDGE
from bot.knowledge.loading import load_knowledge
from tests.telegram_harness import CITIZEN, buttons, running_bot, sent_to
from tests.waiting import wait_until_async

pytestmark = pytest.mark.asyncio
KNOWLEDGE = load_knowledge(BUNDLED_KNOWLEDGE)
PASSPORT = KNOWLEDGE.services["passport"]
ANSWERS = {"minor": False, "agent": True, "state_employee": False, "old_passport": True}


def listed_documents(text: str) -> list[str]:
    body = text.split("需要准备的材料</b>")[1].split("<b>办理地点")[0]
    return re.findall(r"^\d+\. <b>(.+?)</b>", body, re.M)


async def answer_conditions(bot, start_message, answers, user=CITIZEN, prefix="问题", language_code="zh-hans"):
    """Press [Tailor], then answer each question as it comes."""
    inquiry = next(d for d in buttons(start_message) if d.startswith("tailor:")).split(":")[1]
    bot.api.press(user, start_message["result"], f"tailor:{inquiry}", language_code)
    for n in range(1, len(answers) + 1):
        [question] = await sent_to(bot, user, f"{prefix} {n}/{len(answers)}")
        condition = buttons(question)[0].split(":")[2]
        bot.api.press(user, question["result"], f"cond:{inquiry}:{condition}:{int(answers[condition])}", language_code)


async def test_tailoring_the_passport_list_gives_exactly_the_applicable_documents(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [first] = await sent_to(bot, CITIZEN, "普通护照申领")
        assert len(listed_documents(first["params"]["text"])) == len(PASSPORT.documents)
        await answer_conditions(bot, first, ANSWERS)
        [final] = await sent_to(bot, CITIZEN, "您的情况")
        expected = [d.name.zh for d in PASSPORT.documents if d.applies(ANSWERS)]
        assert listed_documents(final["params"]["text"]) == expected
        assert "申请人是否未满16周岁？ 否" in final["params"]["text"]
        row = bot.ledger.inquiries(str(CITIZEN))[-1]
        assert row.action == "chosen" and row.answers["agent"] is True
        assert not any(d.startswith("tailor:") for d in buttons(final))


async def test_a_tailoring_survives_a_restart(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [first] = await sent_to(bot, CITIZEN, "普通护照申领")
        inquiry = next(d for d in buttons(first) if d.startswith("tailor:")).split(":")[1]
        bot.api.press(CITIZEN, first["result"], f"tailor:{inquiry}")
        [question] = await sent_to(bot, CITIZEN, "问题 1/4")
    async with running_bot(tmp_path, first_update_id=100) as bot:  # a new process on the same ledger
        bot.api.press(CITIZEN, question["result"], f"cond:{inquiry}:minor:0")
        await sent_to(bot, CITIZEN, "问题 2/4")


async def test_a_newborn_question_gets_one_bundle_with_no_document_twice(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "孩子出生了要办哪些手续")
        await sent_to(bot, CITIZEN, "新生儿出生一件事")
        [bundle] = await sent_to(bot, CITIZEN, "一次性告知的全部事项")  # the last message carries the buttons
        text = "\n".join(m["params"]["text"] for m in bot.api.sent(CITIZEN))
        documents = re.findall(r"^\d+\. <b>(.+?)</b>[（(]", text.split("材料清单")[1], re.M)
        assert documents and len(documents) == len(set(documents))
        assert text.index("出生医学证明办理") < text.index("新生儿户口登记") < text.index("社会保障卡申领")
        picks = [d for d in buttons(bundle) if d.startswith("pick:")]
        assert [p.split(":")[2] for p in picks] == list(KNOWLEDGE.events["newborn"].service_ids)


async def test_an_english_speaking_citizen_gets_everything_in_english(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "/start", language_code="en")
        [welcome] = await sent_to(bot, CITIZEN, "Hello!")
        bot.api.citizen_says(CITIZEN, "How do I renew my passport?", language_code="en")
        [answer] = await sent_to(bot, CITIZEN, "knowledge base version")  # the last message carries the buttons
        await answer_conditions(bot, answer, ANSWERS, prefix="Question", language_code="en")
        [final] = await sent_to(bot, CITIZEN, "Your situation")
        for record in bot.api.sent(CITIZEN):
            text = re.sub(r"<[^>]+>", "", record["params"].get("text") or "")
            assert not re.search(r"[\u4e00-\u9fff]", text.replace("切换语言", "")), text[:200]
        labels = [b["text"] for row in final["params"]["reply_markup"]["inline_keyboard"] for b in row]
        assert "💾 Save as file" in labels and "🙋 Ask a person" in labels


async def test_save_as_file_sends_a_printable_page(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "护照过期了怎么换")
        [answer] = await sent_to(bot, CITIZEN, "普通护照申领")
        inquiry = next(d for d in buttons(answer) if d.startswith("file:")).split(":")[1]
        bot.api.press(CITIZEN, answer["result"], f"file:{inquiry}")
        [sent] = await wait_until_async(lambda: bot.api.sent(CITIZEN, "sendDocument"), what="the checklist file")
        document = sent["params"]["document"]
        page = document["bytes"].decode("utf-8")
        assert document["filename"].startswith("checklist-passport-") and document["filename"].endswith(".html")
        assert 'ul class="check"' in page and KNOWLEDGE.version in page
        assert KNOWLEDGE.offices["exit_entry_bureau"].address.zh in page
