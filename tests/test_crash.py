"""Killed with SIGKILL and started again: every citizen is answered, every question recorded once.

Mid-burst while polling (fetched updates are fetched again), and in webhook mode while an acknowledged update is
being handled (Telegram does not send it again: the restart must handle what the ledger recorded).
"""

from __future__ import annotations

import collections
import contextlib

import httpx

from bot.records.ledger import Ledger, connect
from bot.telegram.fake_bot_api import FakeBotApi
from tests.process import BotProcess, free_port, message_to
from tests.telegram_harness import buttons
from tests.waiting import wait_until

CITIZEN = 7001
CITIZENS = 120
QUESTIONS = ["身份证丢了怎么补办", "护照过期了怎么换", "公积金", "我家狗走丢了怎么办", "低保怎么申请", "How do I renew my passport?"]


def read(database, sql: str) -> list[tuple]:
    """Rows of the ledger, read without writing (the bot may be mid-transaction)."""
    with contextlib.closing(connect(database, read_only=True)) as db:
        return db.execute(sql).fetchall()


def recorded(database) -> int:
    """Questions in the ledger."""
    return read(database, "SELECT count(*) FROM inquiries")[0][0]


def unhandled(database) -> list[int]:
    """Update ids recorded in the ledger but not marked handled."""
    return [r[0] for r in read(database, "SELECT update_id FROM updates WHERE handled_at IS NULL ORDER BY update_id")]


def pending(database) -> list:
    ledger = Ledger(database)
    try:
        return ledger.outbox_rows("pending")
    finally:
        ledger.close()


def test_sigkill_mid_burst_loses_nothing(tmp_path):
    api = FakeBotApi().start()
    database = tmp_path / "ledger.db"
    try:
        bot = BotProcess(api, database).start()
        wait_until(lambda: any(r["method"] == "getUpdates" for r in api.requests), 30, "the bot to poll")
        asked = {}
        for n in range(CITIZENS):
            citizen = 100000 + n
            asked[citizen] = QUESTIONS[n % len(QUESTIONS)]
            api.citizen_says(citizen, asked[citizen])
        # Killed as soon as the first questions are recorded, while most updates are fetched but not yet
        # handled: the restart must fetch them again (the offset is stored after handling) and finish them.
        wait_until(lambda: recorded(database) >= 1, 30, "the first question recorded")
        bot.kill()
        assert recorded(database) < CITIZENS, "every update was handled before the kill; the test proves nothing"

        restarted = BotProcess(api, database).start()
        wait_until(lambda: {r["params"]["chat_id"] for r in api.sent()} >= asked.keys(), 90,
                     "every citizen to get an answer")
        wait_until(lambda: api.pending_updates() == 0, 30, "the offset to move past every update")
        # Staff messages go out at the staff group's pace, after the citizens' answers: wait for the last.
        wait_until(lambda: not pending(database), 60, "the outbox to be sent")
        assert restarted.stop() == 0
    finally:
        api.stop()

    ledger = Ledger(database)
    rows = ledger.inquiries()
    per_user = collections.Counter(row.user_id for row in rows)
    assert set(per_user) == {str(c) for c in asked} and set(per_user.values()) == {1}
    assert {row.text for row in rows} <= set(QUESTIONS)
    assert all(row.reply for row in rows)
    # At most one duplicate per message that was in flight at the kill.
    # (A district-level checklist is followed by a message with the district buttons.)
    per_message = collections.Counter((r["params"]["chat_id"], r["params"]["text"]) for r in api.sent()
                                      if r["params"]["chat_id"] in asked)
    assert max(per_message.values()) <= 2, per_message
    assert ledger.outbox_rows("pending") == []


def test_a_webhook_update_acknowledged_but_not_handled_before_a_kill_is_handled_once_after_the_restart(tmp_path):
    api = FakeBotApi().start()
    database = tmp_path / "ledger.db"
    port = free_port()
    url, secret = f"http://127.0.0.1:{port}/telegram", "crash-test-secret"
    env = {"WEBHOOK_URL": url, "WEBHOOK_PORT": str(port), "WEBHOOK_SECRET": secret}

    def telegram_posts(update_id: int, **update) -> None:
        """Telegram delivers an update to the webhook once: it is done with it when the bot answers 200."""
        answer = httpx.post(url, json={"update_id": update_id, **update},
                            headers={"X-Telegram-Bot-Api-Secret-Token": secret}, timeout=10)
        assert answer.status_code == 200

    started = []
    try:
        bot = BotProcess(api, database, **env).start()
        started.append(bot)
        wait_until(lambda: "Webhook listening" in bot.output(), 30, "the webhook to listen")
        citizen = api.user(CITIZEN)
        telegram_posts(1, message=api.new_message(citizen, api.private_chat(CITIZEN), text="公积金"))
        [clarification] = message_to(api, CITIZEN, "您想办理的是哪一项", timeout=30)
        [pick] = [data for data in buttons(clarification) if data.endswith(":provident_fund_loan")]
        # The citizen picks the loan; answering the button hangs at Telegram, and the process is killed there:
        # the update was recorded and acknowledged with 200, but its handling never finished. (A typed question
        # is handled without waiting on Telegram, so a press is where a kill lands between the 200 and the end.)
        api.fail("answerCallbackQuery", "timeout")
        telegram_posts(2, callback_query={"id": "cb-crash", "from": citizen, "chat_instance": "ci", "data": pick,
                                          "message": clarification["result"]})
        wait_until(lambda: any(r["method"] == "answerCallbackQuery" for r in api.requests), 30,
                   "the button's answer to be sent")
        bot.kill()
        assert unhandled(database) == [2], "the update was handled before the kill; the test proves nothing"
        assert not api.sent_containing(CITIZEN, "需要准备的材料")

        restarted = BotProcess(api, database, log_name="restarted.log", **env).start()
        started.append(restarted)
        [checklist] = message_to(api, CITIZEN, "需要准备的材料", timeout=30)
        assert "住房公积金贷款" in checklist["params"]["text"]
        wait_until(lambda: not unhandled(database), 30, "the recovered update to be marked handled")
        wait_until(lambda: not pending(database), 60, "the outbox to be sent")
        assert restarted.stop() == 0
    finally:
        for process in started:
            process.stop()  # after a failure too: no bot is left running
        api.stop()

    assert "Handling 1 update(s) left unfinished by the last run" in restarted.output()
    # Answered once: one checklist, one answered button, one chosen inquiry.
    assert len(api.sent_containing(CITIZEN, "需要准备的材料")) == 1
    assert len([r for r in api.requests if r["method"] == "answerCallbackQuery" and r["ok"]]) == 1
    ledger = Ledger(database)
    try:
        assert [row.action for row in ledger.inquiries(str(CITIZEN))] == ["clarify", "chosen"]
    finally:
        ledger.close()
