"""Staff side of first-inquiry accountability: case cards, claims, replies, transfers, supervision."""

from __future__ import annotations

import datetime as dt
import json
import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.telegram.services import Services, services_of
from bot.records.cases import (ALREADY_YOURS, IS_CLOSED, NO_OFFER, NOT_FOUND, NOT_OWNER, OWNED_BY_OTHER, Alert, Staff, format_due)
from bot.records.history import case_history
from bot.records.ledger import parse_iso
from bot.answering.messages import message
from bot.answering.render import TELEGRAM_LIMIT
from handlers.common import esc, fit, is_staff, keyboard, parse_callback, staff_of, staff_text

log = logging.getLogger(__name__)
CAPTION_LIMIT = 1024


# -- posting cases to the staff chat ------------------------------------------------------

def card_text(services: Services, case: dict) -> str:
    guesses = ", ".join(json.loads(case["guesses"] or "[]")) or "—"
    due = format_due(parse_iso(case["due_at"]), services.config.business_hours, "zh") if case["due_at"] else "—"
    if case["status"] == "closed":
        state = staff_text("staff.state.closed")
    elif case["owner_id"]:
        state = staff_text("staff.state.owned", owner=case["owner_name"])
    else:
        state = staff_text("staff.state.open")
    text = staff_text("staff.card", case_id=case["id"], citizen=f"user {case['user_id']}", lang=case["language"],
                      question="{question}", guesses=guesses, due=due, state=state)
    return text.replace("{question}", fit(case["question"], TELEGRAM_LIMIT - len(text)))


def card_keyboard(case: dict):
    if case["status"] == "closed":
        return None
    return keyboard([[(message("staff.button.claim", "zh"), f"claim:{case['id']}"),
                      (message("staff.button.close", "zh"), f"close:{case['id']}")]])


async def post_case(services: Services, bot, case_id: int) -> None:
    """Put a new case in the staff chat, in a forum topic of its own when the group is a forum."""
    case = services.ledger.case(case_id)
    if services.staff_is_forum and not case["topic_id"]:
        try:
            topic = await bot.create_forum_topic(services.config.staff_chat_id, f"#{case_id} {case['question'][:80]}")
            services.ledger.add_event(case_id, "topic_created", "bot", {"topic_id": topic.message_thread_id},
                                      changes={"topic_id": topic.message_thread_id,
                                               "staff_chat_id": str(services.config.staff_chat_id)})
            case = services.ledger.case(case_id)
        except TelegramError as exc:
            log.warning("Could not create a forum topic for case %s: %s", case_id, exc)
    await services.outbox.send_text(services.config.staff_chat_id, card_text(services, case),
                                    keyboard=card_keyboard(case), case_id=case_id, purpose="case_card",
                                    thread_id=case["topic_id"], dedupe_key=f"case{case_id}:card")


async def tell_case_thread(services: Services, case_id: int, text: str, dedupe_key: str) -> None:
    """A line in the case's thread in the staff chat: its topic, or a reply to its card."""
    case = services.ledger.case(case_id)
    await services.outbox.send_text(services.config.staff_chat_id, text, case_id=case_id, dedupe_key=dedupe_key,
                                    thread_id=case["topic_id"], reply_to=case["staff_message_id"])


async def refresh_card(services: Services, case_id: int, dedupe_key: str) -> None:
    case = services.ledger.case(case_id)
    if case["staff_message_id"]:
        await services.outbox.edit_text(case["staff_chat_id"] or services.config.staff_chat_id,
                                        case["staff_message_id"], card_text(services, case), card_keyboard(case),
                                        dedupe_key=dedupe_key)


async def ask_for_rating(services: Services, case: dict, dedupe_key: str) -> None:
    language = case["language"] or "zh"
    buttons = keyboard([[(str(n), f"rate:{case['id']}:{n}") for n in range(1, 6)]])
    await services.outbox.send_text(case["chat_id"], esc(message("rate.prompt", language, case_id=case["id"])),
                                    keyboard=buttons, case_id=case["id"], dedupe_key=dedupe_key)


async def note_undeliverable(services: Services, row: dict) -> None:
    """Tell the case's thread that a message to the citizen could not be delivered (e.g. they blocked the bot)."""
    if row["chat_id"] == str(services.config.staff_chat_id):
        return  # a message to staff failed: nothing useful to tell staff through the same chat
    await tell_case_thread(services, row["case_id"], staff_text("staff.undeliverable", case_id=row["case_id"]),
                           dedupe_key=f"outbox{row['id']}:undeliverable")


# -- callbacks: claim and close -------------------------------------------------------------

async def _pressed_case(update: Update, services: Services, prefix: str) -> int | None:
    """The case a staff button refers to; None (after telling the presser why) when it is not theirs to press."""
    query = update.callback_query
    parts = parse_callback(query.data, prefix, 1)
    if not parts or not parts[0].isdigit():
        await query.answer(message("button.invalid", "zh"), show_alert=True)
        return None
    if not is_staff(update, services):
        await query.answer(message("staff.only_staff", "zh"), show_alert=True)
        return None
    return int(parts[0])


