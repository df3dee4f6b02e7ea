"""Citizens in a private chat: questions, clarifications, browsing, cases, feedback and ratings."""

from __future__ import annotations

import json
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.services import Services, services_of
from bot.answering.assistant import CHOSEN, Reply
from bot.records.cases import format_due
from bot.records.ledger import parse_iso
from bot.answering.matching import ANSWER, CLARIFY, ESCALATE
from bot.answering.printable import printable_checklist
from bot.answering.messages import message
from bot.answering.tailoring import Tailoring, conditions_of, next_condition
from handlers.common import esc, keyboard, language_for, parse_callback, staff_text
from handlers.staff import post_case, tell_case_thread

log = logging.getLogger(__name__)


def say(key: str, language: str, **values) -> str:
    """A citizen-facing sentence, escaped for Telegram HTML."""
    return esc(message(key, language, **values))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcomes the citizen in their language and says what the assistant can do."""
    services = services_of(context)
    language = language_for(update, services)
    await services.outbox.send_text(update.effective_chat.id, say("start", language),
                                    dedupe_key=f"u{update.update_id}:start")


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offers Chinese or English; the choice is remembered."""
    services = services_of(context)
    buttons = keyboard([[("中文", "lang:zh"), ("English", "lang:en")]])
    await services.outbox.send_text(update.effective_chat.id, say("language.choose", "zh"), keyboard=buttons,
                                    dedupe_key=f"u{update.update_id}:lang")


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    query = update.callback_query
    parts = parse_callback(query.data, "lang", 1)
    if not parts or parts[0] not in ("zh", "en"):
        await query.answer(message("button.invalid", "zh"), show_alert=True)
        return
    services.ledger.update_chat(update.effective_chat.id, language=parts[0])
    await query.answer()
    await services.outbox.send_text(update.effective_chat.id, say("language.set", parts[0]),
                                    dedupe_key=f"u{update.update_id}:langset")


