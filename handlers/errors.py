"""The error handler: log, tell the staff chat, and make sure the citizen's question still gets a person."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.answering.messages import message
from bot.telegram.formatting import esc, say
from bot.telegram.services import services_of
from bot.telegram.staff_chat import post_case
from handlers.common import is_private, language_for, sender_for

log = logging.getLogger(__name__)


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the failure; a citizen's message that failed becomes a case, so nothing is dropped."""
    log.error("Error while handling an update", exc_info=context.error)
    services = services_of(context)
    if not isinstance(update, Update):
        return
    sender = sender_for(update, context)
    error = f"{type(context.error).__name__}: {context.error}"[:300]
    await sender.text(services.config.staff_chat_id,
                      message("error.staff", "zh", update_id=update.update_id, error=esc(error)), key="error")
    if is_private(update) and update.effective_message and update.effective_user:
        language = language_for(update, services)
        msg = update.effective_message
        reply = services.assistant.record_failure(
            msg.text or msg.caption or "", channel="telegram", user_id=str(update.effective_user.id),
            chat_id=str(update.effective_chat.id), language=language, update_id=update.update_id)
        case = services.ledger.case(reply.case_id)
        if case.inquiry_id == reply.inquiry_id:
            await post_case(services, context.bot, reply.case_id)
        await sender.text(update.effective_chat.id, say("error.apology", language, case_id=reply.case_id),
                          key="apology")
