"""Gatekeeping that runs before every other handler: odd chats, channel posts and floods."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.answering.assistant import RATE_LIMITED
from bot.answering.messages import message
from bot.telegram.formatting import esc
from bot.telegram.services import services_of
from handlers.common import in_staff_chat, language_for, sender_for

log = logging.getLogger(__name__)


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Lets through private chats and the staff chat; leaves other groups; limits floods."""
    services = services_of(context)
    chat = update.effective_chat
    if update.channel_post or update.edited_channel_post:
        raise ApplicationHandlerStop
    if chat is None or chat.type == ChatType.PRIVATE or in_staff_chat(update, services):
        if chat is not None and chat.type == ChatType.PRIVATE and update.effective_message:
            await _limit_floods(update, context, services)
        return
    # A group or channel the bot was added to: citizens are served in private chats only.
    if update.my_chat_member is None or update.my_chat_member.new_chat_member.status not in ("left", "kicked"):
        try:
            await context.bot.leave_chat(chat.id)
        except TelegramError as exc:
            log.info("Could not leave chat %s: %s", chat.id, exc)
    raise ApplicationHandlerStop


async def _limit_floods(update: Update, context: ContextTypes.DEFAULT_TYPE, services) -> None:
    user_id = str(update.effective_user.id) if update.effective_user else str(update.effective_chat.id)
    limiter = services.rate_limiter
    now = services.ledger.now().timestamp()
    if limiter.allow(user_id, now):
        return
    msg = update.effective_message
    language = language_for(update, services, msg.text)
    notice = message("rate_limited", language)
    if update.callback_query:  # a button pressed too often: answered, so that it does not spin, not recorded
        try:
            await update.callback_query.answer(notice, show_alert=True)
        except TelegramError as exc:
            log.info("Could not answer a button pressed during a flood: %s", exc)
        raise ApplicationHandlerStop
    services.assistant.record_unanswered(msg.text or msg.caption or "[media]", RATE_LIMITED, notice, channel="telegram",
                                         user_id=user_id, chat_id=str(update.effective_chat.id), language=language,
                                         update_id=update.update_id)
    if limiter.should_notice(user_id, now):
        sender_for(update, context).text(update.effective_chat.id, esc(notice), key="limited")
    raise ApplicationHandlerStop