async def claim_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Makes the first staff member who presses [Claim] the owner of the case."""
    services = services_of(context)
    query = update.callback_query
    case_id = await _pressed_case(update, services, "claim")
    if case_id is None:
        return
    staff = staff_of(update)
    outcome = services.desk.claim(case_id, staff)
    if outcome.ok:
        await query.answer()
        await tell_case_thread(services, case_id, staff_text("staff.claimed", owner=staff.name, case_id=case_id),
                               dedupe_key=f"u{update.update_id}:claimed")
        await refresh_card(services, case_id, dedupe_key=f"u{update.update_id}:card")
    else:
        await query.answer(_refusal(outcome.status, case_id, outcome.case), show_alert=True)


async def close_case_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Closes a case from its card; only its owner (or anyone, while unclaimed) may."""
    services = services_of(context)
    case_id = await _pressed_case(update, services, "close")
    if case_id is None:
        return
    await update.callback_query.answer()
    await close_by_staff(services, case_id, staff_of(update), update)


async def close_by_staff(services: Services, case_id: int, staff: Staff, update: Update) -> None:
    case = services.ledger.case(case_id)
    if case and case["owner_id"] not in (None, staff.id):
        await _tell(services, update, _refusal(NOT_OWNER, case_id, case))
        return
    outcome = services.desk.close(case_id, staff.actor)
    if not outcome.ok:
        await _tell(services, update, _refusal(outcome.status, case_id, outcome.case))
        return
    key = f"u{update.update_id}"
    await tell_case_thread(services, case_id, staff_text("staff.closed", case_id=case_id, actor=staff.name),
                           dedupe_key=f"{key}:closed")
    await refresh_card(services, case_id, dedupe_key=f"{key}:card")
    await ask_for_rating(services, outcome.case, dedupe_key=f"{key}:rate")


def _refusal(status: str, case_id: int, case: dict | None) -> str:
    owner = (case or {}).get("owner_name") or "—"
    key = {NOT_FOUND: "staff.not_found", IS_CLOSED: "staff.is_closed", OWNED_BY_OTHER: "staff.claim_taken",
           ALREADY_YOURS: "staff.claim_yours", NOT_OWNER: "staff.not_owner", NO_OFFER: "staff.no_offer"}[status]
    return message(key, "zh", case_id=case_id, owner=owner)


async def _tell(services: Services, update: Update, text: str) -> None:
    chat = update.effective_chat
    await services.outbox.send_text(chat.id, esc(text), dedupe_key=f"u{update.update_id}:tell",
                                    thread_id=getattr(update.effective_message, "message_thread_id", None)
                                    if update.effective_message and update.effective_message.is_topic_message else None)


# -- staff replies are relayed to the citizen ------------------------------------------------

def case_of_message(services: Services, update: Update) -> int | None:
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
    staff = staff_of(update)
    text = msg.text or msg.caption or ""
    media = _media_kind(msg)
    outcome = services.desk.reply(case_id, staff, text, media)
    key = f"u{update.update_id}"
    if not outcome.ok:
        await _tell(services, update, _refusal(outcome.status, case_id, outcome.case))
        return
    case = outcome.case
    language = case["language"] or "zh"
    header = esc(message("staff.reply_header", language, case_id=case_id))
    if media:
        await services.outbox.copy(case["chat_id"], msg.chat_id, msg.message_id,
                                   caption=f"{header}\n{fit(msg.caption, CAPTION_LIMIT - len(header) - 1)}"
                                   if msg.caption else header,
                                   case_id=case_id, dedupe_key=f"{key}:relay")
    else:
        await services.outbox.send_text(case["chat_id"], f"{header}\n{fit(text, TELEGRAM_LIMIT - len(header) - 1)}",
                                        case_id=case_id, dedupe_key=f"{key}:relay")
    await services.outbox.send_text(msg.chat_id, staff_text("staff.relayed", case_id=case_id),
                                    dedupe_key=f"{key}:relayed", thread_id=case["topic_id"],
                                    reply_to=msg.message_id)


def _media_kind(msg) -> str | None:
    for kind in ("photo", "document", "voice", "video", "audio", "sticker", "animation", "video_note", "location"):
        if getattr(msg, kind, None):
            return kind
    return None


# -- staff commands ------------------------------------------------------------------------

async def open_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists open cases with owner, age and due time."""
    await _list_cases(update, context, mine=False)


async def my_cases(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lists the open cases the staff member owns."""
    await _list_cases(update, context, mine=True)


async def _list_cases(update: Update, context: ContextTypes.DEFAULT_TYPE, mine: bool) -> None:
    services = services_of(context)
    if not is_staff(update, services):
        return
    now = services.ledger.now()
    cases = services.ledger.cases("open")
    if mine:
        cases = [c for c in cases if c["owner_id"] == str(update.effective_user.id)]
    lines = []
    for case in cases:
        age = now - parse_iso(case["opened_at"])
        due = parse_iso(case["due_at"])
        lines.append(staff_text(
            "staff.open_line", case_id=case["id"], owner=case["owner_name"] or message("staff.unowned", "zh"),
            age=_age(age), due=format_due(due, services.config.business_hours, "zh") if due else "—",
            overdue=message("staff.overdue_mark", "zh") if due and now >= due else ""))
    await _tell_html(services, update, "\n".join(lines) or staff_text("staff.open_none"))


