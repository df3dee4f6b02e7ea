"""What the API answers: a Reply as JSON, with the same buttons as under the Telegram message.

The messages are the Telegram renderer's HTML format: everything from YAML or a citizen is escaped
there, and the only markup is <b> and <a href>. The API keeps that format (one escaping rule for every
channel, so the web shows exactly what Telegram shows); replies that are plain sentences (a case
number, a prompt) are escaped here the same way. The page does not trust it blindly: it rebuilds the
few allowed tags from an inert parse and turns everything else into text (bot/web/static/chat.js).
"""

from __future__ import annotations

import html

from bot.answering.assistant import CHOSEN, Reply
from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, MATTER_PREFIX, REFER, SMALLTALK
from bot.answering.messages import message
from bot.answering.render import option_name
from bot.answering.tailoring import conditions_of
from bot.knowledge.model import KnowledgeBase

HTML_READY = (ANSWER, CHOSEN, CLARIFY, REFER, SMALLTALK)  # rendered by bot/answering/render.py in HTML format


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def reply_json(knowledge: KnowledgeBase, reply: Reply, token: str) -> dict:
    """The answer to ask/choose/tailor/ask-person: the API's documented shape (see openapi.py, Reply)."""
    decision = reply.decision
    messages = list(reply.messages) if decision.action in HTML_READY else [esc(m) for m in reply.messages]
    return {
        "session": token,
        "action": "escalate" if decision.action == ESCALATE else decision.action,
        "service": decision.service_id,
        "event": decision.event_id,
        "options": [{"id": o, "name": option_name(o, knowledge, reply.language)}
                    for o in decision.options if _known(o, knowledge)],
        "matter": decision.matter_id,
        "messages": messages,
        "case_id": reply.case_id,
        "inquiry_id": reply.inquiry_id,
        "language": reply.language,
        "tailored": reply.tailored,
        "buttons": buttons(knowledge, reply),
    }


def _known(option: str, knowledge: KnowledgeBase) -> bool:
    """A clarification option still in the knowledge base: a service, or a catalogue matter ("matter:<id>")."""
    return option in knowledge.services or option.removeprefix(MATTER_PREFIX) in knowledge.matters


def buttons(knowledge: KnowledgeBase, reply: Reply) -> list[dict]:
    """The buttons Telegram shows (handlers/citizen.py reply_buttons), as actions the page can take."""
    language, decision = reply.language, reply.decision
    result = []
    if decision.action == CLARIFY or decision.event_id:
        result += [{"action": "choose", "service": o, "label": option_name(o, knowledge, language)}
                   for o in decision.options if _known(o, knowledge)]
    if decision.action in (ANSWER, CHOSEN) or decision.event_id:
        target, is_event = decision.event_id or decision.service_id, bool(decision.event_id)
        if conditions_of(knowledge, target, is_event) and not reply.tailored:
            result.append({"action": "tailor", "label": message("button.tailor", language)})
        result.append({"action": "printable", "label": message("button.file", language)})
        result.append({"action": "helpful", "label": message("button.helpful", language)})
        result.append({"action": "ask_person", "label": message("button.ask_person", language)})
        result.append({"action": "report_error", "label": message("button.wrong", language)})
    elif decision.action == CLARIFY:
        result.append({"action": "ask_person", "label": message("clarify.none", language)})
    return result


def condition_json(token: str, inquiry_id: int, condition, n: int, total: int, language: str) -> dict:
    """One tailoring question with [Yes] [No], as Telegram asks it."""
    text = message("tailor.question", language, n=n, total=total, question=condition.question.get(language))
    return {"session": token, "action": "condition", "inquiry_id": inquiry_id, "messages": [esc(text)],
            "condition": {"id": condition.id, "question": condition.question.get(language)},
            "buttons": [{"action": "answer", "condition": condition.id, "value": True,
                         "label": message("yes", language)},
                        {"action": "answer", "condition": condition.id, "value": False,
                         "label": message("no", language)}]}
