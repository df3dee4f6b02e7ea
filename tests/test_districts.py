"""Where to go, exactly: the citizen's district gives the district's own office, chosen once and remembered."""

from __future__ import annotations

import json

from bot.answering.render import PLAIN, render_checklist
from tests.telegram_harness import CITIZEN, OTHER_CITIZEN, buttons, running_bot, sent_to
from tests.waiting import wait_until_async


async def test_one_press_on_a_district_shows_its_office_and_is_remembered(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "结婚登记要带什么材料")
        [first] = await sent_to(bot, CITIZEN, "结婚登记")
        assert "洪山区民政局婚姻登记处" not in first["params"]["text"]
        [ask] = await sent_to(bot, CITIZEN, "您在哪个区")
        [hongshan] = [d for d in buttons(ask) if d.endswith(":hongshan")]
        bot.api.press(CITIZEN, ask["result"], hongshan)
        await sent_to(bot, CITIZEN, "已记住您在洪山区")
        [again] = await sent_to(bot, CITIZEN, "洪山区民政局婚姻登记处")
        text = again["params"]["text"]
        assert "（先到此处）" in text and "地址正在核实" in text  # the registry's address is being confirmed,
        assert "洪山区政务服务中心：洪山区文秀街9号" in text  # so the district centre's address is given instead
        assert bot.ledger.inquiries(str(CITIZEN))[-1].district == "hongshan"

        bot.api.citizen_says(CITIZEN, "离婚登记需要什么")  # the next question: no need to ask again
        await sent_to(bot, CITIZEN, "洪山区民政局婚姻登记处", count=2)
        divorce = bot.ledger.inquiries(str(CITIZEN))[-1]
        assert divorce.service_id == "divorce_registration" and "洪山区民政局婚姻登记处" in divorce.reply
        assert len(bot.api.sent_containing(CITIZEN, "您在哪个区")) == 1


async def test_a_district_named_in_the_question_is_used_and_remembered(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "我在汉阳区，结婚登记要去哪里办")
        [answer] = await sent_to(bot, CITIZEN, "汉阳区民政局婚姻登记处")
        assert "汉阳区政务服务中心：汉阳区四新北路125号" in answer["params"]["text"]
        assert bot.api.sent_containing(CITIZEN, "您在哪个区") == []
        assert bot.ledger.chat(CITIZEN).district == "hanyang"


async def test_district_command_and_forged_district_buttons(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.api.citizen_says(CITIZEN, "/district")
        [ask] = await sent_to(bot, CITIZEN, "您在哪个区")
        assert len(buttons(ask)) == 17  # 13 districts and 4 development zones
        bot.api.press(CITIZEN, ask["result"], "dist:0:atlantis")
        bot.api.press(OTHER_CITIZEN, ask["result"], "dist:99999999999999999999:hongshan")
        await wait_until_async(lambda: len([r for r in bot.api.requests if r["method"] == "answerCallbackQuery"]) == 2)
        assert bot.ledger.chat(CITIZEN).district is None and bot.ledger.chat(OTHER_CITIZEN).district is None
        bot.api.press(CITIZEN, ask["result"], "dist:0:wuchang")
        await sent_to(bot, CITIZEN, "已记住您在武昌区")
        assert bot.ledger.chat(CITIZEN).district == "wuchang"


def test_a_city_level_service_does_not_ask_for_a_district(knowledge):
    # The passport office serves the whole city: nothing to choose.
    text = render_checklist(knowledge.services["passport"], knowledge, "zh", PLAIN)[0]
    assert "告诉我您所在的区" not in text


def test_ask_names_the_district_office(run):
    result = run("ask", "我在洪山区，结婚登记要去哪里办", "--json")
    data = json.loads(result.output)
    assert (data["action"], data["service"], data["district"]) == ("answer", "marriage_registration", "hongshan")
    assert "洪山区民政局婚姻登记处" in data["reply"] and "洪山区文秀街9号" in data["reply"]


def test_offices_lists_every_district_office_with_its_district(run):
    result = run("offices", "--json")
    rows = [json.loads(line) for line in result.output.splitlines()]
    local = [r for r in rows if r["district"]]
    assert len({r["district"] for r in local}) >= 13
    assert all(set(r) >= {"id", "name", "level", "district", "address", "phone"} for r in rows)
    # An address comes with its source, and no address is made up: the rest say they are being confirmed.
    assert all(r["sources"] for r in local if r["address"])
    assert all(r["to_confirm"] for r in local if r["address"] is None)
    hongshan = run("offices", "--district", "洪山区", "--json").output.splitlines()
    assert {json.loads(line)["district"] for line in hongshan} == {None, "hongshan"}


def test_the_report_counts_a_district_question_under_the_district_office(assistant, ledger):
    import datetime as dt

    from bot.supervision.report import build_report

    assistant.ask("我在洪山区，结婚登记要去哪里办", channel="telegram", user_id="u1", chat_id="u1")
    assistant.ask("结婚登记要带什么", channel="telegram", user_id="u2", chat_id="u2")  # no district known
    report = build_report(ledger, assistant.store.current.knowledge, ledger.now() - dt.timedelta(hours=1))
    rows = {t.key: t for t in report.offices}
    assert rows["hongshan_marriage_registry"].inquiries == 1
    assert rows["marriage_registry"].inquiries == 1


def test_every_district_name_and_alias_is_found_in_a_question(matcher, knowledge):
    for district in knowledge.districts.values():
        for name in (district.name.zh, district.name.en, *district.aliases):
            question = f"I live in {name}, where do I go?" if name.isascii() else f"我在{name}，想办个证"
            places = matcher.places.find(question)
            assert places.district == district.id, name
            assert name.lower() not in places.text
