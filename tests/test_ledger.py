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
