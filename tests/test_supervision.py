"""Supervision: the report's numbers and formats, knowledge gaps, history, and retention purges.

One week of real traffic is played through the Assistant and the CaseDesk on a clock the test
moves, into a real ledger file; the report, gaps, history and purge commands then read it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from bot.answering.assistant import Assistant, KnowledgeStore
from bot.answering.render import PLAIN
from bot.config import BUNDLED_KNOWLEDGE, Config
from bot.records.cases import CaseDesk, Citizen, Staff
from bot.records.history import case_history
from bot.records.ledger import Ledger
from bot.supervision.gaps import NOT_CLOSE, cluster, distinctive_words, find_gaps, format_gaps
from bot.supervision.report import (
    UNMATCHED,
    build_report,
    draw_charts,
    format_csv,
    format_html,
    format_markdown,
    format_text,
    human_duration,
    parse_since,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = dt.datetime(2024, 5, 6, 9, 0, tzinfo=SHANGHAI)  # the first day of the recorded week
UNTIL = dt.datetime(2024, 5, 9, 12, 0, tzinfo=SHANGHAI)  # when the report is made (Thursday noon)
SINCE = UNTIL - dt.timedelta(days=7)
DOG_QUESTIONS = ("养狗证怎么办理", "办狗证需要什么材料", "怎么给狗办证")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime):
        self.moment = start

    def __call__(self) -> dt.datetime:
        return self.moment

    def set(self, moment: dt.datetime) -> None:
        self.moment = moment


@dataclass
class Week:
    path: object
    ledger: Ledger
    clock: Clock
    knowledge: object
    matcher: object
    cases: dict[str, int]
    inquiries: dict[str, int]


@pytest.fixture(scope="module")
def store():
    return KnowledgeStore(BUNDLED_KNOWLEDGE)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return MONDAY.replace(day=MONDAY.day + day, hour=hour, minute=minute)


@pytest.fixture
def week(tmp_path, store):
    """Monday to Wednesday at the counter: answers, a clarification, escalations and their cases."""
    path = tmp_path / "ledger.db"
    clock = Clock(MONDAY)
    ledger = Ledger(path, clock=clock)
    assistant = Assistant(store, ledger, Config(database_path=path))
    desk = CaseDesk(ledger, assistant.config.business_hours)
    li, wang = Staff("s1", "李"), Staff("s2", "王")
    cases, inquiries = {}, {}

    def ask(moment, user, text):
        clock.set(moment)
        return assistant.ask(text, channel="console", user_id=user, fmt=PLAIN)

    # Monday
    inquiries["passport"] = ask(at(0, 9, 0), "u1", "护照过期了怎么换").inquiry_id
    clock.set(at(0, 9, 1))
    ledger.record_feedback(inquiries["passport"], "u1", "helpful")
    ask(at(0, 9, 2), "u2", "身份证丢了怎么补办")
    clarified = ask(at(0, 9, 3), "u3", "公积金")
    clock.set(at(0, 9, 4))
    assistant.choose(clarified.decision.options[0], question="公积金", channel="console", user_id="u3", fmt=PLAIN)
    cases["dog1"] = ask(at(0, 10, 0), "u4", DOG_QUESTIONS[0]).case_id
    clock.set(at(0, 10, 30))
    desk.claim(cases["dog1"], li)
    clock.set(at(0, 12, 0))
    desk.reply(cases["dog1"], li, "养犬登记请到辖区派出所办理。")
    desk.close(cases["dog1"], li, "answered")
    clock.set(at(0, 12, 10))
    desk.rate(cases["dog1"], Citizen("u4"), 5)
    cases["dog2"] = ask(at(0, 11, 0), "u5", DOG_QUESTIONS[1]).case_id
    clock.set(at(0, 12, 0))
    desk.claim(cases["dog2"], wang)
    clock.set(at(0, 15, 0))
    desk.reply(cases["dog2"], wang, "请带身份证和犬只免疫证明。")
    # Tuesday
    cases["dog3"] = ask(at(1, 10, 0), "u6", DOG_QUESTIONS[2]).case_id  # never claimed: overdue by Thursday
    answered = ask(at(1, 11, 0), "u7", "How do I renew my passport?")
    clock.set(at(1, 11, 5))
    cases["passport"] = assistant.ask_person(answered.inquiry_id, user_id="u7").case_id
    ledger.record_feedback(answered.inquiry_id, "u7", "ask_person")
    clock.set(at(1, 11, 15))
    desk.reply(cases["passport"], li, "Please bring your old passport.")  # claims and answers at once
    desk.close(cases["passport"], li)
    clock.set(at(1, 11, 30))
    desk.rate(cases["passport"], Citizen("u7"), 3)
    # Wednesday
    ask(at(2, 16, 0), "u8", "今天天气怎么样")
    clock.set(UNTIL)
    yield Week(path, ledger, clock, store.current.knowledge, store.current.matcher, cases, inquiries)
    ledger.close()


def row(tallies, key):
    return next(t for t in tallies if t.key == key)


# -- the numbers --------------------------------------------------------------------------------


def test_the_totals_count_each_question_and_case_once(week):
    report = build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)
    total = report.total
    # 8 asked + 1 chosen + 1 escalation after an answer; nothing clarified counts as answered. Two of
    # the dog questions are referred to the office of the catalogue's 养犬登记; the third says too
    # little ("怎么给狗办证": 狗 and 证 alone) and goes to staff.
    assert (total.inquiries, total.answered, total.clarified, total.escalated, total.referred) == (10, 4, 1, 3, 2)
    assert (total.cases, total.overdue, total.still_open) == (5, 2, 3)
    assert total.median_claim == 30 * 60  # 30 min, 60 min and 10 min
    assert total.median_first_answer == 2 * 3600  # 2 h, 4 h and 10 min
    assert total.rating_counts == (0, 0, 1, 0, 1) and total.rating_average == 4.0
    assert (total.helpful, total.helpful_rate) == (1, 0.25)
    assert report.kb_versions == [(week.knowledge.version, 10)]


def test_rows_per_service_and_office(week):
    report = build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)
    passport = row(report.services, "passport")
    assert (passport.inquiries, passport.answered, passport.escalated, passport.cases) == (2, 2, 0, 1)
    assert (passport.helpful, passport.helpful_rate) == (1, 0.5)
    assert passport.ratings == [3] and passport.median_first_answer == 10 * 60
    unmatched = row(report.services, UNMATCHED)
    # The escalated questions (no service), and the cases whose matcher had no guess at all.
    assert unmatched.escalated == 3 and unmatched.inquiries == 3
    dogs = row(report.services, "matter:dog_registration")
    assert (dogs.referred, dogs.cases) == (2, 2) and dogs.name_zh == "养犬登记"
    assert report.services[-1].key == UNMATCHED
    loan = row(report.services, "provident_fund_loan")
    assert (loan.inquiries, loan.clarified, loan.answered) == (2, 1, 1)
    exit_entry = row(report.offices, "exit_entry_bureau")  # the passport office
    assert (exit_entry.inquiries, exit_entry.cases) == (passport.inquiries, passport.cases)
    police = row(report.offices, "police_household_desk")
    assert police.answered == 1  # the ID card replacement
    assert sum(t.cases for t in report.services) == report.total.cases


def test_the_window_is_in_shanghai_time_and_days_cover_it(week):
    report = build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)
    assert report.window == "2024-05-02 12:00 – 2024-05-09 12:00 (Asia/Shanghai)"
    assert [d.day.isoformat() for d in report.days][0] == "2024-05-02" and len(report.days) == 8
    monday = next(d for d in report.days if d.day == MONDAY.date())
    assert (monday.answered, monday.clarified, monday.escalated, monday.cases) == (3, 1, 2, 2)


def test_an_earlier_window_leaves_later_traffic_out(week):
    report = build_report(week.ledger, week.knowledge, SINCE, at(0, 23, 0), SHANGHAI)
    assert (report.total.inquiries, report.total.cases) == (6, 2)
    assert report.total.overdue == 0  # dog2's deadline (Tuesday 11:00) had not passed on Monday night


@pytest.mark.parametrize("text, expected", [
    ("7d", UNTIL - dt.timedelta(days=7)), ("24h", UNTIL - dt.timedelta(hours=24)),
    ("2w", UNTIL - dt.timedelta(days=14)),
    ("2024-05-01", dt.datetime(2024, 5, 1, tzinfo=SHANGHAI)),
    ("2024-05-01T08:00+00:00", dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)),
])
def test_since_takes_a_span_or_a_date(text, expected):
    assert parse_since(text, UNTIL, SHANGHAI) == expected


def test_since_names_a_bad_value():
    with pytest.raises(ValueError, match="'last week' is neither a span nor a date"):
        parse_since("last week", UNTIL, SHANGHAI)


@pytest.mark.parametrize("seconds, text", [(None, "-"), (42, "42 s"), (600, "10 min"), (7500, "2 h 05 min"),
                                           (90000, "1 d 1 h")])
def test_durations_read_like_people_say_them(seconds, text):
    assert human_duration(seconds) == text


# -- the formats ----------------------------------------------------------------------------------


def test_text_has_aligned_columns_window_and_versions(week):
    text = format_text(build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI))
    assert "2024-05-02 12:00 – 2024-05-09 12:00 (Asia/Shanghai)" in text and week.knowledge.version in text
    table = text.split("按事项 By service\n")[1].split("\n\n")[0].splitlines()
    assert table[0].startswith("事项 service") and set(table[1]) <= {"-", " "}
    assert "普通护照申领 (passport)" in text and "30 min" in text and "2 h 00 min" in text


def test_markdown_has_tables(week):
    text = format_markdown(build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI))
    assert "| 窗口 office | 咨询 asked |" in text and "|---|---:|" in text
    assert "## 按事项 By service" in text and "2024-05-09 12:00" in text


def test_csv_has_one_row_per_level_and_key(week):
    report = build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)
    rows = list(csv.DictReader(io.StringIO(format_csv(report))))
    assert rows[0]["level"] == "total" and rows[0]["inquiries"] == "10" and rows[0]["median_claim_seconds"] == "1800"
    assert len(rows) == 1 + len(report.offices) + len(report.services)
    passport = next(r for r in rows if (r["level"], r["key"]) == ("service", "passport"))
    assert (passport["helpful_rate"], passport["rating_3"], passport["window_from"]) == (
        "0.500", "1", "2024-05-02T12:00:00+08:00")


def test_html_is_a_standalone_page_with_charts_even_without_a_chinese_font(week):
    report = build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)
    charts = draw_charts(report, font=None)  # English labels; the command uses a CJK font when one is installed
    page = format_html(report, charts)
    assert len(charts) == 3 and page.count('<img src="data:image/png;base64,') == 3
    assert report.window in page and "<style>" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page


# -- gaps -----------------------------------------------------------------------------------------


def test_similar_unanswered_questions_form_one_group_with_suggestions(week):
    gaps = find_gaps(week.ledger, week.matcher, SINCE, UNTIL)
    dogs = gaps[0]
    assert sorted(dogs.examples) == sorted(DOG_QUESTIONS)
    assert not dogs.near and "狗证" in dogs.alias_candidates and dogs.example_candidate in DOG_QUESTIONS
    passport = next(g for g in gaps if g.examples == ("How do I renew my passport?",))
    assert passport.near and passport.service_id == "passport" and passport.questions[0].reason == "ask_person"
    assert [g.count for g in gaps] == [3, 1, 1]  # the ask-a-person question is counted once
    text = format_gaps(gaps, SINCE, UNTIL, SHANGHAI)
    assert NOT_CLOSE in text and "3 个问题 questions" in text and "knowledge/services/passport.yaml" in text
    assert format_gaps(gaps, SINCE, UNTIL, SHANGHAI, markdown=True).startswith("# 知识库缺口 Knowledge gaps")


def test_grouping_keeps_different_matters_apart():
    texts = ["养狗证怎么办理", "How do I get a dog licence?", "dog license application", "今天天气怎么样",
             "明天天气如何", "我家狗要办狗证去哪里"]
    groups = [sorted(texts[i] for i in group) for group in cluster(texts)]
    assert sorted(groups) == sorted([["养狗证怎么办理", "我家狗要办狗证去哪里"],
                                     ["How do I get a dog licence?", "dog license application"],
                                     ["今天天气怎么样", "明天天气如何"]])


@pytest.mark.parametrize("texts, known, expected", [
    (["结婚证丢了怎么补", "结婚证补办", "结婚证遗失补领"], [], ["结婚证"]),  # the longest shared phrase
    (["结婚证丢了怎么补", "结婚证补办"], ["结婚证补领"], []),  # already in an alias of the service
    (["今天天气怎么样"], [], ["今天天气"]),
    (["How do I get a dog licence?", "dog licence fee"], [], ["licence", "dog"]),
])
def test_candidate_aliases_are_shared_phrases_the_service_lacks(texts, known, expected):
    assert distinctive_words(texts, known) == expected


# -- history and purge ----------------------------------------------------------------------------


def test_case_history_tells_the_story_in_order(week):
    lines = case_history(week.ledger, week.cases["dog1"])
    kinds = [line.split(" ")[1] for line in lines[1:]]
    assert kinds == ["question", "opened", "claimed", "replied", "closed", "rated"]


def test_a_purge_replaces_text_and_keeps_the_counts(week):
    before = format_csv(build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI))
    counts = week.ledger.purge_before(at(2, 0, 0), "[purged]", actor="cli")
    assert counts["inquiries"] == 9 and counts["cases"] == 4
    assert format_csv(build_report(week.ledger, week.knowledge, SINCE, UNTIL, SHANGHAI)) == before
    texts = {r.text for r in week.ledger.inquiries()}
    assert texts == {"[purged]", "今天天气怎么样"}
    [purge] = list(week.ledger.db["purges"].rows)
    assert purge["actor"] == "cli" and json.loads(purge["counts"]) == counts
    assert [g.count for g in find_gaps(week.ledger, week.matcher, SINCE, UNTIL)] == [1]  # only Wednesday's


# -- the commands ---------------------------------------------------------------------------------


@pytest.mark.parametrize("options, marker", [((), "按窗口 By office"), (("--format", "csv"), "level,key,name_zh")])
def test_report_command_prints_the_report(week, run, options, marker):
    result = run("report", "--since", "2024-05-01", *options, "--database", week.path)
    assert result.exit_code == 0 and marker in result.output


def test_report_command_writes_html_to_a_file(week, run, tmp_path):
    output = tmp_path / "report.html"
    result = run("report", "--since", "2024-05-01", "--format", "html", "--output", output, "--database", week.path)
    assert result.exit_code == 0 and str(output) in result.output
    assert '<img src="data:image/png;base64,' in output.read_text(encoding="utf-8")


def test_report_command_names_bad_input(week, run, tmp_path):
    result = run("report", "--since", "last week", "--database", week.path)
    assert result.exit_code == 2 and "Invalid value for '--since': 'last week' is neither a span" in result.output
    result = run("report", "--database", tmp_path / "missing.db")
    assert result.exit_code == 1 and "missing.db does not exist; pass --database PATH" in result.output
    assert not (tmp_path / "missing.db").exists()


def test_gaps_command(week, run):
    result = run("gaps", "--since", "2024-05-01", "--database", week.path, "--format", "markdown")
    assert result.exit_code == 0 and "## 1. 3 个问题 questions" in result.output and NOT_CLOSE in result.output


def test_history_command(week, run):
    result = run("history", "--user", "u4", "--database", week.path)
    assert result.exit_code == 0 and DOG_QUESTIONS[0] in result.output
    assert f"Case #{week.cases['dog1']}" in result.output
    assert run("history", "--case", week.cases["dog3"], "--database", week.path).exit_code == 0
    missing = run("history", "--case", 999, "--database", week.path)
    assert missing.exit_code == 1 and "There is no case #999" in missing.output
    assert run("history", "--database", week.path).exit_code == 2
    assert run("history", "--user", "u4", "--case", 1, "--database", week.path).exit_code == 2


def test_purge_command_asks_first_and_records_the_purge(week, run):
    declined = run("purge", "--older-than", "2024-05-09", "--database", week.path, input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert week.ledger.db["purges"].count == 0
    done = run("purge", "--older-than", "2024-05-09", "--database", week.path, input="y\n")
    assert done.exit_code == 0 and "inquiries 10" in done.output
    assert week.ledger.db["purges"].count == 1
    again = run("purge", "--older-than", "2024-05-09", "--database", week.path, "--yes")
    assert "inquiries 0, cases 0, case_events 0" in again.output and week.ledger.db["purges"].count == 2


# -- what admins and citizens wrote is shown as text -------------------------------------------------

def test_markdown_and_csv_escape_what_admins_and_citizens_wrote(week):
    from dataclasses import replace

    from bot.knowledge.model import Text

    passport = week.knowledge.services["passport"]
    hostile = replace(passport, name=Text("<script>alert(1)</script>护照 | *x* [l](http://x)",
                                          "=HYPERLINK(\"http://x\")"))
    knowledge = replace(week.knowledge, services={**week.knowledge.services, "passport": hostile})
    result = build_report(week.ledger, knowledge, SINCE, UNTIL, SHANGHAI)
    markdown = format_markdown(result)
    assert "<script>" not in markdown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;护照 \\| \\*x\\* \\[l\\](http://x)" in markdown
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(format_csv(result)))}
    assert rows["passport"]["name_en"] == "'=HYPERLINK(\"http://x\")"  # a text cell, not a formula
    assert all(not value.startswith(("=", "+", "@")) for r in rows.values() for value in r.values())


def test_gaps_in_markdown_show_citizens_questions_as_text(week):
    week.clock.set(at(2, 16, 30))
    Assistant(KnowledgeStore(BUNDLED_KNOWLEDGE), week.ledger, Config(database_path=week.path)).ask(
        "<img src=x onerror=alert(1)> 我家狗走丢了 [点我](http://evil)", channel="console", user_id="u9", fmt=PLAIN)
    text = format_gaps(find_gaps(week.ledger, week.matcher, SINCE, UNTIL), SINCE, UNTIL, SHANGHAI, markdown=True)
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "[点我](http" not in text and "\\[点我\\](http://evil)" in text  # a link no longer
