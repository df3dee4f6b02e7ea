"""Staff side of first-inquiry accountability: claims, replies, transfers, closing, listing cases.

Every rule is CaseDesk's; these handlers translate an update into one call and say what came of it.
"""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.answering.messages import message
from bot.config import PRE_BLOCK_LIMIT, TELEGRAM_CAPTION_LIMIT, TELEGRAM_MESSAGE_LIMIT
from bot.records.cases import ALREADY_YOURS, IS_CLOSED, NO_OFFER, NOT_FOUND, NOT_OWNER, OWNED_BY_OTHER, Outcome, Staff
from bot.records.history import case_history, zone_line
from bot.telegram.formatting import esc, fit, staff_text
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of
from bot.telegram.staff_chat import (
    format_due,
    post_error_report,
    queue_card_refresh,
    queue_case_thread,
    queue_rating_prompt,
    run_supervision,
)
from handlers.common import ID, is_staff, media_kind, parse_callback, parse_id, sender_for, staff_of

log = logging.getLogger(__name__)
REFUSALS = {NOT_FOUND: "staff.not_found", IS_CLOSED: "staff.is_closed", OWNED_BY_OTHER: "staff.claim_taken",
            ALREADY_YOURS: "staff.claim_yours", NOT_OWNER: "staff.not_owner", NO_OFFER: "staff.no_offer"}


def refusal(outcome: Outcome, case_id: int) -> str:
    owner = (outcome.case.owner_name if outcome.case else None) or "—"
    return message(REFUSALS[outcome.status], "zh", case_id=case_id, owner=owner)


def tell(update: Update, sender: Sender, text: str, *, html: bool = False) -> None:
    """Answer in the chat (and topic) the command came from."""
    msg = update.effective_message
    thread = msg.message_thread_id if msg and msg.is_topic_message else None
    sender.text(update.effective_chat.id, text if html else esc(text), key="tell", thread_id=thread)


# -- buttons on the case card -----------------------------------------------------------------

async def _pressed_case(update: Update, services: Services, prefix: str) -> int | None:
    """The case a staff button refers to; None (after telling the presser why) when it is not theirs to press."""
    query = update.callback_query
    fields = parse_callback(query.data, prefix, ID)
    if not fields:
        log.info("Refused button %r pressed by user %s", (query.data or "")[:80], query.from_user.id)
        await query.answer(message("button.invalid", "zh"), show_alert=True)
        return None
    if not is_staff(update, services):
        await query.answer(message("staff.only_staff", "zh"), show_alert=True)
        return None
    return fields[0]


async def claim_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Makes the first staff member who presses [Claim] the owner of the case."""
    services = services_of(context)
    case_id = await _pressed_case(update, services, "claim")
    if case_id is None:
        return
    staff = staff_of(update)
    outcome = services.desk.claim(case_id, staff)
    if not outcome.ok:
        await update.callback_query.answer(refusal(outcome, case_id), show_alert=True)
        return
    await update.callback_query.answer()
    sender = sender_for(update, context)
    queue_case_thread(services, sender, case_id, staff_text("staff.claimed", owner=staff.name, case_id=case_id),
                      key="claimed")
    # Read again, not outcome.case: while the answer above was awaited, another update may have changed the case.
    queue_card_refresh(services, sender, services.desk.get(case_id))


async def close_case_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Closes a case from its card; only its owner (or anyone, while unclaimed) may."""
    services = services_of(context)
    case_id = await _pressed_case(update, services, "close")
    if case_id is None:
        return
    await update.callback_query.answer()
    close_by_staff(services, update, sender_for(update, context), case_id, staff_of(update))


def close_by_staff(services: Services, update: Update, sender: Sender, case_id: int, staff: Staff) -> None:
    # The closing and everything it sends are written together: a crash in between cannot lose the messages.
    with services.ledger.transaction():
        outcome = services.desk.close(case_id, staff, update_id=update.update_id)
        if outcome.ok:
            queue_case_thread(services, sender, case_id,
                              staff_text("staff.closed", case_id=case_id, actor=staff.name), key="closed")
            queue_card_refresh(services, sender, outcome.case)
            queue_rating_prompt(sender, outcome.case)
    if not outcome.ok:
        tell(update, sender, refusal(outcome, case_id))


# -- staff replies are relayed to the citizen ------------------------------------------------

def case_of_message(services: Services, update: Update) -> int | None:
    """The case a message in the staff chat belongs to: by its forum topic, or the message it replies to."""
    msg = update.effective_message
    chat_id = update.effective_chat.id
    if msg.is_topic_message and msg.message_thread_id:
        case_id = services.ledger.case_for_topic(chat_id, msg.message_thread_id)
        if case_id:
            return case_id
    if msg.reply_to_message:
        return services.ledger.case_for_message(chat_id, msg.reply_to_message.message_id)
    return None


async def relay_staff_reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends a staff member's reply in a case's thread (text or media) to the citizen, and records it."""
    services = services_of(context)
    msg = update.effective_message
    case_id = case_of_message(services, update)
    if case_id is None:
        return  # ordinary conversation among staff
    sender = sender_for(update, context)
    text = msg.text or msg.caption or ""
    media = media_kind(msg)
    outcome = services.desk.reply(case_id, staff_of(update), text, media)
    if not outcome.ok:
        tell(update, sender, refusal(outcome, case_id))
        return
    case = outcome.case
    if not case.on_the_web:  # a web citizen's reply already waits in the session's inbox (CaseDesk.reply)
        _relay_to_citizen(sender, case, msg, text, media)
    sender.text(msg.chat_id, staff_text("staff.relayed", case_id=case_id), key="relayed",
                thread_of_case=case_id, reply_to=msg.message_id)


def _relay_to_citizen(sender: Sender, case, msg, text: str, media: str | None) -> None:
    header = esc(message("staff.reply_header", case.language or "zh", case_id=case.id))
    if media:
        caption = f"{header}\n{fit(msg.caption, TELEGRAM_CAPTION_LIMIT - len(header) - 1)}" if msg.caption else header
        sender.copy(case.chat_id, msg.chat_id, msg.message_id, key="relay", caption=caption, case_id=case.id)
    else:
        sender.text(case.chat_id, f"{header}\n{fit(text, TELEGRAM_MESSAGE_LIMIT - len(header) - 1)}",
                    key="relay", case_id=case.id)


# -- staff commands ------------------------------------------------------------------------

async def open_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists open cases with owner, age and due time."""
    _list_cases(update, context, mine=False)


