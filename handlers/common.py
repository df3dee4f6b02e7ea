"""Small helpers shared by the handlers: who is asking, in which language, and keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.telegram.services import Services
from bot.records.cases import Staff
from bot.answering.messages import message
from bot.answering.text import detect_language


def language_for(update: Update, services: Services, text: str | None = None, chat: dict | None = None) -> str:
    """The citizen's chosen language, else Telegram's language_code, else the question's language.

    `chat` is the ledger's chat row when the caller has read it already."""
    if chat is None and update.effective_chat:
        chat = services.ledger.chat(update.effective_chat.id)
    chosen = chat["language"] if chat else None
    if chosen:
        return chosen
    code = update.effective_user.language_code if update.effective_user else None
    if code:
        return "zh" if code.lower().startswith("zh") else "en"
    return detect_language(text) if text else "zh"


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


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in rows])


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def fit(raw: str | None, room: int) -> str:
    """Escape a citizen's or staff member's text for HTML, shortened with '…' to fit `room` characters."""
    escaped = esc(raw)
    if len(escaped) <= room:
        return escaped
    low, high = 0, len(raw)
    while low < high:  # the longest prefix whose escaped form still fits
        middle = (low + high + 1) // 2
        if len(esc(raw[:middle])) + 1 <= room:
            low = middle
        else:
            high = middle - 1
    return esc(raw[:low]) + "…"


def staff_text(key: str, **values) -> str:
    """A staff-chat sentence; staff read Chinese. Values are escaped for Telegram HTML."""
    return message(key, "zh", **{k: esc(str(v)) if isinstance(v, str) else v for k, v in values.items()})


def parse_callback(data: str | None, prefix: str, parts: int) -> list[str] | None:
    """Split callback data like 'claim:12' into its parts, or None if it is not one the bot issues."""
    if not data or len(data) > 64:
        return None
    fields = data.split(":")
    if fields[0] != prefix or len(fields) != parts + 1 or not all(fields[1:]):
        return None
    return fields[1:]
