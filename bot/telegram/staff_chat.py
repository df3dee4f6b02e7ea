"""The staff chat: a card per case, a thread per case (a forum topic, or replies to the card), alerts.

Used by the handlers and by any channel whose cases reach staff through Telegram.
"""

from __future__ import annotations

import datetime as dt
import logging

from bot.answering.messages import message
from bot.config import TELEGRAM_MESSAGE_LIMIT
from bot.records.cases import Alert
from bot.records.rows import Case, ErrorReport, OutboxMessage
from bot.records.workdays import local_time
from bot.telegram.formatting import esc, fit, keyboard, staff_text
from bot.telegram.sender import Sender
from bot.telegram.services import Services

log = logging.getLogger(__name__)


def format_due(services: Services, due: dt.datetime | None) -> str:
    return local_time(due, services.config.business_hours) if due else "—"


def card_text(services: Services, case: Case) -> str:
    if not case.is_open:
        state = staff_text("staff.state.closed")
    elif case.owner_id:
        state = staff_text("staff.state.owned", owner=case.owner_name)
    else:
        state = staff_text("staff.state.open")
    text = staff_text("staff.card", case_id=case.id, citizen=f"user {case.user_id}", lang=case.language,
                      question="{question}", guesses=", ".join(case.guesses) or "—",
                      due=format_due(services, case.due_at), state=state)
    return text.replace("{question}", fit(case.question, TELEGRAM_MESSAGE_LIMIT - len(text)))


def card_keyboard(case: Case):
    if not case.is_open:
        return None
    return keyboard([[(message("staff.button.claim", "zh"), f"claim:{case.id}"),
                      (message("staff.button.close", "zh"), f"close:{case.id}")]])


def post_case(services: Services, case: Case) -> None:
    """Put a new case in the staff chat, in a forum topic of its own when the group is a forum.

    Both wait their turn in the staff chat's queue; the card finds its topic when it is sent."""
    staff_chat_id = services.config.staff_chat_id
    sender = Sender(services.outbox, f"case{case.id}")
    if services.staff_is_forum and not case.topic_id:
        sender.topic(staff_chat_id, f"#{case.id} {case.question[:80]}", case.id, key="topic")
    sender.text(staff_chat_id, card_text(services, case), key="card", keyboard=card_keyboard(case), case_id=case.id,
                purpose="case_card", thread_of_case=case.id)


def queue_case_thread(services: Services, sender: Sender, case_id: int, text: str, *, key: str) -> None:
    """A line in the case's thread in the staff chat: its topic, or a reply to its card (found when sent)."""
    sender.text(services.config.staff_chat_id, text, key=key, case_id=case_id, thread_of_case=case_id)


def queue_card_refresh(services: Services, sender: Sender, case: Case) -> None:
    """Show the case's new state (owner, closed) on its card, once the card is in the chat."""
    sender.edit(services.config.staff_chat_id, None, card_text(services, case), card_keyboard(case), key="card",
                card_of_case=case.id)


def queue_rating_prompt(sender: Sender, case: Case) -> None:
    if case.on_the_web:
        return  # CaseDesk.close put the closing in the web session's inbox; the page asks for the rating
    language = case.language or "zh"
    buttons = keyboard([[(str(n), f"rate:{case.id}:{n}") for n in range(1, 6)]])
    sender.text(case.chat_id, esc(message("rate.prompt", language, case_id=case.id)), key="rate", keyboard=buttons,
                case_id=case.id)


async def note_undeliverable(services: Services, row: OutboxMessage) -> None:
    """Tell the case's thread that a message to the citizen could not be delivered (e.g. they blocked the bot).

    Async because the outbox awaits its on_undeliverable hook."""
    if row.chat_id == str(services.config.staff_chat_id):
        return  # a message to staff failed: nothing useful to tell staff through the same chat
    queue_case_thread(services, Sender(services.outbox, f"outbox{row.id}"), row.case_id,
                      staff_text("staff.undeliverable", case_id=row.case_id), key="undeliverable")


def run_supervision(services: Services) -> list[Alert]:
    """Remind about unclaimed cases, warn owners near the deadline, and raise overdue alerts (电子监察)."""
    now = services.ledger.now()
    alerts = services.desk.alerts(now)
    for alert in alerts:
        case = alert.case
        if alert.kind == "unclaimed":
            minutes = int((now - case.opened_at).total_seconds() // 60)
            text = staff_text("staff.reminder", case_id=case.id, minutes=minutes)
        elif alert.kind == "warning":
            owner = f'<a href="tg://user?id={int(case.owner_id)}">{esc(case.owner_name)}</a>'
            text = message("staff.warning", "zh", owner=owner, case_id=case.id,
                           percent=int(services.config.warn_fraction * 100), due=format_due(services, case.due_at))
        else:
            text = staff_text("staff.overdue", case_id=case.id, due=format_due(services, case.due_at),
                              owner=case.owner_name or message("staff.unowned", "zh"))
        services.desk.record_alert(alert)
        queue_case_thread(services, Sender(services.outbox, f"case{case.id}"), case.id, text, key=alert.kind)
    return alerts


def post_error_report(services: Services, report: ErrorReport, who: str) -> None:
    """An error report in the staff chat: the service, the office that owns it, the version, and what was told."""
    knowledge = services.store.current.knowledge
    service = knowledge.services.get(report.service_id) if report.service_id else None
    event = knowledge.events.get(report.event_id) if report.event_id else None
    office = knowledge.offices.get(report.office_id) if report.office_id else None
    text = staff_text("wrong.staff", report_id=report.id, service=(service or event).name.zh if (service or event)
                      else "—", office=office.name.zh if office else "—", version=report.kb_version or "—",
                      who=who, text="{text}")
    text = text.replace("{text}", fit(report.text, TELEGRAM_MESSAGE_LIMIT // 2))
    if report.told:
        told = staff_text("wrong.told", inquiry_id=report.inquiry_id, told="{told}")
        text += "\n\n" + told.replace("{told}", fit(report.told, TELEGRAM_MESSAGE_LIMIT - len(text) - len(told) - 10))
    Sender(services.outbox, f"wrong{report.id}").text(services.config.staff_chat_id, text, key="report")