def _age(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}分钟"
    if minutes < 24 * 60:
        return f"{minutes // 60}小时{minutes % 60}分"
    return f"{minutes // 1440}天{(minutes % 1440) // 60}小时"


async def _case_argument(update: Update, context: ContextTypes.DEFAULT_TYPE, services: Services,
                         usage: str = "staff.usage_case") -> int | None:
    """The case number of a staff command like `/case 12`; None (after explaining) when missing."""
    if not is_staff(update, services):
        return None
    if len(context.args) != 1 or not context.args[0].lstrip("#").isdigit():
        await _tell(services, update, message(usage, "zh"))
        return None
    return int(context.args[0].lstrip("#"))


async def show_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Shows the full history of case N: questions, answers with knowledge-base versions, events."""
    services = services_of(context)
    case_id = await _case_argument(update, context, services)
    if case_id is None:
        return
    lines = case_history(services.ledger, case_id, clip=400)
    text = "\n".join(lines) if lines else message("staff.not_found", "zh", case_id=case_id)
    await _tell_html(services, update, f"<pre>{esc(text[:3900])}</pre>")


async def transfer_case(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Offers the case to a colleague (reply to their message, or give their user id); they must accept."""
    services = services_of(context)
    if not is_staff(update, services):
        return
    args, msg = context.args, update.effective_message
    colleague = None
    if args and args[0].lstrip("#").isdigit():
        if msg.reply_to_message and msg.reply_to_message.from_user and not msg.reply_to_message.from_user.is_bot:
            colleague = Staff(str(msg.reply_to_message.from_user.id), msg.reply_to_message.from_user.full_name)
        elif len(args) == 2 and args[1].isdigit():
            colleague = Staff(args[1], args[1])
    if colleague is None:
        await _tell(services, update, message("staff.transfer_usage", "zh"))
        return
    case_id, owner = int(args[0].lstrip("#")), staff_of(update)
    outcome = services.desk.offer_transfer(case_id, owner, colleague)
    if not outcome.ok:
        await _tell(services, update, _refusal(outcome.status, case_id, outcome.case))
        return
    await tell_case_thread(services, case_id, staff_text("staff.transfer_offered", owner=owner.name,
                                                         colleague=colleague.name, case_id=case_id),
                           dedupe_key=f"u{update.update_id}:offer")


async def accept_transfer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Takes over a case that was offered to this staff member."""
    services = services_of(context)
    case_id = await _case_argument(update, context, services, "staff.transfer_usage")
    if case_id is None:
        return
    colleague = staff_of(update)
    outcome = services.desk.accept_transfer(case_id, colleague)
    if not outcome.ok:
        await _tell(services, update, _refusal(outcome.status, case_id, outcome.case))
        return
    key = f"u{update.update_id}"
    await tell_case_thread(services, case_id, staff_text("staff.transfer_accepted", colleague=colleague.name,
                                                         case_id=case_id), dedupe_key=f"{key}:accepted")
    await refresh_card(services, case_id, dedupe_key=f"{key}:card")


async def close_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Closes case N (the owner, or anyone while it is unclaimed)."""
    services = services_of(context)
    case_id = await _case_argument(update, context, services)
    if case_id is not None:
        await close_by_staff(services, case_id, staff_of(update), update)


async def _tell_html(services: Services, update: Update, text: str) -> None:
    msg = update.effective_message
    await services.outbox.send_text(update.effective_chat.id, text, dedupe_key=f"u{update.update_id}:list",
                                    thread_id=msg.message_thread_id if msg.is_topic_message else None)


# -- supervision job (电子监察) ------------------------------------------------------------

async def supervise(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reminds about unclaimed cases, warns owners near the deadline, and raises overdue alerts."""
    services = services_of(context)
    await run_supervision(services)


async def run_supervision(services: Services) -> list[Alert]:
    alerts = services.desk.alerts(services.ledger.now())
    for alert in alerts:
        case = alert.case
        due = parse_iso(case["due_at"])
        due_text = format_due(due, services.config.business_hours, "zh") if due else "—"
        if alert.kind == "unclaimed":
            minutes = int((services.ledger.now() - parse_iso(case["opened_at"])).total_seconds() // 60)
            text = staff_text("staff.reminder", case_id=case["id"], minutes=minutes)
        elif alert.kind == "warning":
            owner = f'<a href="tg://user?id={int(case["owner_id"])}">{esc(case["owner_name"])}</a>'
            text = message("staff.warning", "zh", owner=owner, case_id=case["id"],
                           percent=int(services.config.warn_fraction * 100), due=due_text)
        else:
            text = staff_text("staff.overdue", case_id=case["id"], due=due_text,
                              owner=case["owner_name"] or message("staff.unowned", "zh"))
        services.desk.record_alert(alert)
        await tell_case_thread(services, case["id"], text, dedupe_key=f"case{case['id']}:{alert.kind}")
    return alerts

