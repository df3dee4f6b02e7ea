"""The offline console as a new user meets it: commands, small talk, asking a person, answers given offline."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.records.ledger import Ledger


def inquiries(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    try:
        return ledger.inquiries("console")
    finally:
        ledger.close()


def test_help_lists_the_commands_and_the_user_id(run, tmp_path):
    result = run("chat", input="/help\n/quit\n")
    for command in ("/tailor", "/save", "/person", "/cases", "/en", "/quit"):
        assert command in result.output.split("命令：")[1]
    assert "python -m bot history --user console" in result.output
    assert "Asia/Shanghai (UTC+08:00)" in result.output  # the zone, said once
    assert inquiries(tmp_path) == []  # a command never reaches the matcher


@pytest.mark.parametrize("line, hint", [
    ("y", "没有待回答的是/否问题"), ("n", "没有待回答的是/否问题"), ("是", "没有待回答的是/否问题"),
    ("3", "现在没有可选的列表"), ("/frobnicate", "没有 /frobnicate 这个命令"), ("你好", "请告诉我您要办的事"),
    ("谢谢！", "不客气"), ("/person", "请先输入您的问题"),
])
def test_commands_and_small_talk_get_a_hint_and_open_no_case(run, tmp_path, line, hint):
    result = run("chat", input=f"{line}\n/quit\n")
    assert hint in result.output
    assert inquiries(tmp_path) == []


def test_person_passes_the_last_question_to_staff_and_says_how_the_answer_comes(run, tmp_path):
    result = run("chat", input="护照过期了怎么换\n/person\n/quit\n")
    assert "/person 转人工" in result.output  # the checklist's "转人工" exists here, as a command
    [answered, escalated] = inquiries(tmp_path)
    assert answered.service_id == "passport" and escalated.case_id is not None
    assert f"python -m bot reply {escalated.case_id}" in escalated.reply and "/cases" in escalated.reply
    assert "直接发到这里" not in result.output  # nothing can be pushed into a terminal


def test_an_answer_given_offline_is_shown_once_when_the_chat_opens_and_on_cases(run, tmp_path):
    run("chat", input="我家狗狗走丢了怎么办\n/quit\n")
    [asked] = inquiries(tmp_path)
    answered = run("reply", str(asked.case_id), "请联系辖区派出所。", "--staff", "王芳")
    assert answered.exit_code == 0 and f"Answered case #{asked.case_id} as 王芳" in answered.output
    opened = run("chat", input="/quit\n")
    assert "您的案件有新的答复" in opened.output and "请联系辖区派出所。" in opened.output
    again = run("chat", input="/cases\n/quit\n")
    assert "您的案件有新的答复" not in again.output  # shown once at start
    assert f"案件 #{asked.case_id}（处理中" in again.output and "请联系辖区派出所。" in again.output


def test_reply_refuses_a_missing_case_and_a_telegram_case(run, tmp_path):
    run("chat", input="/quit\n")  # creates the ledger
    missing = run("reply", "99", "x")
    assert missing.exit_code == 1 and "There is no case #99" in missing.output
    ledger = Ledger(tmp_path / "ledger.db")
    case_id = ledger.open_case(channel="telegram", user_id="5001", chat_id="5001", language="zh", question="狗证")
    ledger.close()
    telegram = run("reply", str(case_id), "x")
    assert telegram.exit_code == 1 and "answer it in the staff chat" in telegram.output


def test_a_life_event_can_be_tailored_in_the_console(run, tmp_path):
    answers = "n\n" * 30
    result = run("chat", input="孩子出生了要办哪些手续\n/tailor\n" + answers + "/quit\n")
    assert "这个筛选已结束或已过期" not in result.output
    assert "问题 1/" in result.output and "【您的情况】" in result.output
    last = inquiries(tmp_path)[-1]
    assert last.event_id == "newborn" and last.answers and set(last.answers.values()) == {False}


def test_history_is_in_local_time_with_the_zone_said_once(run, tmp_path):
    run("chat", input="我家狗狗走丢了怎么办\n/quit\n")
    [asked] = inquiries(tmp_path)
    result = run("history", "--case", str(asked.case_id))
    first, *rest = result.output.splitlines()
    assert first == "Times in Asia/Shanghai (UTC+08:00)"
    local = asked.at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M:%S")
    assert f"{local} question (console)" in result.output and rest[0].startswith(f"Case #{asked.case_id} ")
    assert "+00:00" not in result.output
