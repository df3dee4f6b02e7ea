"""A real `python -m bot run` against the fake Bot API, under the faults of issue 13.

A forged webhook, a second instance during a burst, forged buttons and arguments, a deleted or read-only
ledger, a crash in the middle of a rating, a Bot API error that echoes the token, an alias bomb through
/reload: each is refused or survived, and said plainly.
"""

from __future__ import annotations

import collections
import os
import shutil
import sqlite3
import subprocess
import sys

import httpx
import pytest

from bot.answering.messages import message
from tests.process import ROOT, BotProcess, free_port, message_to
from tests.test_safe_loading import write_bomb
from tests.waiting import wait_until

CITIZEN, OUTSIDER, STAFF, ADMIN = 6001, 6002, 9001, 9100
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
QUESTIONS = ["身份证丢了怎么补办", "护照过期了怎么换", "公积金", "我家狗走丢了怎么办", "低保怎么申请",
             "How do I renew my passport?"]



def rows(database, sql: str, args=()) -> list:
    """Read the ledger of a running bot (WAL: readers do not disturb it)."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def test_webhook_mode_without_a_configured_secret_refuses_forged_updates(api, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database, WEBHOOK_URL=url, WEBHOOK_PORT=str(port)).start()
    try:
        [registered] = wait_until(lambda: [r for r in api.requests if r["method"] == "setWebhook"], 30,
                                    "the webhook to be registered")
        secret = registered["params"]["secret_token"]
        assert len(secret) >= 32
        wait_until(lambda: "Webhook listening" in bot.output(), 30, "the server to listen")
        # A forged staff reply and a forged admin /reload, without the header and with a guessed one.
        staff_reply = api.new_message(api.user(STAFF), api.staff_chat(), text="请转账到这个账户")
        reload = api.new_message(api.user(ADMIN), api.private_chat(ADMIN), text="/reload",
                                 entities=[{"type": "bot_command", "offset": 0, "length": 7}])
        statuses = [httpx.post(url, json={"update_id": 900 + n, "message": forged}, headers=headers).status_code
                    for n, (forged, headers) in enumerate([(staff_reply, {}), (reload, {SECRET_HEADER: "guess"})] * 20)]
        assert set(statuses) == {403}
        question = api.new_message(api.user(CITIZEN), api.private_chat(CITIZEN), text="护照过期了怎么换")
        accepted = httpx.post(url, json={"update_id": 1000, "message": question}, headers={SECRET_HEADER: secret})
        assert accepted.status_code == 200
        message_to(api, CITIZEN, "普通护照申领", timeout=30)
    finally:
        assert bot.stop() == 0
    output = bot.output()
    assert "WEBHOOK_SECRET is not set: generated a secret" in output and secret not in output
    assert output.count("Refused a webhook request") == 1  # counted, at most one line a minute
    assert rows(database, "SELECT update_id FROM updates") == [(1000,)]
    assert not api.sent(ADMIN) and not api.sent(api.staff_chat_id)


def test_a_second_instance_during_a_burst_stands_by_and_takes_over(api, tmp_path):
    database = tmp_path / "ledger.db"
    first = BotProcess(api, database, LEASE_SECONDS="3", log_name="first.log").start()
    wait_until(lambda: any(r["method"] == "getUpdates" for r in api.requests), 30, "the first bot to poll")
    citizens = [300000 + n for n in range(100)]
    for citizen in citizens[:50]:
        api.citizen_says(citizen, QUESTIONS[citizen % len(QUESTIONS)])
    second = BotProcess(api, database, LEASE_SECONDS="3", log_name="second.log").start()
    for citizen in citizens[50:]:  # the burst goes on while the second instance starts
        api.citizen_says(citizen, QUESTIONS[citizen % len(QUESTIONS)])
    wait_until(lambda: second.output(), 30, "the second instance to start")
    wait_until(lambda: {r["params"]["chat_id"] for r in api.sent()} >= set(citizens), 60, "every answer")
    wait_until(lambda: not rows(database, "SELECT id FROM outbox WHERE status = 'pending'"), 60, "the outbox")
    for citizen in citizens:
        repeated = [t for t, n in collections.Counter(api.texts(citizen)).items() if n > 1]
        assert not repeated, f"citizen {citizen} got the same text twice"
    assert not any("处理更新" in text for text in api.texts(api.staff_chat_id)), "an error reached the staff chat"
    assert "Error while handling" not in first.output() + second.output()
    assert "hot standby" in second.output() and second.process.poll() is None

    assert first.stop() == 0  # the holder stops: the standby takes over and answers
    api.citizen_says(OUTSIDER, "低保怎么申请")
    message_to(api, OUTSIDER, "最低生活保障", timeout=30)
    assert "Took over the ledger" in second.output()
    assert second.stop() == 0


def test_forged_buttons_and_arguments_are_answered_and_reach_no_staff(api, tmp_path):
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database, STAFF_USER_IDS=str(STAFF), RATE_LIMIT_PER_MINUTE="100").start()
    try:
        api.citizen_says(CITIZEN, "护照过期了怎么换")
        [reply] = message_to(api, CITIZEN, "普通护照申领", timeout=30)
        card = {"message_id": 1, "date": 0, "chat": api.staff_chat(), "text": "🆕 案件 #1"}
        presses = 0
        for bad in ("9" * 30, "-5", "²"):
            for data in (f"fb:{bad}", f"ask:{bad}", f"rate:{bad}:5", f"tailor:{bad}", f"file:{bad}",
                         f"pick:{bad}:passport", f"cond:{bad}:x:1", f"lang:{bad}", f"cat:{bad}", f"svc:{bad}"):
                api.press(CITIZEN, reply["result"], data)
                presses += 1
            for data in (f"claim:{bad}", f"close:{bad}"):
                api.press(STAFF, card, data)
                presses += 1
            for command in (f"/case {bad}", f"/close {bad}", f"/accept {bad}", f"/transfer {bad} 5",
                            f"/transfer 5 {bad}"):
                api.citizen_says(STAFF, command)
        wait_until(lambda: len([r for r in api.requests if r["method"] == "answerCallbackQuery"]) == presses, 30,
                     "every press answered")
        wait_until(lambda: len(api.sent(STAFF)) == 15, 30, "every command answered")
    finally:
        assert bot.stop() == 0
    answers = {r["params"].get("text") for r in api.requests if r["method"] == "answerCallbackQuery"}
    assert answers == {"此按钮已失效，请重新提问。", "这个筛选已结束或已过期，请重新提问。"}
    usage = {message("staff.usage_case", "zh"), message("staff.transfer_usage", "zh")}
    assert set(api.texts(STAFF)) == usage
    assert not api.sent(api.staff_chat_id)
    assert rows(database, "SELECT COUNT(*) FROM cases") == [(0,)]
    output = bot.output()
    assert "Traceback" not in output and "Error while handling" not in output
    assert output.count("Refused button") == presses  # each logged once


def test_a_deleted_ledger_stops_the_bot_loudly_and_case_numbers_go_on(api, tmp_path):
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database, LEDGER_CHECK_SECONDS="0.5").start()
    api.citizen_says(OUTSIDER, "我想给我家狗办个狗证")
    [ack] = message_to(api, OUTSIDER, "案件编号", timeout=30)
    assert "#1" in ack["params"]["text"]
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"ledger.db{suffix}").unlink(missing_ok=True)
    assert bot.wait(30) == 1
    assert f"The ledger file {database} was deleted while the bot was running" in bot.output()

    api.citizen_says(CITIZEN, "我家的狗走丢了怎么办")  # while the bot is down: kept by Telegram
    restarted = BotProcess(api, database, log_name="restarted.log").start()
    try:
        [ack] = message_to(api, CITIZEN, "案件编号", timeout=30)
        assert "#2" in ack["params"]["text"], "a case number was given twice"
    finally:
        assert restarted.stop() == 0
    assert "New cases continue from #2" in restarted.output()


@pytest.mark.skipif(os.geteuid() == 0 and not shutil.which("setpriv"), reason="root needs setpriv to be refused")
def test_a_read_only_ledger_stops_start_up_with_one_line_naming_it(api, tmp_path):
    from bot.records.ledger import Ledger

    folder = tmp_path / "data"
    database = folder / "ledger.db"
    Ledger(database).close()
    database.chmod(0o444)
    # Root writes anything unless it gives up that capability for the run.
    prefix = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
              "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    env = BotProcess(api, database).env
    try:
        result = subprocess.run([*prefix, sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=60)
    finally:
        database.chmod(0o644)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"Error: The ledger file {database} cannot be opened for writing (attempt to write a "
                           "readonly database)") and "writable" in line and "DATABASE_PATH" in line


def test_a_crash_during_a_rating_still_tells_staff_and_asks_for_the_comment(api, tmp_path):
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database).start()
    api.citizen_says(OUTSIDER, "我想给我家狗办个狗证")
    message_to(api, api.staff_chat_id, "🆕 案件", timeout=30)
    api.citizen_says(OUTSIDER, "/end")
    [prompt] = message_to(api, OUTSIDER, "请为本次服务评分")
    api.fail("answerCallbackQuery", "timeout")  # the press hangs on its answer ...
    api.press(OUTSIDER, prompt["result"], "rate:1:1")
    wait_until(lambda: rows(database, "SELECT rating FROM cases") == [(1,)], 30, "the rating to be stored")
    bot.kill()  # ... and the process dies there
    restarted = BotProcess(api, database, log_name="restarted.log").start()
    try:
        message_to(api, api.staff_chat_id, "收到 1 星差评，已重新打开", timeout=30)
        message_to(api, OUTSIDER, "已重新打开", timeout=30)
        api.citizen_says(OUTSIDER, "一直没人回复我")
        message_to(api, api.staff_chat_id, "一直没人回复我", timeout=30)
    finally:
        assert restarted.stop() == 0
    # At most one duplicate, for a message in flight at the moment of the kill.
    assert len([t for t in api.texts(OUTSIDER) if "已重新打开" in t]) <= 2
    assert rows(database, "SELECT kind FROM case_events WHERE kind IN ('rated', 'reopened', 'comment')") == [
        ("rated",), ("reopened",), ("comment",)]


def test_a_bot_api_error_echoing_the_token_in_lower_case_leaves_it_in_no_log_and_no_table(api, tmp_path):
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database).start()
    try:
        api.fail("sendMessage", "echo", chat_id=OUTSIDER)  # the case's acknowledgement is refused, echoing the path
        api.citizen_says(OUTSIDER, "我想给我家狗办个狗证")
        message_to(api, api.staff_chat_id, "无法送达市民", timeout=30)
    finally:
        assert bot.stop() == 0
    secret = api.token.split(":", 1)[1].lower()
    assert "can't parse request" in bot.output() and secret not in bot.output().lower()
    stored = rows(database, "SELECT last_error FROM outbox WHERE status = 'undeliverable'")
    assert stored and "/bot***/sendmessage" in stored[0][0]
    for (table,) in rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in rows(database, f"SELECT * FROM [{table}]"):
            assert secret not in str(row).lower(), f"the token is stored in {table}"


def test_the_desk_password_said_in_the_staff_chat_is_in_no_table_and_no_log(api, tmp_path):
    """Every secret setting is scrubbed from what is stored and sent, not only the bot's token."""
    database = tmp_path / "ledger.db"
    password = "Counter-Desk-Passphrase"
    bot = BotProcess(api, database, DESK_PASSWORD=password).start()
    try:
        api.citizen_says(OUTSIDER, "我想给我家狗办个狗证")
        [card] = message_to(api, api.staff_chat_id, "我想给我家狗办个狗证", timeout=30)
        api.staff_says(STAFF, f"柜台系统密码 {password.lower()} 别外传。狗证请到派出所办理", reply_to=card["result"])
        [relayed] = message_to(api, OUTSIDER, "狗证请到派出所办理")
    finally:
        assert bot.stop() == 0
    assert "柜台系统密码 *** 别外传" in relayed["params"]["text"]
    assert password.lower() not in bot.output().lower()
    for (table,) in rows(database, "SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in rows(database, f"SELECT * FROM [{table}]"):
            assert password.lower() not in str(row).lower(), f"the desk password is stored in {table}"


def test_reload_of_an_alias_bomb_is_refused_while_citizens_are_answered(api, tmp_path, knowledge_copy):
    """The bot runs under a 1.5 GiB address-space cap, as under a container's memory limit."""
    database = tmp_path / "ledger.db"
    bot = BotProcess(api, database, memory_mb=1536, KNOWLEDGE_DIR=str(knowledge_copy), ADMIN_USER_IDS=str(ADMIN))
    bot.start()
    try:
        api.citizen_says(CITIZEN, "护照过期了怎么换")
        message_to(api, CITIZEN, "普通护照申领", timeout=30)
        name = write_bomb(knowledge_copy)
        api.citizen_says(ADMIN, "/reload")
        for n in range(1, 5):
            api.citizen_says(CITIZEN + n * 10, "护照过期了怎么换")
        for n in range(1, 5):
            message_to(api, CITIZEN + n * 10, "普通护照申领", timeout=30)
        [report] = message_to(api, ADMIN, "未加载", timeout=60)
        assert f"{name}:1: the file defines the YAML anchor &amp;a0" in report["params"]["text"]  # HTML-escaped
    finally:
        assert bot.stop() == 0
    assert len(api.sent(ADMIN)) == 1 and not api.sent(api.staff_chat_id)  # no apology, no error, no case
    assert rows(database, "SELECT COUNT(*) FROM cases") == [(0,)]
