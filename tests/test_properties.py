"""Property-based tests: no input makes the matcher or the renderer raise, and messages fit Telegram."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering.assistant import clean_question
from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, REFER, SMALLTALK
from bot.answering.render import HTML, PLAIN, TELEGRAM_LIMIT, render_checklist, render_clarify

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
QUESTIONS = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=CJK, max_size=40),
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), min_size=3000, max_size=4096),
    st.lists(st.sampled_from(["身份证", "丢了", "<b>", "护照", "公积金", " ", "&", "'; --", "\x00", "🙂", "passport",
                              "\u202e", "\n"]), max_size=30).map("".join),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(QUESTIONS)
def test_the_matcher_decides_anything(matcher, question):
    decision = matcher.decide(clean_question(question))
    assert decision.action in (ANSWER, CLARIFY, ESCALATE, REFER, SMALLTALK)
    assert (decision.matter_id in matcher.knowledge.matters) == (decision.action == REFER)
    if decision.action == CLARIFY:
        assert 2 <= len(decision.options) <= 4
    assert 0 <= decision.score <= 100.0 + 1e-9


@SETTINGS
@given(service_index=st.integers(min_value=0, max_value=39), language=st.sampled_from(["zh", "en"]),
       fmt=st.sampled_from([HTML, PLAIN]), answers=st.dictionaries(st.text(max_size=10), st.booleans(), max_size=4),
       days=st.integers(min_value=-3650, max_value=3650), limit=st.integers(min_value=300, max_value=TELEGRAM_LIMIT))
def test_every_rendered_message_fits(knowledge, service_index, language, fmt, answers, days, limit):
    service = list(knowledge.services.values())[service_index]
    today = dt.date(2026, 11, 27) + dt.timedelta(days=days)
    messages = render_checklist(service, knowledge, language, fmt, answers=answers, today=today, limit=limit)
    assert messages and all(0 < len(m) <= limit for m in messages)


@SETTINGS
@given(st.lists(st.sampled_from(["passport", "id_card_first", "legal_aid", "notarization"]), min_size=2, max_size=4,
                unique=True), st.sampled_from(["zh", "en"]))
def test_clarifications_fit(knowledge, options, language):
    assert len(render_clarify(options, knowledge, language)) <= TELEGRAM_LIMIT
