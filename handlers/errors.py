"""The error handler: log, tell the staff chat, and make sure a citizen's question still gets a person.

Only a citizen's question (a text message in a private chat that is not a command) becomes a case:
a failed button press is answered "try again", a failed command (staff, admin) or other message gets a
sentence saying it did not go through.
"""

from __future__ import annotations

import logging
import sqlite3

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.answering.messages import message
from bot.telegram.formatting import esc, say
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of
from bot.telegram.staff_chat import post_case
from handlers.common import in_staff_chat, is_private, language_for, sender_for

log = logging.getLogger(__name__)


def is_question(update: Update) -> bool:
    """A citizen's question: text in a private chat that is not a command."""
    msg = update.message or update.edited_message
    return bool(is_private(update) and update.effective_user and msg and msg.text and not msg.text.startswith("/"))


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the failure; a citizen's question that failed becomes a case, so nothing is dropped."""
    services = services_of(context)
    error = services.redact(f"{type(context.error).__name__}: {context.error}")[:300]
    if isinstance(context.error, sqlite3.Error):
        log.error("The ledger %s refused an operation (%s); check that the file and its folder are writable and "
                  "the disk has room", services.ledger.path, error)
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    sender = sender_for(update, context)
    sender.text(services.config.staff_chat_id,
                message("error.staff", "zh", update_id=update.update_id, error=esc(error)), key="error")
    if is_question(update):
        _open_case_for(update, services, sender, language_for(update, services))
    elif update.callback_query:
        try:
            await update.callback_query.answer(message("error.button", language_for(update, services)),
                                               show_alert=True)
        except TelegramError as exc:
            log.info("Could not answer the button press: %s", exc)
    elif update.effective_chat and update.effective_message and not in_staff_chat(update, services):
        language = language_for(update, services) if is_private(update) else "zh"
        sender.text(update.effective_chat.id, say("error.retry", language), key="failed")


def _open_case_for(update: Update, services: Services, sender: Sender, language: str) -> None:
    msg = update.effective_message
    reply = services.assistant.record_failure(
        msg.text, channel="telegram", user_id=str(update.effective_user.id), chat_id=str(update.effective_chat.id),
        language=language, update_id=update.update_id)
    case = services.ledger.case(reply.case_id)
    if case.inquiry_id == reply.inquiry_id:
        post_case(services, case)
    sender.text(update.effective_chat.id, say("error.apology", language, case_id=reply.case_id), key="apology")
