"""Citizens in a private chat: questions, clarifications, browsing, cases, feedback and ratings."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.answering.assistant import CHOSEN, Reply
from bot.answering.matching import ANSWER, CLARIFY, ESCALATE, MATTER_PREFIX, REFER, SMALLTALK
from bot.answering.messages import message
from bot.answering.printable import checklist_file
from bot.answering.render import option_name
from bot.answering.tailoring import Tailoring, conditions_of, next_condition, question_count
from bot.knowledge.model import LANGUAGES
from bot.records.cases import LOW_RATING, Case
from bot.records.rows import Inquiry
from bot.records.workdays import local_date
from bot.telegram.formatting import esc, keyboard, say, staff_text
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of
from bot.telegram.staff_chat import (
    format_due,
    post_case,
    post_error_report,
    queue_card_refresh,
    queue_case_thread,
    queue_rating_prompt,
)
from handlers.common import ID, ID_OR_ZERO, NAME, citizen_of, language_for, media_kind, parse_callback, sender_for

log = logging.getLogger(__name__)
ANSWERS = frozenset({"1", "0"})


async def refuse_button(update: Update, services: Services, key: str = "button.invalid") -> None:
    """A button that is stale, forged or not this citizen's: say so, change nothing, log it once."""
    query = update.callback_query
    log.info("Refused button %r pressed by user %s", (query.data or "")[:80], query.from_user.id)
    await query.answer(message(key, language_for(update, services)), show_alert=True)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Welcomes the citizen in their language and says what the assistant can do."""
    services = services_of(context)
    sender_for(update, context).text(update.effective_chat.id, say("start", language_for(update, services)),
                                     key="start")


async def choose_language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offers Chinese or English; the choice is remembered."""
    buttons = keyboard([[("中文", "lang:zh"), ("English", "lang:en")]])
    sender_for(update, context).text(update.effective_chat.id, say("language.choose", "zh"), key="lang",
                                     keyboard=buttons)


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Remembers the language the citizen chose."""
    services = services_of(context)
    fields = parse_callback(update.callback_query.data, "lang", LANGUAGES)
    if not fields:
        await refuse_button(update, services)
        return
    services.ledger.update_chat(update.effective_chat.id, language=fields[0])
    await update.callback_query.answer()
    sender_for(update, context).text(update.effective_chat.id, say("language.set", fields[0]), key="langset")


async def browse_categories(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the categories of services as buttons."""
    services = services_of(context)
    language = language_for(update, services)
    knowledge = services.store.current.knowledge
    rows = [[(c.name.get(language), f"cat:{c.id}")] for c in knowledge.categories.values() if knowledge.services_in(c.id)]
    sender_for(update, context).text(update.effective_chat.id, say("services.categories", language), key="cats",
                                     keyboard=keyboard(rows))


