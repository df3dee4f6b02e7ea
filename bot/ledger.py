"""The ledger: the record of every question, every answer given, and every case.

One SQLite file in WAL mode, written through sqlite-utils. This module holds all the SQL.
Case events are append-only: triggers refuse UPDATE and DELETE on them. (sqlite-utils'
table.transform() drops triggers, so this module never transforms that table.)

A sqlite3 connection must be used from the thread that opened it: create the Ledger in the
thread (or event loop) that uses it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def parse_iso(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


OPEN, CLOSED = "open", "closed"

_SCHEMA = {
    "inquiries": (
        {"id": int, "at": str, "channel": str, "user_id": str, "chat_id": str, "language": str, "text": str,
         "action": str, "service_id": str, "options": str, "score": float, "kb_version": str, "reply": str,
         "update_id": int, "case_id": int, "answers": str},
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
         "attempts": int, "last_error": str, "sent_at": str, "case_id": int, "message_id": int, "next_try_at": str},
        {"not_null": {"created_at", "chat_id", "method", "payload", "status"}},
    ),
    "state": ({"key": str, "value": str}, {"pk": "key"}),
}

_APPEND_ONLY_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END;
"""


@dataclass(frozen=True)
class Inquiry:
    """What a citizen asked and exactly what they were told."""

    channel: str
    user_id: str
    chat_id: str | None
    language: str
    text: str
    action: str
    service_id: str | None
    options: tuple[str, ...]
    score: float
    kb_version: str
    reply: str
    update_id: int | None = None
    answers: dict[str, bool] | None = None


class Ledger:
    """All reads and writes of the ledger file."""

    def __init__(self, path: str | Path, clock: Clock = utc_now):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(self.path)
            self.db.enable_wal()
        else:
            self.db = sqlite_utils.Database(memory=True)
        self.db.execute("PRAGMA busy_timeout = 5000")
        self.db.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a crash loses no committed row
        self.clock = clock
        self._create()

    def _create(self) -> None:
        for name, (columns, options) in _SCHEMA.items():
            self.db[name].create(columns, pk=options.get("pk", "id"), not_null=options.get("not_null"),
                                 if_not_exists=True)
        self.db.executescript(_APPEND_ONLY_TRIGGERS)
        for table, columns in (("inquiries", ["user_id", "at"]), ("inquiries", ["update_id"]),
                               ("cases", ["status"]), ("cases", ["user_id", "status"]), ("case_events", ["case_id"]),
                               ("outbox", ["status"])):
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
            "update_id": inquiry.update_id, "case_id": case_id,
            "answers": json.dumps(inquiry.answers, ensure_ascii=False) if inquiry.answers else None,
        }
        with self.db.atomic():
            return self.db["inquiries"].insert(row).last_pk

    def inquiries(self, user_id: str | None = None) -> list[dict]:
        where, args = ("user_id = ?", [user_id]) if user_id else (None, None)
        return list(self.db["inquiries"].rows_where(where, args, order_by="id"))

    def record_feedback(self, inquiry_id: int, user_id: str, value: str) -> None:
        with self.db.atomic():
            self.db["feedback"].insert({"inquiry_id": inquiry_id, "at": iso(self.now()), "user_id": user_id,
                                        "value": value})

    # -- cases -------------------------------------------------------------------------

    def transaction(self):
        """A context manager: everything inside commits together or not at all (nests)."""
        return self.db.atomic()

    def link_inquiry(self, case_id: int, inquiry_id: int) -> None:
        with self.db.atomic():
            self.db["cases"].update(case_id, {"inquiry_id": inquiry_id})

    def open_case(self, *, channel: str, user_id: str, chat_id: str | None, language: str, question: str,
                  inquiry_id: int | None = None, guesses: Iterable[str] = (), due_at: dt.datetime | None = None,
                  kb_version: str | None = None, actor: str = "bot") -> int:
        """Open a case and record its first event, in one transaction."""
        now = iso(self.now())
        with self.db.atomic():
            case_id = self.db["cases"].insert({
                "opened_at": now, "channel": channel, "user_id": user_id, "chat_id": chat_id, "language": language,
                "question": question, "inquiry_id": inquiry_id, "guesses": json.dumps(list(guesses)),
                "status": OPEN, "due_at": iso(due_at) if due_at else None, "kb_version": kb_version,
            }).last_pk
            self._event(case_id, "opened", actor, {"question": question, "inquiry_id": inquiry_id})
            if inquiry_id is not None:
                self.db["inquiries"].update(inquiry_id, {"case_id": case_id})
        return case_id

    def case(self, case_id: int) -> dict | None:
        rows = list(self.db["cases"].rows_where("id = ?", [case_id]))
        return rows[0] if rows else None

    def open_case_of(self, user_id: str) -> dict | None:
        rows = list(self.db["cases"].rows_where("user_id = ? and status = ?", [user_id, OPEN], order_by="id desc",
                                                limit=1))
        return rows[0] if rows else None

    def cases(self, status: str | None = None) -> list[dict]:
        where, args = ("status = ?", [status]) if status else (None, None)
        return list(self.db["cases"].rows_where(where, args, order_by="id"))

    def case_events(self, case_id: int) -> list[dict]:
        return list(self.db["case_events"].rows_where("case_id = ?", [case_id], order_by="id"))

    def add_event(self, case_id: int, kind: str, actor: str, detail: dict | None = None,
                  changes: dict | None = None) -> None:
        """Append an event to a case and update its current state beside it, atomically."""
        with self.db.atomic():
            self._event(case_id, kind, actor, detail)
            if changes:
                self.db["cases"].update(case_id, changes)

    def _event(self, case_id: int, kind: str, actor: str, detail: dict | None) -> None:
        self.db["case_events"].insert({"case_id": case_id, "at": iso(self.now()), "kind": kind, "actor": actor,
                                       "detail": json.dumps(detail or {}, ensure_ascii=False)})

    # -- key/value state (polling offset and the like) ----------------------------------

    def get_state(self, key: str, default: str | None = None) -> str | None:
        rows = list(self.db["state"].rows_where("key = ?", [key]))
        return rows[0]["value"] if rows else default

    def set_state(self, key: str, value: str) -> None:
        with self.db.atomic():
            self.db["state"].upsert({"key": key, "value": value}, pk="key")
