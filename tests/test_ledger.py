"""The ledger: a real SQLite file in WAL mode; what the citizen was told; append-only case events."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from bot.records.ledger import Ledger
from bot.records.rows import Inquiry


def make_inquiry(**changes) -> Inquiry:
    values = dict(channel="console", user_id="u1", chat_id=None, language="zh", text="护照怎么办", action="answer",
                  service_id="passport", options=(), score=97.5, kb_version="abc123", reply="完整清单")
    return Inquiry(**{**values, **changes})


def test_the_ledger_file_uses_wal(ledger):
    assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_inquiry_records_exactly_what_was_said(ledger):
    inquiry_id = ledger.record_inquiry(make_inquiry(text="'; DROP TABLE inquiries; --", reply="<b>x</b>"))
    [row] = ledger.inquiries("u1")
    assert row.id == inquiry_id
    assert (row.text, row.reply, row.kb_version, row.score) == ("'; DROP TABLE inquiries; --", "<b>x</b>",
                                                                             "abc123", 97.5)
    assert row.at.utcoffset() == dt.timedelta(0)


def test_records_survive_reopening_the_file(tmp_path):
    first = Ledger(tmp_path / "l.db")
    first.record_inquiry(make_inquiry())
    first.close()
    assert len(Ledger(tmp_path / "l.db").inquiries()) == 1


def test_a_case_is_opened_with_its_first_event(ledger):
    inquiry_id = ledger.record_inquiry(make_inquiry(action="escalate", service_id=None))
    case_id = ledger.open_case(channel="console", user_id="u1", chat_id=None, language="zh", question="养狗登记",
                               inquiry_id=inquiry_id, guesses=["passport"])
    assert ledger.open_case_of("u1").id == case_id
    assert [e.kind for e in ledger.case_events(case_id)] == ["opened"]
    assert ledger.inquiries("u1")[0].case_id == case_id


@pytest.mark.parametrize("statement", ["UPDATE case_events SET kind = 'x'", "DELETE FROM case_events"])
def test_case_events_are_append_only(ledger, statement):
    case_id = ledger.open_case(channel="console", user_id="u1", chat_id=None, language="zh", question="q")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        ledger.db.execute(statement)
    assert len(ledger.case_events(case_id)) == 1


def test_a_failed_transaction_leaves_nothing_behind(ledger):
    with pytest.raises(RuntimeError), ledger.transaction():
        ledger.open_case(channel="console", user_id="u1", chat_id=None, language="zh", question="q")
        raise RuntimeError("crash between two writes")
    assert ledger.cases() == []
    assert ledger.db["case_events"].count == 0


# -- guards: a second writer, a lost file, case numbers, the lease ----------------------------------

def test_a_second_writer_holding_the_lock_makes_a_read_then_write_wait_not_fail(tmp_path):
    """A purge (or a second process) holds the write lock while the bot marks a message sent: the bot waits.

    A transaction that reads and then writes must take the write lock first (BEGIN IMMEDIATE); a deferred one
    fails at once with "database is locked" when the other writer commits in between."""
    import threading

    bot = Ledger(tmp_path / "l.db")
    row_id = bot.enqueue(5001, "sendMessage", {"chat_id": 5001, "text": "hi"})
    locked, release = threading.Event(), threading.Event()

    def second_writer():  # a connection belongs to the thread that opened it
        purge = sqlite3.connect(tmp_path / "l.db", isolation_level=None)
        purge.execute("BEGIN IMMEDIATE")
        purge.execute("UPDATE outbox SET attempts = attempts WHERE id = ?", [row_id])
        locked.set()
        release.wait(5)
        purge.execute("COMMIT")
        purge.close()

    writer = threading.Thread(target=second_writer)
    writer.start()
    assert locked.wait(5)
    threading.Timer(0.3, release.set).start()  # the other writer commits while the bot is waiting
    bot.mark_sent(row_id, 77)
    writer.join()
    assert bot.outbox_message(row_id).status == "sent"
    bot.close()


def test_every_connection_has_a_busy_timeout(tmp_path):
    from bot.config import LEDGER_BUSY_TIMEOUT_MS
    from bot.records.ledger import connect

    ledger = Ledger(tmp_path / "l.db")
    assert ledger.db.execute("PRAGMA busy_timeout").fetchone()[0] == LEDGER_BUSY_TIMEOUT_MS
    plain = connect(tmp_path / "l.db", read_only=True)
    assert plain.execute("PRAGMA busy_timeout").fetchone()[0] == LEDGER_BUSY_TIMEOUT_MS
    plain.close()
    ledger.close()


@pytest.mark.parametrize("replace", [False, True], ids=["deleted", "replaced"])
def test_a_deleted_or_replaced_ledger_file_is_noticed(tmp_path, replace):
    from bot.records.ledger import LedgerLost

    path = tmp_path / "l.db"
    ledger = Ledger(path)
    ledger.check_file()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"l.db{suffix}").unlink(missing_ok=True)
    if replace:
        Ledger(path).close()
    with pytest.raises(LedgerLost, match=f"{path} was (deleted|replaced)"):
        ledger.check_file()
    ledger.close()


def test_case_numbers_never_repeat_after_the_ledger_is_lost(tmp_path):
    path = tmp_path / "l.db"
    first = Ledger(path)
    numbers = [first.open_case(channel="console", user_id=f"u{n}", chat_id=None, language="zh", question="q")
               for n in range(3)]
    first.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"l.db{suffix}").unlink(missing_ok=True)
    second = Ledger(path)
    assert second.case_number_gap() == (0, 3)
    assert second.open_case(channel="console", user_id="u9", chat_id=None, language="zh", question="q") == 4
    assert numbers == [1, 2, 3]
    second.close()


def test_a_lease_is_held_by_one_live_process_and_a_dead_holder_is_replaced(tmp_path):
    import os
    import socket
    import subprocess
    import sys

    from bot.records.lease import InstanceLease, LeaseLost
    from bot.records.rows import Lease

    ledger = Ledger(tmp_path / "l.db")
    mine = InstanceLease(ledger, seconds=30)
    assert mine.take() is None and ledger.lease().holder == mine.mine.holder
    # Another live process on this machine holds it: a second instance must wait.
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        ledger.release_lease(mine.mine.holder)
        live = Lease("bot", f"{socket.gethostname()}:{other.pid}:?", socket.gethostname(), other.pid, seconds=30)
        ledger.take_lease(live)
        assert mine.take().pid == other.pid
        with pytest.raises(LeaseLost, match=f"process {other.pid}"):
            mine.renew()
    finally:
        other.kill()
        other.wait()
    # The holder's process is gone: the lease is taken over at once, without waiting for it to expire.
    assert mine.take() is None and ledger.lease().pid == os.getpid()
    ledger.close()
