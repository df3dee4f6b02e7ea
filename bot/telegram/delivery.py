"""The outbox sender: every outgoing message is written to the ledger first, then sent, then marked.

429 waits for retry_after, 5xx and timeouts back off, a citizen who blocked the bot (403) makes
the message undeliverable instead of retrying forever. A message in flight at the moment of a
crash is sent again after restart (at most one duplicate).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from telegram import InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.records.ledger import Ledger
from bot.records.rows import PENDING, OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
MAX_ATTEMPTS = 50  # about a day of backing off; then the message is given up and visible in the ledger


class Outbox:
    """Queue messages in the ledger and deliver them through the Bot API."""

    def __init__(self, bot, ledger: Ledger):
        self.bot = bot
        self.ledger = ledger
        self._in_flight: set[int] = set()
        # Called with the outbox row when a message about a case cannot be delivered (set by the app).
        self.on_undeliverable = None

    async def send_text(self, chat_id, text: str, *, keyboard: InlineKeyboardMarkup | None = None,
                        case_id: int | None = None, purpose: str | None = None, dedupe_key: str | None = None,
                        thread_id: int | None = None, reply_to: int | None = None, html: bool = True) -> Message | None:
        payload = {"chat_id": chat_id, "text": text}
        if html:
            payload["parse_mode"] = ParseMode.HTML
        if keyboard is not None:
            payload["reply_markup"] = keyboard.to_dict()
        if thread_id:
            payload["message_thread_id"] = thread_id
        if reply_to:
            payload["reply_to_message_id"] = reply_to
        return await self.send("sendMessage", chat_id, payload, case_id=case_id, purpose=purpose, dedupe_key=dedupe_key)

    async def copy(self, chat_id, from_chat_id, message_id: int, *, caption: str | None = None,
                   case_id: int | None = None, dedupe_key: str | None = None, thread_id: int | None = None,
                   reply_to: int | None = None) -> Message | None:
        payload = {"chat_id": chat_id, "from_chat_id": from_chat_id, "message_id": message_id}
        if caption is not None:
            payload.update(caption=caption, parse_mode=ParseMode.HTML)
        if thread_id:
            payload["message_thread_id"] = thread_id
        if reply_to:
            payload["reply_to_message_id"] = reply_to
        return await self.send("copyMessage", chat_id, payload, case_id=case_id, dedupe_key=dedupe_key)

    async def edit_text(self, chat_id, message_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None,
                        dedupe_key: str | None = None) -> None:
        payload = {"chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": ParseMode.HTML}
        if keyboard is not None:
            payload["reply_markup"] = keyboard.to_dict()
        await self.send("editMessageText", chat_id, payload, dedupe_key=dedupe_key)

    async def send_document(self, chat_id, filename: str, content: bytes, caption: str = "",
                            dedupe_key: str | None = None) -> Message | None:
        payload = {"chat_id": chat_id, "filename": filename, "content_hex": content.hex(), "caption": caption}
        return await self.send("sendDocument", chat_id, payload, dedupe_key=dedupe_key)

    async def send(self, method: str, chat_id, payload: dict, **row) -> Message | None:
        """Queue one message and try to deliver it now; a failure leaves it queued for retry."""
        row_id = self.ledger.enqueue(chat_id, method, payload, **row)
        return await self.deliver(self.ledger.outbox_message(row_id))

    async def flush(self) -> int:
        """Deliver every queued message that is due; return how many were sent."""
        sent = 0
        for row in self.ledger.due_messages():
            if await self.deliver(row) is not None:
                sent += 1
        return sent

    async def deliver(self, row: OutboxMessage) -> Message | None:
        if row.status != PENDING or row.id in self._in_flight:
            return None
        self._in_flight.add(row.id)
        try:
            result = await self._call(row.method, row.payload)
        except RetryAfter as exc:
            wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            self._retry(row, f"flood control: retry after {wait}s", wait)
        except Forbidden as exc:
            log.info("Message %s undeliverable: %s", row.id, exc.message)
            await self._undeliverable(row, exc.message)
        except BadRequest as exc:
            # A request the API will never accept (chat not found, message to edit gone): retrying cannot help.
            log.warning("Message %s rejected: %s", row.id, exc.message)
            await self._undeliverable(row, f"bad request: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            self._retry(row, f"{type(exc).__name__}: {exc.message}", min(2 ** row.attempts, MAX_BACKOFF_SECONDS))
        except TelegramError as exc:  # any other API error: keep the message, try later
            self._retry(row, f"{type(exc).__name__}: {exc.message}", min(2 ** row.attempts, MAX_BACKOFF_SECONDS))
        else:
            message_id = result.message_id if hasattr(result, "message_id") else None
            self.ledger.mark_sent(row.id, message_id)
            return result if isinstance(result, Message) else None
        finally:
            self._in_flight.discard(row.id)
        return None

    async def _undeliverable(self, row: OutboxMessage, error: str) -> None:
        self.ledger.mark_undeliverable(row.id, error)
        if row.case_id and self.on_undeliverable is not None:
            await self.on_undeliverable(row)

    def _retry(self, row: OutboxMessage, error: str, seconds: float) -> None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            self.ledger.mark_undeliverable(row.id, f"gave up after {MAX_ATTEMPTS} attempts: {error}")
            return
        log.info("Message %s not sent (%s); retrying in %.0fs", row.id, error, seconds)
        self.ledger.mark_retry(row.id, error, self.ledger.now() + dt.timedelta(seconds=seconds))

    async def _call(self, method: str, payload: dict):
        payload = dict(payload)
        if "reply_markup" in payload:
            payload["reply_markup"] = InlineKeyboardMarkup.de_json(payload["reply_markup"], self.bot)
        if "reply_to_message_id" in payload:
            payload["reply_parameters"] = ReplyParameters(payload.pop("reply_to_message_id"),
                                                          allow_sending_without_reply=True)
        if method == "sendMessage":
            return await self.bot.send_message(**payload)
        if method == "copyMessage":
            return await self.bot.copy_message(**payload)
        if method == "editMessageText":
            try:
                return await self.bot.edit_message_text(**payload)
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return True
                raise
        if method == "sendDocument":
            document = InputFile(bytes.fromhex(payload.pop("content_hex")), filename=payload.pop("filename"))
            return await self.bot.send_document(document=document, **payload)
        raise ValueError(f"the outbox cannot send {method!r}")


async def run_outbox(outbox: Outbox, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Retry due messages until stopped (also right after a restart)."""
    while not stop.is_set():
        try:
            await outbox.flush()
        except Exception:  # noqa: BLE001 - the retry loop must outlive any single failure
            log.exception("Outbox flush failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
