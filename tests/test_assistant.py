"""The answering path: every question is answered, recorded with the exact reply, and escalations open cases."""

from __future__ import annotations

from bot.answering.render import PLAIN


def test_an_answer_is_recorded_with_the_exact_reply(assistant, ledger):
    reply = assistant.ask("身份证丢了怎么补办", channel="console", user_id="u1", fmt=PLAIN)
    assert reply.decision.action == "answer"
    [row] = ledger.inquiries("u1")
    assert row.reply == "\n\n".join(reply.messages)
    assert row.kb_version == assistant.store.current.knowledge.version
    assert row.service_id == "id_card_replacement" and row.case_id is None


def test_an_escalation_opens_one_case_and_follow_ups_join_it(assistant, ledger):
    first = assistant.ask("我家狗狗走丢了怎么办", channel="console", user_id="u1", fmt=PLAIN)
    second = assistant.ask("What is the capital of France?", channel="console", user_id="u1", fmt=PLAIN)
    assert first.case_id is not None and second.case_id == first.case_id
    assert f"#{first.case_id}" in first.messages[0]
    assert [e.kind for e in ledger.case_events(first.case_id)] == ["opened", "follow_up"]
    rows = ledger.inquiries("u1")
    assert [r.case_id for r in rows] == [first.case_id, first.case_id]
    assert rows[0].reply == first.messages[0]


def test_another_citizen_gets_their_own_case(assistant):
    one = assistant.ask("我家狗狗走丢了怎么办", channel="console", user_id="u1", fmt=PLAIN)
    two = assistant.ask("我家狗狗走丢了怎么办", channel="console", user_id="u2", fmt=PLAIN)
    assert one.case_id != two.case_id


def test_an_empty_question_is_answered_with_a_prompt_and_recorded(assistant, ledger):
    reply = assistant.ask(" \x00\u200b ", channel="console", user_id="u1", fmt=PLAIN)
    assert reply.decision.action == "prompt" and "身份证丢了怎么补办" in reply.messages[0]
    assert ledger.inquiries("u1")[0].action == "prompt"


def test_the_reply_language_follows_the_question(assistant):
    assert assistant.ask("How do I renew my passport?", channel="console", user_id="u1", fmt=PLAIN).language == "en"
    assert assistant.ask("护照怎么办", channel="console", user_id="u1", fmt=PLAIN).language == "zh"


def test_choosing_an_option_sends_that_checklist(assistant, ledger):
    reply = assistant.choose("provident_fund_loan", question="公积金", channel="console", user_id="u1", fmt=PLAIN)
    assert reply.decision.action == "chosen"
    assert assistant.store.current.knowledge.services["provident_fund_loan"].name.zh in reply.messages[0]
    assert ledger.inquiries("u1")[0].service_id == "provident_fund_loan"


def test_choosing_a_life_event_sends_its_merged_checklist_tailored_to_the_answers(assistant, ledger):
    event = assistant.store.current.knowledge.events["newborn"]
    common = dict(question="孩子出生了要办哪些手续", channel="console", user_id="u1", fmt=PLAIN)
    untailored = assistant.choose_event("newborn", **common)
    assert untailored.decision.event_id == "newborn" and untailored.decision.options == event.service_ids
    # The bundle lists the ID card once, saying whose it must be: the agent's among them until told otherwise.
    assert not untailored.tailored and "代办人" in "".join(untailored.messages)

    answers = {"agent": False, "born_outside_hospital": False}
    tailored = assistant.choose_event("newborn", **common, answers=answers, update_id=7)
    text = "".join(tailored.messages)
    assert tailored.tailored and tailored.decision.action == "chosen"
    assert "代办人" not in text and "委托书" not in text  # no agent: no agent's documents
    assert "分娩医院的住院病历或分娩记录" in text  # born in hospital: the hospital's record
    assert "【您的情况】" in text and "是否委托他人代为领取？ 否" in text  # service questions, asked for the bundle
    row = ledger.inquiry(tailored.inquiry_id)
    assert (row.event_id, row.answers, row.service_id, row.reply) == ("newborn", answers, None, "\n\n".join(
        tailored.messages))

    again = assistant.choose_event("newborn", **common, answers={"agent": True}, update_id=7)  # the update replayed
    assert again.inquiry_id == tailored.inquiry_id and again.messages == tailored.messages
    assert assistant.choose_event("no_such_event", **common) is None
    assert len(ledger.inquiries("u1")) == 2