async def browse_category(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the services of the chosen category as buttons."""
    services = services_of(context)
    language = language_for(update, services)
    knowledge = services.store.current.knowledge
    fields = parse_callback(update.callback_query.data, "cat", NAME)
    if not fields or fields[0] not in knowledge.categories:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    rows = [[(s.name.get(language), f"svc:{s.id}")] for s in knowledge.services_in(fields[0])]
    sender_for(update, context).text(update.effective_chat.id, say("services.in_category", language),
                                     key="svcs", keyboard=keyboard(rows))


async def browse_service(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends the checklist of the service chosen while browsing."""
    services = services_of(context)
    fields = parse_callback(update.callback_query.data, "svc", NAME)
    if not fields or fields[0] not in services.store.current.knowledge.services:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    send_chosen(services, update, sender_for(update, context), fields[0], f"/services {fields[0]}",
                language_for(update, services))


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answers a question with the complete checklist, a clarification, or a case for staff."""
    services = services_of(context)
    msg = update.effective_message
    chat = services.ledger.chat(update.effective_chat.id)
    sender = sender_for(update, context)
    if chat.flow and chat.flow.startswith("comment:"):
        _record_comment(services, update, sender, int(chat.flow.split(":")[1]), msg.text or "",
                        language_for(update, services, chat=chat))
        return
    if chat.flow and chat.flow.startswith("wrong:"):
        _record_error_report(services, update, sender, int(chat.flow.split(":")[1]), msg.text or "",
                             language_for(update, services, chat=chat))
        return
    language = language_for(update, services, msg.text, chat=chat)
    reply = services.assistant.ask(msg.text, channel="telegram", user_id=str(update.effective_user.id),
                                   chat_id=str(update.effective_chat.id), language=language,
                                   update_id=update.update_id)
    send_reply(services, update, sender, reply)


def send_chosen(services: Services, update: Update, sender: Sender, target: str, question: str, language: str,
                answers: dict[str, bool] | None = None, event: bool = False) -> None:
    """Send the checklist of a service (or life event) the citizen chose, tailored to their answers."""
    choose = services.assistant.choose_event if event else services.assistant.choose
    reply = choose(target, question=question, channel="telegram", user_id=str(update.effective_user.id),
                   chat_id=str(update.effective_chat.id), language=language, update_id=update.update_id,
                   answers=answers)
    if reply is not None:
        send_reply(services, update, sender, reply)


def send_reply(services: Services, update: Update, sender: Sender, reply: Reply) -> None:
    """Send a Reply with the buttons its decision calls for, and tell staff about a case."""
    buttons = reply_buttons(services, reply)
    html_ready = reply.decision.action in (ANSWER, CHOSEN, CLARIFY, REFER, SMALLTALK)
    for i, text in enumerate(reply.messages):
        last = i == len(reply.messages) - 1
        sender.text(update.effective_chat.id, text if html_ready else esc(text), key=str(i),
                    keyboard=buttons if last else None, case_id=reply.case_id)
    if reply.decision.action in (ESCALATE, REFER) and reply.case_id:
        tell_staff_about(services, sender, reply)
    if services.assistant.wants_district(reply):
        sender.text(update.effective_chat.id, say("district.choose", reply.language), key="district",
                    keyboard=district_keyboard(services, reply.language, reply.inquiry_id))


def district_keyboard(services: Services, language: str, inquiry_id: int = 0):
    """One button per district, three to a row; pressing one remembers it (and resends the checklist)."""
    districts = list(services.store.current.knowledge.districts.values())
    buttons = [(d.name.get(language), f"dist:{inquiry_id}:{d.id}") for d in districts]
    return keyboard([buttons[i:i + 3] for i in range(0, len(buttons), 3)])


async def choose_district(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/district: choose (or change) the district whose offices the checklists show."""
    services = services_of(context)
    language = language_for(update, services)
    sender_for(update, context).text(update.effective_chat.id, say("district.choose", language), key="district",
                                     keyboard=district_keyboard(services, language))


async def district_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A district button: remember it; under a checklist, send that checklist again with the district's offices."""
    services = services_of(context)
    language = language_for(update, services)
    fields = parse_callback(update.callback_query.data, "dist", ID_OR_ZERO, NAME)
    inquiry = services.ledger.inquiry(fields[0]) if fields and fields[0] else None
    if not fields or (inquiry and inquiry.user_id != str(update.effective_user.id)) or \
            not services.assistant.set_district(str(update.effective_chat.id), fields[1]):
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    sender = sender_for(update, context)
    name = services.store.current.knowledge.districts[fields[1]].name.get(language)
    sender.text(update.effective_chat.id, say("district.set", language, district=name), key="districtset")
    target, is_event = inquiry.target if inquiry else (None, False)
    if target:
        send_chosen(services, update, sender, target, inquiry.text, language, answers=inquiry.answers,
                    event=is_event)


def reply_buttons(services: Services, reply: Reply):
    """[Helpful][Ask a person] under a checklist, plus [Tailor] when it has conditions and [Save as file];
    one button per service under a clarification or a life event, plus [None of these]."""
    language, inquiry, decision = reply.language, reply.inquiry_id, reply.decision
    knowledge = services.store.current.knowledge
    rows = []
    if decision.action == CLARIFY or decision.event_id:
        rows += [[(option_name(o, knowledge, language), _pick_data(inquiry, o))] for o in decision.options
                 if o in knowledge.services or o.removeprefix(MATTER_PREFIX) in knowledge.matters]
    if decision.action in (ANSWER, CHOSEN) or decision.event_id:
        target, is_event = decision.event_id or decision.service_id, bool(decision.event_id)
        extra = [(message("button.file", language), f"file:{inquiry}")]
        if conditions_of(knowledge, target, is_event) and not reply.tailored:
            extra.insert(0, (message("button.tailor", language), f"tailor:{inquiry}"))
        rows.append(extra)
        rows.append([(message("button.helpful", language), f"fb:{inquiry}"),
                     (message("button.ask_person", language), f"ask:{inquiry}")])
        rows.append([(message("button.wrong", language), f"wrong:{inquiry}")])
    elif decision.action == CLARIFY:
        rows.append([(message("clarify.none", language), f"ask:{inquiry}")])
    return keyboard(rows) if rows else None


def _pick_data(inquiry_id: int, option: str) -> str:
    """Callback data of a clarification button: a service, or a catalogue matter ("mat")."""
    if option.startswith(MATTER_PREFIX):
        return f"mat:{inquiry_id}:{option[len(MATTER_PREFIX):]}"
    return f"pick:{inquiry_id}:{option}"


def tell_staff_about(services: Services, sender: Sender, reply: Reply) -> None:
    """A new case gets its card in the staff chat; a follow-up goes to the open case's thread."""
    case = services.ledger.case(reply.case_id)
    if case.inquiry_id == reply.inquiry_id:
        post_case(services, case)
    else:
        text = services.ledger.inquiry(reply.inquiry_id).text
        queue_case_thread(services, sender, reply.case_id,
                          staff_text("staff.follow_up", case_id=reply.case_id, text=text[:700]), key="follow")


def own_inquiry(services: Services, update: Update, data: str | None, prefix: str,
                *more) -> tuple[Inquiry | None, tuple]:
    """The inquiry a button refers to (and the button's other fields), if it belongs to whoever pressed it."""
    fields = parse_callback(data, prefix, ID, *more)
    inquiry = services.ledger.inquiry(fields[0]) if fields else None
    if inquiry is None or inquiry.user_id != str(update.effective_user.id):
        return None, ()
    return inquiry, fields[1:]


async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The citizen picked one of the services (or catalogue matters) offered in a clarification."""
    services = services_of(context)
    prefix = update.callback_query.data.split(":", 1)[0] if update.callback_query.data else ""  # "pick" or "mat"
    inquiry, fields = own_inquiry(services, update, update.callback_query.data, prefix, NAME)
    option = (MATTER_PREFIX if prefix == "mat" else "") + fields[0] if inquiry else None
    if inquiry is None or option not in inquiry.options:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    send_chosen(services, update, sender_for(update, context), option, inquiry.text,
                language_for(update, services))


async def ask_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Ask a person] or [None of these]: opens a case (or joins the open one) for the question."""
    services = services_of(context)
    fields = parse_callback(update.callback_query.data, "ask", ID)
    citizen = citizen_of(update)
    reply = services.assistant.ask_person(fields[0], user_id=citizen.id, update_id=update.update_id,
                                          language=language_for(update, services)) if fields else None
    if reply is None:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    services.ledger.record_feedback(fields[0], citizen.id, "ask_person")
    send_reply(services, update, sender_for(update, context), reply)


async def helpful(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[This answers my question]: recorded as feedback on the inquiry."""
    services = services_of(context)
    inquiry, _ = own_inquiry(services, update, update.callback_query.data, "fb")
    if inquiry is None:
        await refuse_button(update, services)
        return
    services.ledger.record_feedback(inquiry.id, inquiry.user_id, "helpful")
    await update.callback_query.answer(message("feedback.thanks", language_for(update, services)))


async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A photo, voice message, sticker or file: forwarded to staff during an open case, else explained."""
    services = services_of(context)
    sender = sender_for(update, context)
    user_id, chat_id = str(update.effective_user.id), update.effective_chat.id
    language = language_for(update, services)
    case = services.ledger.open_case_of(user_id)
    if case is None:
        sender.text(chat_id, say("media.no_case", language), key="media")
        return
    msg = update.effective_message
    services.desk.note_follow_up(case.id, user_id, msg.caption or "", media=media_kind(msg) or "other")
    queue_case_thread(services, sender, case.id, staff_text("staff.media_follow_up", case_id=case.id),
                      key="mediahead")
    sender.copy(services.config.staff_chat_id, chat_id, msg.message_id, key="mediacopy", case_id=case.id,
                thread_of_case=case.id)
    sender.text(chat_id, say("media.forwarded", language, case_id=case.id), key="mediaok")


async def my_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the citizen's own open case, and nobody else's."""
    services = services_of(context)
    language = language_for(update, services)
    case = services.ledger.open_case_of(str(update.effective_user.id))
    if case is None:
        text = say("mycase.none", language)
    else:
        text = say("mycase.status", language, case_id=case.id, question=case.question[:500],
                   status=message("mycase.owned" if case.owner_id else "mycase.waiting", language),
                   due=format_due(services, case.due_at))
    sender_for(update, context).text(update.effective_chat.id, text, key="mycase")


async def end_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lets the citizen close their open case, then asks for a rating."""
    services = services_of(context)
    sender = sender_for(update, context)
    language = language_for(update, services)
    citizen = citizen_of(update)
    case = services.ledger.open_case_of(citizen.id)
    if case is None:
        sender.text(update.effective_chat.id, say("end.none", language), key="end")
        return
    # The closing and everything it sends are written together: a crash in between cannot lose the messages.
    with services.ledger.transaction():
        outcome = services.desk.close(case.id, citizen, reason="closed by the citizen", update_id=update.update_id)
        sender.text(update.effective_chat.id, say("end.closed", language, case_id=case.id), key="end")
        queue_case_thread(services, sender, case.id, staff_text("staff.closed_by_citizen", case_id=case.id),
                          key="endstaff")
        queue_card_refresh(services, sender, outcome.case)
        queue_rating_prompt(sender, outcome.case)


async def rated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Records a 1-5 rating of a closed case; a low one reopens it for the supervisors."""
    services = services_of(context)
    sender = sender_for(update, context)
    fields = parse_callback(update.callback_query.data, "rate", ID, frozenset("12345"))
    language = language_for(update, services)
    if not fields:
        await refuse_button(update, services)
        return
    # The rating, the reopening, the notice to staff and the prompt for a comment are written in one
    # transaction; the same press handled again after a crash queues nothing twice and sends what is missing.
    with services.ledger.transaction():
        outcome = services.desk.rate(fields[0], citizen_of(update), int(fields[1]), update_id=update.update_id)
        if outcome.ok:
            _queue_rating_replies(services, update, sender, outcome.case, language)
    if not outcome.ok:
        await refuse_button(update, services)
        return
    await update.callback_query.answer(message("rate.thanks", language))


def _queue_rating_replies(services: Services, update: Update, sender: Sender, case: Case, language: str) -> None:
    if case.rating <= LOW_RATING:  # the rating reopened the case
        services.ledger.update_chat(update.effective_chat.id, flow=f"comment:{case.id}")
        sender.text(update.effective_chat.id, say("rate.low", language), key="low")
        queue_case_thread(services, sender, case.id, staff_text("staff.reopened", case_id=case.id, stars=case.rating),
                          key="reopened")
        queue_card_refresh(services, sender, case)  # the card said closed: claim and close again
    else:
        sender.text(update.effective_chat.id, say("rate.thanks", language), key="thanks")


def _record_comment(services: Services, update: Update, sender: Sender, case_id: int, text: str,
                    language: str) -> None:
    services.desk.add_comment(case_id, citizen_of(update), text)
    services.ledger.update_chat(update.effective_chat.id, flow=None)
    sender.text(update.effective_chat.id, say("rate.comment_thanks", language), key="comment")
    queue_case_thread(services, sender, case_id, staff_text("staff.comment", case_id=case_id, text=text[:700]),
                      key="commentstaff")


async def report_wrong(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Report an error]: the citizen's next message says what the checklist got wrong."""
    services = services_of(context)
    inquiry, _ = own_inquiry(services, update, update.callback_query.data, "wrong")
    if inquiry is None:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    services.ledger.update_chat(update.effective_chat.id, flow=f"wrong:{inquiry.id}")
    sender_for(update, context).text(update.effective_chat.id, say("wrong.ask", language_for(update, services)),
                                     key="wrongask")


def _record_error_report(services: Services, update: Update, sender: Sender, inquiry_id: int, text: str,
                         language: str) -> None:
    services.ledger.update_chat(update.effective_chat.id, flow=None)
    report = services.assistant.report_error(text, channel="telegram", user_id=str(update.effective_user.id),
                                             chat_id=str(update.effective_chat.id), inquiry_id=inquiry_id)
    if report is None:  # the service left the knowledge base since the checklist was sent
        sender.text(update.effective_chat.id, say("button.invalid", language), key="wrongthanks")
        return
    office = services.store.current.knowledge.offices.get(report.office_id)
    sender.text(update.effective_chat.id, say("wrong.thanks", language, report_id=report.id,
                                              office=office.name.get(language) if office else "—"),
                key="wrongthanks")
    post_error_report(services, report, who=f"citizen {report.user_id}")


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data the bot never issued."""
    await refuse_button(update, services_of(context))


async def start_tailoring(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Tailor this list]: asks the conditions one at a time; the state is kept in the ledger."""
    services = services_of(context)
    inquiry, _ = own_inquiry(services, update, update.callback_query.data, "tailor")
    target, is_event = inquiry.target if inquiry else (None, False)
    if not target:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    state = Tailoring(inquiry.id, target, is_event)
    services.ledger.update_chat(update.effective_chat.id, flow=state.to_json())
    _ask_next(services, update, sender_for(update, context), state, language_for(update, services))


async def condition_answered(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Yes]/[No] to a tailoring question: record it, then ask the next one or send the final list."""
    services = services_of(context)
    fields = parse_callback(update.callback_query.data, "cond", ID, NAME, ANSWERS)
    chat = services.ledger.chat(update.effective_chat.id)
    state = Tailoring.from_json(chat.flow)
    knowledge = services.store.current.knowledge
    if not fields or state is None or fields[0] != state.inquiry_id or \
            fields[1] not in {c.id for c in conditions_of(knowledge, state.target, state.event)}:
        await refuse_button(update, services, "tailor.expired")
        return
    await update.callback_query.answer()
    state.answers[fields[1]] = fields[2] == "1"
    services.ledger.update_chat(update.effective_chat.id, flow=state.to_json())  # `chat` still has the language
    _ask_next(services, update, sender_for(update, context), state, language_for(update, services, chat=chat))


def _ask_next(services: Services, update: Update, sender: Sender, state: Tailoring, language: str) -> None:
    knowledge = services.store.current.knowledge
    condition = next_condition(knowledge, state)
    if condition is not None:
        total = question_count(knowledge, state)
        buttons = keyboard([[(message("yes", language), f"cond:{state.inquiry_id}:{condition.id}:1"),
                             (message("no", language), f"cond:{state.inquiry_id}:{condition.id}:0")]])
        sender.text(update.effective_chat.id,
                    say("tailor.question", language, n=len(state.answers) + 1, total=total,
                        question=condition.question.get(language)), key="ask", keyboard=buttons)
        return
    services.ledger.update_chat(update.effective_chat.id, flow=None)
    question = services.ledger.inquiry(state.inquiry_id).text
    send_chosen(services, update, sender, state.target, question, language, answers=state.answers,
                event=state.event)


async def save_as_file(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """[Save as file]: sends the checklist as a printable HTML page with tick boxes."""
    services = services_of(context)
    language = language_for(update, services)
    inquiry, _ = own_inquiry(services, update, update.callback_query.data, "file")
    issued = local_date(services.ledger.now(), services.config.business_hours)
    saved = checklist_file(services.store.current.knowledge, language, *inquiry.target, answers=inquiry.answers,
                           issued=issued) if inquiry else None
    if saved is None:
        await refuse_button(update, services)
        return
    await update.callback_query.answer()
    sender_for(update, context).document(update.effective_chat.id, saved.filename, saved.html.encode("utf-8"),
                                         key="file", caption=message("file.caption", language, date=issued.isoformat()))