async def my_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists the open cases the staff member owns."""
    _list_cases(update, context, mine=True)


def _list_cases(update: Update, context: ContextTypes.DEFAULT_TYPE, mine: bool) -> None:
    services = services_of(context)
    if not is_staff(update, services):
        return
    now = services.ledger.now()
    cases = services.ledger.cases("open")
    if mine:
        cases = [c for c in cases if c.owner_id == str(update.effective_user.id)]
    lines = [staff_text("staff.open_line", case_id=case.id,
                        owner=case.owner_name or message("staff.unowned", "zh"), age=_age(now - case.opened_at),
                        due=format_due(services, case.due_at),
                        overdue=message("staff.overdue_mark", "zh") if case.due_at and now >= case.due_at else "")
             for case in cases]
    tell(update, sender_for(update, context), "\n".join(lines) or staff_text("staff.open_none"), html=True)


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}分钟"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时{minutes % 60}分"
    return f"{minutes // 1440}天{(minutes % 1440) // 60}小时"


def _case_argument(update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services,
                   usage: str = "staff.usage_case") -> int | None:
    """The case number of a staff command like `/case 12`; None (after explaining) when missing or malformed."""
    if not is_staff(update, services):
        return None
    case_id = parse_id(context.args[0]) if len(context.args) == 1 else None
    if case_id is None:
        tell(update, sender_for(update, context), message(usage, "zh"))
    return case_id


async def show_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the full history of case N: questions, answers with knowledge-base versions, events."""
    services = services_of(context)
    case_id = _case_argument(update, context, services)
    if case_id is None:
        return
    zone = services.config.business_hours.timezone
    lines = case_history(services.ledger, case_id, clip=400, zone=zone)
    text = "\n".join([zone_line(zone), *lines]) if lines else message("staff.not_found", "zh", case_id=case_id)
    tell(update, sender_for(update, context), f"<pre>{esc(text[:PRE_BLOCK_LIMIT])}</pre>", html=True)


async def transfer_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offers the case to a colleague (reply to their message, or give their user id); they must accept."""
    services = services_of(context)
    if not is_staff(update, services):
        return
    sender = sender_for(update, context)
    args, msg = context.args, update.effective_message
    case_id = parse_id(args[0]) if args else None
    colleague = None
    if case_id is not None:
        replied_to = msg.reply_to_message.from_user if msg.reply_to_message else None
        if replied_to and not replied_to.is_bot:
            colleague = Staff(str(replied_to.id), replied_to.full_name)
        elif len(args) == 2 and (colleague_id := parse_id(args[1])):
            colleague = Staff(str(colleague_id), str(colleague_id))
    if colleague is None:
        tell(update, sender, message("staff.transfer_usage", "zh"))
        return
    owner = staff_of(update)
    outcome = services.desk.offer_transfer(case_id, owner, colleague)
    if not outcome.ok:
        tell(update, sender, refusal(outcome, case_id))
        return
    queue_case_thread(services, sender, case_id, staff_text("staff.transfer_offered", owner=owner.name,
                                                            colleague=colleague.name, case_id=case_id),
                      key="offer")


async def accept_transfer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Takes over a case that was offered to this staff member."""
    services = services_of(context)
    case_id = _case_argument(update, context, services, "staff.transfer_usage")
    if case_id is None:
        return
    sender = sender_for(update, context)
    colleague = staff_of(update)
    outcome = services.desk.accept_transfer(case_id, colleague)
    if not outcome.ok:
        tell(update, sender, refusal(outcome, case_id))
        return
    queue_case_thread(services, sender, case_id, staff_text("staff.transfer_accepted", colleague=colleague.name,
                                                            case_id=case_id), key="accepted")
    queue_card_refresh(services, sender, outcome.case)


async def close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Closes case N (the owner, or anyone while it is unclaimed)."""
    services = services_of(context)
    case_id = _case_argument(update, context, services)
    if case_id is not None:
        close_by_staff(services, update, sender_for(update, context), case_id, staff_of(update))


async def supervise(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reminds about unclaimed cases, warns owners near the deadline, and raises overdue alerts."""
    run_supervision(services_of(context))


async def report_wrong(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/wrong SERVICE text: staff record that a service's checklist is wrong, for its office to correct."""
    services = services_of(context)
    if not is_staff(update, services):
        return
    sender = sender_for(update, context)
    if len(context.args) < 2:
        tell(update, sender, message("wrong.usage", "zh"))
        return
    service_id, text = context.args[0], " ".join(context.args[1:])
    staff = staff_of(update)
    report = services.assistant.report_error(text, channel="staff", user_id=staff.actor, service_id=service_id)
    if report is None:
        tell(update, sender, message("wrong.unknown_service", "zh", service=service_id))
        return
    office = services.store.current.knowledge.offices.get(report.office_id)
    tell(update, sender, message("wrong.recorded", "zh", report_id=report.id, service=service_id,
                                 office=office.name.zh if office else "—"))
    post_error_report(services, report, who=staff.name)
