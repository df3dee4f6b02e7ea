"""What every handler needs: who is asking, in which language, a sender for the update, and one parser
for everything a button or a command argument carries."""

from __future__ import annotations

import re

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.answering.text import detect_language
from bot.config import TELEGRAM_CALLBACK_LIMIT
from bot.records.cases import Citizen, Staff
from bot.records.rows import ChatState
from bot.telegram.sender import Sender
from bot.telegram.services import Services, services_of

MAX_ID = 2**31 - 1  # ids in callback data and commands; anything larger was not issued by the bot
_ID = re.compile(r"#?([0-9]{1,10})")  # ASCII digits only: "²" or "٣" are not case numbers
_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")
ID, NAME, ID_OR_ZERO = "id", "name", "id or zero"  # zero: the button refers to no record


def parse_id(text: str | None) -> int | None:
    """A positive id the bot could have issued ("12" or "#12"), or None."""
    match = _ID.fullmatch(text or "")
    if not match or not 0 < int(match.group(1)) <= MAX_ID:
        return None
    return int(match.group(1))


def parse_callback(data: str | None, prefix: str, *kinds) -> tuple | None:
    """The fields of callback data like 'rate:12:5', checked against their kinds, or None.

    A kind is ID (a bounded positive integer), ID_OR_ZERO, NAME (an identifier such as a service id) or a
    set of allowed strings."""
    if not data or len(data.encode()) > TELEGRAM_CALLBACK_LIMIT:
        return None
    fields = data.split(":")
    if fields[0] != prefix or len(fields) != len(kinds) + 1:
        return None
    values = []
    for field, kind in zip(fields[1:], kinds, strict=False):
        if kind == ID:
            value = parse_id(field)
        elif kind == ID_OR_ZERO:
            value = 0 if field == "0" else parse_id(field)
        elif kind == NAME:
            value = field if _NAME.fullmatch(field) else None
        else:
            value = field if field in kind else None
        if value is None:
            return None
        values.append(value)
    return tuple(values)


def language_for(update: Update, services: Services, text: str | None = None, chat: ChatState | None = None) -> str:
    """The citizen's chosen language, else Telegram's language_code, else the question's language.

    `chat` is the ledger's chat state when the caller has read it already."""
    if chat is None and update.effective_chat:
        chat = services.ledger.chat(update.effective_chat.id)
    if chat and chat.language:
        return chat.language
    code = update.effective_user.language_code if update.effective_user else None
    if code:
        return "zh" if code.lower().startswith("zh") else "en"
    return detect_language(text) if text else "zh"


def sender_for(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Sender:
    return Sender.for_update(services_of(context).outbox, update.update_id)


def is_private(update: Update) -> bool:
    return bool(update.effective_chat and update.effective_chat.type == ChatType.PRIVATE)


def in_staff_chat(update: Update, services: Services) -> bool:
    return bool(update.effective_chat and update.effective_chat.id == services.config.staff_chat_id)


def is_staff(update: Update, services: Services) -> bool:
    """Staff act from the staff chat (being a member is the check), or privately when listed in STAFF_USER_IDS."""
    user = update.effective_user
    if user is None:
        return False
    return in_staff_chat(update, services) or user.id in services.config.staff_user_ids


def is_admin(update: Update, services: Services) -> bool:
    user = update.effective_user
    return bool(user and user.id in services.config.admin_user_ids)


def staff_of(update: Update) -> Staff:
    user = update.effective_user
    name = user.full_name or (f"@{user.username}" if user.username else str(user.id))
    return Staff(str(user.id), name)


def citizen_of(update: Update) -> Citizen:
    return Citizen(str(update.effective_user.id))


def media_kind(msg) -> str | None:
    """What kind of media a message carries, or None for plain text."""
    for kind in ("photo", "voice", "sticker", "document", "video", "audio", "animation", "video_note", "location",
                 "contact"):
        if getattr(msg, kind, None):
            return kind
    return None
