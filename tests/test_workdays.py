"""Working days (the State Council's schedule, calendar.yaml, else BUSINESS_DAYS) and the due times built on them."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.answering.render import PLAIN
from bot.cli.knowledge import calendar_coverage
from bot.config import BusinessHours, Config
from bot.knowledge.calendar import LocalCalendar
from bot.knowledge.loading import load_knowledge
from bot.records.cases import CaseDesk, Staff
from bot.records.ledger import Ledger
from bot.records.workdays import FALLBACK, LOCAL, OFFICIAL, WorkingTime

SHANGHAI = BusinessHours()
YEAR_2027 = """years:
  - year: 2027
    notice: 国务院办公厅关于2027年部分节假日安排的通知（测试用）
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
    workdays: [2027-01-09]"""
CLOSURE = "closures:\n  - {from: 2026-11-26, reason: 台风停止对外办公}"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("start, hours, due", [
    ("2026-11-25T10:00+08:00", 2, "2026-11-25T12:00+08:00"),      # within a day
    ("2026-11-25T16:00+08:00", 2, "2026-11-26T10:00+08:00"),      # over the evening
    ("2026-11-27T16:00+08:00", 8, "2026-11-30T16:00+08:00"),      # Friday -> Monday
    ("2026-11-28T11:00+08:00", 1, "2026-11-30T10:00+08:00"),      # asked on Saturday
    ("2026-11-25T20:00+08:00", 8, "2026-11-26T17:00+08:00"),      # asked after hours
    ("2026-09-30T16:30+08:00", 2, "2026-10-08T10:30+08:00"),      # over the National Day holiday
    ("2026-09-18T16:30+08:00", 2, "2026-09-20T10:30+08:00"),      # Sunday 20 September is a make-up working day
    ("2026-02-13T16:00+08:00", 4, "2026-02-14T12:00+08:00"),      # Saturday 14 February too (Spring Festival)
])
def test_due_times_count_business_hours_on_official_working_days(start, hours, due):
    clock = WorkingTime(SHANGHAI)
    result = clock.add(at(start), hours)
    assert result == at(due)
    assert clock.between(at(start), result) == pytest.approx(hours)


def test_a_year_nothing_covers_still_gets_a_due_time_and_one_warning(caplog):
    clock = WorkingTime(SHANGHAI)
    with caplog.at_level(logging.WARNING, logger="bot.records.workdays"):
        first = clock.add(at("2031-03-07T16:00+08:00"), 2)  # a Friday: Monday to Friday is counted
        second = clock.add(at("2031-03-10T16:00+08:00"), 2)
    assert first == at("2031-03-10T10:00+08:00") and second == at("2031-03-11T10:00+08:00")
    assert clock.source(dt.date(2031, 3, 7)) == FALLBACK
    [warning] = [r for r in caplog.records if "No calendar covers 2031" in r.getMessage()]
    assert "calendar.yaml" in warning.getMessage()


def test_calendar_yaml_adds_a_year_and_closes_a_day(knowledge_copy):
    path = knowledge_copy / "calendar.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("years: []", YEAR_2027).replace("closures: []", CLOSURE),
                    encoding="utf-8")
    clock = WorkingTime(SHANGHAI, load_knowledge(knowledge_copy).calendar)
    # New Year 2027 is off, Saturday 9 January works; Thursday 26 November 2026 is closed.
    assert clock.add(at("2026-12-31T16:00+08:00"), 2) == at("2027-01-04T10:00+08:00")
    assert clock.add(at("2027-01-08T16:00+08:00"), 2) == at("2027-01-09T10:00+08:00")
    assert clock.add(at("2026-11-25T16:00+08:00"), 2) == at("2026-11-27T10:00+08:00")
    assert [clock.source(d) for d in (dt.date(2027, 1, 1), dt.date(2026, 11, 26), dt.date(2026, 11, 27))] == \
        [LOCAL, LOCAL, OFFICIAL]


def test_validate_warns_when_the_next_60_days_are_not_covered(knowledge_copy):
    uncovered = calendar_coverage(knowledge_copy, None, SHANGHAI, today=dt.date(2026, 12, 1))
    assert [str(p) for p in uncovered] and "no calendar covers 2027-01-01 to 2027-01-29" in uncovered[0].message
    assert calendar_coverage(knowledge_copy, None, SHANGHAI, today=dt.date(2026, 6, 1)) == []
    entered = {"years": [{"year": 2027, "notice": "通知", "holidays": [{"name": "元旦", "from": "2027-01-01"}]}],
               "closures": []}
    assert calendar_coverage(knowledge_copy, entered, SHANGHAI, today=dt.date(2026, 12, 1)) == []


@pytest.mark.parametrize("start, lines", [
    ("2026-09-30T16:30+08:00", ["2026-10-08T10:30+08:00 (Thursday)", "  2026-10-01 (Thu) not a working day: "]),
    ("2026-09-18T16:30+08:00", ["2026-09-20T10:30+08:00 (Sunday)", "  2026-09-20 (Sun) make-up working day: "]),
])
def test_workdays_add_prints_the_due_moment_and_why(start, lines, run):
    result = run("workdays", "add", start, "2")
    assert result.exit_code == 0
    output = result.output.splitlines()
    assert output[0] == lines[0] and output[1].startswith(lines[1]) and OFFICIAL in output[1]


def test_workdays_add_names_a_malformed_time(run):
    result = run("workdays", "add", "30/09/2026 16:30", "2")
    assert result.exit_code == 2 and "write it like 2026-09-30T16:30+08:00" in result.output


# -- a case's deadline ------------------------------------------------------------------------------


def assistant_at(knowledge_dir, tmp_path, moment: str) -> Assistant:
    ledger = Ledger(tmp_path / "ledger.db", clock=lambda: at(moment))
    return Assistant(KnowledgeStore(knowledge_dir), ledger, Config(database_path=tmp_path / "ledger.db"))


def test_a_case_is_due_by_the_response_commitment_not_the_services_days(knowledge, tmp_path):
    assistant = assistant_at(knowledge.directory, tmp_path, "2026-09-30T16:30+08:00")
    answered = assistant.ask("护照过期了怎么换", channel="console", user_id="u1", fmt=PLAIN)
    assert answered.decision.service_id == "passport"
    assert knowledge.services["passport"].time_limit.committed_days == 5  # the time to issue a passport
    case = assistant.ask_person(answered.inquiry_id, user_id="u1")
    assert case.due_at == at("2026-10-08T16:30+08:00")  # CASE_DEFAULT_HOURS: 8 business hours, after the holiday


def test_an_offices_response_hours_decide_its_cases_due_time(knowledge_copy, tmp_path):
    path = knowledge_copy / "offices.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('    phone: "12367"\n', '    phone: "12367"\n    response_hours: 2\n', 1),
                    encoding="utf-8")
    assistant = assistant_at(knowledge_copy, tmp_path, "2026-09-30T16:30+08:00")
    assert assistant.store.current.knowledge.offices["exit_entry_bureau"].response_hours == 2
    answered = assistant.ask("护照过期了怎么换", channel="console", user_id="u1", fmt=PLAIN)
    case = assistant.ask_person(answered.inquiry_id, user_id="u1")
    assert case.due_at == at("2026-10-08T10:30+08:00")
    other = assistant.ask("我家狗狗走丢了怎么办", channel="console", user_id="u2", fmt=PLAIN)  # no service: the default
    assert other.due_at == at("2026-10-08T16:30+08:00")


def test_a_holiday_does_not_use_up_a_cases_time(knowledge, tmp_path):
    """Supervision counts working time too: in the middle of the holiday a case is not near its deadline."""
    moments = iter(["2026-09-30T16:30+08:00"] * 3 + ["2026-10-07T12:00+08:00"] * 10)
    ledger = Ledger(tmp_path / "ledger.db", clock=lambda: at(next(moments)))
    config = Config(database_path=tmp_path / "ledger.db", default_case_hours=2)
    assistant = Assistant(KnowledgeStore(knowledge.directory), ledger, config)
    case = assistant.ask("我家狗狗走丢了怎么办", channel="console", user_id="u1", fmt=PLAIN)
    desk = CaseDesk(ledger, config.business_hours, warn_fraction=0.5, working_time=assistant.working_time)
    assert desk.claim(case.case_id, Staff("s1", "Wang")).ok
    assert case.due_at == at("2026-10-08T10:30+08:00")
    assert desk.alerts(at("2026-10-07T12:00+08:00")) == []  # 0.5 of 2 business hours used, holidays not counted
    assert [a.kind for a in desk.alerts(at("2026-10-08T10:00+08:00"))] == ["warning"]


def test_local_calendar_is_empty_without_the_file(knowledge_copy):
    (knowledge_copy / "calendar.yaml").unlink()
    assert load_knowledge(knowledge_copy).calendar == LocalCalendar()
