"""The ledger: the record of every question, every answer given, and every case.

One SQLite file in WAL mode, written through sqlite-utils. This module holds all the SQL.
Case events are append-only: triggers refuse UPDATE and DELETE on them, except the one update a
retention purge makes (free text replaced by a marker, nothing else changed). (sqlite-utils'
table.transform() drops triggers, so this module never transforms that table.)

A sqlite3 connection must be used from the thread that opened it: create the Ledger in the
thread (or event loop) that uses it.

Every write transaction starts with BEGIN IMMEDIATE: a transaction that reads and then writes would
otherwise fail at once with "database is locked" when another process (a purge, a second instance)
wrote in between, whatever the busy timeout. Case numbers are also written to a small file beside
the ledger before each case is committed, so that a lost ledger never makes a number repeat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlite_utils

from bot.config import LEDGER_BUSY_TIMEOUT_MS
from bot.records.rows import (
    OPEN,
    PENDING,
    SENT,
    UNDELIVERABLE,
    Case,
    CaseEvent,
    ChatState,
    Correction,
    ErrorReport,
    Feedback,
    InboxMessage,
    Inquiry,
    Lease,
    OutboxMessage,
    StoredUpdate,
    WebSession,
)

Clock = Callable[[], dt.datetime]
__all__ = ["OPEN", "PENDING", "SENT", "UNDELIVERABLE", "Clock", "Ledger", "LedgerError", "LedgerLost", "iso",
           "utc_now"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


_SCHEMA = {
    "inquiries": (
        {"id": int, "at": str, "channel": str, "user_id": str, "chat_id": str, "language": str, "text": str,
         "action": str, "service_id": str, "options": str, "score": float, "kb_version": str, "reply": str,
         "messages": str, "update_id": int, "case_id": int, "answers": str, "event_id": str, "matter_id": str,
         "district": str},
        {"not_null": {"at", "channel", "user_id", "text", "action", "kb_version", "reply"}},
    ),
    "cases": (
        {"id": int, "opened_at": str, "channel": str, "user_id": str, "chat_id": str, "language": str,
         "question": str, "inquiry_id": int, "guesses": str, "status": str, "owner_id": str, "owner_name": str,
         "claimed_at": str, "first_reply_at": str, "due_at": str, "closed_at": str, "staff_chat_id": str,
         "staff_message_id": int, "topic_id": int, "transfer_to": str, "rating": int, "warned_at": str,
         "reminded_at": str, "overdue_at": str, "kb_version": str},
        {"not_null": {"opened_at", "channel", "user_id", "question", "status"}},
    ),
    "case_events": (
        {"id": int, "case_id": int, "at": str, "kind": str, "actor": str, "detail": str},
        {"not_null": {"case_id", "at", "kind", "actor"}},
    ),
    "feedback": (
        {"id": int, "inquiry_id": int, "at": str, "user_id": str, "value": str},
        {"not_null": {"inquiry_id", "at", "user_id", "value"}},
    ),
    "updates": (
        {"update_id": int, "received_at": str, "payload": str, "handled_at": str},
        {"pk": "update_id"},
    ),
    "outbox": (
        {"id": int, "created_at": str, "chat_id": str, "method": str, "payload": str, "status": str,
         "attempts": int, "last_error": str, "sent_at": str, "case_id": int, "message_id": int, "next_try_at": str,
         "dedupe_key": str, "purpose": str},
        {"not_null": {"created_at", "chat_id", "method", "payload", "status"}},
    ),
    "state": ({"key": str, "value": str}, {"pk": "key"}),
    # Every retention purge, for the record.
    "purges": ({"id": int, "at": str, "actor": str, "cutoff": str, "counts": str}, {}),
    # Which case a message in the staff chat belongs to, so that a reply to it reaches the citizen.
    "message_links": ({"chat_id": str, "message_id": int, "case_id": int}, {"pk": ("chat_id", "message_id")}),
    # Per-chat preferences and the state of short conversations (language, tailoring), kept across restarts.
    "chats": ({"chat_id": str, "language": str, "flow": str, "updated_at": str, "district": str}, {"pk": "chat_id"}),
    # Web channel: sessions (a hash of the page's token, never the token) and what awaits each of them.
    "web_sessions": ({"id": str, "created_at": str, "language": str, "address": str}, {"pk": "id"}),
    "web_inbox": ({"id": int, "user_id": str, "at": str, "kind": str, "case_id": int, "text": str, "media": str,
                   "service_id": str},
                  {"not_null": {"user_id", "at", "kind"}}),
    # A citizen (or staff) saying a checklist was wrong: what they were told, and the office that owns the entry.
    "error_reports": ({"id": int, "at": str, "channel": str, "user_id": str, "chat_id": str, "inquiry_id": int,
                       "service_id": str, "event_id": str, "office_id": str, "kb_version": str, "text": str,
                       "told": str, "status": str, "resolved_at": str, "resolved_by": str},
                      {"not_null": {"at", "channel", "user_id", "text", "status"}}),
    # A change of a service's facts that citizens told the older version must hear about, and who heard it.
    "corrections": ({"id": int, "at": str, "service_id": str, "old_version": str, "new_version": str,
                     "changes": str, "actor": str, "notified_at": str},
                    {"not_null": {"at", "service_id", "new_version", "changes"}}),
    "correction_notices": ({"correction_id": int, "chat_id": str, "inquiry_id": int, "at": str, "channel": str},
                           {"pk": ("correction_id", "chat_id")}),
    # Which process may handle updates: one at a time (see bot/records/lease.py).
    "lease": ({"name": str, "holder": str, "host": str, "pid": int, "started_at": str, "heartbeat_at": str,
               "expires_at": str}, {"pk": "name"}),
}

_APPEND_ONLY_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS case_events_no_update BEFORE UPDATE ON case_events
WHEN NOT (NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at AND NEW.kind = OLD.kind
          AND NEW.detail = '{"purged": true}' AND (NEW.actor = OLD.actor OR NEW.actor = 'citizen:[purged]'))
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
"""


