"""Sending through the outbox with keys that make a replayed update send nothing twice.

Every message of one update gets the key "u<update_id>:<name>"; the outbox never queues a second
message under a key it has seen. A name used twice within one update would silently drop the second
message, so the Sender refuses it.

Sending only queues the message (the chat's queue in the outbox sends it), so every method is
synchronous and safe inside a ledger transaction.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.telegram.delivery import Outbox


class DuplicateKey(Exception):
    """The same message name was used twice within one update or scope"""


class Sender:
    def __init__(self, outbox: Outbox, scope: str):
        self.outbox = outbox
        self.scope = scope
        self._used: set[str] = set()

    @classmethod
    def for_update(cls, outbox: Outbox, update_id: int) -> Sender:
        return cls(outbox, f"u{update_id}")

    def key(self, name: str) -> str:
        if name in self._used:
            raise DuplicateKey(f"The message name {name!r} was used twice in {self.scope}; give each message its own.")
        self._used.add(name)
        return f"{self.scope}:{name}"

    def text(self, chat_id, text: str, *, key: str, keyboard: InlineKeyboardMarkup | None = None, **options) -> None:
        self.outbox.send_text(chat_id, text, keyboard=keyboard, dedupe_key=self.key(key), **options)

    def edit(self, chat_id, message_id: int | None, text: str, keyboard: InlineKeyboardMarkup | None = None, *,
             key: str, card_of_case: int | None = None) -> None:
        self.outbox.edit_text(chat_id, message_id, text, keyboard, dedupe_key=self.key(key), card_of_case=card_of_case)

    def copy(self, chat_id, from_chat_id, message_id: int, *, key: str, **options) -> None:
        self.outbox.copy(chat_id, from_chat_id, message_id, dedupe_key=self.key(key), **options)

    def document(self, chat_id, filename: str, content: bytes, *, key: str, caption: str = "") -> None:
        self.outbox.send_document(chat_id, filename, content, caption=caption, dedupe_key=self.key(key))

    def topic(self, chat_id, name: str, case_id: int, *, key: str) -> None:
        self.outbox.create_topic(chat_id, name, case_id, dedupe_key=self.key(key))
