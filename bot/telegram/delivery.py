"""The outbox sender: every outgoing message is written to the ledger first, then sent, then marked.

Each chat has a queue of its own, worked by its own task: a chat's messages go out in the order they
were queued, and a chat that waits (the staff group's 20 messages a minute, a 429's retry_after, a
backoff after 5xx) holds up no other chat. Handlers only queue; they never wait for the Bot API.

429 waits for retry_after, 5xx and timeouts back off, a citizen who blocked the bot (403) makes
the message undeliverable instead of retrying forever. A message in flight at the moment of a
crash is sent again after restart (at most one duplicate).

References to a case's staff-chat card and topic are resolved when the message is sent, not when
it is queued: the card may still be waiting in the staff chat's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging

from telegram import InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.records.ledger import Ledger
from bot.records.rows import OutboxMessage

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
MAX_ATTEMPTS = 50  # about a day of backing off; then the message is given up and visible in the ledger
IDLE_CHECK_SECONDS = 60  # a queue waiting for a retry looks again at least this often
# Payload fields resolved at sending time from the case (and removed before the call).
THREAD_OF_CASE, CARD_OF_CASE, TOPIC_FOR_CASE = "_thread_of_case", "_card_of_case", "_topic_for_case"
CREATE_TOPIC = "createForumTopic"


class Outbox:
    """Queue messages in the ledger and deliver them through the Bot API, one queue per chat."""

    def __init__(self, bot, ledger: Ledger, redact=None):
        self.bot = bot
        self.ledger = ledger
        # For log lines; what the ledger stores it scrubs itself (the app gives both the same Redactor).
        self.redact = redact or (lambda text: text)
        self._wakeups: dict[str, asyncio.Event] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._stopped = False
        # Awaited with the outbox row when a message about a case cannot be delivered (set by build_application).
        self.on_undeliverable = None

    # -- queueing (synchronous: safe inside a ledger transaction) ---------------------------

    def send_text(self, chat_id, text: str, *, keyboard: InlineKeyboardMarkup | None = None,
                  case_id: int | None = None, purpose: str | None = None, dedupe_key: str | None = None,
                  thread_id: int | None = None, reply_to: int | None = None, html: bool = True,
                  thread_of_case: int | None = None) -> int:
        payload = {"chat_id": chat_id, "text": text}
        if html:
            payload["parse_mode"] = ParseMode.HTML
        if keyboard is not None:
            payload["reply_markup"] = keyboard.to_dict()
        _place(payload, thread_id, reply_to, thread_of_case)
        return self.queue("sendMessage", chat_id, payload, case_id=case_id, purpose=purpose, dedupe_key=dedupe_key)

    def copy(self, chat_id, from_chat_id, message_id: int, *, caption: str | None = None,
             case_id: int | None = None, dedupe_key: str | None = None, thread_id: int | None = None,
             reply_to: int | None = None, thread_of_case: int | None = None) -> int:
        payload = {"chat_id": chat_id, "from_chat_id": from_chat_id, "message_id": message_id}
        if caption is not None:
            payload.update(caption=caption, parse_mode=ParseMode.HTML)
        _place(payload, thread_id, reply_to, thread_of_case)
        return self.queue("copyMessage", chat_id, payload, case_id=case_id, dedupe_key=dedupe_key)

    def edit_text(self, chat_id, message_id: int | None, text: str, keyboard: InlineKeyboardMarkup | None = None,
                  dedupe_key: str | None = None, card_of_case: int | None = None) -> int:
        payload = {"chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": ParseMode.HTML}
        if keyboard is not None:
            payload["reply_markup"] = keyboard.to_dict()
        if card_of_case is not None:
            payload[CARD_OF_CASE] = card_of_case
        return self.queue("editMessageText", chat_id, payload, dedupe_key=dedupe_key)

    def send_document(self, chat_id, filename: str, content: bytes, caption: str = "",
                      dedupe_key: str | None = None) -> int:
        payload = {"chat_id": chat_id, "filename": filename, "content_hex": content.hex(), "caption": caption}
        return self.queue("sendDocument", chat_id, payload, dedupe_key=dedupe_key)

    def create_topic(self, chat_id, name: str, case_id: int, dedupe_key: str | None = None) -> int:
        """A forum topic for a case, created in the staff chat's turn; the case records it when it exists."""
        return self.queue(CREATE_TOPIC, chat_id, {"chat_id": chat_id, "name": name, TOPIC_FOR_CASE: case_id},
                          case_id=case_id, dedupe_key=dedupe_key)

    def queue(self, method: str, chat_id, payload: dict, **row) -> int:
        """Write one message to the ledger as pending and wake its chat's queue."""
        row_id = self.ledger.enqueue(chat_id, method, payload, **row)
        self.wake(chat_id)
        return row_id

    # -- the queues ---------------------------------------------------------------------------

    def wake(self, chat_id) -> None:
        """Make sure the chat's queue is being worked (outside an event loop, run_outbox will)."""
        key = str(chat_id)
        if self._stopped:
            return  # shutting down: the message stays pending in the ledger and goes out after a restart
        if key in self._wakeups:
            self._wakeups[key].set()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._wakeups[key] = event = asyncio.Event()
        event.set()
        self._workers[key] = loop.create_task(self._work(key, event))

    def wake_all(self) -> int:
        chats = self.ledger.chats_with_pending()
        for chat_id in chats:
            self.wake(chat_id)
        return len(chats)

    async def _work(self, chat_id: str, wakeup: asyncio.Event) -> None:
        """Send a chat's pending messages in order; wait for the first one's retry time before the rest."""
        try:
            while True:
                wakeup.clear()
                row = self.ledger.next_message(chat_id)
                if row is None:
                    return  # nothing to do; the next queue() starts a new worker
                wait = (row.next_try_at - self.ledger.now()).total_seconds() if row.next_try_at else 0
                if wait > 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(wakeup.wait(), timeout=min(wait, IDLE_CHECK_SECONDS))
                    continue
                try:
                    await self.deliver(row)
                except Exception as exc:  # noqa: BLE001 - a bug for one message must not stop the chat's queue
                    log.exception("Message %s could not be sent", row.id)
                    self._retry(row, f"{type(exc).__name__}: {exc}", min(2 ** row.attempts, MAX_BACKOFF_SECONDS))
        finally:
            # No await between the last look at the queue and this: queue() cannot slip in unseen.
            self._wakeups.pop(chat_id, None)
            self._workers.pop(chat_id, None)

    async def stop(self) -> None:
        """Stop the queues; what is still pending stays in the ledger and goes out after a restart."""
        self._stopped = True
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    async def deliver(self, row: OutboxMessage) -> None:
        """Send one pending message (from next_message) and record what came of it."""
        try:
            payload = self._resolve(row)
            if payload is None:
                await self._undeliverable(row, "the case card this message refers to was never sent")
                return
            result = await self._call(row.method, payload)
        except RetryAfter as exc:
            wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) else exc.retry_after.total_seconds()
            self._retry(row, f"flood control: retry after {wait}s", wait)
        except Forbidden as exc:
            log.info("Message %s undeliverable: %s", row.id, exc.message)
            await self._undeliverable(row, exc.message)
        except BadRequest as exc:
            # A request the API will never accept (chat not found, message to edit gone): retrying cannot help.
            log.warning("Message %s rejected: %s", row.id, self.redact(exc.message))
            await self._undeliverable(row, f"bad request: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            self._retry(row, f"{type(exc).__name__}: {exc.message}", min(2 ** row.attempts, MAX_BACKOFF_SECONDS))
        except TelegramError as exc:  # any other API error: keep the message, try later
            self._retry(row, f"{type(exc).__name__}: {exc.message}", min(2 ** row.attempts, MAX_BACKOFF_SECONDS))
        else:
            self._sent(row, result)

    def _sent(self, row: OutboxMessage, result) -> None:
        if row.method == CREATE_TOPIC:
            with self.ledger.transaction():
                self.ledger.mark_sent(row.id, None)
                self.ledger.add_event(row.payload[TOPIC_FOR_CASE], "topic_created", "bot",
                                      {"topic_id": result.message_thread_id},
                                      changes={"topic_id": result.message_thread_id,
                                               "staff_chat_id": str(row.payload["chat_id"])})
            return
        self.ledger.mark_sent(row.id, getattr(result, "message_id", None))

    def _resolve(self, row: OutboxMessage) -> dict | None:
        """The payload with the case's card and topic filled in; None when the card it edits was never sent."""
        payload = dict(row.payload)
        if (case_id := payload.pop(THREAD_OF_CASE, None)) is not None:
            case = self.ledger.case(case_id)
            if case is not None and case.topic_id:
                payload["message_thread_id"] = case.topic_id
            if case is not None and case.staff_message_id and "reply_to_message_id" not in payload:
                payload["reply_to_message_id"] = case.staff_message_id
        if (case_id := payload.pop(CARD_OF_CASE, None)) is not None:
            case = self.ledger.case(case_id)
            if case is None or not case.staff_message_id:
                return None
            payload["message_id"] = case.staff_message_id
        return payload

    async def _undeliverable(self, row: OutboxMessage, error: str) -> None:
        self.ledger.mark_undeliverable(row.id, error)
        if row.case_id and self.on_undeliverable is not None:
            await self.on_undeliverable(row)

    def _retry(self, row: OutboxMessage, error: str, seconds: float) -> None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            self.ledger.mark_undeliverable(row.id, f"gave up after {MAX_ATTEMPTS} attempts: {error}")
            return
        log.info("Message %s not sent (%s); retrying in %.0fs", row.id, self.redact(error), seconds)
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
        if method == CREATE_TOPIC:
            return await self.bot.create_forum_topic(payload["chat_id"], payload["name"])
        raise ValueError(f"the outbox cannot send {method!r}")


async def run_outbox(outbox: Outbox, stop: asyncio.Event, interval: float = 1.0) -> None:
    """Keep every chat with pending messages worked until stopped (also right after a restart)."""
    try:
        while not stop.is_set():
            try:
                outbox.wake_all()
            except Exception:  # noqa: BLE001 - the retry loop must outlive any single failure
                log.exception("Outbox check failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        await outbox.stop()


def _place(payload: dict, thread_id: int | None, reply_to: int | None, thread_of_case: int | None) -> None:
    """Where in the chat a message goes: a forum topic, a reply, or the thread of a case (resolved when sent)."""
    if thread_id:
        payload["message_thread_id"] = thread_id
    if reply_to:
        payload["reply_to_message_id"] = reply_to
    if thread_of_case is not None:
        payload[THREAD_OF_CASE] = thread_of_case
