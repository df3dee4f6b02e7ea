"""Telegram HTML: escaping, shortening to fit a message, staff-chat sentences and inline keyboards."""

from __future__ import annotations

import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.answering.messages import message


def esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


def say(key: str, language: str, **values) -> str:
    """A citizen-facing sentence, escaped for Telegram HTML."""
    return esc(message(key, language, **values))


def staff_text(key: str, **values) -> str:
    """A staff-chat sentence; staff read Chinese. Values are escaped for Telegram HTML."""
    return message(key, "zh", **{k: esc(v) if isinstance(v, str) else v for k, v in values.items()})


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


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from rows of (label, callback data)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in row]
                                 for row in rows])
