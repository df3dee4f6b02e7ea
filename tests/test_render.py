"""The one-reply checklist: complete, escaped, and within Telegram's message limit."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
import yaml

from bot.answering.render import (
    HTML,
    PLAIN,
    TELEGRAM_LIMIT,
    _Style,
    checklist_sections,
    render_checklist,
    render_clarify,
    split_sections,
)
from bot.knowledge.loading import load_knowledge

TODAY = dt.date(2026, 12, 1)


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("fmt", [HTML, PLAIN])
def test_every_service_fits_in_one_message_and_lists_everything(knowledge, language, fmt):
    for service in knowledge.services.values():
        messages = render_checklist(service, knowledge, language, fmt, today=TODAY)
        assert all(len(m) <= TELEGRAM_LIMIT for m in messages)
        if language == "zh":
            assert len(messages) == 1, f"{service.id} needs {len(messages)} messages"
        text = "\n".join(messages)
        for document in service.documents:
            if document.in_force(TODAY) or document.scheduled_after(TODAY):
                name = document.name.get(language)
                assert (name if fmt == PLAIN else name.replace("&", "&amp;").replace("<", "&lt;")) in text
        for office in knowledge.offices_of(service):
            assert office.phone in text
        assert knowledge.version in text


def test_documents_are_numbered_and_conditions_marked(knowledge):
    text = render_checklist(knowledge.services["passport"], knowledge, "zh", PLAIN, today=TODAY)[0]
    numbers = [int(n) for n in re.findall(r"^(\d+)\. ", text.split("【需要准备的材料】")[1].split("【")[0], re.M)]
    assert numbers == list(range(1, len(knowledge.services["passport"].documents) + 1))
    assert "（如是否由他人代为办理（仅限特殊情况）？——是，则需要）" in text


def test_yaml_text_is_escaped_in_html(knowledge_copy):
    path = knowledge_copy / "services" / "passport.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["name"]["zh"] = "护照<script>alert(1)</script> & <b>"
    data["documents"][0]["notes"] = {"zh": "<i>不得</i>涂改", "en": "<i>no</i> edits"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy)
    text = render_checklist(knowledge.services["passport"], knowledge, "zh", HTML, today=TODAY)[0]
    assert "<script>" not in text and "<i>" not in text
    assert "护照&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in text
    assert set(re.findall(r"</?(\w+)", text)) <= {"b", "a"}  # only the tags we add


def test_long_checklists_split_between_sections_and_items_only(knowledge):
    service = knowledge.services["passport"]
    sections = checklist_sections(service, knowledge, "zh", PLAIN, today=TODAY)
    items = [item for section in sections for item in section.items]
    messages = split_sections(sections, _Style(PLAIN), "（续）", limit=400)
    assert len(messages) > 3
    assert all(len(m) <= 400 for m in messages)
    joined = "\n".join(messages)
    for item in items:
        assert item in joined, "an item was cut in two"


def test_dated_fees_show_today_and_announce_changes(knowledge_copy):
    path = knowledge_copy / "services" / "passport.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fee = data["fees"][0]
    data["fees"] = [{**fee, "effective_to": "2026-12-31"},  # a copy: a shared value would be dumped as an alias
                    {**copy.deepcopy(fee), "amount": {"zh": "每本100元", "en": "CNY 100 per passport"},
                     "effective_from": "2027-01-01"}]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    knowledge = load_knowledge(knowledge_copy, today=TODAY)
    text = render_checklist(knowledge.services["passport"], knowledge, "zh", PLAIN, today=TODAY)[0]
    assert "护照工本费：每本120元" in text
    assert "自2027-01-01起：护照工本费 每本100元" in text
    later = render_checklist(knowledge.services["passport"], knowledge, "zh", PLAIN, today=dt.date(2027, 2, 1))[0]
    assert "每本120元" not in later and "护照工本费：每本100元" in later


def test_english_checklist_is_in_english(knowledge):
    text = render_checklist(knowledge.services["passport"], knowledge, "en", PLAIN, today=TODAY)[0]
    assert "Documents to bring" in text and "Resident ID card" in text
    assert not re.search(r"[\u4e00-\u9fff]", text.replace("【", "").replace("】", "")), "Chinese text in the English list"


def test_clarification_lists_the_options_in_order(knowledge):
    text = render_clarify(["passport", "hk_macau_permit"], knowledge, "en", PLAIN)
    assert text.splitlines()[1:] == ["1. Ordinary passport application",
                                     f"2. {knowledge.services['hk_macau_permit'].name.en}"]
