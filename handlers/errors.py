"""The error handler: log, tell the staff chat, and make sure the citizen's question still gets a person."""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.services import services_of
from bot.answering.messages import message
from handlers.common import esc, is_private, language_for
from handlers.staff import post_case

log = logging.getLogger(__name__)


async def report_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Logs the failure; a citizen's message that failed becomes a case, so nothing is dropped."""
    log.error("Error while handling an update", exc_info=context.error)
    services = services_of(context)
    if not isinstance(update, Update):
        return
    error = f"{type(context.error).__name__}: {context.error}"[:300]
    await services.outbox.send_text(services.config.staff_chat_id,
                                    message("error.staff", "zh", update_id=update.update_id, error=html.escape(error)),
                                    dedupe_key=f"u{update.update_id}:error")
    if is_private(update) and update.effective_message and update.effective_user:
        language = language_for(update, services)
        text = update.effective_message.text or update.effective_message.caption or "[non-text message]"
        user_id = str(update.effective_user.id)
        case = services.ledger.open_case_of(user_id)
        case_id = case["id"] if case else services.ledger.open_case(
            channel="telegram", user_id=user_id, chat_id=str(update.effective_chat.id), language=language,
            question=text[:4096], due_at=services.assistant.due_for(None),
            kb_version=services.store.current.knowledge.version, actor="error-handler")
        if case is None:
            await post_case(services, context.bot, case_id)
        await services.outbox.send_text(update.effective_chat.id,
                                        esc(message("error.apology", language, case_id=case_id)),
                                        dedupe_key=f"u{update.update_id}:apology")
