"""`python -m bot run` in a subprocess, driven by the fake Bot API through environment variables only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.records.ledger import Ledger
from tests.process import ROOT, BotProcess, message_to

CITIZEN, OUTSIDER, STAFF = 6001, 6002, 9001



def test_question_escalation_and_staff_answer_through_a_real_process(api, tmp_path):
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database).start()
    try:
        api.citizen_says(CITIZEN, "身份证丢了怎么补办")
        [checklist] = message_to(api, CITIZEN, "需要准备的材料", timeout=30)
        assert "居民身份证" in checklist["params"]["text"]

        api.citizen_says(OUTSIDER, "我想给我家狗办个狗证")
        [ack] = message_to(api, OUTSIDER, "案件编号")
        [card] = message_to(api, api.staff_chat_id, "我想给我家狗办个狗证")
        api.staff_says(STAFF, "养犬登记请到辖区派出所办理。", reply_to=card["result"])
        [answer] = message_to(api, OUTSIDER, "养犬登记请到辖区派出所办理。")
    finally:
        assert bot.stop() == 0
    output = bot.output()
    assert api.token not in output and "Bot running (polling)" in output

    ledger = Ledger(database)
    [question] = ledger.inquiries(str(CITIZEN))
    assert question.action == "answer" and question.service_id == "id_card_replacement"
    [escalated] = ledger.inquiries(str(OUTSIDER))
    case = ledger.case(escalated.case_id)
    assert f"#{case.id}" in ack["params"]["text"]
    events = ledger.case_events(case.id)
    assert [e.kind for e in events] == ["opened", "claimed", "replied"]
    assert "养犬登记请到辖区派出所办理。" in events[-1].detail["text"]


@pytest.mark.parametrize("missing", ["TELEGRAM_BOT_TOKEN", "STAFF_CHAT_ID"])
def test_a_missing_setting_stops_start_up_with_one_line(api, tmp_path, missing):
    bot = BotProcess(api, tmp_path / "ledger.db")
    env = {k: v for k, v in bot.env.items() if k != missing}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env={**env, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {missing} is not set; set it in the environment or in "
                                                  ".env (see README, 'For staff')."]
    assert api.token not in result.stderr


def test_faults_and_odd_input_through_a_real_process(api, tmp_path):
    """429 (retry_after 1) then 502 on sendMessage, a sticker, and 4,000 characters of markup."""
    from tests.test_reliability import MARKUP_FLOOD

    bot = BotProcess(api, tmp_path / "ledger.db").start()
    try:
        api.fail("sendMessage", "429", retry_after=1, chat_id=CITIZEN)
        api.fail("sendMessage", "502", chat_id=CITIZEN)
        api.citizen_says(CITIZEN, "护照过期了怎么换")
        message_to(api, CITIZEN, "普通护照申领", timeout=30)
        api.citizen_sends(OUTSIDER, sticker={"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512,
                                             "height": 512, "is_animated": False, "is_video": False})
        api.citizen_says(OUTSIDER, MARKUP_FLOOD[:4000])
        api.citizen_says(STAFF, "低保怎么申请")
        message_to(api, STAFF, "最低生活保障", timeout=30)
        message_to(api, OUTSIDER, "我目前只能阅读文字消息")
        [card] = message_to(api, api.staff_chat_id, "🆕 案件")
        assert "<script>" not in card["params"]["text"] and len(card["params"]["text"]) <= 4096
    finally:
        assert bot.stop() == 0
    assert api.token not in bot.output()
