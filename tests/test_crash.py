"""Killed mid-burst with SIGKILL and started again: every citizen is answered, every question recorded once."""

from __future__ import annotations

import collections
import contextlib
import sqlite3

from bot.records.ledger import Ledger
from bot.telegram.fake_bot_api import FakeBotApi
from tests.process import BotProcess
from tests.waiting import wait_until

CITIZENS = 120
QUESTIONS = ["身份证丢了怎么补办", "护照过期了怎么换", "公积金", "我家狗走丢了怎么办", "低保怎么申请", "How do I renew my passport?"]


def recorded(database) -> int:
    """Questions in the ledger, read without writing (the bot may be mid-transaction)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
        return db.execute("SELECT count(*) FROM inquiries").fetchone()[0]


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