async def browse_categories(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the categories of services as buttons."""
    services = services_of(context)
    language = language_for(update, services)
    knowledge = services.store.current.knowledge
    rows = [[(c.name.get(language), f"cat:{c.id}")] for c in knowledge.categories.values() if knowledge.services_in(c.id)]
    await services.outbox.send_text(update.effective_chat.id, say("services.categories", language),
                                    keyboard=keyboard(rows), dedupe_key=f"u{update.update_id}:cats")


async def browse_category(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    query = update.callback_query
    language = language_for(update, services)
    knowledge = services.store.current.knowledge
    parts = parse_callback(query.data, "cat", 1)
    if not parts or parts[0] not in knowledge.categories:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    rows = [[(s.name.get(language), f"svc:{s.id}")] for s in knowledge.services_in(parts[0])]
    await services.outbox.send_text(update.effective_chat.id, say("services.in_category", language),
                                    keyboard=keyboard(rows), dedupe_key=f"u{update.update_id}:svcs")


async def browse_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    services = services_of(context)
    query = update.callback_query
    parts = parse_callback(query.data, "svc", 1)
    language = language_for(update, services)
    if not parts or parts[0] not in services.store.current.knowledge.services:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    await send_chosen(services, update, parts[0], f"/services {parts[0]}", language)


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a question with the complete checklist, a clarification, or a case for staff."""
    services = services_of(context)
    msg = update.effective_message
    chat = services.ledger.chat(update.effective_chat.id)
    if chat["flow"] and chat["flow"].startswith("comment:"):
        await _record_comment(services, update, int(chat["flow"].split(":")[1]), msg.text or "")
        return
    language = language_for(update, services, msg.text, chat=chat)
    reply = services.assistant.ask(msg.text, channel="telegram", user_id=str(update.effective_user.id),
                                   chat_id=str(update.effective_chat.id), language=language,
                                   update_id=update.update_id)
    await send_reply(services, update, reply)


async def send_chosen(services: Services, update: Update, target: str, question: str, language: str,
                      answers: dict[str, bool] | None = None, event: bool = False) -> None:
    """Send the checklist of a service (or life event) the citizen chose, tailored to their answers."""
    choose = services.assistant.choose_event if event else services.assistant.choose
    reply = choose(target, question=question, channel="telegram", user_id=str(update.effective_user.id),
                   chat_id=str(update.effective_chat.id), language=language, update_id=update.update_id,
                   answers=answers)
    if reply is not None:
        await send_reply(services, update, reply)


async def send_reply(services: Services, update: Update, reply: Reply) -> None:
    """Send a Reply with the buttons its decision calls for, and tell staff about a case."""
    chat_id, key = update.effective_chat.id, f"u{update.update_id}"
    buttons = reply_buttons(services, reply)
    html_ready = reply.decision.action in (ANSWER, CHOSEN, CLARIFY)
    for i, text in enumerate(reply.messages):
        last = i == len(reply.messages) - 1
        await services.outbox.send_text(chat_id, text if html_ready else esc(text), keyboard=buttons if last else None,
                                        case_id=reply.case_id, dedupe_key=f"{key}:{i}")
    if reply.decision.action == ESCALATE and reply.case_id:
        await _tell_staff_about(services, update, reply)


def reply_buttons(services: Services, reply: Reply):
    """[Helpful][Ask a person] under a checklist, plus [Tailor] when it has conditions and [Save as file];
    one button per service under a clarification or a life event, plus [None of these]."""
    language, inquiry, decision = reply.language, reply.inquiry_id, reply.decision
    knowledge = services.store.current.knowledge
    rows = []
    if decision.action == CLARIFY or decision.event_id:
        rows += [[(knowledge.services[o].name.get(language), f"pick:{inquiry}:{o}")]
                 for o in decision.options if o in knowledge.services]
    if decision.action in (ANSWER, CHOSEN) or decision.event_id:
        target, is_event = decision.event_id or decision.service_id, bool(decision.event_id)
        extra = [(message("button.file", language), f"file:{inquiry}")]
        if conditions_of(knowledge, target, is_event) and not reply.tailored:
            extra.insert(0, (message("button.tailor", language), f"tailor:{inquiry}"))
        rows.append(extra)
        rows.append([(message("button.helpful", language), f"fb:{inquiry}"),
                     (message("button.ask_person", language), f"ask:{inquiry}")])
    elif decision.action == CLARIFY:
        rows.append([(message("clarify.none", language), f"ask:{inquiry}")])
    return keyboard(rows) if rows else None


async def _tell_staff_about(services: Services, update: Update, reply: Reply) -> None:
    case = services.ledger.case(reply.case_id)
    if case["inquiry_id"] == reply.inquiry_id:
        await post_case(services, update.get_bot(), reply.case_id)  # a new case
    else:
        text = services.ledger.inquiry(reply.inquiry_id)["text"]
        await tell_case_thread(services, reply.case_id, staff_text("staff.follow_up", case_id=reply.case_id,
                                                                   text=text[:700]),
                               dedupe_key=f"u{update.update_id}:follow")


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The citizen picked one of the services offered in a clarification."""
    services = services_of(context)
    query = update.callback_query
    row, fields = _own_inquiry(services, update, query.data, "pick", parts=2)
    language = language_for(update, services)
    if row is None or fields[0] not in json.loads(row["options"] or "[]"):
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    await send_chosen(services, update, fields[0], row["text"], language)


async def ask_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Ask a person] or [None of these]: opens a case (or joins the open one) for the question."""
    services = services_of(context)
    query = update.callback_query
    parts = parse_callback(query.data, "ask", 1)
    language = language_for(update, services)
    reply = None
    if parts and parts[0].isdigit():
        reply = services.assistant.ask_person(int(parts[0]), user_id=str(update.effective_user.id),
                                              update_id=update.update_id, language=language)
    if reply is None:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    services.ledger.record_feedback(int(parts[0]), str(update.effective_user.id), "ask_person")
    await send_reply(services, update, reply)


async def helpful(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[This answers my question]: recorded as feedback on the inquiry."""
    services = services_of(context)
    query = update.callback_query
    row, _ = _own_inquiry(services, update, query.data, "fb")
    language = language_for(update, services)
    if row is None:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    services.ledger.record_feedback(row["id"], row["user_id"], "helpful")
    await query.answer(message("feedback.thanks", language))


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, voice message, sticker or file: forwarded to staff during an open case, else explained."""
    services = services_of(context)
    user_id, chat_id, key = str(update.effective_user.id), update.effective_chat.id, f"u{update.update_id}"
    language = language_for(update, services)
    case = services.ledger.open_case_of(user_id)
    if case is None:
        await services.outbox.send_text(chat_id, say("media.no_case", language), dedupe_key=f"{key}:media")
        return
    msg = update.effective_message
    services.desk.note_follow_up(case["id"], user_id, msg.caption or "", media=_kind(msg))
    await tell_case_thread(services, case["id"], staff_text("staff.media_follow_up", case_id=case["id"]),
                           dedupe_key=f"{key}:mediahead")
    await services.outbox.copy(services.config.staff_chat_id, chat_id, msg.message_id, case_id=case["id"],
                               thread_id=case["topic_id"], reply_to=case["staff_message_id"],
                               dedupe_key=f"{key}:mediacopy")
    await services.outbox.send_text(chat_id, say("media.forwarded", language, case_id=case["id"]),
                                    dedupe_key=f"{key}:mediaok")


def _kind(msg) -> str:
    for kind in ("photo", "voice", "sticker", "document", "video", "audio", "animation", "video_note", "location",
                 "contact"):
        if getattr(msg, kind, None):
            return kind
    return "other"


async def my_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the citizen's own open case, and nobody else's."""
    services = services_of(context)
    language = language_for(update, services)
    case = services.ledger.open_case_of(str(update.effective_user.id))
    if case is None:
        text = say("mycase.none", language)
    else:
        due = parse_iso(case["due_at"])
        text = say("mycase.status", language, case_id=case["id"], question=case["question"][:500],
                   status=message("mycase.owned" if case["owner_id"] else "mycase.waiting", language),
                   due=format_due(due, services.config.business_hours, language) if due else "—")
    await services.outbox.send_text(update.effective_chat.id, text, dedupe_key=f"u{update.update_id}:mycase")


async def end_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lets the citizen close their open case, then asks for a rating."""
    from handlers.staff import ask_for_rating, refresh_card

    services = services_of(context)
    language = language_for(update, services)
    user_id, key = str(update.effective_user.id), f"u{update.update_id}"
    case = services.ledger.open_case_of(user_id)
    if case is None:
        await services.outbox.send_text(update.effective_chat.id, say("end.none", language), dedupe_key=f"{key}:end")
        return
    outcome = services.desk.close(case["id"], f"citizen:{user_id}", reason="closed by the citizen")
    await services.outbox.send_text(update.effective_chat.id, say("end.closed", language, case_id=case["id"]),
                                    dedupe_key=f"{key}:end")
    await tell_case_thread(services, case["id"], staff_text("staff.closed_by_citizen", case_id=case["id"]),
                           dedupe_key=f"{key}:endstaff")
    await refresh_card(services, case["id"], dedupe_key=f"{key}:card")
    await ask_for_rating(services, outcome.case, dedupe_key=f"{key}:rate")


async def rated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Records a 1-5 rating of a closed case; 2 or less reopens it for the supervisors."""
    services = services_of(context)
    query = update.callback_query
    parts = parse_callback(query.data, "rate", 2)
    language = language_for(update, services)
    user_id, key = str(update.effective_user.id), f"u{update.update_id}"
    if not parts or not parts[0].isdigit() or parts[1] not in {"1", "2", "3", "4", "5"}:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    case_id, stars = int(parts[0]), int(parts[1])
    outcome = services.desk.rate(case_id, user_id, stars)
    if not outcome.ok:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer(message("rate.thanks", language))
    if stars <= 2:
        services.ledger.update_chat(update.effective_chat.id, flow=f"comment:{case_id}")
        await services.outbox.send_text(update.effective_chat.id, say("rate.low", language), dedupe_key=f"{key}:low")
        await tell_case_thread(services, case_id, staff_text("staff.reopened", case_id=case_id, stars=stars),
                               dedupe_key=f"{key}:reopened")
    else:
        await services.outbox.send_text(update.effective_chat.id, say("rate.thanks", language),
                                        dedupe_key=f"{key}:thanks")


async def _record_comment(services: Services, update: Update, case_id: int, text: str) -> None:
    user_id, key = str(update.effective_user.id), f"u{update.update_id}"
    language = language_for(update, services)
    services.desk.add_comment(case_id, user_id, text)
    services.ledger.update_chat(update.effective_chat.id, flow=None)
    await services.outbox.send_text(update.effective_chat.id, say("rate.comment_thanks", language),
                                    dedupe_key=f"{key}:comment")
    await tell_case_thread(services, case_id, staff_text("staff.comment", case_id=case_id, text=text[:700]),
                           dedupe_key=f"{key}:commentstaff")


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data the bot never issued."""
    services = services_of(context)
    await update.callback_query.answer(message("button.invalid", language_for(update, services)), show_alert=True)


def _own_inquiry(services: Services, update: Update, data: str | None, prefix: str,
                 parts: int = 1) -> tuple[dict | None, list[str]]:
    """The inquiry a button refers to (and the button's other fields), if it belongs to whoever pressed it."""
    fields = parse_callback(data, prefix, parts)
    row = services.ledger.inquiry(int(fields[0])) if fields and fields[0].isdigit() else None
    if row is None or row["user_id"] != str(update.effective_user.id):
        return None, []
    return row, fields[1:]


def _target(row: dict) -> tuple[str | None, bool]:
    return (row["event_id"], True) if row["event_id"] else (row["service_id"], False)


async def start_tailoring(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Tailor this list]: asks the conditions one at a time; the state is kept in the ledger."""
    services = services_of(context)
    query = update.callback_query
    language = language_for(update, services)
    row, _ = _own_inquiry(services, update, query.data, "tailor")
    target, is_event = _target(row) if row else (None, False)
    if not target:
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    state = Tailoring(row["id"], target, is_event)
    services.ledger.update_chat(update.effective_chat.id, flow=state.to_json())
    await _ask_next(services, update, state, language)


async def condition_answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Yes]/[No] to a tailoring question: record it, then ask the next one or send the final list."""
    services = services_of(context)
    query = update.callback_query
    language = language_for(update, services)
    parts = parse_callback(query.data, "cond", 3)
    state = Tailoring.from_json(services.ledger.chat(update.effective_chat.id)["flow"])
    knowledge = services.store.current.knowledge
    if not parts or state is None or parts[0] != str(state.inquiry_id) or parts[2] not in ("1", "0") or \
            parts[1] not in {c.id for c in conditions_of(knowledge, state.target, state.event)}:
        await query.answer(message("tailor.expired", language), show_alert=True)
        return
    await query.answer()
    state.answers[parts[1]] = parts[2] == "1"
    services.ledger.update_chat(update.effective_chat.id, flow=state.to_json())
    await _ask_next(services, update, state, language)


async def _ask_next(services: Services, update: Update, state: Tailoring, language: str) -> None:
    knowledge = services.store.current.knowledge
    condition = next_condition(knowledge, state)
    key = f"u{update.update_id}"
    if condition is not None:
        total = len(conditions_of(knowledge, state.target, state.event))
        buttons = keyboard([[(message("yes", language), f"cond:{state.inquiry_id}:{condition.id}:1"),
                             (message("no", language), f"cond:{state.inquiry_id}:{condition.id}:0")]])
        await services.outbox.send_text(update.effective_chat.id,
                                        say("tailor.question", language, n=len(state.answers) + 1, total=total,
                                            question=condition.question.get(language)),
                                        keyboard=buttons, dedupe_key=f"{key}:ask")
        return
    services.ledger.update_chat(update.effective_chat.id, flow=None)
    question = services.ledger.inquiry(state.inquiry_id)["text"]
    await send_chosen(services, update, state.target, question, language, answers=state.answers, event=state.event)


async def save_as_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Save as file]: sends the checklist as a printable HTML page with tick boxes."""
    services = services_of(context)
    query = update.callback_query
    language = language_for(update, services)
    row, _ = _own_inquiry(services, update, query.data, "file")
    target, is_event = _target(row) if row else (None, False)
    knowledge = services.store.current.knowledge
    if not target or target not in (knowledge.events if is_event else knowledge.services):
        await query.answer(message("button.invalid", language), show_alert=True)
        return
    await query.answer()
    answers = json.loads(row["answers"]) if row["answers"] else None
    issued = services.ledger.now().astimezone(services.config.business_hours.timezone).date()
    page = printable_checklist(knowledge, language, answers=answers, issued=issued,
                               **({"event": knowledge.events[target]} if is_event
                                  else {"service": knowledge.services[target]}))
    await services.outbox.send_document(update.effective_chat.id, f"checklist-{target}-{issued.isoformat()}.html",
                                        page.encode("utf-8"), caption=message("file.caption", language,
                                                                              date=issued.isoformat()),
                                        dedupe_key=f"u{update.update_id}:file")
