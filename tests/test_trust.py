"""python -m bot review and corrections: sign-off per office, and notices to citizens told an older version."""

from __future__ import annotations

import json
import shutil

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.config import BUNDLED_KNOWLEDGE, Config
from bot.records.ledger import Ledger
from tests.conftest import correct_passport_fee, set_passport_fee


def told_passport(tmp_path, knowledge_dir=BUNDLED_KNOWLEDGE, user="u1"):
    ledger = Ledger(tmp_path / "ledger.db")
    assistant = Assistant(KnowledgeStore(knowledge_dir), ledger, Config(database_path=tmp_path / "ledger.db"))
    reply = assistant.ask("护照过期了怎么换", channel="telegram", user_id=user, chat_id=user)
    return assistant, ledger, reply


def test_review_lists_each_office_with_its_entries_and_open_error_reports(run, tmp_path):
    assistant, ledger, reply = told_passport(tmp_path)
    report = assistant.report_error("窗口说还要带户口本", channel="telegram", user_id="u1", chat_id="u1",
                                    inquiry_id=reply.inquiry_id)
    result = run("review", "--json")
    assert result.exit_code == 0
    rows = {row["office"]: row for row in map(json.loads, result.output.splitlines())}
    exit_entry = rows["exit_entry_bureau"]
    assert "passport" in exit_entry["checked_not_signed"]
    assert [r["id"] for r in exit_entry["error_reports"]] == [report.id]
    assert "elderly_allowance" in rows["district_civil_affairs"]["unverified"]
    assert sum(len(r["signed_off"]) + len(r["checked_not_signed"]) + len(r["unverified"]) + len(r["unreviewed"])
               + len(r["overdue"]) for r in rows.values()) == 40  # every service once


def test_review_works_without_a_ledger(run):
    result = run("review")
    assert result.exit_code == 0 and "0 open error report(s)" in result.output


def test_corrections_from_an_older_copy_dry_run_then_once_per_citizen(run, tmp_path, knowledge_copy):
    _, ledger, _ = told_passport(tmp_path, knowledge_copy)
    told_passport(tmp_path, knowledge_copy, user="u2")
    old = tmp_path / "old"
    knowledge_copy.rename(old)
    shutil.copytree(old, knowledge_copy)
    set_passport_fee(knowledge_copy, "每本100元", "CNY 100 per passport")

    dry = run("corrections", "--knowledge", str(knowledge_copy), "--old", str(old), "--dry-run")
    assert "passport (fees): 2 citizen(s) would be told" in dry.output
    assert ledger.corrections_since(ledger.now().replace(year=2000)) == []  # a dry run records nothing

    sent = run("corrections", "--knowledge", str(knowledge_copy), "--old", str(old))
    assert "passport (fees): 2 notice(s) queued" in sent.output
    notices = [m for m in ledger.outbox_rows() if m.purpose == "correction"]
    assert sorted(m.chat_id for m in notices) == ["u1", "u2"]
    assert "护照工本费 每本120元 → 护照工本费 每本100元" in notices[0].payload["text"]
    again = run("corrections", "--knowledge", str(knowledge_copy))
    assert "passport (fees): 0 notice(s) queued" in again.output  # nobody is told twice


def test_corrections_dry_run_on_the_shipped_knowledge_base(run):
    result = run("corrections", "--dry-run")
    assert result.exit_code == 0 and "nobody to correct" in result.output


def test_a_correction_reaches_telegram_chats_and_web_sessions_but_not_counter_visits(tmp_path, knowledge_copy):
    """A desk visit is recorded as told (chat id staff:<name>), but there is no chat to send a notice to."""
    from bot.answering import corrections

    assistant, ledger, _ = told_passport(tmp_path, knowledge_copy)
    assistant.choose("passport", question="", channel="web", user_id="web:abc", chat_id="web:abc")
    assistant.choose("passport", question="", channel="desk", user_id="desk:visit1", chat_id="staff:alice")
    pending, new, since = correct_passport_fee(ledger, knowledge_copy)
    assert pending.recipients == 2
    assert corrections.send(ledger, new, pending.correction, since) == 2
    assert [m.chat_id for m in ledger.outbox_rows() if m.purpose == "correction"] == ["u1"]
    assert [m.kind for m in ledger.inbox("web:abc")] == ["correction"]