class LedgerError(Exception):
    """The ledger file cannot be opened or written; the message names the path and the fix"""


class LedgerLost(Exception):
    """The ledger file was deleted or replaced while the bot had it open"""


def connect(path: str | Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A plain sqlite3 connection to a ledger file, with the busy timeout every connection needs."""
    uri = f"file:{Path(path).resolve()}?mode=ro" if read_only else None
    connection = sqlite3.connect(uri or str(path), uri=bool(uri), timeout=LEDGER_BUSY_TIMEOUT_MS / 1000)
    connection.execute(f"PRAGMA busy_timeout = {LEDGER_BUSY_TIMEOUT_MS}")
    return connection


def open_problem(path: str | Path, exc: BaseException) -> LedgerError:
    """A sentence that names the ledger file, what went wrong and what to do."""
    path = Path(path)
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return LedgerError(f"The ledger file {path} is not a readable SQLite ledger ({text}); set DATABASE_PATH to "
                           "the bot's ledger, or restore it from a backup (see README, 'Backups and restoring one').")
    return LedgerError(f"The ledger file {path} cannot be opened for writing ({text}); make the file and its folder "
                       f"{path.parent} writable for the user running the bot (uid {os.getuid()}), or set DATABASE_PATH "
                       "to a writable place.")


class CaseNumbers:
    """The highest case number ever issued, in a file beside the ledger (which may be lost)."""

    def __init__(self, ledger_path: str):
        self.path = Path(ledger_path + ".case-number") if ledger_path != ":memory:" else None

    def read(self) -> int:
        if self.path is None:
            return 0
        try:
            return int(self.path.read_text(encoding="ascii").strip() or 0)
        except FileNotFoundError:
            return 0
        except ValueError:
            raise LedgerError(f"{self.path} should hold the highest case number issued, and does not; write the "
                              "highest case number you know of into it (or delete it if the ledger is "
                              "intact).") from None

    def write(self, number: int) -> None:
        if self.path is None:
            return
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w", encoding="ascii") as file:
            file.write(f"{number}\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)


class Ledger:
    """All reads and writes of the ledger file."""

    def __init__(self, path: str | Path, clock: Clock = utc_now, scrub: Callable[[str], str] | None = None, *,
                 writable: bool = True):
        self.path = str(path)
        self.clock = clock
        # Removes secrets (the bot token) from error texts before they are stored.
        self.scrub = scrub or (lambda text: text)
        self.case_numbers = CaseNumbers(self.path)
        self.identity: tuple[int, int] | None = None
        try:
            self._open()
            self._create()
            if writable:
                self._probe_write()
        except (sqlite3.Error, OSError) as exc:
            raise open_problem(self.path, exc) from None

    def _probe_write(self) -> None:
        """Fail now, naming the file, if it cannot be written (rather than at the first answer)."""
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            self.db.conn.execute("CREATE TABLE write_probe (x)")  # undone below; fails on a read-only file
        finally:
            self.db.conn.execute("ROLLBACK")

    def _open(self) -> None:
        if self.path == ":memory:":
            self.db = sqlite_utils.Database(memory=True)
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            before = os.stat(self.path) if os.path.exists(self.path) else None
            self.db = sqlite_utils.Database(self.path)
            # Before WAL mode, which may wait for another writer (an in-memory ledger has nobody to wait for).
            self.db.execute(f"PRAGMA busy_timeout = {LEDGER_BUSY_TIMEOUT_MS}")
            self.db.enable_wal()
            after = os.stat(self.path)
            if before is not None and (before.st_dev, before.st_ino) != (after.st_dev, after.st_ino):
                raise LedgerLost(f"The ledger file {self.path} was replaced while it was being opened; start again.")
            self.identity = (after.st_dev, after.st_ino)
        self.db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed row

    def check_file(self) -> None:
        """Raise LedgerLost when the path no longer leads to the file this ledger opened (deleted, replaced)."""
        if self.identity is None:
            return
        try:
            now = os.stat(self.path)
        except FileNotFoundError:
            now = None
        if now is None or (now.st_dev, now.st_ino) != self.identity:
            what = "was deleted" if now is None else "was replaced by another file"
            raise LedgerLost(f"The ledger file {self.path} {what} while the bot was running; the bot stopped taking "
                             "updates so that no answer goes unrecorded. Put the file back (restore the latest "
                             "backup with `python -m bot restore`) and start the bot again.")

    @contextlib.contextmanager
    def _write(self):
        """A write transaction that takes the write lock first (BEGIN IMMEDIATE), waiting up to the busy timeout;
        nested, a savepoint."""
        if self.db.conn.in_transaction:
            with self.db.atomic():
                yield
            return
        self.db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise
        try:
            self.db.conn.execute("COMMIT")
        except BaseException:
            if self.db.conn.in_transaction:
                self.db.conn.execute("ROLLBACK")
            raise

    def _create(self) -> None:
        for name, (columns, options) in _SCHEMA.items():
            table = self.db[name]
            if table.exists():
                # A ledger from an earlier version: add the columns it lacks (never transform: that drops triggers).
                for column, kind in columns.items():
                    if column not in table.columns_dict:
                        table.add_column(column, kind)
            else:
                table.create(columns, pk=options.get("pk", "id"), not_null=options.get("not_null"))
        self.db.executescript(_APPEND_ONLY_TRIGGERS)
        self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS outbox_dedupe ON outbox(dedupe_key) WHERE dedupe_key IS NOT NULL")
        self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS inquiries_update ON inquiries(update_id) WHERE update_id IS NOT NULL")
        for table, columns in (("inquiries", ["user_id", "at"]), ("inquiries", ["update_id"]),
                               ("cases", ["status"]), ("cases", ["user_id", "status"]), ("case_events", ["case_id"]),
                               ("outbox", ["status", "next_try_at"]), ("web_inbox", ["user_id", "id"]),
                               ("inquiries", ["service_id", "at"]), ("error_reports", ["status"])):
            self.db[table].create_index(columns, if_not_exists=True)

    def close(self) -> None:
        self.db.close()

    def now(self) -> dt.datetime:
        return self.clock()

    # -- inquiries ---------------------------------------------------------------------

    def record_inquiry(self, inquiry: Inquiry, case_id: int | None = None) -> int:
        row = {
            "at": iso(self.now()), "channel": inquiry.channel, "user_id": inquiry.user_id,
            "chat_id": inquiry.chat_id, "language": inquiry.language, "text": inquiry.text,
            "action": inquiry.action, "service_id": inquiry.service_id, "options": json.dumps(list(inquiry.options)),
            "score": inquiry.score, "kb_version": inquiry.kb_version, "reply": inquiry.reply,
            "messages": json.dumps(list(inquiry.messages or (inquiry.reply,)), ensure_ascii=False),
            "update_id": inquiry.update_id, "case_id": case_id,
            "answers": json.dumps(inquiry.answers, ensure_ascii=False) if inquiry.answers else None,
            "event_id": inquiry.event_id, "matter_id": inquiry.matter_id, "district": inquiry.district,
        }
        return self._insert("inquiries", row)

    def _insert(self, table: str, row: dict) -> int:
        """A plain INSERT: sqlite-utils' insert() inspects the table on every call, which is most of the cost
        on the answering path."""
        columns = ", ".join(f"[{c}]" for c in row)
        with self._write():
            cursor = self.db.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({', '.join('?' * len(row))})",
                                     list(row.values()))
            return cursor.lastrowid

    def _rows(self, table: str, where: str | None = None, args: list | None = None, *, order_by: str | None = None,
              limit: int | None = None) -> list[dict]:
        """A plain SELECT: sqlite-utils' rows_where() asks sqlite_master whether the table exists on every call,
        and every message reads through here."""
        sql = f"SELECT * FROM [{table}]"
        if where is not None:
            sql += f" WHERE {where}"
        if order_by is not None:
            sql += f" ORDER BY {order_by}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return list(self.db.query(sql, args or []))

    def _first(self, record, table: str, where: str, args: list, **options):
        rows = self._rows(table, where, args, limit=1, **options)
        return record.from_row(rows[0]) if rows else None

    def inquiry(self, inquiry_id: int) -> Inquiry | None:
        return self._first(Inquiry, "inquiries", "id = ?", [inquiry_id])

    def inquiries(self, user_id: str | None = None) -> list[Inquiry]:
        where, args = ("user_id = ?", [user_id]) if user_id else (None, None)
        return [Inquiry.from_row(r) for r in self._rows("inquiries", where, args, order_by="id")]

    def inquiries_of_case(self, case_id: int) -> list[Inquiry]:
        return [Inquiry.from_row(r) for r in self._rows("inquiries", "case_id = ?", [case_id], order_by="id")]

    def record_feedback(self, inquiry_id: int, user_id: str, value: str) -> None:
        self._insert("feedback", {"inquiry_id": inquiry_id, "at": iso(self.now()), "user_id": user_id, "value": value})

    # -- cases -------------------------------------------------------------------------

    def transaction(self):
        """A context manager: everything inside commits together or not at all (nests). Never await inside it:
        the connection is shared, so another task's writes would join the transaction."""
        return self._write()

    def link_inquiry(self, case_id: int, inquiry_id: int) -> None:
        with self._write():
            self.db["cases"].update(case_id, {"inquiry_id": inquiry_id})

    def open_case(self, *, channel: str, user_id: str, chat_id: str | None, language: str, question: str,
                  inquiry_id: int | None = None, guesses: Iterable[str] = (), due_at: dt.datetime | None = None,
                  kb_version: str | None = None, actor: str = "bot") -> int:
        """Open a case and record its first event, in one transaction."""
        now = iso(self.now())
        with self._write():
            case_id = max(self.case_numbers.read(), self._highest_case()) + 1
            self.case_numbers.write(case_id)  # before the commit: a crash leaves a gap, never a repeat
            self._insert("cases", {
                "id": case_id, "opened_at": now, "channel": channel, "user_id": user_id, "chat_id": chat_id,
                "language": language,
                "question": question, "inquiry_id": inquiry_id, "guesses": json.dumps(list(guesses)),
                "status": OPEN, "due_at": iso(due_at) if due_at else None, "kb_version": kb_version,
            })
            self._event(case_id, "opened", actor, {"question": question, "inquiry_id": inquiry_id})
            if inquiry_id is not None:
                self.db["inquiries"].update(inquiry_id, {"case_id": case_id})
        return case_id

    def _highest_case(self) -> int:
        return self.db.execute("SELECT COALESCE(MAX(id), 0) FROM cases").fetchone()[0]

    def case_number_gap(self) -> tuple[int, int] | None:
        """(highest number in the ledger, highest ever issued) when the ledger lacks recent cases (it was lost or
        restored from an older backup); None when they agree."""
        issued, here = self.case_numbers.read(), self._highest_case()
        if here > issued:
            self.case_numbers.write(here)  # the mark file was lost: the ledger knows better
        return (here, issued) if issued > here else None

    def case(self, case_id: int) -> Case | None:
        return self._first(Case, "cases", "id = ?", [case_id])

    def open_case_of(self, user_id: str) -> Case | None:
        return self._first(Case, "cases", "user_id = ? and status = ?", [user_id, OPEN], order_by="id desc")

    def cases_of_user(self, user_id: str) -> list[Case]:
        return [Case.from_row(r) for r in self._rows("cases", "user_id = ?", [user_id], order_by="id")]

    def cases(self, status: str | None = None) -> list[Case]:
        where, args = ("status = ?", [status]) if status else (None, None)
        return [Case.from_row(r) for r in self._rows("cases", where, args, order_by="id")]

    def case_events(self, case_id: int) -> list[CaseEvent]:
        return [CaseEvent.from_row(r) for r in self._rows("case_events", "case_id = ?", [case_id], order_by="id")]

    def add_event(self, case_id: int, kind: str, actor: str, detail: dict | None = None,
                  changes: dict | None = None) -> None:
        """Append an event to a case and update its current state beside it, atomically."""
        with self._write():
            self._event(case_id, kind, actor, detail)
            if changes:
                self.db["cases"].update(case_id, changes)

    def _event(self, case_id: int, kind: str, actor: str, detail: dict | None) -> None:
        self._insert("case_events", {"case_id": case_id, "at": iso(self.now()), "kind": kind, "actor": actor,
                                     "detail": self.scrub(json.dumps(detail or {}, ensure_ascii=False))})

    def claim_case(self, case_id: int, staff_id: str, staff_name: str) -> bool:
        """Make staff the owner if nobody owns the open case yet. Exactly one of two racing claims wins."""
        with self._write():
            cursor = self.db.execute(
                "UPDATE cases SET owner_id = ?, owner_name = ?, claimed_at = ? "
                "WHERE id = ? AND owner_id IS NULL AND status = ?",
                [staff_id, staff_name, iso(self.now()), case_id, OPEN])
            if cursor.rowcount != 1:
                return False
            self._event(case_id, "claimed", f"staff:{staff_id}", {"name": staff_name})
        return True

    # -- updates (at-least-once handling) ----------------------------------------------

    def record_update(self, update_id: int, payload: str) -> bool:
        """Remember an update before it is handled; False when it was handled already."""
        rows = self._rows("updates", "update_id = ?", [update_id])
        if rows:
            return rows[0]["handled_at"] is None
        self._insert("updates", {"update_id": update_id, "received_at": iso(self.now()),
                                 "payload": self.scrub(payload)})
        return True

    def mark_update_handled(self, update_id: int) -> None:
        with self._write():
            self.db.execute("UPDATE updates SET handled_at = ? WHERE update_id = ?", [iso(self.now()), update_id])

    def unhandled_updates(self) -> list[StoredUpdate]:
        return [StoredUpdate.from_row(r) for r in self._rows("updates", "handled_at IS NULL", order_by="update_id")]

    def inquiry_for_update(self, update_id: int) -> Inquiry | None:
        return self._first(Inquiry, "inquiries", "update_id = ?", [update_id])

    # -- outbox -----------------------------------------------------------------------

    def enqueue(self, chat_id: str | int, method: str, payload: dict, *, case_id: int | None = None,
                dedupe_key: str | None = None, purpose: str | None = None) -> int:
        """Write an outgoing message as pending. The same dedupe_key never queues a second message."""
        if dedupe_key:
            rows = self._rows("outbox", "dedupe_key = ?", [dedupe_key])
            if rows:
                return rows[0]["id"]
        return self._insert("outbox", {
            "created_at": iso(self.now()), "chat_id": str(chat_id), "method": method,
            "payload": self.scrub(json.dumps(payload, ensure_ascii=False)), "status": PENDING, "attempts": 0,
            "case_id": case_id, "dedupe_key": dedupe_key, "purpose": purpose, "next_try_at": iso(self.now()),
        })

    def outbox_message(self, message_id: int) -> OutboxMessage:
        return OutboxMessage.from_row(self._rows("outbox", "id = ?", [message_id])[0])

    def next_message(self, chat_id: str | int) -> OutboxMessage | None:
        """The oldest pending message to a chat: a chat's messages go out in the order they were queued."""
        return self._first(OutboxMessage, "outbox", "status = ? AND chat_id = ?", [PENDING, str(chat_id)],
                           order_by="id")

    def chats_with_pending(self) -> list[str]:
        return [row[0] for row in self.db.execute(
            "SELECT chat_id FROM outbox WHERE status = ? GROUP BY chat_id ORDER BY MIN(id)", [PENDING]).fetchall()]

    def outbox_rows(self, status: str | None = None) -> list[OutboxMessage]:
        where, args = ("status = ?", [status]) if status else (None, None)
        return [OutboxMessage.from_row(r) for r in self._rows("outbox", where, args, order_by="id")]

    def mark_sent(self, row_id: int, message_id: int | None) -> None:
        with self._write():
            row = self._rows("outbox", "id = ?", [row_id])[0]
            self.db.execute("UPDATE outbox SET status = ?, sent_at = ?, message_id = ?, attempts = attempts + 1 "
                            "WHERE id = ?", [SENT, iso(self.now()), message_id, row_id])
            if row["case_id"] and message_id:
                self.db["message_links"].upsert({"chat_id": row["chat_id"], "message_id": message_id,
                                                 "case_id": row["case_id"]}, pk=("chat_id", "message_id"))
                if row["purpose"] == "case_card":
                    self.db["cases"].update(row["case_id"], {"staff_message_id": message_id,
                                                             "staff_chat_id": row["chat_id"]})

    def mark_retry(self, row_id: int, error: str, next_try_at: dt.datetime) -> None:
        with self._write():
            row = self._rows("outbox", "id = ?", [row_id])[0]
            self.db["outbox"].update(row_id, {"attempts": row["attempts"] + 1, "last_error": self.scrub(error)[:500],
                                              "next_try_at": iso(next_try_at)})

    def mark_undeliverable(self, row_id: int, error: str) -> None:
        error = self.scrub(error)
        with self._write():
            row = self._rows("outbox", "id = ?", [row_id])[0]
            self.db["outbox"].update(row_id, {"status": UNDELIVERABLE, "attempts": row["attempts"] + 1,
                                              "last_error": error[:500]})
            if row["case_id"]:
                self._event(row["case_id"], "undeliverable", "bot", {"outbox_id": row_id, "error": error[:200]})

    def case_for_message(self, chat_id: str | int, message_id: int) -> int | None:
        rows = self._rows("message_links", "chat_id = ? AND message_id = ?", [str(chat_id), message_id])
        return rows[0]["case_id"] if rows else None

    def case_for_topic(self, chat_id: str | int, topic_id: int) -> int | None:
        rows = self._rows("cases", "staff_chat_id = ? AND topic_id = ?", [str(chat_id), topic_id],
                          order_by="id desc", limit=1)
        return rows[0]["id"] if rows else None

    # -- chats: language choice and conversation state ----------------------------------

    def chat(self, chat_id: str | int) -> ChatState:
        return self._first(ChatState, "chats", "chat_id = ?", [str(chat_id)]) or ChatState(str(chat_id))

    def update_chat(self, chat_id: str | int, **values) -> None:
        with self._write():
            self.db["chats"].upsert({"chat_id": str(chat_id), **values, "updated_at": iso(self.now())}, pk="chat_id")

    # -- web sessions and their inboxes -------------------------------------------------

    def create_web_session(self, session_id: str, language: str | None, address: str | None = None) -> WebSession:
        self._insert("web_sessions", {"id": session_id, "created_at": iso(self.now()), "language": language,
                                      "address": address})
        return self.web_session(session_id)

    def web_session(self, session_id: str) -> WebSession | None:
        return self._first(WebSession, "web_sessions", "id = ?", [session_id])

    # -- error reports and correction notices ----------------------------------------------

    def record_error_report(self, report: ErrorReport) -> int:
        row = {k: v for k, v in report.__dict__.items() if k not in ("id", "at")}
        return self._insert("error_reports", {**row, "at": iso(self.now())})

    def error_report(self, report_id: int) -> ErrorReport | None:
        return self._first(ErrorReport, "error_reports", "id = ?", [report_id])

    def error_reports(self, status: str | None = None, since: dt.datetime | None = None) -> list[ErrorReport]:
        """Error reports, oldest first: all, or those with a status, made from a moment on."""
        given = {sql: value for sql, value in (("status = ?", status), ("at >= ?", since and iso(since))) if value}
        rows = self._rows("error_reports", " AND ".join(given) or None, list(given.values()), order_by="id")
        return [ErrorReport.from_row(r) for r in rows]

    def record_correction(self, service_id: str, old_version: str | None, new_version: str, changes: list[dict],
                          actor: str) -> int:
        return self._insert("corrections", {"at": iso(self.now()), "service_id": service_id, "old_version": old_version,
                                            "new_version": new_version, "actor": actor,
                                            "changes": json.dumps(changes, ensure_ascii=False)})

    def correction(self, correction_id: int) -> Correction | None:
        return self._first(Correction, "corrections", "id = ?", [correction_id])

    def corrections_since(self, since: dt.datetime) -> list[Correction]:
        return [Correction.from_row(r) for r in self._rows("corrections", "at >= ?", [iso(since)], order_by="id")]

    def told_before(self, service_id: str, version: str, since: dt.datetime) -> list[Inquiry]:
        """The latest answer per chat about a service, given from another knowledge-base version since a moment."""
        rows = self.db.query(
            "SELECT * FROM inquiries WHERE id IN (SELECT MAX(id) FROM inquiries WHERE service_id = ? AND at >= ? "
            "AND action IN ('answer', 'chosen') AND chat_id IS NOT NULL GROUP BY chat_id) AND kb_version != ? "
            "ORDER BY id", [service_id, iso(since), version])
        return [Inquiry.from_row(r) for r in rows]

    def record_notice(self, correction_id: int, inquiry: Inquiry) -> bool:
        """Remember that a chat was told of a correction; False when it was told already (once per chat and change)."""
        with self._write():
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO correction_notices (correction_id, chat_id, inquiry_id, at, channel) "
                "VALUES (?, ?, ?, ?, ?)", [correction_id, inquiry.chat_id, inquiry.id, iso(self.now()), inquiry.channel])
            return cursor.rowcount == 1

    def mark_correction_notified(self, correction_id: int) -> None:
        with self._write():
            self.db.execute("UPDATE corrections SET notified_at = ? WHERE id = ?", [iso(self.now()), correction_id])

    def post_to_inbox(self, user_id: str, kind: str, *, case_id: int | None = None, text: str | None = None,
                      media: str | None = None, service_id: str | None = None) -> int:
        return self._insert("web_inbox", {"user_id": user_id, "at": iso(self.now()), "kind": kind,
                                          "case_id": case_id, "text": text, "media": media, "service_id": service_id})

    def inbox(self, user_id: str, after: int = 0, limit: int = 50) -> list[InboxMessage]:
        """A session's inbox messages newer than `after` (the last id the page has), oldest first."""
        return [InboxMessage.from_row(r) for r in self._rows("web_inbox", "user_id = ? AND id > ?", [user_id, after],
                                                              order_by="id", limit=limit)]

    # -- reading for reports and retention -------------------------------------------------

    def inquiries_since(self, since: dt.datetime, actions: Iterable[str] | None = None) -> list[Inquiry]:
        """Inquiries from a moment on, oldest first; only those with one of `actions` when given."""
        where, args = "at >= ?", [iso(since)]
        if actions is not None:
            actions = list(actions)
            where += f" AND action IN ({', '.join('?' * len(actions))})"
            args += actions
        return [Inquiry.from_row(r) for r in self._rows("inquiries", where, args, order_by="id")]

    def cases_since(self, since: dt.datetime) -> list[Case]:
        return [Case.from_row(r) for r in self._rows("cases", "opened_at >= ?", [iso(since)], order_by="id")]

    def feedback_since(self, since: dt.datetime) -> list[Feedback]:
        return [Feedback.from_row(r) for r in self._rows("feedback", "at >= ?", [iso(since)], order_by="id")]

    def purge_before(self, cutoff: dt.datetime, marker: str, actor: str) -> dict[str, int]:
        """Replace citizens' ids and free text older than cutoff with a marker; counts stay intact."""
        before = iso(cutoff)
        with self._write():
            inquiries = self.db.execute(
                "UPDATE inquiries SET user_id = ?, chat_id = NULL, text = ?, reply = ?, messages = NULL "
                "WHERE at < ? AND user_id != ?", [marker, marker, marker, before, marker]).rowcount
            cases = self.db.execute(
                "UPDATE cases SET user_id = ?, chat_id = NULL, question = ? WHERE opened_at < ? AND user_id != ?",
                [marker, marker, before, marker]).rowcount
            feedback = self.db.execute("UPDATE feedback SET user_id = ? WHERE at < ? AND user_id != ?",
                                       [marker, before, marker]).rowcount
            updates = self.db.execute("UPDATE updates SET payload = ? WHERE received_at < ? AND payload != ?",
                                      [marker, before, marker]).rowcount
            outbox = self.db.execute("UPDATE outbox SET payload = ? WHERE created_at < ? AND payload != ?",
                                     [json.dumps({"purged": True}), before, json.dumps({"purged": True})]).rowcount
            events = self.db.execute(
                "UPDATE case_events SET detail = '{\"purged\": true}', "
                "actor = CASE WHEN actor LIKE 'citizen:%' THEN 'citizen:[purged]' ELSE actor END "
                "WHERE at < ? AND detail != '{\"purged\": true}'", [before]).rowcount
            inbox = self.db.execute("UPDATE web_inbox SET user_id = ?, text = ? WHERE at < ? AND user_id != ?",
                                    [marker, marker, before, marker]).rowcount
            self.db.execute("UPDATE web_sessions SET address = NULL WHERE created_at < ? AND address IS NOT NULL",
                            [before])
            counts = {"inquiries": inquiries, "cases": cases, "case_events": events, "feedback": feedback,
                      "updates": updates, "outbox": outbox, "web_inbox": inbox}
            self._insert("purges", {"at": iso(self.now()), "actor": actor, "cutoff": before,
                                    "counts": json.dumps(counts)})
        return counts

    def inquiry_facts_since(self, since: dt.datetime) -> list[Inquiry]:
        """Inquiries without their text and replies (the bulk of the file), for reports over long windows."""
        return [Inquiry.from_row({**row, "channel": "", "chat_id": None, "language": "", "text": "", "reply": ""})
                for row in self.db.query(
                    "SELECT id, at, user_id, action, service_id, options, score, kb_version, case_id, matter_id, district "
                    "FROM inquiries "
                    "WHERE at >= ? ORDER BY id", [iso(since)])]

    # -- the lease: one instance handles updates at a time -------------------------------

    def lease(self, name: str = "bot") -> Lease | None:
        return self._first(Lease, "lease", "name = ?", [name])

    def take_lease(self, mine: Lease, *, replacing: str | None = None) -> Lease:
        """Take or renew the lease when it is free, expired, already ours, or held by `replacing` (a holder
        known to be dead); return the lease in force afterwards (someone else's when it was not free)."""
        now = self.now()
        with self._write():
            current = self.lease(mine.name)
            if current is not None and current.holder not in (mine.holder, replacing) and current.expires_at > now:
                return current
            started = current.started_at if current is not None and current.holder == mine.holder else now
            row = {"name": mine.name, "holder": mine.holder, "host": mine.host, "pid": mine.pid,
                   "started_at": iso(started), "heartbeat_at": iso(now),
                   "expires_at": iso(now + dt.timedelta(seconds=mine.seconds))}
            self.db["lease"].upsert(row, pk="name")
        return self.lease(mine.name)

    def release_lease(self, holder: str, name: str = "bot") -> None:
        with self._write():
            self.db.execute("UPDATE lease SET expires_at = ? WHERE name = ? AND holder = ?",
                            [iso(self.now()), name, holder])

    # -- key/value state (polling offset and the like) ----------------------------------

    def get_state(self, key: str, default: str | None = None) -> str | None:
        rows = self._rows("state", "key = ?", [key])
        return rows[0]["value"] if rows else default

    def set_state(self, key: str, value: str) -> None:
        with self._write():
            self.db["state"].upsert({"key": key, "value": value}, pk="key")
